/*
 * numacowrep: replicas of anonymous copy-on-write pages (Numbat's; Linux
 * has no page replication, so on Linux every check is skipped). Two nodes
 * with CPUs.
 *
 *  1. A process on node 0 fills PAGES pages of private anonymous memory
 *     and forks; the child, on node 1, keeps reading them. With NUMA
 *     balancing and replication on, the child's PTEs come to point at
 *     replicas on node 1 while the parent's stay on the node-0 pages
 *     (move_pages status, numa_maps), and the counters count them.
 *  2. The parent writes page 0: the page's replicas collapse first
 *     (numbat_replica_collapsed), then the write copies as usual: the
 *     parent sees its byte, the child still the old one.
 *  3. The child writes page 1, which it reads through its replica: the
 *     same, the other way round. Then the parent writes page 1 too: the
 *     child keeps its byte (a replica written in place, instead of
 *     collapsed first, would have been collapsed away here).
 *  4. The parent unmaps pages 2..: the node-0 pages are then held only by
 *     the child's replicas. The child writes page 2: the collapse points
 *     its PTE back at the node-0 page, which it now owns alone and writes
 *     in place; every page still holds what it should.
 *  5. When the child has exited, no replica is left and /proc/rmap_check
 *     is clean (ktap_done).
 * With rmap=scan nothing is replicated, with rmap=obj no anonymous page
 * (no chain to split): every check is skipped.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../lib/ktap.h"
#include "../lib/numabal.h"

#define PAGES 16
#define PAGE 4096L
#define CHECKS 16

struct shared {                        /* parent <-> child, MAP_SHARED */
	volatile int phase;                /* what the parent asks for */
	volatile int done;                 /* the last phase the child finished */
	volatile int child_on1;            /* child's pages on node 1, last look */
	volatile int child_byte[PAGES];    /* first byte of each page, as the child reads it */
	volatile int child_bad;            /* pages whose contents the child found wrong */
	volatile int child_node2;          /* 0 if the child's page 2 is on node 0 */
};

static struct shared *sh;

/* Page i holds its first byte everywhere but at byte 0; a page is fine if
 * bytes 1.. are all 'a' + i. */
static int page_ok(const volatile char *m, int i)
{
	for (long j = 1; j < PAGE; j += 97)
		if (m[i * PAGE + j] != 'a' + i)
			return 0;
	return 1;
}

static void child_look(const volatile char *m)
{
	int bad = 0;

	for (int i = 0; i < PAGES; i++) {
		sh->child_byte[i] = m[i * PAGE];
		bad += !page_ok(m, i);
	}
	sh->child_bad = bad;
	sh->child_on1 = pages_on_node((const char *)m, PAGES, 1);
	sh->child_node2 = pages_on_node((const char *)m + 2 * PAGE, 1, 0) == 1 ? 0 : 1;
}

/* The child: on node 1, read the memory it shares with its parent
 * copy-on-write; write when asked. */
static void child(int cpu1, volatile char *m)
{
	pin_to_cpu(cpu1);
	while (sh->phase < 9) {
		int ph = sh->phase;
		if (ph == 3 && sh->done < 3)
			m[1 * PAGE] = 'C';        /* through its replica */
		if (ph == 6 && sh->done < 6)
			m[2 * PAGE] = 'D';        /* its replica's master has no other user */
		child_look(m);
		sh->done = ph;
		usleep(1000);
	}
	_exit(0);
}

static int want_on1;
static int child_replicated(void) { return sh->child_on1 >= want_on1; }
static int want_phase;
static int child_done(void) { return sh->done >= want_phase; }

/* Wait until cond() or t seconds, reading m (n pages) meanwhile. */
static int wait_for(int (*cond)(void), const volatile char *m, int n, double t)
{
	double t0 = now_seconds();
	long s = 0;

	while (!cond() && now_seconds() - t0 < t)
		for (int i = 0; i < n; i++)
			s += m[i * PAGE + 64];
	(void)s;
	return cond();
}

/* Ask the child for phase ph and wait until it has looked after it. */
static int child_phase(int ph, const volatile char *m, int n)
{
	want_phase = ph;
	sh->phase = ph;
	return wait_for(child_done, m, n, 5);
}

static long vmstat(const char *key)
{
	return file_counter("/proc/vmstat", key);
}

