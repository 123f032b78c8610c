/*
 * migrate: move_pages(2) and get_mempolicy(2) as Linux defines them, and
 * page migration through the reverse map.
 *
 *  - errors: unknown flags EINVAL, no such pid ESRCH, a node that is not
 *    online ENODEV; per page: no VMA -EFAULT, nothing mapped -ENOENT;
 *    get_mempolicy's argument checks (these run on a one-node host too);
 *  - shared: a page shared copy-on-write by 1, 2, 8, 32 and 200 processes
 *    is moved to the other node; everybody still reads the data and can
 *    write its own copy (COW intact), and the parent's data is unchanged;
 *  - MPOL_MF_MOVE (not _ALL) refuses a page mapped twice (-EACCES);
 *  - busy: a MAP_SHARED page written by three processes on other CPUs
 *    while it is moved back and forth: no write is lost, none goes to a
 *    stale frame (each writer reads back what it wrote);
 *  - file: pages of a file mapped shared and private are moved; reads
 *    through the mapping and read(2) agree, a shared write reaches the file,
 *    a private write does not.
 *
 * On Numbat, ktap_done also checks /proc/rmap_check; every scenario checks
 * it right away as well. Tests that need two nodes skip on a one-node host.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096L
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4

static int numbat;

static long move_pages(int pid, unsigned long n, void **pages, const int *nodes,
		       int *status, int flags)
{
	return syscall(SYS_move_pages, pid, n, pages, nodes, status, flags);
}

static int node_of(void *addr)
{
	int node = -1;

	if (syscall(SYS_get_mempolicy, &node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

static int two_nodes(void)
{
	return access("/sys/devices/system/node/node1", F_OK) == 0;
}

/* On Numbat: the reverse map agrees with the page tables. */
static void rmap_ok(const char *after)
{
	char buf[1024];

	if (!numbat)
		return;
	ok(read_file("/proc/rmap_check", buf, sizeof(buf)) > 0 && !strcmp(buf, "ok\n"),
	   "rmap_check after %s", after);
}

static char *map_anon(long len, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
	char *p = map_anon(3 * PG, MAP_PRIVATE);
	void *pages[3] = { p, p + PG, (void *)0x1000 };
	int status[3] = { 99, 99, 99 }, nodes[3] = { 0, 0, 0 };

	p[0] = 1;                              /* p+PG stays untouched */
	long r = move_pages(0, 3, pages, NULL, status, 0);
	ok(r == 0 && status[0] >= 0 &&
	   status[1] == -ENOENT && status[2] == -EFAULT,
	   "query: status node, -ENOENT untouched, -EFAULT unmapped (%d %d %d)",
	   status[0], status[1], status[2]);
	ok(status[0] == node_of(p), "get_mempolicy(F_NODE|F_ADDR) agrees (%d)", node_of(p));
	ok_errno(move_pages(0, 1, pages, nodes, status, 8), EINVAL, "unknown flag: EINVAL");
	ok_errno(move_pages(999999, 1, pages, NULL, status, 0), ESRCH, "no such pid: ESRCH");
	nodes[0] = 63;
	ok_errno(move_pages(0, 1, pages, nodes, status, 0), ENODEV, "node 63: ENODEV");
	nodes[0] = -1;
	ok_errno(move_pages(0, 1, pages, nodes, status, 0), ENODEV, "node -1: ENODEV");
	nodes[0] = status[0];
	ok(move_pages(0, 3, pages, nodes, status, MPOL_MF_MOVE) == 0 && status[0] == nodes[0] &&
	   status[1] == -ENOENT && status[2] == -EFAULT, "move to its own node: statuses");
	ok_errno(move_pages(0, 1, (void **)8, NULL, status, 0), EFAULT, "bad pages array: EFAULT");
	int mode;
	ok_errno(syscall(SYS_get_mempolicy, &mode, NULL, 0, (void *)0x1000, 3), EFAULT,
		 "get_mempolicy unmapped address: EFAULT");
	ok_errno(syscall(SYS_get_mempolicy, &mode, NULL, 0, p, MPOL_F_NODE), EINVAL,
		 "get_mempolicy F_NODE without F_ADDR: EINVAL");
	ok_errno(syscall(SYS_get_mempolicy, &mode, NULL, 0, p, 0), EINVAL,
		 "get_mempolicy address without F_ADDR: EINVAL");
	ok_errno(syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 16), EINVAL,
		 "get_mempolicy unknown flag: EINVAL");
	mode = -1;
	ok(syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0) == 0 && mode == 0,
	   "get_mempolicy: MPOL_DEFAULT");
	munmap(p, 3 * PG);
	rmap_ok("errors");
}

