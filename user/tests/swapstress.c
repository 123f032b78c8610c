/*
 * swapstress: anonymous memory four times the size of RAM, so that most of
 * it must go to swap and come back. Each of N worker processes (pinned to
 * the CPUs in turn) writes a pattern over its share (a hash of the address,
 * the pass and the worker), reads it all back in order, rewrites it with a
 * second pass, and reads that back in a random page order. Every word must
 * be right, and pswpout and pswpin must have grown.
 *
 *   swapstress [-m RAM] [-s DEV] [-p N] [-x FACTOR]
 *
 * -p N: N workers (default 1) share FACTOR x RAM (default 4) between them.
 * Skipped when MemFree + SwapFree cannot hold it (no swap: nothing to test).
 * On Linux: swapstress -m 16M (and with swap, pswpout/pswpin are checked).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define MAXW 64

struct result {                 /* what a worker tells the parent */
	long seed;                  /* which worker (1..N) */
	long bad_seq, bad_rand;     /* wrong words in each read-back */
	unsigned long first_bad;    /* address of the first wrong word */
};

/* Pages of a region in a random order: i -> (i * step + off) mod n, with
 * step coprime to n, visits each page once. */
static long coprime_step(long n, unsigned seed)
{
	long s = (long)(swt_pat((void *)(long)seed, 7, 0) % (unsigned long)n) | 1;

	for (;;) {
		long a = s, b = n;
		while (b) {
			long t = a % b;
			a = b;
			b = t;
		}
		if (a == 1)
			return s;
		s += 2;
	}
}

/* One worker: write, check in order, rewrite, check in random order. */
static void worker(long len, unsigned seed, int wfd)
{
	struct result r = { seed, 0, 0, 0 };
	char *p = swt_map(len);
	const void *bad = NULL;
	long n = len / PAGE, step = coprime_step(n, seed), off = seed * 977L % n;

	swt_fill(p, len, 0, seed);
	r.bad_seq = swt_check(p, len, 0, seed, &bad);
	swt_fill(p, len, 1, seed);
	for (long i = 0; i < n; i++) {
		long pg = (i * step + off) % n;
		const void *b = NULL;
		r.bad_rand += swt_check(p + pg * PAGE, PAGE, 1, seed, &b);
		if (b && !bad)
			bad = b;
	}
	r.first_bad = (unsigned long)bad;
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	_exit(r.bad_seq || r.bad_rand ? 1 : 0);
}

/* Start n workers, each pinned to a CPU in turn; pids[] and cpu[] filled. */
static void start(int n, long share, int wfd, pid_t *pids, int *cpu)
{
	int cpus[256], ncpu = swt_cpus(cpus, 256);

	for (int i = 0; i < n; i++) {
		cpu[i] = ncpu ? cpus[i % ncpu] : -1;
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] == 0) {
			if (cpu[i] >= 0 && swt_pin(cpu[i]) < 0)
				_exit(4);
			worker(share, i + 1, wfd);
		}
	}
}

/* Wait for every worker and report three checks each. */
static void collect(int n, long share, int rfd, const pid_t *pids, const int *cpu)
{
	for (int i = 0; i < n; i++) {
		int st = -1;

		waitpid(pids[i], &st, 0);
		ok(exited_with(st, 0) || exited_with(st, 1),
		   "worker %d (cpu %d, %ld MiB) ran to the end (%s)", i, cpu[i], share >> 20,
		   status_str(st));
	}
	/* Results arrive in the order the workers finish; a killed worker
	 * sends none, and its two checks fail. */
	for (int i = 0; i < n; i++) {
		struct result r;

		if (read(rfd, &r, sizeof(r)) != sizeof(r)) {
			ok_why(0, "no result: a worker died", "a worker's words are right, in order");
			ok_why(0, "no result: a worker died", "a worker's words are right, random order");
			continue;
		}
		ok(r.bad_seq == 0, "worker %ld: every word right, read back in order "
		   "(%ld wrong, first at %#lx)", r.seed - 1, r.bad_seq, r.first_bad);
		ok(r.bad_rand == 0, "worker %ld: every word right after a rewrite, read back "
		   "in random page order (%ld wrong)", r.seed - 1, r.bad_rand);
	}
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	int n = 1, c, fds[2], cpu[MAXW];
	double factor = 4;
	pid_t pids[MAXW];

	while ((c = swt_getopt(argc, argv, "p:x:", &o)) != -1) {
		if (c == 'p')
			n = atoi(optarg);
		else if (c == 'x')
			factor = atof(optarg);
		else
			return 2;
	}
	if (n < 1 || n > MAXW || factor <= 0)
		return 2;
	swt_start("swapstress", 2 + 3 * n, &o);
	long share = (long)(factor * o.ram / n) & ~(PAGE - 1), total = share * n;
	long avail = swt_avail(), swaptotal = meminfo_kb("SwapTotal");
	diag("RAM %ld MiB, %d worker(s) x %ld MiB = %ld MiB; MemFree + SwapFree %ld MiB",
	     o.ram >> 20, n, share >> 20, total >> 20, avail >> 20);
	if (avail < total + (8L << 20))
		return swt_skip_rest(2 + 3 * n, "MemFree + SwapFree cannot hold it");
	long out0 = swt_vmstat("pswpout"), in0 = swt_vmstat("pswpin"), t0 = swt_ms();
	if (pipe(fds) < 0)
		ktap_bail("pipe");
	start(n, share, fds[1], pids, cpu);
	close(fds[1]);
	collect(n, share, fds[0], pids, cpu);
	long out = swt_vmstat("pswpout") - out0, in = swt_vmstat("pswpin") - in0;
	diag("%ld ms; pswpout +%ld, pswpin +%ld (pages)", swt_ms() - t0, out, in);
	if (swaptotal <= 0) {
		skip("no swap area", "pswpout grew");
		skip("no swap area", "pswpin grew");
	} else {
		ok(out0 >= 0 && out > 0, "pswpout grew (+%ld)", out);
		ok(in0 >= 0 && in > 0, "pswpin grew (+%ld)", in);
	}
	return ktap_done();
}
