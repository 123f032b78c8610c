/*
 * shmanon: shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) is one
 * object for every process that maps it, as on Linux (shmem):
 *
 *  - pages first touched after a fork are shared: parent and child each
 *    write half of them and see all of the other's writes;
 *  - after madvise(MADV_DONTNEED) in the child, its next touch finds the
 *    shared data again (not zeros), and its writes reach the parent;
 *  - pages present at fork stay shared;
 *  - munmap in one process leaves the other's mapping and data alone
 *    (either way round: the object outlives the process that made it);
 *  - a 64 MiB area: each side writes half of the words, both check all;
 *  - /proc/self/maps names it "/dev/zero (deleted)"; /proc/meminfo's
 *    Shmem counts its pages; msync on it succeeds;
 *  - a shared mapping of /dev/zero is the same kind of object;
 *  - on Numbat, MemFree is back afterwards (the object's pages are freed
 *    with its last mapping).
 *
 * `shmanon pressure SIZE_MB [SHARED_MB]`: a SHARED_MB (default 32) area
 * is written by both sides; then the parent touches SIZE_MB of private
 * memory to push the shared pages out to swap, lets it go, and both sides
 * check every word of the shared area. Needs reclaim and a swap area.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL
#define NPAGES 64

static int numbat;

/* A pipe each way between parent and child, to take turns. */
struct chan {
	int to_child[2], to_parent[2];
};

static void chan_open(struct chan *c)
{
	if (pipe(c->to_child) || pipe(c->to_parent))
		ktap_bail("pipe failed");
}

static void chan_close(struct chan *c)
{
	close(c->to_child[0]);
	close(c->to_child[1]);
	close(c->to_parent[0]);
	close(c->to_parent[1]);
}

static void post(int fd)
{
	char b = 1;

	if (write(fd, &b, 1) != 1)
		_exit(3);
}

static void await(int fd)
{
	char b;

	if (read(fd, &b, 1) != 1)
		_exit(4);
}

static char *shmap(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ktap_bail("mmap MAP_SHARED|MAP_ANONYMOUS failed");
	return p;
}

static long val(long tag, size_t i)
{
	return tag * 0x9e3779b97f4a7c15L ^ (long)i;
}

/* Stamp the first word of pages [from, to) stepping by step. */
static void stamp(char *p, size_t from, size_t to, size_t step, long tag)
{
	for (size_t i = from; i < to; i += step)
		*(volatile long *)(p + i * PG) = val(tag, i);
}

static int stamped(const char *p, size_t from, size_t to, size_t step, long tag)
{
	for (size_t i = from; i < to; i += step)
		if (*(const volatile long *)(p + i * PG) != val(tag, i))
			return 0;
	return 1;
}

/* Fork, run child(p, c) in the child (its return value is the exit code). */
static pid_t fork_with(char *p, struct chan *c, int (*child)(char *, struct chan *))
{
	pid_t pid = fork();

	if (pid < 0)
		ktap_bail("fork failed");
	if (pid == 0)
		_exit(child(p, c));
	return pid;
}

static int child_status(pid_t pid)
{
	int status = 0;

	return waitpid(pid, &status, 0) == pid ? status : -1;
}

/* ------------------------------------------------ pages first touched after fork */

static int after_fork_child(char *p, struct chan *c)
{
	stamp(p, 1, NPAGES, 2, 0xc1);            /* odd pages */
	post(c->to_parent[1]);
	await(c->to_child[0]);
	return stamped(p, 0, NPAGES, 2, 0xa1) && stamped(p, 1, NPAGES, 2, 0xc1) ? 0 : 1;
}

static void test_after_fork(void)
{
	struct chan c;
	char *p = shmap(NPAGES * PG);

	chan_open(&c);
	pid_t pid = fork_with(p, &c, after_fork_child);
	stamp(p, 0, NPAGES, 2, 0xa1);            /* even pages */
	await(c.to_parent[0]);
	int mine = stamped(p, 1, NPAGES, 2, 0xc1) && stamped(p, 0, NPAGES, 2, 0xa1);
	post(c.to_child[1]);
	int st = child_status(pid);
	ok(mine, "after fork: the parent sees the child's writes to pages first touched after the fork");
	ok_why(exited_with(st, 0), status_str(st),
	       "after fork: the child sees the parent's writes to pages first touched after the fork");
	chan_close(&c);
	munmap(p, NPAGES * PG);
}