/* ------------------------------------------------------------ shared */

#define SHARED_PAGES 4

static void child_check(char *p, int rfd, long tag)
{
	char c;

	(void)!read(rfd, &c, 1);              /* EOF: the parent moved the pages */
	for (int i = 0; i < SHARED_PAGES; i++)
		if (*(long *)(p + i * PG) != (tag ^ i))
			_exit(1);
	for (int i = 0; i < SHARED_PAGES; i++)   /* COW: my own copy */
		*(long *)(p + i * PG) = getpid();
	for (int i = 0; i < SHARED_PAGES; i++)
		if (*(long *)(p + i * PG) != getpid())
			_exit(2);
	_exit(0);
}

static int move_all(char *p, int n, int node, int flags, int *status)
{
	void *pages[SHARED_PAGES];
	int nodes[SHARED_PAGES];

	for (int i = 0; i < n; i++) {
		pages[i] = p + i * PG;
		nodes[i] = node;
	}
	return (int)move_pages(0, n, pages, nodes, status, flags);
}

static void test_shared(int k)
{
	char *p = map_anon(SHARED_PAGES * PG, MAP_PRIVATE);
	long tag = 0x5eed0000 + k;
	int fds[2], status[SHARED_PAGES], bad = 0, st;
	pid_t pids[200];

	for (int i = 0; i < SHARED_PAGES; i++)
		*(long *)(p + i * PG) = tag ^ i;
	int from = node_of(p), to = !from;
	if (pipe(fds))
		ktap_bail("pipe");
	for (int c = 0; c < k; c++) {
		if ((pids[c] = fork()) == 0) {
			close(fds[1]);
			child_check(p, fds[0], tag);
		}
	}
	close(fds[0]);
	int r = move_all(p, SHARED_PAGES, to, MPOL_MF_MOVE_ALL, status);
	ok(r == 0 && status[0] == to && status[SHARED_PAGES - 1] == to && node_of(p) == to,
	   "shared by %d: moved node %d -> %d (ret %d, status %d)", k + 1, from, to, r, status[0]);
	close(fds[1]);
	for (int c = 0; c < k; c++)
		if (waitpid(pids[c], &st, 0) != pids[c] || !exited_with(st, 0))
			bad++;
	ok(bad == 0, "shared by %d: every child read the data and wrote its own copy (%d bad)",
	   k + 1, bad);
	int same = 1;
	for (int i = 0; i < SHARED_PAGES; i++)
		same &= *(long *)(p + i * PG) == (tag ^ i);
	p[8] = 1;                               /* and the parent can write */
	ok(same && p[8] == 1, "shared by %d: the parent's data is intact", k + 1);
	munmap(p, SHARED_PAGES * PG);
	char what[32];
	snprintf(what, sizeof(what), "shared by %d", k + 1);
	rmap_ok(what);
}

static void test_move_not_all(void)
{
	char *p = map_anon(PG, MAP_PRIVATE);
	int status = 99, fds[2], st;

	p[0] = 7;
	if (pipe(fds))
		ktap_bail("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(fds[1]);
		(void)!read(fds[0], &c, 1);
		_exit(p[0] == 7 ? 0 : 1);
	}
	close(fds[0]);
	move_all(p, 1, !node_of(p), MPOL_MF_MOVE, &status);
	ok(status == -EACCES, "MPOL_MF_MOVE of a page mapped twice: -EACCES (%d)", status);
	close(fds[1]);
	waitpid(pid, &st, 0);
	munmap(p, PG);
}

/* ------------------------------------------------------------ busy */

#define WRITERS 3
#define MOVES 200

