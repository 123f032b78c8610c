/*
 * mempolicy: set_mempolicy(2), mbind(2) and get_mempolicy(2) as Linux
 * defines them, on a machine with two nodes that have memory and CPUs.
 *
 *  - errors: unknown modes and flags, STATIC with RELATIVE, empty masks,
 *    masks naming only nodes without memory, a mask given to DEFAULT or
 *    LOCAL, maxnode too small (Linux reads maxnode - 1 bits) or too large,
 *    bits past 1024 nodes, unreadable masks; mbind's unaligned address,
 *    unknown flags, unmapped ranges and holes; get_mempolicy's short mask;
 *  - placement, checked with move_pages status queries while the test runs
 *    on a CPU of the other node: PREFERRED, BIND, LOCAL, DEFAULT (first
 *    touch), INTERLEAVE (the task's or a VMA's: by page offset in the
 *    VMA), shared anonymous memory;
 *  - get_mempolicy round trips: mode, flags and mask of the task and of an
 *    address (a VMA without a policy reports DEFAULT);
 *  - mbind splits VMAs at the range's ends; MPOL_MF_MOVE moves the pages
 *    outside the mask, not shared ones unless MPOL_MF_MOVE_ALL;
 *    MPOL_MF_STRICT fails with EIO while pages stay outside (whether the
 *    policy is set all the same differs: Linux 6.7 and later set it first,
 *    as Numbat does; older ones do not, so that is not checked);
 *  - fork: the child inherits the task's policy and the VMAs', and its
 *    copy-on-write copies follow them;
 *  - MPOL_BIND never spills: a process bound to node 1 that touches more
 *    than node 1 has free (no swap) is killed by the OOM killer, and
 *    none of its pages lands on node 0 before that.
 *
 * The placement checks need two nodes with memory and CPUs; on a smaller
 * machine they are skipped. On Numbat ktap_done also checks rmap_check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096L
#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4

#define N_ERRORS 28
#define N_PLACE 40

static int cpu_of_node[2] = { -1, -1 };

static long set_policy(int mode, unsigned long mask, unsigned long maxnode)
{
	return syscall(SYS_set_mempolicy, mode, mask ? &mask : NULL, maxnode);
}

static long mbind_(void *addr, unsigned long len, int mode, unsigned long mask,
		   unsigned flags)
{
	return syscall(SYS_mbind, addr, len, mode, mask ? &mask : NULL, 64UL, flags);
}

/* get_mempolicy: the mode (or node) and the mask, or -1. */
static int get_policy(unsigned long *mask, void *addr, int flags)
{
	int mode = -1;
	unsigned long m = 0;

	if (syscall(SYS_get_mempolicy, &mode, &m, 64UL, addr, flags))
		return -1;
	if (mask)
		*mask = m;
	return mode;
}

/* The node of the page at addr by a move_pages status query (-errno). */
static int node_of(void *addr)
{
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0))
		return -1000;
	return status;
}

/* How many of the n pages at p are on node. */
static int count_on(char *p, int n, int node)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += node_of(p + i * PG) == node;
	return c;
}

static char *map(long pages, int flags)
{
	char *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ktap_bail("mmap failed");
	return p;
}

static void touch(char *p, long pages)
{
	for (long i = 0; i < pages; i++)
		p[i * PG] = (char)i;
}

static void run_on(int node)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu_of_node[node], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ktap_bail("sched_setaffinity failed");
}

