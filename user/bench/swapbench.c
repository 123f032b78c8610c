/*
 * swapbench: anonymous memory larger than RAM, written, read back and
 * forked, to measure swapping and page reclaim (tests/bench.py boots it
 * with swap=384M@1 on a 96 MiB node; tests/linux_peer.py runs the same
 * binary on Linux in a 64 MiB memory cgroup).
 *
 *   swapbench [-s SIZE_MIB] [-i IDLE]
 *
 * One region of SIZE MiB (192) holds a pattern in every 8-byte word that
 * names its page, its word and the page's generation, so a page that comes
 * back from swap with the wrong contents, or from the wrong slot, shows.
 *
 *   fill     every word written (generation 1)
 *   seq1     every page checked in order; the even pages rewritten
 *   seq2     the same; the odd pages rewritten
 *   random   as many random pages as the region has, each checked
 *   fork     fork: the child checks every page and rewrites the even ones,
 *            exits; then the parent checks its own copy (unchanged)
 *
 * With -i IDLE, IDLE processes with 4 MiB each (touched, then asleep) are
 * made first: unrelated memory a reclaimer must look past. They check their
 * own pattern when released at the end.
 *
 * Under QEMU -icount shift=0 the TSC counts guest instructions, so each
 * phase prints its rdtsc delta per page of the region:
 *   bench: swap phase=NAME per_page=N pswpin=N pswpout=N pgscan=N pgsteal=N
 * (the vmstat deltas over that phase; -1 when /proc/vmstat lacks them),
 * then a total line and `bench: swap wrong_words=N idle_wrong_words=N`
 * (both must be 0). The exit status is 0 only when every word was right
 * and every process of the benchmark reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL
#define WORDS (PG / sizeof(uint64_t))
#define IDLE_BYTES (4UL << 20)

/* The word at (page, word) of generation gen. The constant keeps a zero
 * page (a lost write, a slot never read) from matching anything. */
static inline uint64_t pattern(unsigned long page, unsigned long word, unsigned gen)
{
	return ((uint64_t)page << 32 | word << 8 | gen) ^ 0x5a5a000000000000ULL;
}

static void page_write(uint64_t *p, unsigned long page, unsigned gen)
{
	for (unsigned long w = 0; w < WORDS; w++)
		p[w] = pattern(page, w, gen);
}

/* The number of words of the page that differ from generation gen. */
static unsigned long page_check(const uint64_t *p, unsigned long page, unsigned gen)
{
	unsigned long bad = 0;

	for (unsigned long w = 0; w < WORDS; w++)
		bad += p[w] != pattern(page, w, gen);
	return bad;
}

/* ---- /proc/vmstat ---- */

struct vmcount {
	long pswpin, pswpout, pgscan, pgsteal;
};

/* The sum of the counters named PREFIX_x for each x in which[], or -1 when
 * none of them exists. */
static long vm_sum(const char *prefix, const char *const *which)
{
	long sum = -1;
	char key[64];

	for (; *which; which++) {
		snprintf(key, sizeof(key), "%s_%s", prefix, *which);
		long v = file_counter("/proc/vmstat", key);
		if (v >= 0)
			sum = (sum < 0 ? 0 : sum) + v;
	}
	return sum;
}

/* Pages scanned or reclaimed by every reclaimer. Linux counts reclaim for a
 * memory cgroup's limit only by page type (pgscan_anon, pgscan_file), not
 * by reclaimer (pgscan_kswapd, pgscan_direct): the by-type sums are used
 * where they exist. */
static long vm_reclaim(const char *prefix)
{
	static const char *const by_type[] = { "anon", "file", NULL };
	static const char *const by_who[] = { "kswapd", "direct", "khugepaged", NULL };
	long v = vm_sum(prefix, by_type);

	return v >= 0 ? v : vm_sum(prefix, by_who);
}

static struct vmcount vm_read(void)
{
	struct vmcount c = {
		file_counter("/proc/vmstat", "pswpin"),
		file_counter("/proc/vmstat", "pswpout"),
		vm_reclaim("pgscan"),
		vm_reclaim("pgsteal"),
	};
	return c;
}

