/*
 * Fuzz target: the kernel command line parser (kernel/cmdline.c). The
 * input is the string GRUB passes, cut to what multiboot2.c keeps
 * (BOOT_CMDLINE_MAX - 1 bytes, NUL-terminated). After parsing, every
 * lookup the kernel makes must return a terminated string.
 */
#include <stdlib.h>
#include <string.h>
#include <kernel/bootinfo.h>
#include "shim.h"

#include "../../kernel/cmdline.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[BOOT_CMDLINE_MAX];
	const char *argv[MAX_WORDS + 1];

	size = MIN(size, sizeof(line) - 1);
	memcpy(line, data, size);
	line[size] = 0;
	nr_opts = 0;
	nr_init_args = 0;
	cmdline_parse(line);
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		const char *v = cmdline_get(known[i].key);
		if (v && strnlen(v, WORD_MAX) == WORD_MAX)
			abort();        /* an unterminated option value */
	}
	int n = cmdline_init_args(argv, MAX_WORDS + 1);
	if (n < 0 || n > MAX_WORDS)
		abort();
	for (int i = 0; i < n; i++)
		if (strnlen(argv[i], WORD_MAX) == WORD_MAX)
			abort();
	return 0;
}
