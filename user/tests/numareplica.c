/*
 * numareplica: page replication (Numbat's; Linux has none, so on Linux
 * every check is skipped). Two nodes with CPUs.
 *
 *  1. A file of PAGES pages, written on node 0, is mapped read-only by a
 *     process on node 0 and by its child on node 1; both keep reading it.
 *     With NUMA balancing and replication on, the child's PTEs come to
 *     point at replicas on node 1 (move_pages status of its own mapping),
 *     the parent's stay on the node-0 page cache pages, and
 *     numbat_replica_made / numbat_nr_replica_pages count them. The
 *     program's own text, which both run, is replicated the same way.
 *  2. The parent writes the file with pwrite: the replicas collapse
 *     (numbat_replica_collapsed) and the child reads the new bytes.
 *  3. The child replicates again; the parent maps the file shared from a
 *     descriptor open for writing: every replica collapses and none is
 *     made again; a write through that mapping reaches the child.
 *  4. When the child has exited, no replica is left (numbat_nr_replica_pages
 *     back to where it was), and /proc/rmap_check is clean (ktap_done).
 * With rmap=scan (in /proc/cmdline) nothing is replicated: every check
 * is skipped.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../lib/ktap.h"
#include "../lib/numabal.h"

#define PAGES 16
#define PAGE 4096L
#define FILE_PATH "/numareplica.dat"

struct shared {                        /* parent <-> child, MAP_SHARED */
	volatile int phase;                /* what the parent asks for */
	volatile int child_on1[4];         /* child's pages on node 1, per phase */
	volatile int child_saw;            /* the phase whose write the child read */
	volatile int child_text_node;      /* node of the child's page of sum()'s code */
};

static struct shared *sh;

/* The node of this program's file pages (text, read-only data) that are
 * in memory: 0 or 1 if they are all on that node, 2 if on both, -1 if it
 * cannot tell. The text_node of one page is not enough: before it pins
 * itself, the test may run on a CPU of node 1 for a while (an idle CPU
 * steals it on a loaded machine), and the pages it touches then are read
 * in there; the parent would then get replicas of those, which outlive
 * the child. */
static int own_text_node(void)
{
	char exe[256], line[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *maps = fopen("/proc/self/maps", "r");
	int seen = 0;                        /* bit k: a page on node k */

	if (n <= 0 || !maps)
		return -1;
	exe[n] = 0;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];
		line[strcspn(line, "\n")] = 0;
		/* read-only mappings only: a written data page is anonymous */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || !strstr(line, exe) ||
		    strchr(perms, 'w'))
			continue;
		for (unsigned long va = lo; va < hi; va += 4096) {
			int node = text_node((void *)va);   /* < 0: not in memory */
			if (node == 0 || node == 1)
				seen |= 1 << node;
		}
	}
	fclose(maps);
	return seen == 1 ? 0 : seen == 2 ? 1 : seen == 3 ? 2 : -1;
}

static long sum(const volatile char *m)   /* volatile: every read happens */
{
	long s = 0;

	for (int i = 0; i < PAGES; i++)
		for (int j = 0; j < 64; j++)
			s += m[i * PAGE + j * 64];
	return s;
}

/* The child: on node 1, read the mapping it shares with its parent;
 * report per phase. */
static void child(int cpu1, const char *m)
{
	pin_to_cpu(cpu1);
	while (sh->phase < 9) {
		int ph = sh->phase;
		sum(m);
		sh->child_on1[ph & 3] = pages_on_node(m, PAGES, 1);
		sh->child_text_node = text_node((void *)sum);
		if (m[0] == 'A' + ph)
			sh->child_saw = ph;
		usleep(1000);
	}
	_exit(0);
}

/* Wait until cond() or t seconds; the parent keeps reading its mapping. */
static int wait_for(int (*cond)(void), const char *m, double t)
{
	double t0 = now_seconds();

	while (!cond() && now_seconds() - t0 < t)
		sum(m);
	return cond();
}

static int phase_goal;
static int child_replicated(void) { return sh->child_on1[sh->phase & 3] == PAGES; }
static int child_saw_write(void) { return sh->child_saw == phase_goal; }

