/*
 * rmapwalk: move_pages(MPOL_MF_MOVE_ALL) must reach every PTE of a page,
 * however the reverse map finds them (Numbat's rmap=chain, scan, obj or
 * hybrid; the harness runs this test in each), in the shapes that make
 * the object-based walk work hardest:
 *
 *  - anon: pages shared copy-on-write by 1, 2, 16 and 200 processes, in a
 *    VMA that mprotect split in three before the fork; moved, then some
 *    pages copied on write by every child, then moved back;
 *  - file: pages of a file mapped shared and private by a parent and 20
 *    children that each map it again (their own VMAs on the file's
 *    list), one private page copied on write in each child;
 *  - chain: a fork chain three generations deep below the parent, each
 *    generation copying one page on write and splitting the VMA with
 *    mprotect; every generation moves all its pages, deepest first.
 *  - after mremap: pages shared copy-on-write by a parent and two
 *    children, moved to another address by mremap in the parent and in
 *    one child (the PTEs move, and each mode's reverse map must follow
 *    them), then moved between nodes from the parent.
 *
 * After each move every process checks the data and the page's node, and
 * (on Numbat) /proc/rmap_check must say "ok". On a one-node machine (or
 * Linux with one node) the pages "move" to the node they are on, which
 * move_pages must still report. MPOL_MF_MOVE_ALL needs CAP_SYS_NICE on
 * Linux: without it the moves are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096L
#define NPAGES 6
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_MF_MOVE_ALL 4

static int numbat, from, to, can_move;

static int node_of(void *addr)
{
	int node = -1;

	if (syscall(SYS_get_mempolicy, &node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

/* Move n pages at p to node; 1 if the call and every status say so. */
static int move_to(char *p, int n, int node)
{
	void *pages[NPAGES];
	int nodes[NPAGES], status[NPAGES], good = 1;

	for (int i = 0; i < n; i++) {
		pages[i] = p + i * PG;
		nodes[i] = node;
		status[i] = -1000;
	}
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE_ALL))
		return 0;
	for (int i = 0; i < n; i++)
		if (status[i] != node || node_of(p + i * PG) != node) {
			diag("page %d: status %d, on node %d, not %d", i, status[i],
			     node_of(p + i * PG), node);
			good = 0;
		}
	return good;
}

/* On Numbat: the reverse map agrees with the page tables (1 elsewhere). */
static int rmap_clean(void)
{
	char buf[1024];

	return !numbat || (read_file("/proc/rmap_check", buf, sizeof(buf)) > 0 &&
			   !strcmp(buf, "ok\n"));
}

static char *map_anon(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ktap_bail("mmap");
	return p;
}

/* mprotect the middle of [p, p + n pages) read-only and back: the VMA is
 * split in three (Numbat does not merge them again). */
static void split(char *p, int first, int n)
{
	if (mprotect(p + first * PG, n * PG, PROT_READ) ||
	    mprotect(p + first * PG, n * PG, PROT_READ | PROT_WRITE))
		ktap_bail("mprotect");
}

static long tag_of(long base, int i)
{
	return base ^ (i * 0x1111);
}

static int data_is(char *p, long base)
{
	for (int i = 0; i < NPAGES; i++)
		if (*(long *)(p + i * PG) != tag_of(base, i))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ anon */

/* A child of the anon test: after the first move, check the data and
 * the node, copy the even pages on write, report, and after the move
 * back check its own copies and the shared pages again. */
static void anon_child(char *p, long tag, int fd[3][2])
{
	int go1 = fd[0][0], done = fd[1][1], go2 = fd[2][0], bad = 0;
	char c;

	close(fd[0][1]);                       /* the parent's ends */
	close(fd[1][0]);
	close(fd[2][1]);
	(void)!read(go1, &c, 1);               /* EOF: moved */
	bad |= !data_is(p, tag) || (can_move && node_of(p) != to);
	for (int i = 0; i < NPAGES; i += 2)
		*(long *)(p + i * PG) = tag_of(getpid(), i);
	(void)!write(done, "d", 1);
	(void)!read(go2, &c, 1);               /* EOF: moved back */
	for (int i = 0; i < NPAGES; i++)
		bad |= *(long *)(p + i * PG) != tag_of(i % 2 ? tag : getpid(), i);
	_exit(bad);
}

static int pipes(int fd[3][2])
{
	for (int i = 0; i < 3; i++)
		if (pipe(fd[i]))
			return -1;
	return 0;
}

static void close_all(int fd[3][2])
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			if (fd[i][j] >= 0)
				close(fd[i][j]);
}

