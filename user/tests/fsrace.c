/*
 * fsrace: file-system calls whose user buffer is being migrated.
 *
 * write(2) and getdents64(2) copy to or from the caller's buffer while the
 * file system is locked. If a buffer page is being moved to another node
 * (move_pages), the copy faults and waits for the move to finish. The
 * file-system lock must then still be held by that task alone: another
 * process run on the same CPU meanwhile must wait for it, not enter the
 * file system in the middle of the first call, and the first call must be
 * able to finish on another CPU.
 *
 * On every CPU a writer and a churner run, pinned there:
 *  - writer: fills its source pages (a MAP_SHARED region, so a page shared
 *    after fork that the mover can move) with a stamp, pwrite()s them into
 *    its own file, reads them back into private memory and compares; and
 *    lists a directory of known files with getdents64 into a shared page;
 *  - churner: creates, writes, renames, stats and removes files in the
 *    directory the writers list (they count only the f* files there), and
 *    makes and removes a directory, checking each result;
 * while two movers move every page of the shared region between node 0
 * and node 1 (MPOL_MF_MOVE_ALL) as fast as they can, for RUN_SECONDS.
 * The harness runs e2fsck on the disk afterwards.
 *
 * On a one-node machine (the Linux host, usually) move_pages fails per page
 * with -ENODEV or -EINVAL: the movers then only count their tries, and the
 * check that pages moved is skipped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096L
#define MAX_CPUS 8
#define SRC_PAGES 3                 /* per writer: a write spans pages */
#define DENT_FILES 24               /* files in the listed directory */
#define RUN_SECONDS 8
#define MPOL_MF_MOVE_ALL 4
#define TOP "/tmp/fsrace"
#define MOVERS 2

/* What each child reports back, in a shared page of its own. */
struct result {
	long rounds;                /* loops done */
	long bad;                   /* wrong data or unexpected errors */
	long moved;                 /* mover: pages moved (status 0 or 1) */
	long refused;               /* mover: per-page -ENODEV/-EINVAL */
	char why[160];              /* first failure */
};

static struct result *results;  /* 2 * MAX_CPUS + MOVERS of them, shared */
static char *shared;            /* the region being moved, shared */
static int ncpu;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(struct result *r, const char *what, long a, long b)
{
	if (!r->bad++)
		snprintf(r->why, sizeof(r->why), "%s (%ld, %ld, errno %d)", what, a, b, errno);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Count the "f*" entries of TOP/list with getdents64 into buf (shared). */
static long list_dir(char *buf)
{
	int fd = open(TOP "/list", O_RDONLY | O_DIRECTORY);
	long n = 0, got;

	if (fd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, fd, buf, PG)) > 0) {
		for (long off = 0; off < got;) {
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			if (buf[off + 19] == 'f')
				n++;
			if (!reclen)
				return -1;
			off += reclen;
		}
	}
	close(fd);
	return got < 0 ? -1 : n;
}

/* One write and read-back of the source pages at a varying offset. */
static void write_round(struct result *r, int fd, char *src, long round, int id)
{
	static char back[SRC_PAGES * PG];
	long len = SRC_PAGES * PG - (round % 7) * 100;
	long off = (round % 5) * 1000;

	for (long i = 0; i < len; i += 8) {
		uint64_t v = ((uint64_t)id << 56) | ((uint64_t)round << 24) | (uint64_t)i;
		memcpy(src + i, &v, 8);
	}
	long w = pwrite(fd, src, len, off);
	if (w != len) {
		fail(r, "pwrite", w, len);
		return;
	}
	long rd = pread(fd, back, len, off);
	if (rd != len) {
		fail(r, "pread", rd, len);
		return;
	}
	if (memcmp(back, src, len))
		fail(r, "data read back differs from data written", round, off);
}

static void writer(int id)
{
	struct result *r = &results[id];
	char *src = shared + (long)id * (SRC_PAGES + 1) * PG;
	char *dents = src + SRC_PAGES * PG;
	char path[64];

	pin(id);
	snprintf(path, sizeof(path), TOP "/w%d", id);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fail(r, "open", fd, 0);
		return;
	}
	for (double end = now() + RUN_SECONDS; now() < end; r->rounds++) {
		write_round(r, fd, src, r->rounds, id);
		long n = list_dir(dents);
		if (n != DENT_FILES)
			fail(r, "getdents64 count", n, DENT_FILES);
	}
	close(fd);
}

/* One round of metadata changes: files in TOP/list, the directory the
 * writers list (they count only the f* files), a directory in TOP/c<id>.
 * Checks each result. */
static void churn_round(struct result *r, int id, long round)
{
	char a[64], b[64], d[64], buf[128];

	snprintf(a, sizeof(a), TOP "/list/a%d_%ld", id, round % 10);
	snprintf(b, sizeof(b), TOP "/list/b%d_%ld", id, round % 10);
	snprintf(d, sizeof(d), TOP "/c%d/d%ld", id, round % 10);
	int fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fail(r, "create", fd, round);
		return;
	}
	memset(buf, 'a' + round % 26, sizeof(buf));
	long w = write(fd, buf, sizeof(buf));
	close(fd);
	if (w != (long)sizeof(buf))
		fail(r, "write", w, sizeof(buf));
	if (rename(a, b) || mkdir(d, 0755) || rmdir(d))
		fail(r, "rename/mkdir/rmdir", round, 0);
	struct stat st;
	if (stat(b, &st) || st.st_size != (long)sizeof(buf))
		fail(r, "stat size", (long)st.st_size, sizeof(buf));
	if (unlink(b))
		fail(r, "unlink", round, 0);
}

