/*
 * cow: copy-on-write fork, after the xv6 COW lab's cowtest.
 *
 *  - big: a process holding more than half of free memory forks (which an
 *    eager copy could not do); the child sees the parent's data, writes half
 *    of it and checks; the parent keeps its own data, then rewrites all of
 *    it. (Both writing all of it at once would need more memory than there
 *    is; that is the point of the size.)
 *  - three: three processes write overlapping parts of one region at once,
 *    each checking it sees only its own writes (xv6's threetest).
 *  - pipe: read() from a pipe into a page shared copy-on-write: the kernel's
 *    copy-out must break the sharing like a user write (xv6's filetest).
 *  - nested: 100 rounds of fork, fork again, everybody writes and checks.
 *  - On Numbat, afterwards MemFree is back to what it was.
 *
 * On a Linux host the sizes come from MemAvailable and are capped (256 MiB
 * for big, 64 MiB for three), so there "more than half" is not true; the
 * checks of what each process sees are the same.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL

static int numbat;

/* Each page's first word says who wrote it and which page it is. */
static void stamp(char *p, size_t from, size_t to, long tag)
{
	for (size_t i = from; i < to; i++)
		*(long *)(p + i * PG) = tag ^ (long)i;
}

/* 1 if pages [from, to) carry tag. */
static int stamped(const char *p, size_t from, size_t to, long tag)
{
	for (size_t i = from; i < to; i++)
		if (*(const long *)(p + i * PG) != (tag ^ (long)i))
			return 0;
	return 1;
}

/* Pages to use: percent of free memory (MemFree on Numbat, MemAvailable on
 * Linux), at most linux_cap bytes on Linux. */
static size_t pages_of_free(int percent, size_t linux_cap)
{
	long kb = numbat ? meminfo_kb("MemFree") : meminfo_kb("MemAvailable");
	size_t b = kb > 0 ? (size_t)kb * 1024 / 100 * percent : 0;

	if (!numbat && b > linux_cap)
		b = linux_cap;
	return b / PG;
}

static char *map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---------------------------------------------------------------- big */

static void test_big(void)
{
	size_t n = pages_of_free(55, 256UL << 20);
	char *p = map(n * PG);
	int status;
	pid_t pid;

	if (!p)
		ktap_bail("big: mmap failed");
	stamp(p, 0, n, 0x1111);
	pid = fork();
	if (pid == 0) {
		int seen = stamped(p, 0, n, 0x1111);
		stamp(p, 0, n / 2, 0x2222);
		_exit(seen && stamped(p, 0, n / 2, 0x2222) && stamped(p, n / 2, n, 0x1111) ? 0 : 1);
	}
	if (!ok_why(pid > 0, strerror(errno), "big: fork of a process holding %zu MiB%s",
		    n * PG >> 20, numbat ? ", 55% of free memory" : "")) {
		munmap(p, n * PG);
		ok(0, "big: the child sees the parent's data, then its own");
		ok(0, "big: the parent's data is unchanged");
		ok(0, "big: the parent rewrites all of it");
		return;
	}
	int mine = stamped(p, 0, n, 0x1111);      /* while the child writes */
	waitpid(pid, &status, 0);
	ok_why(exited_with(status, 0), status_str(status),
	       "big: the child sees the parent's data, then its own");
	ok(mine && stamped(p, 0, n, 0x1111), "big: the parent's data is unchanged");
	stamp(p, 0, n, 0x3333);
	ok(stamped(p, 0, n, 0x3333), "big: the parent rewrites all of it");
	munmap(p, n * PG);
}

/* ---------------------------------------------------------------- three */

/* One round of xv6's threetest: parent, child and grandchild write. */
static int three_round(char *p, size_t n)
{
	int status;
	pid_t pid;

	stamp(p, 0, n, 0x4444);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			stamp(p, 0, n / 5 * 4, getpid());
			_exit(stamped(p, 0, n / 5 * 4, getpid()) &&
			      stamped(p, n / 5 * 4, n, 0x4444) ? 0 : 1);
		}
		stamp(p, 0, n / 2, 9999);
		int good = grandchild > 0 && stamped(p, 0, n / 2, 9999) &&
			   stamped(p, n / 2, n, 0x4444);
		good = good && waitpid(grandchild, &status, 0) == grandchild &&
		       exited_with(status, 0);
		_exit(good && stamped(p, 0, n / 2, 9999) ? 0 : 1);
	}
	stamp(p, 0, n, getpid());
	waitpid(pid, &status, 0);
	return exited_with(status, 0) && stamped(p, 0, n, getpid());
}