/* ------------------------------------------------ MADV_DONTNEED, then touch again */

static int dontneed_child(char *p, struct chan *c)
{
	await(c->to_child[0]);
	int before = stamped(p, 0, NPAGES, 1, 0xa2);
	if (madvise(p, NPAGES * PG, MADV_DONTNEED))
		return 2;
	int after = stamped(p, 0, NPAGES, 1, 0xa2);
	stamp(p, 0, NPAGES, 1, 0xc2);
	post(c->to_parent[1]);
	return before && after ? 0 : 1;
}

static void test_dontneed(void)
{
	struct chan c;
	char *p = shmap(NPAGES * PG);

	chan_open(&c);
	pid_t pid = fork_with(p, &c, dontneed_child);
	stamp(p, 0, NPAGES, 1, 0xa2);
	post(c.to_child[1]);
	await(c.to_parent[0]);
	int st = child_status(pid);
	ok_why(exited_with(st, 0), status_str(st),
	       "dontneed: after MADV_DONTNEED the child's next touch finds the shared data, not zeros");
	ok(stamped(p, 0, NPAGES, 1, 0xc2),
	   "dontneed: the parent sees what the child wrote after MADV_DONTNEED");
	chan_close(&c);
	munmap(p, NPAGES * PG);
}

/* ------------------------------------------------ pages present at fork */

static int present_child(char *p, struct chan *c)
{
	int seen = stamped(p, 0, NPAGES, 1, 0xa3);
	stamp(p, 1, NPAGES, 2, 0xc3);
	post(c->to_parent[1]);
	await(c->to_child[0]);
	return seen && stamped(p, 0, NPAGES, 2, 0xa4) && stamped(p, 1, NPAGES, 2, 0xc3) ? 0 : 1;
}

static void test_present(void)
{
	struct chan c;
	char *p = shmap(NPAGES * PG);

	chan_open(&c);
	stamp(p, 0, NPAGES, 1, 0xa3);
	pid_t pid = fork_with(p, &c, present_child);
	await(c.to_parent[0]);                   /* the child has looked */
	stamp(p, 0, NPAGES, 2, 0xa4);
	int mine = stamped(p, 1, NPAGES, 2, 0xc3) && stamped(p, 0, NPAGES, 2, 0xa4);
	post(c.to_child[1]);
	int st = child_status(pid);
	ok(mine, "present at fork: the parent sees the child's writes");
	ok_why(exited_with(st, 0), status_str(st),
	       "present at fork: the child sees the parent's data and later writes");
	chan_close(&c);
	munmap(p, NPAGES * PG);
}

/* ------------------------------------------------ munmap in one process */

static int unmap_child(char *p, struct chan *c)
{
	int r = munmap(p, NPAGES * PG);
	post(c->to_parent[1]);
	return r ? 2 : 0;
}

static int survivor_child(char *p, struct chan *c)
{
	await(c->to_child[0]);                   /* the parent has unmapped it */
	int seen = stamped(p, 0, NPAGES, 1, 0xa5);
	stamp(p, 0, NPAGES, 1, 0xc5);
	return seen && stamped(p, 0, NPAGES, 1, 0xc5) ? 0 : 1;
}

static void test_munmap(void)
{
	struct chan c;
	char *p = shmap(NPAGES * PG);

	chan_open(&c);
	stamp(p, 0, NPAGES, 1, 0xa5);
	pid_t pid = fork_with(p, &c, unmap_child);
	await(c.to_parent[0]);
	int st = child_status(pid);
	int seen = stamped(p, 0, NPAGES, 1, 0xa5);
	stamp(p, 0, NPAGES, 1, 0xa6);
	ok(exited_with(st, 0) && seen && stamped(p, 0, NPAGES, 1, 0xa6),
	   "munmap: the child's munmap leaves the parent's mapping and data");

	stamp(p, 0, NPAGES, 1, 0xa5);
	pid = fork_with(p, &c, survivor_child);
	munmap(p, NPAGES * PG);
	post(c.to_child[1]);
	st = child_status(pid);
	ok_why(exited_with(st, 0), status_str(st),
	       "munmap: after the parent's munmap the child still reads and writes the data");
	chan_close(&c);
}

