/*
 * oomswap: the OOM killer once swap is full. Two scenes:
 *
 * 1. A hog maps and touches memory without end (more than RAM + swap).
 *    It must die of SIGKILL (seen by its parent through wait4), oom_kill
 *    must count exactly 1, and the test itself and an innocent sibling,
 *    each holding a pattern, keep every word.
 * 2. Two hogs: a big one holds 60% of RAM + swap and waits; a smaller
 *    one then takes 55%. The big one is the victim (SIGKILL), the small
 *    one gets all its memory and exits 0, oom_kill counts 1.
 *
 *   oomswap [-m RAM] [-s DEV]
 *
 * Skipped without swap. Numbat only by default: on Linux the hogs would wake the host's OOM
 * killer, so everything is skipped unless -L is given (in a small virtual
 * machine: scripts/linux-vm.sh -z 32 '/tests/oomswap -L').
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define CHUNK (4L << 20)

/* Map and touch chunks until killed; exit 3 if mmap fails, 4 past cap. */
static void hog_forever(long cap)
{
	for (long done = 0; done < cap; done += CHUNK) {
		char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (long i = 0; i < CHUNK; i += PAGE)
			p[i] = 1;
	}
	_exit(4);
}

/* Hold `len` bytes of pattern (seed); after a byte on rfd, check them:
 * exit 0 if all right, 1 if not. Tells wfd when filled. */
static void holder(long len, unsigned seed, int rfd, int wfd)
{
	char *p = swt_map(len), c = 0;

	swt_fill(p, len, 0, seed);
	if (write(wfd, "f", 1) != 1 || read(rfd, &c, 1) != 1)
		_exit(2);
	_exit(swt_check(p, len, 0, seed, NULL) ? 1 : 0);
}

static pid_t start_holder(long len, unsigned seed, int *go)
{
	int a[2], b[2];
	char c;

	if (pipe(a) < 0 || pipe(b) < 0)
		ktap_bail("pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		holder(len, seed, a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	if (read(b[0], &c, 1) != 1)
		diag("holder %u died before it was filled", seed);
	close(b[0]);
	*go = a[1];
	return pid;
}

static void scene_one(long ram, long limit)
{
	long mine = ram / 16, k0 = swt_vmstat("oom_kill"), t0 = swt_ms();
	int go, st = -1, sst = -1;
	char *p = swt_map(mine);

	swt_fill(p, mine, 0, 1);
	pid_t sib = start_holder(ram / 8, 2, &go);
	fflush(stdout);
	pid_t hog = fork();
	if (hog == 0)
		hog_forever(2 * limit);
	waitpid(hog, &st, 0);
	long k = swt_vmstat("oom_kill");
	diag("hog ended after %ld ms: %s; oom_kill %ld -> %ld", swt_ms() - t0, status_str(st), k0, k);
	ok(killed_by(st, SIGKILL), "the hog is killed by SIGKILL (%s)", status_str(st));
	ok_why(k0 >= 0 && k - k0 == 1, k0 < 0 ? "no oom_kill in /proc/vmstat" : "count",
	       "oom_kill counts 1 (+%ld)", k - k0);
	ok(swt_check(p, mine, 0, 1, NULL) == 0, "the test's own %ld MiB are intact", mine >> 20);
	if (write(go, "g", 1) != 1)
		diag("the sibling is gone");
	waitpid(sib, &sst, 0);
	ok(exited_with(sst, 0), "the innocent sibling's %ld MiB are intact (%s)", (ram / 8) >> 20,
	   status_str(sst));
	munmap(p, mine);
}

static void scene_two(long limit)
{
	long big = limit / 100 * 60, small = limit / 100 * 55, k0 = swt_vmstat("oom_kill");
	int go, st = -1, sst = -1;

	pid_t b = start_holder(big, 3, &go);
	fflush(stdout);
	pid_t s = fork();
	if (s == 0) {
		char *p = swt_map(small);
		swt_fill(p, small, 0, 4);
		_exit(swt_check(p, small, 0, 4, NULL) ? 1 : 0);
	}
	waitpid(s, &sst, 0);
	if (write(go, "g", 1) != 1)
		diag("the big hog is gone");
	waitpid(b, &st, 0);
	long k = swt_vmstat("oom_kill");
	ok(killed_by(st, SIGKILL), "the big hog (%ld MiB) is the victim (%s)", big >> 20,
	   status_str(st));
	ok(exited_with(sst, 0), "the small hog (%ld MiB) gets all its memory, every word right (%s)",
	   small >> 20, status_str(sst));
	ok_why(k0 >= 0 && k - k0 == 1, k0 < 0 ? "no oom_kill in /proc/vmstat" : "count",
	       "oom_kill counts 1 (+%ld)", k - k0);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	int c, linux_too = 0;

	while ((c = swt_getopt(argc, argv, "L", &o)) != -1) {
		if (c != 'L')
			return 2;
		linux_too = 1;
	}
	signal(SIGPIPE, SIG_IGN);           /* a killed holder must not kill us */
	swt_start("oomswap", 7, &o);
	long limit = (meminfo_kb("MemTotal") + meminfo_kb("SwapTotal")) * 1024;
	const char *why = !is_numbat() && !linux_too ?
			  "Linux: it would wake the host's OOM killer (-L to run)" :
			  meminfo_kb("SwapTotal") <= 0 ? "no swap area (the oom test runs without)" : NULL;
	if (why)
		return swt_skip_rest(7, why);
	diag("RAM %ld MiB, RAM + swap %ld MiB", o.ram >> 20, limit >> 20);
	scene_one(o.ram, limit);
	scene_two(limit);
	return ktap_done();
}
