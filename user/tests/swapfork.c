/*
 * swapfork: fork a process most of whose memory is in swap. A first
 * process P fills 1.5 x RAM with a pattern (so much of it is swapped out)
 * and forks C. Both read all of it back; then P rewrites the first half
 * and C the second half, each with its own pattern, and each checks that
 * it sees exactly its own data: its own half new, the other half as before
 * the fork. After both have exited, every swap slot they held must be free
 * again: what is still in use must belong to a live process (its VmSwap;
 * the test itself, a shell) or to the swap cache (SwapCached). Run as the
 * only process (Numbat's init), that is SwapFree back to SwapTotal, less
 * the test's own pages in swap.
 *
 *   swapfork [-m RAM] [-s DEV] [-x FACTOR]      (FACTOR of RAM, default 1.5)
 *
 * Skipped when MemFree + SwapFree cannot hold twice the region (after the
 * two halves are rewritten, both copies exist). On Linux: swapfork -m 16M.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define SWAP_EMPTY_MS 5000     /* how long freeing the slots may lag exit */

struct report {                 /* what P and C tell the test */
	char who;                   /* 'P' or 'C' */
	long bad_all, bad_own, bad_other;
};

/* Read all back (pass 0), rewrite own half with pass `mine`, check both. */
static struct report verify(char who, char *p, long len, int first_half)
{
	struct report r = { who, 0, 0, 0 };
	long half = len / 2;
	char *own = first_half ? p : p + half, *other = first_half ? p + half : p;
	unsigned pass = first_half ? 1 : 2;

	r.bad_all = swt_check(p, len, 0, 0, NULL);
	swt_fill(own, half, pass, 0);
	r.bad_own = swt_check(own, half, pass, 0, NULL);
	r.bad_other = swt_check(other, half, 0, 0, NULL);
	return r;
}

/* P: fill, report swap in use, fork C, both verify, P waits for C. */
static void parent_proc(long len, int wfd)
{
	char *p = swt_map(len);
	long used;

	swt_fill(p, len, 0, 0);
	used = meminfo_kb("SwapTotal") - meminfo_kb("SwapFree");
	if (write(wfd, &used, sizeof(used)) != sizeof(used))
		_exit(3);
	fflush(stdout);
	pid_t c = fork();
	if (c < 0)
		_exit(4);
	struct report r = verify(c == 0 ? 'C' : 'P', p, len, c != 0);
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	if (c == 0)
		_exit(0);
	int st;
	if (waitpid(c, &st, 0) != c || !exited_with(st, 0))
		_exit(5);
	_exit(0);
}

/* Read the two reports, in whatever order they come, and check them. */
static void check_reports(int rfd)
{
	struct report r[2] = { { 0 }, { 0 } };

	for (int i = 0; i < 2; i++) {
		struct report x;
		if (read(rfd, &x, sizeof(x)) == sizeof(x))
			r[x.who == 'C'] = x;
	}
	for (int i = 0; i < 2; i++) {
		const char *who = i ? "child" : "parent", *half = i ? "second" : "first";
		int got = r[i].who == (i ? 'C' : 'P');
		ok_why(got && r[i].bad_all == 0, got ? "wrong words" : "no report",
		       "%s reads every word written before the fork (%ld wrong)", who, r[i].bad_all);
		ok_why(got && r[i].bad_own == 0, got ? "wrong words" : "no report",
		       "%s reads back its own rewrite of the %s half (%ld wrong)", who, half,
		       r[i].bad_own);
		ok_why(got && r[i].bad_other == 0, got ? "wrong words" : "no report",
		       "%s still sees the other half as before the fork (%ld wrong)", who,
		       r[i].bad_other);
	}
}

/* After both exited: their swap slots are free again, soon. */
static void check_slots_free(long swaptotal)
{
	if (swaptotal <= 0) {
		skip("no swap area", "their swap slots are free after both exited");
		return;
	}
	long left = 0, ms = swt_wait_swap_empty(SWAP_EMPTY_MS, &left);
	diag("swap in use %ld kB, own VmSwap %ld kB, SwapCached %ld kB",
	     meminfo_kb("SwapTotal") - meminfo_kb("SwapFree"), swt_vmswap() / 1024,
	     meminfo_kb("SwapCached"));
	ok_why(ms >= 0, "slots still in use", "their swap slots are free %ld ms after both "
	       "exited (within %d ms; %ld kB unaccounted)", ms, SWAP_EMPTY_MS, ms < 0 ? left : 0);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	double factor = 1.5;
	int c, fds[2], st = -1;

	while ((c = swt_getopt(argc, argv, "x:", &o)) != -1) {
		if (c != 'x')
			return 2;
		factor = atof(optarg);
	}
	swt_start("swapfork", 9, &o);
	long len = (long)(factor * o.ram) & ~(2 * PAGE - 1), avail = swt_avail();
	long swaptotal = meminfo_kb("SwapTotal");
	diag("RAM %ld MiB, region %ld MiB; MemFree + SwapFree %ld MiB", o.ram >> 20, len >> 20,
	     avail >> 20);
	if (avail < 2 * len + (8L << 20))
		return swt_skip_rest(9, "MemFree + SwapFree cannot hold two copies");
	if (pipe(fds) < 0)
		ktap_bail("pipe");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		parent_proc(len, fds[1]);
	close(fds[1]);
	long used = -1;
	int got = read(fds[0], &used, sizeof(used)) == sizeof(used);
	if (swaptotal > 0)
		ok_why(got && used > 0, got ? "no swap in use" : "no report",
		       "after the fill, %ld kB of it are in swap", used);
	else
		skip("no swap area", "after the fill, part of it is in swap");
	check_reports(fds[0]);
	waitpid(p, &st, 0);
	ok(exited_with(st, 0), "parent and child exit 0 (%s)", status_str(st));
	check_slots_free(swaptotal);
	return ktap_done();
}