/* ------------------------------------------------ 64 MiB, every word */

#define BIG (64UL << 20)
#define WORDS (BIG / sizeof(long))

static void fill_words(long *w, size_t from, size_t to, long tag)
{
	for (size_t i = from; i < to; i++)
		w[i] = val(tag, i);
}

/* How many words of [from, to) differ from the pattern. */
static size_t bad_words(const long *w, size_t from, size_t to, long tag)
{
	size_t bad = 0;

	for (size_t i = from; i < to; i++)
		bad += w[i] != val(tag, i);
	return bad;
}

static int big_child(char *p, struct chan *c)
{
	fill_words((long *)p, WORDS / 2, WORDS, 0xb1);
	post(c->to_parent[1]);
	await(c->to_child[0]);
	return bad_words((long *)p, 0, WORDS, 0xb1) ? 1 : 0;
}

static void test_big(void)
{
	struct chan c;
	char *p = shmap(BIG);

	chan_open(&c);
	pid_t pid = fork_with(p, &c, big_child);
	fill_words((long *)p, 0, WORDS / 2, 0xb1);
	await(c.to_parent[0]);
	size_t bad = bad_words((long *)p, 0, WORDS, 0xb1);
	post(c.to_child[1]);
	int st = child_status(pid);
	ok(bad == 0, "64 MiB: the parent finds every word of both halves (%zu wrong)", bad);
	ok_why(exited_with(st, 0), status_str(st), "64 MiB: the child finds every word of both halves");
	chan_close(&c);
	munmap(p, BIG);
}

/* ------------------------------------------------ what /proc shows, msync */

static char maps_seen[256];                /* the line maps_line found */

/* 1 if /proc/self/maps has a line for p that is shared and named name. */
static int maps_line(const void *p, const char *name)
{
	static char buf[65536];
	char start[32];

	if (read_file("/proc/self/maps", buf, sizeof(buf)) < 0)
		return 0;
	snprintf(start, sizeof(start), "%08lx-", (unsigned long)p);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		size_t nl = strlen(name);
		if (!strncmp(l, start, strlen(start)) && len > nl &&
		    !strncmp(l + len - nl, name, nl)) {
			snprintf(maps_seen, sizeof(maps_seen), "%.*s", (int)len, l);
			return strstr(l, " rw-s ") && strstr(l, " rw-s ") < l + len;
		}
	}
	return 0;
}

static void test_proc(void)
{
	size_t len = 16UL << 20;
	char *p = shmap(len);
	long before = meminfo_kb("Shmem");

	ok(maps_line(p, "/dev/zero (deleted)"),
	   "/proc/self/maps shows it as rw-s \"/dev/zero (deleted)\"");
	diag("%s", maps_seen);
	fill_words((long *)p, 0, len / sizeof(long), 0xd1);
	long during = meminfo_kb("Shmem");
	diag("Shmem: %ld kB before, %ld kB with 16 MiB touched", before, during);
	ok(msync(p, len, MS_SYNC) == 0 && bad_words((long *)p, 0, len / sizeof(long), 0xd1) == 0,
	   "msync(MS_SYNC) on it returns 0 and the data stays");
	munmap(p, len);
	long after = meminfo_kb("Shmem");
	/* Half the size as the margin: other processes on a Linux host. */
	ok(before >= 0 && during - before >= (long)(len >> 11) && during - after >= (long)(len >> 11),
	   "/proc/meminfo Shmem grows by the 16 MiB touched and shrinks at munmap (%ld, %ld, %ld kB)",
	   before, during, after);
}

/* ------------------------------------------------ /dev/zero MAP_SHARED */