int main(void)
{
	int cpu0 = node_first_cpu(0), cpu1 = node_first_cpu(1);
	char cmdline[512] = "";

	ktap_plan("numacowrep", CHECKS);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	if (!is_numbat() || strstr(cmdline, "rmap=scan") || strstr(cmdline, "rmap=obj")) {
		for (int i = 0; i < CHECKS; i++)
			skip(!is_numbat() ? "Linux does not replicate pages"
			     : strstr(cmdline, "rmap=scan") ? "rmap=scan: no chain to split, no replicas"
			     : "rmap=obj: anonymous pages have no chain to split", "check %d", i + 1);
		return ktap_done();
	}
	if (cpu0 < 0 || cpu1 < 0)
		ktap_bail("needs CPUs on nodes 0 and 1");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pin_to_cpu(cpu0);
	char *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || m == MAP_FAILED)
		ktap_bail("mmap failed");
	for (int i = 0; i < PAGES; i++)
		memset(m + i * PAGE, 'a' + i, PAGE);
	long nr0 = vmstat("numbat_nr_replica_pages");
	int text0 = text_node((void *)main);
	long made = vmstat("numbat_replica_made"), coll = vmstat("numbat_replica_collapsed");
	nb_sysctl_set("numa_balancing_scan_delay_ms", 100);
	nb_sysctl_set("numa_balancing_scan_period_min_ms", 100);
	nb_sysctl_set("numa_replication", 1);
	nb_sysctl_set("numa_balancing", 1);
	pid_t pid = fork();
	if (pid == 0)
		child(cpu1, m);

	/* 1: the child reads replicas on node 1; the parent node 0's pages */
	want_on1 = PAGES;
	int got = wait_for(child_replicated, m, PAGES, 10);
	ok(got, "the child's %d pages map replicas on node 1 (%d)",
	   PAGES, sh->child_on1);
	ok(pages_on_node(m, PAGES, 0) == PAGES, "the parent's pages stay on node 0 (%d)",
	   pages_on_node(m, PAGES, 0));
	ok(numa_maps_says(pid, m, " anon=16 ") && numa_maps_says(pid, m, " N1=16 ") &&
	   numa_maps_says(getpid(), m, " N0=16 "),
	   "numa_maps: the child's mapping is anon=16 N1=16, the parent's N0=16");
	ok(vmstat("numbat_replica_made") - made >= PAGES && vmstat("numbat_nr_replica_pages") - nr0 >= PAGES,
	   "numbat_replica_made and numbat_nr_replica_pages count them");
	got = child_phase(1, m, PAGES);
	ok(got && sh->child_bad == 0, "the child reads every byte right");

	/* 2: the parent writes page 0: collapse, then copy-on-write */
	m[0] = 'P';
	ok(vmstat("numbat_replica_collapsed") > coll, "the parent's write collapsed page 0's replicas");
	got = child_phase(2, m, PAGES);
	ok(got && sh->child_byte[0] == 'a' && m[0] == 'P',
	   "copy-on-write holds: the parent reads its 'P', the child still 'a' (%c)",
	   sh->child_byte[0]);

	/* 3: the child writes page 1 through its replica */
	coll = vmstat("numbat_replica_collapsed");
	got = child_phase(3, m, PAGES);
	ok(got && sh->child_byte[1] == 'C' && m[PAGE] == 'b',
	   "the child reads its 'C' (%c), the parent still 'b' (%c)", sh->child_byte[1], m[PAGE]);
	ok(vmstat("numbat_replica_collapsed") > coll, "the child's write collapsed page 1's replicas");
	m[PAGE] = 'Q';                     /* had the child written its replica in place, */
	got = child_phase(5, m, PAGES);    /* this would have collapsed its write away */
	ok(got && sh->child_byte[1] == 'C' && m[PAGE] == 'Q',
	   "then the parent writes page 1: the child keeps its 'C' (%c), the parent reads 'Q'",
	   sh->child_byte[1]);

	/* 4: the node-0 pages of 2.. are held only by the child's replicas */
	munmap(m + 2 * PAGE, (PAGES - 2) * PAGE);
	got = child_phase(6, m, 2);
	ok(got && sh->child_byte[2] == 'D' && sh->child_bad == 0,
	   "after the parent's munmap the child writes page 2 ('%c') and every page is intact (%d bad)",
	   sh->child_byte[2], sh->child_bad);
	ok(sh->child_node2 == 0, "the child's page 2 is the node-0 page itself, taken over (node %d)",
	   sh->child_node2);
	want_on1 = PAGES - 3;              /* pages 3..: still replicas */
	ok(child_replicated(), "the child's other pages still map replicas (%d on node 1)",
	   sh->child_on1);

	/* 5: the child goes; no replica is left */
	sh->phase = 9;
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exits cleanly");
	long left = replicas_settle(nr0) - nr0;
	if (text0 == 0)
		ok(left == 0, "no replica is left (%ld)", left);
	else
		skip("this program's text was read in on another node: the parent's text replicas stay",
		     "no replica is left");
	ok(m[0] == 'P' && m[PAGE] == 'Q' && page_ok(m, 0) && page_ok(m, 1),
	   "the parent's pages are intact");
	nb_sysctl_set("numa_balancing", 0);
	nb_sysctl_set("numa_replication", 0);
	nb_sysctl_set("numa_balancing_scan_delay_ms", 1000);
	nb_sysctl_set("numa_balancing_scan_period_min_ms", 1000);
	return ktap_done();
}
