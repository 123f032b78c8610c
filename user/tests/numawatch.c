/*
 * numawatch: a scripted run to watch and draw. Pinned to node 0, the test
 * writes a 1 MiB region, starts /bin/numawatch on itself (its output
 * relayed to the console by a child, which says when the start maps and
 * the first sample are out), and moves the region to node 1 with
 * move_pages in eight steps of 32 pages, 60 ms apart, with
 * numbat:migrate_page traced; then it stops numawatch (SIGUSR1: a last
 * sample and the end maps) and prints the trace. The boot log then holds everything tools/numaplot.py
 * draws (`make plot`): numawatch's snapshots and start/end maps, and one
 * traced migration per page.
 *
 * Checks: the region's numa_maps line says N0=256 before and N1=256
 * after (anon=256 both times), and agrees with a move_pages query; node
 * 1's numastat numa_hit and other_node grow by at least 256 (pages wanted
 * on node 1, asked for by a CPU of node 0); numawatch exits 0; the trace
 * has one "from=0 to=1 reason=syscall_or_cpuset" record per page moved;
 * /bin/numastat -p shows at least 1.00 MB of the process on node 1, and
 * /bin/numastat node 1's other_node at least 256 (both printed as "# "
 * lines).
 *
 * On Linux (scripts/linux-vm.sh -n 2) the numa_maps and numastat checks
 * run; numbat:migrate_page is Numbat's event, and /bin/numawatch is not in
 * that machine's image: those checks skip there.
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

#include "ktap.h"

#define PG 4096L
#define NPAGES 256
#define STEP 32
#define NODE0 "/sys/devices/system/node/node0/"
#define NODE1 "/sys/devices/system/node/node1/"
#define T "/sys/kernel/tracing/"
#define MIG_ENABLE T "events/numbat/migrate_page/enable"
#define WATCH "/bin/numawatch"
#define NUMASTAT "/bin/numastat"

static char text[1 << 20];
static char line[1024];

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int good = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return good;
}

/* Pin to node 0's CPUs (its cpulist: "a-b" or "a"). */
static int pin_node0(void)
{
	char list[64];
	cpu_set_t set;
	char *p;

	if (read_file(NODE0 "cpulist", list, sizeof(list)) <= 0)
		return -1;
	long a = strtol(list, &p, 10), b = *p == '-' ? strtol(p + 1, NULL, 10) : a;
	CPU_ZERO(&set);
	for (long c = a; c <= b; c++)
		CPU_SET(c, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The numa_maps line of the VMA at addr into line; " N1=" style values. */
static long nm(void *addr, const char *key)
{
	char want[32], pat[32];
	int n = snprintf(want, sizeof(want), "%08lx ", (unsigned long)addr);

	line[0] = 0;
	read_file("/proc/self/numa_maps", text, sizeof(text));
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, want, n)) {
			snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
			break;
		}
	snprintf(pat, sizeof(pat), " %s=", key);
	char *v = strstr(line, pat);
	return v ? strtol(v + strlen(pat), NULL, 10) : 0;
}

/* Move n pages from p to node; 0 when all got there. */
static int move_to(char *p, int n, int node)
{
	void *pages[STEP];
	int nodes[STEP], status[STEP];

	for (int i = 0; i < n; i++) {
		pages[i] = p + i * PG;
		nodes[i] = node;
	}
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status, 2))
		return -1;
	for (int i = 0; i < n; i++)
		if (status[i] != node)
			return -1;
	return 0;
}

/* Pages of p on node 1 by a move_pages query. */
static int on_node1(char *p)
{
	void *pages[NPAGES];
	int status[NPAGES], n = 0;

	for (int i = 0; i < NPAGES; i++)
		pages[i] = p + i * PG;
	if (syscall(SYS_move_pages, 0, NPAGES, pages, NULL, status, 0))
		return -1;
	for (int i = 0; i < NPAGES; i++)
		n += status[i] == 1;
	return n;
}

/* Copy numawatch's lines (from fd) to stdout, one write each; write a
 * byte to ready after its first sample line (its start maps are out by
 * then). Runs in a child until numawatch closes its end. */
static void relay(int fd, int ready)
{
	FILE *in = fdopen(fd, "r");
	char buf[8192];
	int told = 0;

	while (in && fgets(buf, sizeof(buf), in)) {
		fputs(buf, stdout);
		fflush(stdout);
		if (!told && strstr(buf, " N0=")) {
			told = write(ready, "1", 1) == 1;
		}
	}
	_exit(0);
}

/* Start numawatch on this process, its output relayed by a child; wait
 * until it has taken its start maps and first sample (all on node 0).
 * Its pid (and the relay's in *relay_pid), or 0 when there is none.
 * region: the test's pages, which the relay unmaps. */
static int start_watch(int *relay_pid, char *region)
{
	char self[16], c;
	int out[2], ready[2];

	if (access(WATCH, X_OK) || pipe(out) || pipe(ready))
		return 0;
	snprintf(self, sizeof(self), "%d", getpid());
	fflush(stdout);
	int pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		execl(WATCH, "numawatch", "-i", "20", self, (char *)NULL);
		_exit(127);
	}
	*relay_pid = fork();
	if (*relay_pid == 0) {
		/* Its copy-on-write share of the region would make each page
		 * mapped twice, and move_pages (MPOL_MF_MOVE) would refuse it. */
		munmap(region - PG, (NPAGES + 2) * PG);
		close(out[1]);
		relay(out[0], ready[1]);
	}
	close(out[0]);
	close(out[1]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)         /* numawatch failed: no sample */
		diag("numawatch printed no sample");
	close(ready[0]);
	return pid > 0 ? pid : 0;
}