/* The first CPU of each node (sysfs cpulist); 0 if a node has none. */
static int find_cpus(void)
{
	char path[64], buf[256];

	for (int n = 0; n < 2; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
		if (read_file(path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
			return 0;
		cpu_of_node[n] = atoi(buf);
	}
	return access("/sys/devices/system/node/node2", F_OK) != 0;
}

static void errors(int two)
{
	unsigned long big[40] = { 0 };

	ok_errno(set_policy(7, 1, 64), EINVAL, "set_mempolicy mode 7: EINVAL");
	ok_errno(set_policy(100, 1, 64), EINVAL, "set_mempolicy mode 100: EINVAL");
	ok_errno(set_policy(-1, 1, 64), EINVAL, "set_mempolicy mode -1: EINVAL");
	ok_errno(set_policy(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1, 64),
		 EINVAL, "STATIC_NODES with RELATIVE_NODES: EINVAL");
	ok_errno(set_policy(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, 1, 64), EINVAL,
		 "NUMA_BALANCING with INTERLEAVE: EINVAL");
	ok_errno(set_policy(MPOL_BIND, 0, 64), EINVAL, "BIND, empty mask: EINVAL");
	ok_errno(set_policy(MPOL_INTERLEAVE, 0, 0), EINVAL, "INTERLEAVE, no mask: EINVAL");
	ok_errno(set_policy(MPOL_BIND, 1UL << 40, 64), EINVAL,
		 "BIND to a node without memory: EINVAL");
	ok_errno(set_policy(MPOL_DEFAULT, 1, 64), EINVAL, "DEFAULT with a mask: EINVAL");
	ok_errno(set_policy(MPOL_LOCAL, 1, 64), EINVAL, "LOCAL with a mask: EINVAL");
	ok_errno(set_policy(MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0, 64), EINVAL,
		 "PREFERRED, empty mask, STATIC_NODES: EINVAL");
	ok_errno(set_policy(MPOL_BIND, 1, 1), EINVAL,
		 "BIND node 0 with maxnode 1 (no bits read): EINVAL");
	ok_errno(set_policy(MPOL_BIND, 1, 4096 * 8 + 2), EINVAL, "maxnode past a page: EINVAL");
	big[1500 / 64] = 1UL << (1500 % 64);
	big[0] = 1;
	ok_errno(syscall(SYS_set_mempolicy, MPOL_BIND, big, 2048UL), EINVAL,
		 "mask bit 1500 (past 1024 nodes): EINVAL");
	ok_errno(syscall(SYS_set_mempolicy, MPOL_BIND, (void *)8, 64UL), EFAULT,
		 "unreadable mask: EFAULT");
	ok(set_policy(MPOL_BIND, 1 | (1UL << 40), 64) == 0 && get_policy(NULL, NULL, 0) == MPOL_BIND,
	   "BIND to nodes 0 and 40: node 40 dropped, accepted");
	int mode = set_policy(MPOL_BIND | MPOL_F_NUMA_BALANCING, 1, 64) ? -1 : get_policy(NULL, NULL, 0);
	ok(mode == (MPOL_BIND | MPOL_F_NUMA_BALANCING), "BIND|NUMA_BALANCING: accepted, mode 0x%x",
	   mode);
	ok(set_policy(MPOL_DEFAULT | MPOL_F_STATIC_NODES, 0, 64) == 0 &&
	   get_policy(NULL, NULL, 0) == MPOL_DEFAULT, "DEFAULT with STATIC_NODES: accepted, DEFAULT");

	char *p = map(4, MAP_PRIVATE);
	ok_errno(mbind_(p + 1, PG, MPOL_BIND, 1, 0), EINVAL, "mbind unaligned address: EINVAL");
	ok_errno(mbind_(p, PG, MPOL_BIND, 1, 1 << 5), EINVAL, "mbind unknown flag: EINVAL");
	ok_errno(mbind_(p, PG, 9, 1, 0), EINVAL, "mbind mode 9: EINVAL");
	munmap(p + PG, PG);
	ok_errno(mbind_(p, 3 * PG, MPOL_BIND, 1, 0), EFAULT, "mbind over a hole: EFAULT");
	ok_errno(mbind_(p + PG, PG, MPOL_BIND, 1, 0), EFAULT, "mbind unmapped range: EFAULT");
	ok(mbind_(p, 3 * PG, MPOL_DEFAULT, 0, 0) == 0, "mbind DEFAULT over a hole: 0");
	ok(mbind_(p, 0, MPOL_BIND, 1, 0) == 0, "mbind length 0: 0");
	munmap(p, 4 * PG);

	unsigned long m;
	ok_errno(syscall(SYS_get_mempolicy, &mode, &m, 64UL, NULL,
			 MPOL_F_MEMS_ALLOWED | MPOL_F_NODE), EINVAL,
		 "get_mempolicy MEMS_ALLOWED with NODE: EINVAL");
	if (two)
		ok_errno(syscall(SYS_get_mempolicy, &mode, &m, 1UL, NULL, 0), EINVAL,
			 "get_mempolicy maxnode 1 < 2 nodes: EINVAL");
	else
		skip("one node", "get_mempolicy maxnode below nodes");
	ok_errno(syscall(SYS_get_mempolicy, &mode, &m, 64UL, NULL, MPOL_F_NODE), EINVAL,
		 "get_mempolicy NODE without ADDR, not interleaving: EINVAL");
}

/* The task's policy: placement and get_mempolicy round trips. */
static void task_policies(void)
{
	unsigned long m = 99;
	char *p;

	run_on(0);
	int mode = set_policy(MPOL_PREFERRED, 2, 64) ? -1 : get_policy(&m, NULL, 0);
	ok(mode == MPOL_PREFERRED && m == 2, "PREFERRED node 1: get_mempolicy says mode %d mask 0x%lx",
	   mode, m);
	p = map(16, MAP_PRIVATE);
	touch(p, 16);
	ok(count_on(p, 16, 1) == 16, "PREFERRED 1 from node 0: %d of 16 on node 1",
	   count_on(p, 16, 1));
	mode = set_policy(MPOL_BIND, 2, 64) ? -1 : get_policy(&m, NULL, 0);
	ok(mode == MPOL_BIND && m == 2, "BIND node 1: mode %d mask 0x%lx", mode, m);
	char *q = map(16, MAP_PRIVATE);
	touch(q, 16);
	ok(count_on(q, 16, 1) == 16, "BIND 1 from node 0: %d of 16 on node 1", count_on(q, 16, 1));
	run_on(1);
	ok(set_policy(MPOL_BIND, 3, 64) == 0, "BIND nodes 0-1");
	char *r = map(16, MAP_PRIVATE);
	touch(r, 16);
	ok(count_on(r, 16, 1) == 16, "BIND 0-1 from node 1: %d of 16 local", count_on(r, 16, 1));
	mode = set_policy(MPOL_LOCAL, 0, 0) ? -1 : get_policy(&m, NULL, 0);
	ok(mode == MPOL_LOCAL && m == 0, "LOCAL: mode %d, mask 0x%lx", mode, m);
	char *s = map(16, MAP_PRIVATE);
	touch(s, 16);
	ok(count_on(s, 16, 1) == 16, "LOCAL from node 1: %d of 16 on node 1", count_on(s, 16, 1));
	mode = set_policy(MPOL_PREFERRED, 0, 64) ? -1 : get_policy(&m, NULL, 0);
	ok(mode == MPOL_LOCAL, "PREFERRED with no node is LOCAL (mode %d)", mode);
	mode = set_policy(MPOL_BIND | MPOL_F_STATIC_NODES, 2 | (1UL << 9), 64) ? -1 :
	       get_policy(&m, NULL, 0);
	ok(mode == (MPOL_BIND | MPOL_F_STATIC_NODES) && m == (2 | (1UL << 9)),
	   "BIND|STATIC_NODES 1,9: mode 0x%x, the mask as given (0x%lx)", mode, m);
	mode = set_policy(MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES, 4, 64) ? -1 :
	       get_policy(&m, NULL, 0);
	ok(mode == (MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES) && m == 4,
	   "INTERLEAVE|RELATIVE_NODES 2: mode 0x%x, the mask as given (0x%lx)", mode, m);
	mode = set_policy(MPOL_DEFAULT, 0, 0) ? -1 : get_policy(&m, NULL, 0);
	ok(mode == MPOL_DEFAULT && m == 0, "DEFAULT: mode %d, mask 0x%lx", mode, m);
	run_on(0);
	char *t = map(16, MAP_PRIVATE);
	touch(t, 16);
	ok(count_on(t, 16, 0) == 16, "DEFAULT from node 0: %d of 16 on node 0 (first touch)",
	   count_on(t, 16, 0));
	long rc = syscall(SYS_get_mempolicy, NULL, &m, 64UL, NULL, MPOL_F_MEMS_ALLOWED);
	ok(rc == 0 && m == 3, "MEMS_ALLOWED: nodes 0-1 (0x%lx)", m);
	munmap(p, 16 * PG), munmap(q, 16 * PG), munmap(r, 16 * PG);
	munmap(s, 16 * PG), munmap(t, 16 * PG);
}

/* The nodes of pages p .. p + n - 1 follow (page number mod 2): how many. */
static int by_offset(char *p, int n)
{
	int right = 0;

	for (int i = 0; i < n; i++)
		right += node_of(p + i * PG) == (int)((((unsigned long)p >> 12) + i) % 2);
	return right;
}

/* The task's interleave: a page of a VMA goes by its offset, as with a
 * VMA's policy (Linux); MPOL_F_NODE names the node of the task's counter
 * (for allocations outside any VMA) without moving it. */
static void task_interleave(void)
{
	char *p = map(64, MAP_PRIVATE);

	ok(set_policy(MPOL_INTERLEAVE, 3, 64) == 0, "INTERLEAVE nodes 0-1");
	int next = get_policy(NULL, NULL, MPOL_F_NODE), again = get_policy(NULL, NULL, MPOL_F_NODE);
	ok((next == 0 || next == 1) && again == next, "F_NODE: node %d, then %d", next, again);
	touch(p, 64);
	int right = by_offset(p, 64);
	ok(right == 64, "64 pages interleaved by offset: %d on node (page number mod 2)", right);
	set_policy(MPOL_DEFAULT, 0, 0);
	munmap(p, 64 * PG);
}

/* VMA policies: interleave by offset, split, F_ADDR round trips, shmem. */
static void vma_policies(void)
{
	unsigned long m = 0;
	char *p = map(32, MAP_PRIVATE), *q = map(8, MAP_PRIVATE);

	run_on(0);
	ok(mbind_(p, 32 * PG, MPOL_INTERLEAVE, 3, 0) == 0, "mbind INTERLEAVE 0-1");
	touch(p, 32);
	int right = by_offset(p, 32);
	ok(right == 32, "interleave by page offset: %d of 32 pages on node (page number mod 2)",
	   right);
	int mode = get_policy(&m, p + 5 * PG, MPOL_F_ADDR);
	ok(mode == MPOL_INTERLEAVE && m == 3, "F_ADDR in the range: mode %d mask 0x%lx", mode, m);
	set_policy(MPOL_PREFERRED, 2, 64);
	mode = get_policy(&m, q, MPOL_F_ADDR);
	ok(mode == MPOL_DEFAULT && m == 0,
	   "F_ADDR of a VMA without policy: DEFAULT though the task prefers 1 (mode %d)", mode);
	set_policy(MPOL_DEFAULT, 0, 0);

	ok(mbind_(q + 2 * PG, 4 * PG, MPOL_BIND, 2, 0) == 0, "mbind BIND 1 on pages 2-5 of 8");
	touch(q, 8);
	int on1 = count_on(q + 2 * PG, 4, 1), on0 = count_on(q, 2, 0) + count_on(q + 6 * PG, 2, 0);
	ok(on1 == 4 && on0 == 4, "split: %d of 4 inside on node 1, %d of 4 outside on node 0",
	   on1, on0);
	ok(get_policy(NULL, q + PG, MPOL_F_ADDR) == MPOL_DEFAULT &&
	   get_policy(NULL, q + 2 * PG, MPOL_F_ADDR) == MPOL_BIND &&
	   get_policy(NULL, q + 5 * PG, MPOL_F_ADDR) == MPOL_BIND &&
	   get_policy(NULL, q + 6 * PG, MPOL_F_ADDR) == MPOL_DEFAULT,
	   "split: the policy covers exactly pages 2-5");
	ok(get_policy(NULL, q + 3 * PG, MPOL_F_ADDR | MPOL_F_NODE) == 1,
	   "F_ADDR|F_NODE: page 3 is on node 1");

	char *s = map(8, MAP_SHARED);
	ok(mbind_(s, 8 * PG, MPOL_PREFERRED, 2, 0) == 0, "mbind PREFERRED 1 on shared anonymous");
	touch(s, 8);
	int n = count_on(s, 8, 1);
	ok(n == 8, "shared anonymous: %d of 8 on node 1", n);
	munmap(p, 32 * PG), munmap(q, 8 * PG), munmap(s, 8 * PG);
}

/* mbind MPOL_MF_MOVE, MPOL_MF_STRICT, shared pages. */
static void moves(void)
{
	char *p = map(16, MAP_PRIVATE);

	run_on(0);
	touch(p, 16);
	ok(count_on(p, 16, 0) == 16, "16 pages first touched on node 0");
	ok_errno(mbind_(p, 16 * PG, MPOL_BIND, 2, MPOL_MF_STRICT), EIO,
		 "STRICT, pages outside the mask, no MOVE: EIO");
	ok(count_on(p, 16, 0) == 16, "after EIO nothing moved");
	long r = mbind_(p, 16 * PG, MPOL_BIND, 2, MPOL_MF_MOVE);
	int n = count_on(p, 16, 1);
	ok(r == 0 && n == 16, "MPOL_MF_MOVE to BIND 1: %ld, %d of 16 on node 1", r, n);
	ok(mbind_(p, 16 * PG, MPOL_BIND, 2, MPOL_MF_STRICT) == 0,
	   "STRICT with every page inside: 0");
	r = mbind_(p, 16 * PG, MPOL_PREFERRED, 1, MPOL_MF_MOVE | MPOL_MF_STRICT);
	n = count_on(p, 16, 0);
	ok(r == 0 && n == 16, "MOVE|STRICT to PREFERRED 0: %ld, %d of 16 back on node 0", r, n);

	int pid = fork();                   /* now every page is mapped twice */
	if (pid == 0) {
		pause();
		_exit(0);
	}
	r = mbind_(p, 16 * PG, MPOL_BIND, 2, MPOL_MF_MOVE);
	n = count_on(p, 16, 0);
	ok(r == 0 && n == 16, "MOVE leaves pages shared with a child (pid %d): %ld, %d of 16 still on node 0 (%d on node 1)",
	   pid, r, n, count_on(p, 16, 1));
	r = mbind_(p, 16 * PG, MPOL_BIND, 2, MPOL_MF_MOVE_ALL);
	n = count_on(p, 16, 1);
	ok(r == 0 && n == 16, "MOVE_ALL moves them: %ld, %d of 16 on node 1", r, n);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int good = 1;
	for (int i = 0; i < 16; i++)
		good &= p[i * PG] == (char)i;
	ok(good, "the data survived the moves");
	munmap(p, 16 * PG);
}

/* A child's view of fork inheritance: exit code bit per failed check. */
static void fork_child(void *arg)
{
	char *p = arg;
	unsigned long m = 0;
	int bad = 0;

	if (get_policy(&m, NULL, 0) != MPOL_BIND || m != 2)
		bad |= 1;                   /* the task's policy */
	if (get_policy(&m, p, MPOL_F_ADDR) != MPOL_PREFERRED || m != 2)
		bad |= 2;                   /* the VMA's */
	p[0] = 'c';                         /* a COW copy: the VMA prefers 1 */
	if (node_of(p) != 1)
		bad |= 4;
	char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q[0] = 1;                           /* a new page: the task binds to 1 */
	if (node_of(q) != 1)
		bad |= 8;
	_exit(bad);
}

static void forks(void)
{
	char *p = map(1, MAP_PRIVATE);

	run_on(0);
	p[0] = 'p';
	ok(mbind_(p, PG, MPOL_PREFERRED, 2, 0) == 0 && node_of(p) == 0,
	   "PREFERRED 1 set on a page already on node 0 (no MOVE: stays)");
	set_policy(MPOL_BIND, 2, 64);
	int st = run_child(fork_child, p);
	set_policy(MPOL_DEFAULT, 0, 0);
	ok(exited_with(st, 0), "child: task policy, VMA policy, COW copy and new page (%s)",
	   status_str(st));
	ok(p[0] == 'p' && node_of(p) == 0, "parent's page untouched on node 0");
	munmap(p, PG);
}

/* "Node 1 MemFree:  N kB" of node 1's meminfo, in bytes (or -1). */
static long node1_free(void)
{
	char buf[2048];
	const char *k;

	if (read_file("/sys/devices/system/node/node1/meminfo", buf, sizeof(buf)) <= 0 ||
	    !(k = strstr(buf, "MemFree:")))
		return -1;
	return atol(k + 8) * 1024;
}

/* Bound to node 1, touch more than node 1 has free: never spill. */
static void hog(void *arg)
{
	long len = *(long *)arg;

	set_policy(MPOL_BIND, 2, 64);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	for (long i = 0; i < len; i += PG) {
		p[i] = 1;
		if (node_of(p + i) != 1)
			_exit(4);               /* a page of a BIND 1 area elsewhere */
	}
	_exit(0);
}

/* MPOL_BIND never falls back to another node: a process bound to node 1
 * that wants more than node 1 holds is killed by the OOM killer (no swap
 * here), without one page on node 0. */
static void bind_oom(void)
{
	long len = node1_free() + (32L << 20);

	if (meminfo_kb("SwapTotal") != 0) {
		skip("swap is on", "BIND past node 1's memory: OOM kill");
		return;
	}
	run_on(0);
	int st = run_child(hog, &len);
	ok(killed_by(st, SIGKILL), "bound to node 1, %ld MiB touched: the OOM killer ends it (%s)",
	   len >> 20, status_str(st));
}

int main(void)
{
	int two = find_cpus();

	ktap_plan("mempolicy", N_ERRORS + N_PLACE);
	errors(two);
	set_policy(MPOL_DEFAULT, 0, 0);
	if (!two) {
		for (int i = 0; i < N_PLACE; i++)
			skip("needs two nodes with CPUs", "placement %d", i + 1);
		return ktap_done();
	}
	task_policies();
	task_interleave();
	vma_policies();
	moves();
	forks();
	bind_oom();
	return ktap_done();
}