static void test_anon(int k)
{
	static pid_t pids[200];
	char *p = map_anon(NPAGES * PG);
	long tag = 0x5eed0000L + k;
	int fd[3][2], bad = 0, st, n = 0;
	char byte;

	for (int i = 0; i < NPAGES; i++)
		*(long *)(p + i * PG) = tag_of(tag, i);
	split(p, 2, 2);
	if (pipes(fd))
		ktap_bail("pipe");
	for (int i = 0; i < k - 1; i++)
		if ((pids[n] = fork()) == 0)
			anon_child(p, tag, fd);
		else if (pids[n] > 0)
			n++;
	for (int i = 0; i < 3; i++) {           /* the children's ends */
		close(fd[i][i == 1]);
		fd[i][i == 1] = -1;
	}
	int moved = !can_move || move_to(p, NPAGES, to);
	int clean = rmap_clean();
	close(fd[0][1]);                        /* children: check and copy */
	fd[0][1] = -1;
	for (int i = 0; i < n; i++)
		(void)!read(fd[1][0], &byte, 1);
	int back = !can_move || move_to(p, NPAGES, from);
	clean &= rmap_clean();
	close(fd[2][1]);
	fd[2][1] = -1;
	for (int i = 0; i < n; i++)
		if (waitpid(pids[i], &st, 0) != pids[i] || !exited_with(st, 0))
			bad++;
	ok(n == k - 1 && moved && back && bad == 0 && data_is(p, tag) && clean,
	   "anon shared by %d, VMA split: moved %d, back %d, %d children bad, rmap_check %s",
	   k, moved, back, bad, clean ? "ok" : "FAILED");
	close_all(fd);
	munmap(p, NPAGES * PG);
}

/* ------------------------------------------------------------ file */

#define FILE_KIDS 20
static const char path[] = "rmapwalk.dat";

static char *map_file(int fd, int flags)
{
	char *p = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED)
		ktap_bail("mmap rmapwalk.dat");
	return p;
}

/* A child maps the file again, shared and private, reads every page,
 * copies private page 1 on write, waits for the move and checks. */
static void file_child(int fd, int go[2], int done[2])
{
	close(go[1]);                          /* the parent's ends */
	close(done[0]);
	char *s = map_file(fd, MAP_SHARED), *q = map_file(fd, MAP_PRIVATE);
	volatile long sum = 0;
	char c;
	int bad = 0;

	for (int i = 0; i < NPAGES; i++)
		sum += *(long *)(s + i * PG) + *(long *)(q + i * PG);
	*(long *)(q + PG) = getpid();
	(void)!write(done[1], "d", 1);
	(void)!read(go[0], &c, 1);
	for (int i = 0; i < NPAGES; i++)
		bad |= *(long *)(s + i * PG) != tag_of(0xf11e, i) ||
		       *(long *)(q + i * PG) != (i == 1 ? getpid() : tag_of(0xf11e, i));
	bad |= can_move && node_of(s) != to;
	_exit(bad);
}

static void write_file(int fd)
{
	static char buf[NPAGES * PG];

	for (int i = 0; i < NPAGES; i++)
		*(long *)(buf + i * PG) = tag_of(0xf11e, i);
	if (pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf))
		ktap_bail("write rmapwalk.dat");
}

static void test_file(void)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), go[2], done[2], st, bad = 0;
	pid_t pids[FILE_KIDS];
	char c;

	if (fd < 0 || pipe(go) || pipe(done))
		ktap_bail("open rmapwalk.dat");
	write_file(fd);
	char *s = map_file(fd, MAP_SHARED), *q = map_file(fd, MAP_PRIVATE);
	split(s, 1, 3);
	for (int i = 0; i < NPAGES; i++)     /* both mappings faulted in */
		bad |= *(long *)(q + i * PG) != tag_of(0xf11e, i) ||
		       *(long *)(s + i * PG) != tag_of(0xf11e, i);
	for (int k = 0; k < FILE_KIDS; k++)
		if ((pids[k] = fork()) == 0)
			file_child(fd, go, done);
	close(go[0]);
	close(done[1]);
	for (int k = 0; k < FILE_KIDS; k++)
		(void)!read(done[0], &c, 1);
	int moved = !can_move || move_to(s, NPAGES, to);
	int clean = rmap_clean();
	close(go[1]);
	for (int k = 0; k < FILE_KIDS; k++)
		if (pids[k] < 0 || waitpid(pids[k], &st, 0) != pids[k] || !exited_with(st, 0))
			bad++;
	int back = !can_move || move_to(q, NPAGES, from);
	clean &= rmap_clean();
	ok(moved && back && bad == 0 && clean,
	   "file mapped shared and private by %d processes: moved %d, back %d, %d bad, "
	   "rmap_check %s", 1 + FILE_KIDS, moved, back, bad, clean ? "ok" : "FAILED");
	munmap(s, NPAGES * PG);
	munmap(q, NPAGES * PG);
	close(done[0]);
	close(fd);
	unlink(path);
}

/* ------------------------------------------------------------ mremap */

