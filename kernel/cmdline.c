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
	{ "init", "init=/path: the first process's program (default /bin/init)" },
	{ "strace", "print every system call of every process, with its result" },
	{ "rmap", "rmap=scan: keep no pte_chains; migration walks every page table (rmap.h)" },
	{ "rmap_check", "rmap_check=N: check the reverse map every N page faults" },
	{ "rmap_pairs", "rmap_pairs=off: no pairs, a second mapping makes a pte_chain (Linux 2.5's layout, rmap.h)" },
	{ "trace_event", "trace_event=SYSTEM:EVENT[,...]: turn memory-system trace events on (SYSTEM:* for all of one system)" },
	{ "numa_balancing", "numa_balancing=enable|disable: move pages to the node that uses them" },
	{ "numa_replication", "numa_replication=enable: copy read-only file pages to each node using them" },
	{ "swap", "swap=SIZE[@NODE]: a RAM disk on NODE made a swap area and swapped on" },
	{ "nosmep", "leave SMEP off: the kernel may execute user pages (as Linux's)" },
	{ "nosmap", "leave SMAP off: the kernel may touch user pages anywhere (as Linux's)" },
	{ "rodata", "rodata=off: kernel image all writable and executable (as Linux's)" },
};

#define MAX_WORDS 32
#define WORD_MAX 128

/* The accepted options, copied out of the boot loader's string. */
static struct {
	char key[32];
	char value[WORD_MAX];
} opts[MAX_WORDS];
static int nr_opts;

/* The words after "--": init's arguments (Linux's convention). */
static char init_args[MAX_WORDS][WORD_MAX];
static int nr_init_args;

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

/* The next space-separated word of *line: its start and length (0 at the
 * end); *line moves past it. */
static const char *next_word(const char **line, size_t *n)
{
	const char *w = *line;

	while (*w == ' ')
		w++;
	*n = 0;
	while (w[*n] && w[*n] != ' ')
		(*n)++;
	*line = w + *n;
	return w;
}

/* The next init argument: a word, or as Linux, "a quoted string" that
 * may hold spaces (the quotes are dropped; GRUB passes them through), as
 * in init=/bin/busybox -- sh -c "echo a | cat". */
static const char *next_arg(const char **line, size_t *n)
{
	const char *w = *line;

	while (*w == ' ')
		w++;
	if (*w != '"')
		return next_word(line, n);
	w++;
	for (*n = 0; w[*n] && w[*n] != '"'; (*n)++)
		;
	*line = w + *n + (w[*n] == '"');
	return w;
}

static void save_init_args(const char *line)
{
	size_t n;

	while (nr_init_args < MAX_WORDS) {
		const char *w = next_arg(&line, &n);
		if (!n && !*line)
			break;
		strlcpy(init_args[nr_init_args++], w, MIN(n + 1, (size_t)WORD_MAX));
	}
}

int cmdline_init_args(const char **argv, int max)
{
	int n = MIN(max, nr_init_args);

	for (int i = 0; i < n; i++)
		argv[i] = init_args[i];
	return n;
}

void cmdline_parse(const char *line)
{
	char word[WORD_MAX];

	printk("cmdline: %s\n", line);
	for (;;) {
		size_t n;
		const char *w = next_word(&line, &n);

		if (!n)
			break;
		if (n == 2 && !strncmp(w, "--", 2)) {
			save_init_args(line);        /* the rest is for init */
			break;
		}
		strlcpy(word, w, MIN(n + 1, sizeof(word)));
		accept_word(word);
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