static void test_dev_zero(void)
{
	struct chan c;
	int fd = open("/dev/zero", O_RDWR);
	char *p = fd < 0 ? MAP_FAILED :
		  mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (fd >= 0)
		close(fd);
	if (!ok_why(p != MAP_FAILED, strerror(errno), "/dev/zero: mmap MAP_SHARED works")) {
		ok(0, "/dev/zero: pages first touched after fork are shared");
		return;
	}
	int named = maps_line(p, "/dev/zero (deleted)");
	int zero = 1;
	for (size_t i = 0; i < NPAGES * PG / sizeof(long); i++)
		zero &= ((long *)p)[i] == 0;
	chan_open(&c);
	pid_t pid = fork_with(p, &c, after_fork_child);
	stamp(p, 0, NPAGES, 2, 0xa1);
	await(c.to_parent[0]);
	int mine = stamped(p, 1, NPAGES, 2, 0xc1) && stamped(p, 0, NPAGES, 2, 0xa1);
	post(c.to_child[1]);
	int st = child_status(pid);
	diag("/dev/zero: named %d, zero %d, parent sees %d, child %s", named, zero, mine,
	     status_str(st));
	ok(named && zero && mine && exited_with(st, 0),
	   "/dev/zero: starts zero, named \"/dev/zero (deleted)\", pages first touched after fork are shared");
	chan_close(&c);
	munmap(p, NPAGES * PG);
}

/* ------------------------------------------------ pressure mode */

static size_t pressure_words;             /* of the shared area */

static int pressure_child(char *p, struct chan *c)
{
	long *w = (long *)p;
	size_t n = pressure_words;

	fill_words(w, n / 2, n, 0xe1);
	post(c->to_parent[1]);
	await(c->to_child[0]);
	return bad_words(w, 0, n, 0xe1) ? 1 : 0;
}

static int pressure(long size_mb, long shared_mb)
{
	size_t len = (size_t)shared_mb << 20, n = len / sizeof(long);
	size_t priv = (size_t)size_mb << 20;
	struct chan c;
	char *p = shmap(len);

	ktap_plan("shmanon", 4);
	chan_open(&c);
	pressure_words = n;
	pid_t pid = fork_with(p, &c, pressure_child);
	fill_words((long *)p, 0, n / 2, 0xe1);
	await(c.to_parent[0]);
	long swap_before = meminfo_kb("SwapFree"), shmem_before = meminfo_kb("Shmem");
	char *q = mmap(NULL, priv, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		ktap_bail("pressure: mmap of the private memory failed");
	for (size_t i = 0; i < priv; i += PG)
		q[i] = (char)i;
	long swap_during = meminfo_kb("SwapFree"), shmem_during = meminfo_kb("Shmem");
	munmap(q, priv);
	diag("pressure: %ld MiB shared, %ld MiB private; SwapFree %ld kB before, %ld kB with it; "
	     "Shmem %ld kB before, %ld kB with it", shared_mb, size_mb, swap_before, swap_during,
	     shmem_before, shmem_during);
	if (meminfo_kb("SwapTotal") > 0)
		ok(swap_during < swap_before && shmem_during < shmem_before,
		   "pressure: the private memory pushed shared pages out to swap");
	else
		skip("no swap on this machine", "pressure: the private memory pushed shared pages out to swap");
	size_t bad = bad_words((long *)p, 0, n, 0xe1);
	post(c.to_child[1]);
	int st = child_status(pid);
	ok(bad == 0, "pressure: the parent finds every word of the shared area (%zu wrong)", bad);
	ok_why(exited_with(st, 0), status_str(st),
	       "pressure: the child finds every word of the shared area");
	ok(bad_words((long *)p, 0, n, 0xe1) == 0, "pressure: and the parent once more after the child");
	chan_close(&c);
	munmap(p, len);
	return ktap_done();
}

/* ------------------------------------------------ */

static void test_freed(long before)
{
	struct timespec tenth = { 0, 100 * 1000 * 1000 };
	long slack = meminfo_kb("MemTotal") / 100, after = meminfo_kb("MemFree");

	if (!numbat) {
		skip("MemFree is noisy on a Linux host", "every page is free again");
		return;
	}
	for (int i = 0; i < 10 && after < before - slack; i++) {
		nanosleep(&tenth, NULL);
		after = meminfo_kb("MemFree");
	}
	ok(after >= before - slack, "every page is free again: MemFree %ld kB before, %ld kB after",
	   before, after);
}

int main(int argc, char **argv)
{
	numbat = is_numbat();
	if (argc >= 3 && !strcmp(argv[1], "pressure"))
		return pressure(atol(argv[2]), argc >= 4 ? atol(argv[3]) : 32);
	ktap_plan("shmanon", 16);
	long before = meminfo_kb("MemFree");
	test_after_fork();
	test_dontneed();
	test_present();
	test_munmap();
	test_big();
	test_proc();
	test_dev_zero();
	test_freed(before);
	return ktap_done();
}