static long delta(long after, long before)
{
	return after < 0 || before < 0 ? -1 : after - before;
}

/* Print one phase's line: its cycles per page and vmstat deltas. */
static void report(const char *phase, unsigned long cycles, unsigned long pages,
		   struct vmcount a, struct vmcount b)
{
	printf("bench: swap phase=%s per_page=%lu pswpin=%ld pswpout=%ld pgscan=%ld pgsteal=%ld\n",
	       phase, cycles / pages, delta(b.pswpin, a.pswpin), delta(b.pswpout, a.pswpout),
	       delta(b.pgscan, a.pgscan), delta(b.pgsteal, a.pgsteal));
}

/* ---- the region and its phases ---- */

struct region {
	uint64_t *mem;
	unsigned long pages;
	unsigned char *gen;        /* each page's generation (outside the region) */
	unsigned long wrong;       /* words found wrong so far */
	int died;                  /* a process of ours died before reporting */
};

static uint64_t *page_at(struct region *r, unsigned long page)
{
	return r->mem + page * WORDS;
}

static void phase_fill(struct region *r)
{
	for (unsigned long pg = 0; pg < r->pages; pg++) {
		r->gen[pg] = 1;
		page_write(page_at(r, pg), pg, 1);
	}
}

/* Check every page in order; rewrite those with pg % 2 == parity. */
static void phase_seq(struct region *r, unsigned long parity)
{
	for (unsigned long pg = 0; pg < r->pages; pg++) {
		r->wrong += page_check(page_at(r, pg), pg, r->gen[pg]);
		if (pg % 2 == parity)
			page_write(page_at(r, pg), pg, ++r->gen[pg]);
	}
}

/* Check as many pages as the region has, chosen at random (xorshift64, a
 * fixed seed: the same pages on every run and every kernel). */
static void phase_random(struct region *r)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned long i = 0; i < r->pages; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned long pg = x % r->pages;
		r->wrong += page_check(page_at(r, pg), pg, r->gen[pg]);
	}
}

/* The fork phase. The child checks every page, rewrites the even ones
 * (copy-on-write), sends its wrong-word count through a pipe and exits;
 * once it is gone the parent checks its own copy, which must be as before. */
static void phase_fork(struct region *r)
{
	int fds[2];
	unsigned long child_wrong = 0;

	if (pipe(fds))
		exit(2);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("swapbench: fork");
		exit(2);
	}
	if (pid == 0) {
		r->wrong = 0;
		phase_seq(r, 0);
		if (write(fds[1], &r->wrong, sizeof(r->wrong)) != sizeof(r->wrong))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);               /* so that a child that dies is an end of file */
	if (read(fds[0], &child_wrong, sizeof(child_wrong)) != sizeof(child_wrong)) {
		printf("bench: swap fork child died before reporting\n");
		r->died = 1;
	}
	waitpid(pid, NULL, 0);
	close(fds[0]);
	r->wrong += child_wrong;
	for (unsigned long pg = 0; pg < r->pages; pg++)
		r->wrong += page_check(page_at(r, pg), pg, r->gen[pg]);
}

/* ---- idle processes ---- */

static int gate[2], ready[2], result[2];

/* An idle process: IDLE_BYTES of its own, written, then asleep on the gate
 * until the benchmark closes it; then it checks its pages, reports the
 * wrong words through `result` and exits. */