/* Run argv, its output into text (NUL-terminated) and, as diagnostics,
 * into the log; its wait status, or -1. */
static int capture(char *const argv[])
{
	int fds[2], status = -1;
	size_t len = 0;
	ssize_t n;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	int pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < sizeof(text) && (n = read(fds[0], text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	text[len] = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	for (char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
		diag("%.*s", (int)strcspn(l, "\n"), l);
	return status;
}

/* The n-th number (from 0) on the line of text starting with label. */
static double column(const char *label, int n)
{
	size_t len = strlen(label);

	for (char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
		if (strncmp(l, label, len) || l[len] != ' ')
			continue;
		char *p = l + len;
		double v = -1;
		for (int i = 0; i <= n; i++)
			v = strtod(p, &p);
		return v;
	}
	return -1;
}

/* numastat -p on this process and numastat: node 1 holds the region. */
static void check_numastat(void)
{
	char self[16];

	if (access(NUMASTAT, X_OK)) {
		skip("no " NUMASTAT, "numastat -p: node 1 holds the region");
		skip("no " NUMASTAT, "numastat: node 1's other_node");
		return;
	}
	snprintf(self, sizeof(self), "%d", getpid());
	char *const byproc[] = { NUMASTAT, "-p", self, NULL };
	int st = capture(byproc);
	double private1 = column("Private", 1), total1 = column("Total", 1);
	ok(st == 0 && private1 >= 1.0 && total1 >= private1,
	   "numastat -p: node 1 Private %.2f MB, Total %.2f MB (>= 1.00)", private1, total1);
	char *const sys[] = { NUMASTAT, NULL };
	st = capture(sys);
	double other1 = column("other_node", 1);
	ok(st == 0 && strstr(text, "node1") && other1 >= NPAGES,
	   "numastat: node 1's other_node %.0f (>= %d)", other1, NPAGES);
}

/* Print the trace's migrate_page records; how many say from=0 to=1 for
 * move_pages. */
static int dump_trace(void)
{
	int n = 0;

	if (read_file(T "trace", text, sizeof(text)) <= 0)
		return -1;
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		int len = (int)strcspn(l, "\n");
		if (!memmem(l, len, "migrate_page:", 13))
			continue;
		printf("%.*s\n", len, l);
		n += memmem(l, len, "from=0 to=1 reason=syscall_or_cpuset", 36) != NULL;
	}
	return n;
}

int main(void)
{
	int traced, watcher, relay_pid = 0, status = -1, moved = 0;

	ktap_plan("numawatch", 9);
	if (pin_node0() || access(NODE1, F_OK))
		ktap_bail("needs two nodes and node 0's CPUs");
	char *p = mmap(NULL, (NPAGES + 2) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p + PG, NPAGES * PG, PROT_READ | PROT_WRITE))
		ktap_bail("mmap");
	p += PG;                                /* a VMA of its own */
	memset(p, 0x5a, NPAGES * PG);
	ok(nm(p, "N0") == NPAGES && nm(p, "anon") == NPAGES, "before: N0=%d anon=%d (%s)",
	   NPAGES, NPAGES, line);
	traced = put(MIG_ENABLE, "1") && put(T "trace", "\n");
	long hit1 = file_counter(NODE1 "numastat", "numa_hit");
	long other1 = file_counter(NODE1 "numastat", "other_node");
	watcher = start_watch(&relay_pid, p);
	for (int i = 0; i < NPAGES; i += STEP) {
		moved += !move_to(p + i * PG, STEP, 1);
		sleep_ms(60);
	}
	sleep_ms(60);
	if (watcher) {
		kill(watcher, SIGUSR1);
		waitpid(watcher, &status, 0);
		waitpid(relay_pid, NULL, 0);        /* ends with numawatch's output */
	}
	long dh = file_counter(NODE1 "numastat", "numa_hit") - hit1;
	long dot = file_counter(NODE1 "numastat", "other_node") - other1;
	ok(moved == NPAGES / STEP && nm(p, "N1") == NPAGES && nm(p, "anon") == NPAGES &&
	   !strstr(line, " N0="), "after %d steps: N1=%d anon=%d (%s)", moved, NPAGES, NPAGES, line);
	ok(on_node1(p) == NPAGES, "a move_pages query finds all %d pages on node 1", NPAGES);
	ok(dh >= NPAGES && dot >= NPAGES, "node 1 numastat: numa_hit +%ld, other_node +%ld", dh, dot);
	check_numastat();
	if (watcher)
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "numawatch exits 0");
	else
		skip("no " WATCH, "numawatch exits 0");
	if (traced) {
		put(MIG_ENABLE, "0");
		int n = dump_trace();
		ok(n == NPAGES, "trace: %d migrate_page records from=0 to=1 (want %d)", n, NPAGES);
		ok(strstr(text, "# tracer: nop") != NULL, "the trace has Linux's header");
	} else {
		skip("no numbat:migrate_page event", "trace: one migrate_page record per page");
		skip("no numbat:migrate_page event", "the trace has Linux's header");
	}
	return ktap_done();
}