#define MREMAP_KIDS 2

/* Somewhere else for the NPAGES pages at p (mremap MAYMOVE|FIXED onto a
 * fresh reservation): the PTEs move, not the data. */
static char *move_away(char *p)
{
	return mremap(p, NPAGES * PG, NPAGES * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
		      map_anon(NPAGES * PG));
}

/* Child k: child 1 moves its mapping too; both then wait for the node
 * move and check the data and the node where their pages now are. */
static void mremap_child(char *p, long tag, int k, int go[2], int done[2])
{
	char c, *q = k ? move_away(p) : p;

	close(go[1]);
	close(done[0]);
	(void)!write(done[1], "d", 1);
	(void)!read(go[0], &c, 1);             /* EOF: moved */
	_exit(q == MAP_FAILED || !data_is(q, tag) || (can_move && node_of(q) != to));
}

static void test_mremap(void)
{
	char *p = map_anon(NPAGES * PG);
	long tag = 0x3e3a9;
	int go[2], done[2], st, bad = 0;
	pid_t pids[MREMAP_KIDS];
	char c;

	for (int i = 0; i < NPAGES; i++)
		*(long *)(p + i * PG) = tag_of(tag, i);
	if (pipe(go) || pipe(done))
		ktap_bail("pipe");
	for (int k = 0; k < MREMAP_KIDS; k++)
		if ((pids[k] = fork()) == 0)
			mremap_child(p, tag, k, go, done);
	close(go[0]);
	close(done[1]);
	for (int k = 0; k < MREMAP_KIDS; k++)
		(void)!read(done[0], &c, 1);
	char *q = move_away(p);
	int moved = q != MAP_FAILED && (!can_move || move_to(q, NPAGES, to));
	int clean = rmap_clean();
	close(go[1]);
	for (int k = 0; k < MREMAP_KIDS; k++)
		if (pids[k] < 0 || waitpid(pids[k], &st, 0) != pids[k] || !exited_with(st, 0))
			bad++;
	int back = q != MAP_FAILED && (!can_move || move_to(q, NPAGES, from));
	clean &= rmap_clean();
	ok(moved && back && bad == 0 && data_is(q, tag) && clean,
	   "after mremap in the parent and a child: moved %d, back %d, %d children bad, "
	   "rmap_check %s", moved, back, bad, clean ? "ok" : "FAILED");
	close(done[0]);
	munmap(q, NPAGES * PG);
}

/* ------------------------------------------------------------ chain */

/*
 * Generation g (0: the test itself) copies page g on write, splits its
 * VMA around page g + 1, forks generation g + 1 (down to 3) and waits for
 * it, then moves all its pages and checks them: page j < g + 1 holds what
 * generation j wrote, the others the original data. Returns a bitmask of
 * failures (bit g: this generation's move, bit 4 + g: its data, bit 8:
 * rmap_check).
 */
static int generation(char *p, int g)
{
	int st, fail = 0;

	*(long *)(p + g * PG) = tag_of(0x9e0 + g, g);
	split(p, g + 1, 1);
	if (g < 3) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(generation(p, g + 1));
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			fail |= 1 << (g + 1);
		else
			fail |= WEXITSTATUS(st);
	}
	if (can_move && !move_to(p, NPAGES, g % 2 ? from : to))
		fail |= 1 << g;
	for (int j = 0; j < NPAGES; j++)
		if (*(long *)(p + j * PG) != (j <= g ? tag_of(0x9e0 + j, j) : tag_of(0xc0de, j)))
			fail |= 1 << (4 + g);
	if (!rmap_clean())
		fail |= 1 << 8;
	return fail;
}

static void test_chain(void)
{
	char *p = map_anon(NPAGES * PG);

	for (int i = 0; i < NPAGES; i++)
		*(long *)(p + i * PG) = tag_of(0xc0de, i);
	int fail = generation(p, 0);
	ok(fail == 0, "fork chain 3 generations deep, partial COW, VMA splits: "
	   "every generation moved its pages (failures %#x)", fail);
	munmap(p, NPAGES * PG);
}

int main(void)
{
	static const int ks[] = { 1, 2, 16, 200 };
	char *probe;

	numbat = is_numbat();
	ktap_plan("rmapwalk", 7);
	probe = map_anon(PG);
	probe[0] = 1;
	from = node_of(probe);
	to = access("/sys/devices/system/node/node1", F_OK) == 0 ? !from : from;
	can_move = move_to(probe, 1, to) || errno != EPERM;
	munmap(probe, PG);
	if (!can_move)
		diag("move_pages(MPOL_MF_MOVE_ALL): EPERM, no CAP_SYS_NICE: moves skipped");
	diag("pages move between node %d and node %d", from, to);
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
		test_anon(ks[i]);
	test_file();
	test_mremap();
	test_chain();
	return ktap_done();
}