/* Count up in my slot until told to stop, reading back every write; then
 * say where I stopped. */
static void writer(volatile long *page, int w)
{
	volatile long *slot = &page[16 * (w + 1)], *last = slot + 1;
	long i = 0;

	while (!page[0]) {
		*slot = ++i;
		if (*slot != i)
			_exit(1);
	}
	*last = i;
	_exit(0);
}

static void test_busy(void)
{
	volatile long *p = (volatile long *)map_anon(PG, MAP_SHARED);
	pid_t pids[WRITERS];
	int moves = 0, st, bad = 0, status;

	p[0] = 0;                              /* populated before fork: shared */
	for (int w = 0; w < WRITERS; w++)
		if ((pids[w] = fork()) == 0)
			writer(p, w);
	for (int w = 0; w < WRITERS; w++)        /* every writer is at work */
		while (!p[16 * (w + 1)])
			sched_yield();
	for (int i = 0; i < MOVES; i++)
		moves += move_all((char *)p, 1, !node_of((void *)p), MPOL_MF_MOVE_ALL,
				  &status) == 0 && status >= 0;
	p[0] = 1;
	for (int w = 0; w < WRITERS; w++)
		bad += waitpid(pids[w], &st, 0) != pids[w] || !exited_with(st, 0);
	int lost = 0;
	for (int w = 0; w < WRITERS; w++) {
		long seen = p[16 * (w + 1)], last = p[16 * (w + 1) + 1];
		if (seen != last) {
			lost++;
			diag("writer %d wrote %ld last, the page says %ld", w, last, seen);
		}
	}
	ok(bad == 0 && lost == 0 && moves == MOVES,
	   "busy page moved %d times under %d writers: %d lost writes, %d stale reads",
	   moves, WRITERS, lost, bad);
	munmap((void *)p, PG);
	rmap_ok("busy");
}

/* ------------------------------------------------------------ file */

static void test_file(void)
{
	const char *path = "migrate.dat";
	char buf[4 * PG];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), status[4];

	for (int i = 0; i < 4 * PG; i++)
		buf[i] = (char)(i * 7);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		ktap_bail("cannot write migrate.dat");
	char *s = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *q = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (s == MAP_FAILED || q == MAP_FAILED)
		ktap_bail("mmap migrate.dat");
	volatile char c = s[0] + s[PG] + s[2 * PG] + s[3 * PG] + q[0] + q[PG];
	(void)c;
	int to = !node_of(s), r = move_all(s, 4, to, MPOL_MF_MOVE_ALL, status);
	ok(r == 0 && status[0] == to &&
	   status[3] == to, "shared file pages moved to node %d (%d)", to, status[0]);
	ok(!memcmp(s, buf, sizeof(buf)) && !memcmp(q, buf, 2 * PG),
	   "both mappings read the file's data after the move");
	s[5] = 'S';
	q[PG + 5] = 'P';                         /* private: a copy, not the file */
	msync(s, 4 * PG, MS_SYNC);
	char back[2 * PG];
	ok(pread(fd, back, sizeof(back), 0) == sizeof(back) && back[5] == 'S' &&
	   back[PG + 5] == buf[PG + 5] && q[5] == 'S',
	   "a shared write reaches the file and the private view, a private one does not");
	ok(move_all(q, 2, !to, MPOL_MF_MOVE_ALL, status) == 0 && q[PG + 5] == 'P' && q[5] == 'S',
	   "private mapping moved back: its copy and the file page");
	munmap(s, 4 * PG);
	munmap(q, 4 * PG);
	close(fd);
	unlink(path);
	rmap_ok("file");
}

int main(void)
{
	static const int ks[] = { 0, 1, 7, 31, 199 };   /* children: 1..200 sharers */
	int n = 13 + 3 * 5 + 1 + 1 + 4;

	numbat = is_numbat();
	ktap_plan("migrate", n + (numbat ? 8 : 0));
	test_errors();
	if (!two_nodes()) {
		for (int i = 13; i < n; i++)
			skip("one NUMA node", "needs two nodes");
		return ktap_done();
	}
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
		test_shared(ks[i]);
	test_move_not_all();
	test_busy();
	test_file();
	return ktap_done();
}