static void idle_main(unsigned long id)
{
	unsigned long pages = IDLE_BYTES / PG, bad = 0;
	uint64_t *p = mmap(NULL, IDLE_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	close(gate[1]);
	if (p == MAP_FAILED)
		_exit(2);
	for (unsigned long pg = 0; pg < pages; pg++)
		page_write(p + pg * WORDS, id << 12 | pg, 7);
	if (write(ready[1], "r", 1) != 1)
		_exit(2);
	close(ready[1]);
	(void)!read(gate[0], &c, 1);
	for (unsigned long pg = 0; pg < pages; pg++)
		bad += page_check(p + pg * WORDS, id << 12 | pg, 7);
	if (write(result[1], &bad, sizeof(bad)) != sizeof(bad))
		_exit(2);
	_exit(0);
}

/* Start n idle processes and wait until each has touched its memory.
 * Only the idle processes not yet ready hold `ready` open: if one dies
 * first (killed for want of memory), the read sees the end and we stop. */
static void idle_start(unsigned long n)
{
	char c;

	if (pipe(gate) || pipe(ready) || pipe(result))
		exit(2);
	fflush(stdout);
	for (unsigned long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("swapbench: fork");
			exit(2);
		}
		if (pid == 0)
			idle_main(i);
	}
	close(ready[1]);
	for (unsigned long i = 0; i < n; i++) {
		if (read(ready[0], &c, 1) != 1) {
			printf("bench: swap an idle process died before it was ready\n");
			exit(2);
		}
	}
	printf("bench: swap idle ready\n");
}

/* Release the idle processes; returns the wrong words they found. Sets
 * *died when one of them died without reporting. */
static unsigned long idle_stop(unsigned long n, int *died)
{
	unsigned long wrong = 0, bad;

	close(gate[1]);
	close(result[1]);
	for (unsigned long i = 0; i < n; i++) {
		if (read(result[0], &bad, sizeof(bad)) != sizeof(bad)) {
			printf("bench: swap an idle process died before reporting\n");
			*died = 1;
			return wrong;
		}
		wrong += bad;
	}
	for (unsigned long i = 0; i < n; i++)
		wait(NULL);
	return wrong;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: swapbench [-s SIZE_MIB] [-i IDLE_PROCESSES]\n");
	exit(2);
}

static void parse(int argc, char **argv, unsigned long *mib, unsigned long *idle)
{
	int c;

	while ((c = getopt(argc, argv, "s:i:")) != -1) {
		char *end;
		unsigned long v = strtoul(optarg, &end, 10);
		if (*end || end == optarg)
			usage();
		if (c == 's' && v > 0 && v <= (1UL << 20))
			*mib = v;
		else if (c == 'i' && v <= 4096)
			*idle = v;
		else
			usage();
	}
	if (optind != argc)
		usage();
}

typedef void (*phase_fn)(struct region *);
static void seq1(struct region *r) { phase_seq(r, 0); }
static void seq2(struct region *r) { phase_seq(r, 1); }

static const struct {
	const char *name;
	phase_fn fn;
} phases[] = {
	{ "fill", phase_fill }, { "seq1", seq1 }, { "seq2", seq2 },
	{ "random", phase_random }, { "fork", phase_fork },
};

/* Run the phases in order, one report line each, then the totals. */
static void run(struct region *r)
{
	struct vmcount first = vm_read(), a = first, b;
	unsigned long total = 0;

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		unsigned long t0 = rdtsc();
		phases[i].fn(r);
		unsigned long t = rdtsc() - t0;
		b = vm_read();
		report(phases[i].name, t, r->pages, a, b);
		total += t;
		a = b;
	}
	report("total", total, r->pages, first, b);
}

int main(int argc, char **argv)
{
	unsigned long mib = 192, idle = 0;
	struct region r = { 0 };

	parse(argc, argv, &mib, &idle);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r.pages = (mib << 20) / PG;
	r.gen = calloc(r.pages, 1);
	printf("bench: swap start size_mib=%lu idle=%lu pages=%lu\n", mib, idle, r.pages);
	idle_start(idle);
	r.mem = mmap(NULL, r.pages * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.mem == MAP_FAILED || !r.gen) {
		perror("swapbench: mmap");
		return 2;
	}
	run(&r);
	unsigned long idle_wrong = idle_stop(idle, &r.died);
	printf("bench: swap wrong_words=%lu idle_wrong_words=%lu\n", r.wrong, idle_wrong);
	return r.wrong || idle_wrong || r.died;
}