static void churner(int id)
{
	struct result *r = &results[MAX_CPUS + id];
	char dir[64];

	pin(id);
	snprintf(dir, sizeof(dir), TOP "/c%d", id);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fail(r, "mkdir", id, 0);
		return;
	}
	for (double end = now() + RUN_SECONDS; now() < end; r->rounds++)
		churn_round(r, id, r->rounds);
}

/* Move every page of the shared region to the other node, again and
 * again; mover k starts at the other parity, so one page is often being
 * moved by one mover while the other waits for it. */
static void mover(long npages, int k)
{
	struct result *r = &results[2 * MAX_CPUS + k];
	void *pages[64];
	int nodes[64], status[64];

	for (long i = 0; i < npages; i++)
		pages[i] = shared + i * PG;
	for (double end = now() + RUN_SECONDS; now() < end; r->rounds++) {
		for (long i = 0; i < npages; i++)
			nodes[i] = (int)((r->rounds + i + k) & 1);
		long ret = syscall(SYS_move_pages, 0, npages, pages, nodes, status,
				   MPOL_MF_MOVE_ALL);
		if (ret < 0 && errno != ENODEV && errno != EINVAL && errno != EPERM)
			fail(r, "move_pages", ret, errno);
		for (long i = 0; ret >= 0 && i < npages; i++) {
			if (status[i] == 0 || status[i] == 1)
				r->moved++;
			else if (status[i] == -ENODEV || status[i] == -EINVAL)
				r->refused++;
		}
		if (ret < 0)
			r->refused += npages;
	}
}

static int spawn(void (*fn)(int), int arg)
{
	int pid = fork();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void spawn_mover(long npages, int k)
{
	if (fork() == 0) {
		mover(npages, k);
		_exit(0);
	}
}

/* TOP/list with DENT_FILES files. Returns 0 on success. */
static int setup(void)
{
	char path[64];

	mkdir(TOP, 0755);
	mkdir(TOP "/list", 0755);
	for (int i = 0; i < DENT_FILES; i++) {
		snprintf(path, sizeof(path), TOP "/list/f%02d", i);
		int fd = open(path, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return list_dir(shared) == DENT_FILES ? 0 : -1;
}

static void cleanup(void)
{
	char path[64];

	for (int i = 0; i < DENT_FILES; i++) {
		snprintf(path, sizeof(path), TOP "/list/f%02d", i);
		unlink(path);
	}
	for (int i = 0; i < ncpu; i++) {
		snprintf(path, sizeof(path), TOP "/w%d", i);
		unlink(path);
		snprintf(path, sizeof(path), TOP "/c%d", i);
		rmdir(path);
	}
	rmdir(TOP "/list");
	rmdir(TOP);
}

static void report(const char *who, int first, int n)
{
	long rounds = 0, bad = 0;
	const char *why = "";

	for (int i = first; i < first + n; i++) {
		rounds += results[i].rounds;
		if (results[i].bad && !bad)
			why = results[i].why;
		bad += results[i].bad;
	}
	ok_why(rounds > 0 && bad == 0, why, "%s: %ld rounds, %ld failures", who, rounds, bad);
}

int main(void)
{
	ktap_plan("fsrace", 6);
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	ncpu = ncpu < 1 ? 1 : ncpu > MAX_CPUS ? MAX_CPUS : ncpu;
	long npages = (long)ncpu * (SRC_PAGES + 1);
	results = mmap(NULL, (2 * MAX_CPUS + MOVERS) * sizeof(struct result),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED || shared == MAP_FAILED)
		ktap_bail("mmap");
	memset(results, 0, (2 * MAX_CPUS + MOVERS) * sizeof(struct result));
	memset(shared, 0, npages * PG);     /* every page present before fork */
	if (!ok(setup() == 0, "setup: %d files listed through a shared buffer", DENT_FILES))
		ktap_bail("setup");
	diag("%d CPUs: %d writers, %d churners, %d movers, %d s", ncpu, ncpu, ncpu,
	     MOVERS, RUN_SECONDS);
	for (int k = 0; k < MOVERS; k++)
		spawn_mover(npages, k);
	for (int i = 0; i < ncpu; i++) {
		spawn(writer, i);
		spawn(churner, i);
	}
	int status, clean = 1, children = 0;
	while (wait(&status) > 0) {
		children++;
		clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	ok(clean && children == 2 * ncpu + MOVERS, "all %d children exited normally", children);
	struct result m = { 0 };
	for (int k = 0; k < MOVERS; k++) {
		struct result *r = &results[2 * MAX_CPUS + k];
		diag("mover %d: %ld rounds, %ld pages moved, %ld refused", k, r->rounds,
		     r->moved, r->refused);
		m.moved += r->moved;
		if (r->bad && !m.bad++)
			memcpy(m.why, r->why, sizeof(m.why));
	}
	if (access("/sys/devices/system/node/node1", F_OK) == 0)
		ok_why(m.moved > 0 && !m.bad, m.why, "movers moved pages (%ld)", m.moved);
	else
		skip("one node", "movers moved pages");
	report("writers: write/read back/getdents64", 0, ncpu);
	report("churners: create/write/rename/mkdir/rmdir/unlink", MAX_CPUS, ncpu);
	cleanup();
	ok(access(TOP, F_OK) != 0, "scratch files removed");
	return ktap_done();
}
