/*
 * sparse: system calls on a huge mapping that is almost all empty must
 * cost time in proportion to what is mapped, not to the mapping's size.
 *
 * A 1 TiB reservation (PROT_NONE, MAP_NORESERVE, as language runtimes and
 * sanitizers make them) with a few pages touched in it: mprotect of all of
 * it, fork with it, munmap of it, and a child killed by SIGKILL while it
 * mprotects such a mapping in a loop. Each must finish within BOUND_MS of
 * guest time (clock_gettime). A kernel that visits every 4 KiB page (2^28
 * of them) or every 2 MiB of the range, instead of skipping the page
 * tables that do not exist, takes far longer under QEMU, and SIGKILL waits
 * for it.
 *
 * An argument changes the size (in GiB) for measurements:
 * init=/tests/sparse poweroff -- 64
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL
#define GIB (1UL << 30)
#define BOUND_MS 2000L
#define HUGE_GIB (64 * 1024UL)     /* 64 TiB: for fork and munmap */
#define HUGE_BOUND_MS 500L
#define NTOUCH 5

static unsigned long size = 1024 * GIB;

/* Offsets of the touched pages: both ends and a few in between, in
 * different page tables at every level. */
static unsigned long touch_off(int i)
{
	unsigned long off[NTOUCH] = { 0, size / 3, size / 2 + 5 * PG,
				      size - size / 512 - 7 * PG, size - PG };

	return off[i] & ~(PG - 1);
}

static char *reserve(void)
{
	char *p = mmap(NULL, size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Make the touched pages writable and write a value in each. */
static int touch(char *p)
{
	for (int i = 0; i < NTOUCH; i++) {
		char *q = p + touch_off(i);
		if (mprotect(q, PG, PROT_READ | PROT_WRITE))
			return 0;
		*(long *)q = 1000 + i;
	}
	return 1;
}

static int check_values(const char *p)
{
	for (int i = 0; i < NTOUCH; i++)
		if (*(const long *)(p + touch_off(i)) != 1000 + i)
			return 0;
	return 1;
}

static void test_mprotect(char *p)
{
	long t0 = now_ms();
	int r = mprotect(p, size, PROT_READ);
	long ms = now_ms() - t0;

	ok(r == 0 && ms <= BOUND_MS, "mprotect of %lu GiB took %ld ms (bound %ld ms)",
	   size / GIB, ms, BOUND_MS);
	ok(r == 0 && check_values(p), "the touched pages keep their values");
}

/* fork, the child checks the values and exits, the parent reaps it. */
static void test_fork(char *p, long bound)
{
	long t0 = now_ms();
	pid_t pid = fork();

	if (pid == 0)
		_exit(check_values(p) ? 0 : 1);
	long fork_ms = now_ms() - t0;
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	long ms = now_ms() - t0;
	ok(pid > 0 && fork_ms <= bound, "fork with %lu GiB mapped took %ld ms (bound %ld ms)",
	   size / GIB, fork_ms, bound);
	ok(exited_with(status, 0) && ms <= bound,
	   "child sees the values and exits: %ld ms from fork to reaped (%s, bound %ld ms)",
	   ms, status_str(status), bound);
}

static void test_munmap(char *p, long bound)
{
	long t0 = now_ms();
	int r = munmap(p, size);
	long ms = now_ms() - t0;

	ok(r == 0 && ms <= bound, "munmap of %lu GiB took %ld ms (bound %ld ms)",
	   size / GIB, ms, bound);
}

/* The child mprotects its reservation back and forth until killed. */
static void mprotect_forever(int ready)
{
	char *p = reserve();

	if (!p || !touch(p))
		_exit(2);
	if (write(ready, "x", 1) != 1)
		_exit(3);
	for (;;) {
		mprotect(p, size, PROT_READ);
		mprotect(p, size, PROT_NONE);
	}
}

static void test_kill(void)
{
	int fds[2];
	char c;

	if (pipe(fds))
		ktap_bail("pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		mprotect_forever(fds[1]);
	}
	close(fds[1]);
	int up = pid > 0 && read(fds[0], &c, 1) == 1;
	struct timespec pause = { 0, 50 * 1000 * 1000 };   /* into the loop */
	nanosleep(&pause, NULL);
	long t0 = now_ms();
	if (pid > 0)
		kill(pid, SIGKILL);
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	long ms = now_ms() - t0;
	close(fds[0]);
	ok(up && killed_by(status, SIGKILL) && ms <= BOUND_MS,
	   "SIGKILL during mprotect of %lu GiB: reaped after %ld ms (%s, bound %ld ms)",
	   size / GIB, ms, status_str(status), BOUND_MS);
}

int main(int argc, char **argv)
{
	if (argc > 1 && atol(argv[1]) > 0)
		size = (unsigned long)atol(argv[1]) * GIB;
	ktap_plan("sparse", 13);
	char *p = reserve();
	if (!ok(p != NULL, "mmap of %lu GiB PROT_NONE, MAP_NORESERVE", size / GIB))
		ktap_bail("no reservation");
	ok(touch(p), "%d pages made writable and written", NTOUCH);
	test_mprotect(p);
	test_fork(p, BOUND_MS);
	test_munmap(p, BOUND_MS);
	test_kill();

	/* Bigger still for fork, exit and munmap, which (unlike a walk of
	 * every 4 KiB page) a walk of every 2 MiB gets through in about
	 * 14 ms per TiB under QEMU: at 64 TiB that is still far too long. */
	size = HUGE_GIB * GIB;
	p = reserve();
	if (!ok(p != NULL, "mmap of %lu GiB PROT_NONE, MAP_NORESERVE", size / GIB))
		ktap_bail("no reservation");
	ok(touch(p), "%d pages made writable and written", NTOUCH);
	test_fork(p, HUGE_BOUND_MS);
	test_munmap(p, HUGE_BOUND_MS);
	return ktap_done();
}
