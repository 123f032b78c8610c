/* Kernel command line parsing (see cmdline.h). */
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/string.h>

/* The options Numbat knows. Add new ones here, with what they do. */
static const struct {
	const char *key;
	const char *help;
} known[] = {
	{ "ktest", "ktest=all or ktest=SUITE[,SUITE]: run in-kernel tests (KTAP)" },
	{ "poweroff", "power off when the tests or the first process end" },
	{ "ramdisk", "ramdisk=SIZE[@NODE][,...]: RAM disks ram0.. (K/M/G), memory on NODE" },
};

#define MAX_WORDS 32
#define WORD_MAX 128

/* The accepted options, copied out of the boot loader's string. */
static struct {
	char key[32];
	char value[WORD_MAX];
} opts[MAX_WORDS];
static int nr_opts;

static bool is_known(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(known[i].key, key))
			return true;
	return false;
}

/* Accept one word, or report it. */
static void accept_word(const char *word)
{
	char key[32];
	const char *eq = strchr(word, '=');
	size_t klen = eq ? (size_t)(eq - word) : strlen(word);

	if (klen == 0 || klen >= sizeof(key) || nr_opts == MAX_WORDS)
		goto unknown;
	memcpy(key, word, klen);
	key[klen] = 0;
	if (!is_known(key))
		goto unknown;
	strlcpy(opts[nr_opts].key, key, sizeof(opts[nr_opts].key));
	strlcpy(opts[nr_opts].value, eq ? eq + 1 : "", WORD_MAX);
	nr_opts++;
	return;
unknown:
	printk("cmdline: unknown option '%s' ignored\n", word);
}

void cmdline_parse(const char *line)
{
	char word[WORD_MAX];

	printk("cmdline: %s\n", line);
	while (*line) {
		while (*line == ' ')
			line++;
		size_t n = 0;
		while (line[n] && line[n] != ' ')
			n++;
		if (!n)
			break;
		if (n == 2 && !strncmp(line, "--", 2))
			break;          /* the rest is for init */
		strlcpy(word, line, MIN(n + 1, sizeof(word)));
		accept_word(word);
		line += n;
	}
}

const char *cmdline_get(const char *key)
{
	for (int i = nr_opts - 1; i >= 0; i--)
		if (!strcmp(opts[i].key, key))
			return opts[i].value;
	return NULL;
}

bool cmdline_has(const char *key)
{
	return cmdline_get(key) != NULL;
}