static void test_three(void)
{
	size_t n = pages_of_free(25, 64UL << 20);
	char *p = map(n * PG);
	int good = 0;

	if (!p)
		ktap_bail("three: mmap failed");
	for (int round = 0; round < 3; round++)
		good += three_round(p, n);
	ok(good == 3, "three: three processes write %zu MiB, each sees its own (%d of 3 rounds)",
	   n * PG >> 20, good);
	munmap(p, n * PG);
}

/* ---------------------------------------------------------------- pipe */

static char shared[2 * PG] __attribute__((aligned(4096)));

static void test_pipe(void)
{
	int good = 0, status, fds[2], go[2];

	memset(shared, 99, sizeof(shared));
	/* Children read() into the shared page: the parent's must not change. */
	for (int i = 0; i < 4; i++) {
		if (pipe(fds) < 0)
			ktap_bail("pipe failed");
		pid_t pid = fork();
		if (pid == 0) {
			int r = read(fds[0], shared, sizeof(i));
			_exit(r == sizeof(i) && *(int *)shared == i && shared[4] == 99 ? 0 : 1);
		}
		write(fds[1], &i, sizeof(i));
		close(fds[0]);
		close(fds[1]);
		if (pid > 0 && waitpid(pid, &status, 0) == pid && exited_with(status, 0))
			good++;
	}
	ok(good == 4, "pipe: read() into a COW page in the child gets the data (%d of 4)", good);
	ok(shared[0] == 99 && shared[3] == 99, "pipe: ... and the parent's copy is unchanged");

	/* The parent read()s into the shared page: the child's must not change. */
	if (pipe(fds) < 0 || pipe(go) < 0)
		ktap_bail("pipe failed");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(go[0], &c, 1);               /* wait for the parent's read */
		_exit(shared[PG] == 99 && shared[PG + 7] == 99 ? 0 : 1);
	}
	write(fds[1], "written!", 8);
	int r = read(fds[0], shared + PG, 8);
	write(go[1], "", 1);
	waitpid(pid, &status, 0);
	ok(r == 8 && memcmp(shared + PG, "written!", 8) == 0,
	   "pipe: read() into a COW page in the parent gets the data");
	ok_why(exited_with(status, 0), status_str(status), "pipe: ... and the child's copy is unchanged");
	close(fds[0]);
	close(fds[1]);
	close(go[0]);
	close(go[1]);
}

/* ---------------------------------------------------------------- nested */

static char nest[16 * PG];

/* Child and grandchild each write all of nest and check. */
static void nested_child(int round)
{
	int status;
	pid_t pid;

	stamp(nest, 0, 16, 0x6000 + round);
	pid = fork();
	if (pid == 0) {
		stamp(nest, 0, 16, 0x7000 + round);
		_exit(stamped(nest, 0, 16, 0x7000 + round) ? 0 : 1);
	}
	int mine = stamped(nest, 0, 16, 0x6000 + round);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !exited_with(status, 0))
		_exit(1);
	_exit(mine && stamped(nest, 0, 16, 0x6000 + round) ? 0 : 1);
}

static void test_nested(void)
{
	int good = 0, status;

	stamp(nest, 0, 16, 0x5555);
	for (int round = 0; round < 100; round++) {
		pid_t pid = fork();
		if (pid == 0)
			nested_child(round);
		if (pid > 0 && waitpid(pid, &status, 0) == pid && exited_with(status, 0) &&
		    stamped(nest, 0, 16, 0x5555))
			good++;
	}
	ok(good == 100, "nested: 100 rounds of fork+fork, all writing (%d good)", good);
}

int main(void)
{
	struct timespec tenth = { 0, 100 * 1000 * 1000 };
	long before, after, slack;

	numbat = is_numbat();
	ktap_plan("cow", 11);
	before = meminfo_kb("MemFree");

	test_big();
	test_three();
	test_pipe();
	test_nested();

	if (!numbat) {
		skip("MemFree is noisy on a Linux host", "every page is free again");
		return ktap_done();
	}
	/* As in forkbomb: 1% of memory for kernel caches; give the kernel up
	 * to a second to free what exiting processes held. */
	slack = meminfo_kb("MemTotal") / 100;
	after = meminfo_kb("MemFree");
	for (int i = 0; i < 10 && after < before - slack; i++) {
		nanosleep(&tenth, NULL);
		after = meminfo_kb("MemFree");
	}
	ok_why(before > 0 && after >= before - slack, "MemFree dropped",
	       "every page is free again: MemFree %ld kB before, %ld kB after", before, after);
	return ktap_done();
}