int main(void)
{
	int cpu0 = node_first_cpu(0), cpu1 = node_first_cpu(1);

	char cmdline[512] = "";

	ktap_plan("numareplica", 13);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	if (!is_numbat() || strstr(cmdline, "rmap=scan") || strstr(cmdline, "rmap=obj") ||
	    strstr(cmdline, "rmap=hybrid")) {
		for (int i = 0; i < 13; i++)
			skip(!is_numbat() ? "Linux does not replicate pages"
			     : "this rmap= mode keeps no chains for file pages: no replicas",
			     "check %d", i + 1);
		return ktap_done();
	}
	if (cpu0 < 0 || cpu1 < 0)
		ktap_bail("needs CPUs on nodes 0 and 1");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pin_to_cpu(cpu0);
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	static char buf[PAGES * PAGE];
	memset(buf, 'A', sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		ktap_bail("cannot write " FILE_PATH);
	long nr0 = file_counter("/proc/vmstat", "numbat_nr_replica_pages");
	/* Where this program's text was read in: node 0 in its own boot. In
	 * a boot that runs every test, another CPU may have read it; then the
	 * parent too gets text replicas, which outlive the child. */
	int text0 = own_text_node();
	long made = file_counter("/proc/vmstat", "numbat_replica_made");
	long coll = file_counter("/proc/vmstat", "numbat_replica_collapsed");
	nb_sysctl_set("numa_balancing_scan_delay_ms", 100);
	nb_sysctl_set("numa_balancing_scan_period_min_ms", 100);
	nb_sysctl_set("numa_replication", 1);
	nb_sysctl_set("numa_balancing", 1);
	int ro = open(FILE_PATH, O_RDONLY);
	char *m = mmap(NULL, PAGES * PAGE, PROT_READ, MAP_SHARED, ro, 0);
	sum(m);
	pid_t pid = fork();
	if (pid == 0)
		child(cpu1, m);

	/* 1: replicas on node 1 for the child; the parent keeps node 0's */
	int done = wait_for(child_replicated, m, 10);
	ok(done, "the child's %d pages map replicas on node 1 (%d)", PAGES, sh->child_on1[0]);
	diag("parent: %d on node 0, %d on node 1; numa_pte_updates %ld numa_hint_faults %ld "
	     "numa_pages_migrated %ld", pages_on_node(m, PAGES, 0), pages_on_node(m, PAGES, 1),
	     file_counter("/proc/vmstat", "numa_pte_updates"),
	     file_counter("/proc/vmstat", "numa_hint_faults"),
	     file_counter("/proc/vmstat", "numa_pages_migrated"));
	ok(pages_on_node(m, PAGES, 0) == PAGES, "the parent's pages are the node-0 page cache pages");
	ok(numa_maps_says(pid, m, " N1=16 ") && numa_maps_says(getpid(), m, " N0=16 "),
	   "numa_maps: the child's mapping is N1=16, the parent's N0=16");
	if (text0 == 0)
		ok(sh->child_text_node == 1 && text_node((void *)sum) == 0,
		   "the program's text: the child runs a replica on node 1 (%d), the parent node 0's (%d)",
		   sh->child_text_node, text_node((void *)sum));
	else
		skip("this program's text was read in on another node", "the program's text");
	ok(file_counter("/proc/vmstat", "numbat_replica_made") - made >= PAGES,
	   "numbat_replica_made counts them");
	ok(file_counter("/proc/vmstat", "numbat_nr_replica_pages") - nr0 >= PAGES,
	   "numbat_nr_replica_pages reports their memory");

	/* 2: pwrite collapses them; the child reads the new bytes */
	phase_goal = 1;
	sh->phase = 1;
	memset(buf, 'B', PAGE);
	ok(pwrite(fd, buf, PAGE, 0) == PAGE && wait_for(child_saw_write, m, 5),
	   "after pwrite the child reads the new bytes");
	ok(file_counter("/proc/vmstat", "numbat_replica_collapsed") > coll,
	   "numbat_replica_collapsed counts the collapse");

	/* 3: replicas again, then a writable shared mapping forbids them */
	sh->child_on1[2] = 0;
	sh->phase = 2;
	done = wait_for(child_replicated, m, 10);
	ok(done, "the child replicates again (%d)", sh->child_on1[2]);
	char *w = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	phase_goal = 3;
	sh->phase = 3;
	w[0] = 'D';                        /* 'A' + 3 */
	ok(w != MAP_FAILED && wait_for(child_saw_write, m, 5),
	   "a write through a writable shared mapping reaches the child");
	double t0 = now_seconds();
	while (now_seconds() - t0 < 1)
		sum(m);
	ok(sh->child_on1[3] == 0, "no replica is made while the file may be written (%d)",
	   sh->child_on1[3]);

	/* 4: the child goes; no replica is left */
	sh->phase = 9;
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exits cleanly");
	long left = replicas_settle(nr0);
	if (text0 == 0)
		ok(left == nr0, "no replica is left (numbat_nr_replica_pages %ld, %ld before)", left, nr0);
	else
		skip("the parent's own text replicas stay", "no replica is left");
	nb_sysctl_set("numa_balancing", 0);
	nb_sysctl_set("numa_replication", 0);
	nb_sysctl_set("numa_balancing_scan_delay_ms", 1000);
	nb_sysctl_set("numa_balancing_scan_period_min_ms", 1000);
	munmap(w, PAGES * PAGE);
	unlink(FILE_PATH);
	return ktap_done();
}
