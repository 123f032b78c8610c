/*
 * numamaps: /proc/PID/numa_maps and the numastat counters, as Linux
 * defines them (proc(5), Documentation/admin-guide/numastat.rst).
 *
 * The process pins itself to the CPUs of node 0, then:
 *  - anon: 64 pages written: the mapping's line says anon=64 dirty=64
 *    N0=64, and its per-node counts agree with a move_pages status query
 *    of every page; half of them moved to node 1 with move_pages give
 *    N0=32 N1=32 (and again agree with the query); untouched pages of a
 *    second mapping count nowhere (its line has no counts at all);
 *  - file: three pages of a file (written, fsync'd) read through a
 *    private mapping: file=, mapped=3, no anon, no dirty; one of them
 *    written: anon=1 dirty=1 mapped=3;
 *  - fork: pages shared copy-on-write with a child show mapmax=2;
 *  - heap and stack: the brk area says heap, the stack's line stack;
 *  - numastat: 64 new pages touched on node 0 raise node 0's numa_hit and
 *    local_node by at least 64 (allocated where wanted, by a CPU of that
 *    node), and /proc/vmstat's numa_hit and numa_local as much; 16 pages
 *    moved to node 1 raise node 1's numa_hit and other_node by at least 16
 *    (wanted there, asked for by a CPU of node 0).
 *
 * Other processes allocate too (on Linux), so counters are checked as
 * "at least". The two-node checks skip on a machine with one node; on
 * Linux they need a two-node machine (scripts/linux-vm.sh -n 2).
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

#include "ktap.h"

#define PG 4096L
#define NPAGES 64
#define MPOL_MF_MOVE 2
#define NODE0 "/sys/devices/system/node/node0/"
#define NODE1 "/sys/devices/system/node/node1/"

static char maps[1 << 16];
static char line[4096];

static int two_nodes(void)
{
	return access(NODE1, F_OK) == 0;
}

/* Pin this process to the CPUs of node 0 (from its cpulist). */
static int pin_node0(void)
{
	char list[256];
	cpu_set_t set;
	char *p = list;

	if (read_file(NODE0 "cpulist", list, sizeof(list)) <= 0)
		return -1;
	CPU_ZERO(&set);
	while (*p >= '0' && *p <= '9') {
		long a = strtol(p, &p, 10), b = a;
		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		for (long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		if (*p == ',')
			p++;
	}
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The numa_maps line of the VMA starting at addr, into line; 0 or -1. */
static int nm_line(void *addr)
{
	char want[32];
	int n = snprintf(want, sizeof(want), "%08lx ", (unsigned long)addr);

	if (read_file("/proc/self/numa_maps", maps, sizeof(maps)) <= 0)
		return -1;
	for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, want, n))
			continue;
		size_t len = strcspn(l, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		return 0;
	}
	line[0] = 0;
	return -1;
}

/* The value of " key=" in line, or 0 when the key is absent (as Linux
 * leaves a zero count out). */
static long nm_val(const char *key)
{
	char pat[32];

	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : 0;
}

/* The resident pages of line: the sum of its N<n>= counts. */
static long nm_pages(void)
{
	long n = 0;

	for (const char *p = line; (p = strstr(p, " N")); p += 2)
		if (p[2] >= '0' && p[2] <= '9' && strchr(p + 2, '='))
			n += strtol(strchr(p + 2, '=') + 1, NULL, 10);
	return n;
}

/* Linux prints mapped= only when the pages are neither all anonymous nor
 * all dirty, and then it is the number of pages. */
static int nm_mapped_rule(void)
{
	long pages = nm_pages(), anon = nm_val("anon"), dirty = nm_val("dirty");

	if (pages != anon && pages != dirty)
		return nm_val("mapped") == pages;
	return !strstr(line, " mapped=");
}

/* Is the word (" heap", " stack", " file=") in line? */
static int nm_has(const char *word)
{
	return strstr(line, word) != NULL;
}

/* Query the node of n pages from p with move_pages(nodes = NULL); count
 * per node in cnt[0..1]; returns the pages on a node (status >= 0). */
static int query(char *p, int n, long cnt[2])
{
	void *pages[NPAGES];
	int status[NPAGES], on = 0;

	cnt[0] = cnt[1] = 0;
	for (int i = 0; i < n; i++)
		pages[i] = p + i * PG;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		return -1;
	for (int i = 0; i < n; i++)
		if (status[i] >= 0) {
			on++;
			if (status[i] < 2)
				cnt[status[i]]++;
		}
	return on;
}

/* Move n pages from p to node. 0 when every page got there. */
static int move_to(char *p, int n, int node)
{
	void *pages[NPAGES];
	int nodes[NPAGES], status[NPAGES];

	for (int i = 0; i < n; i++) {
		pages[i] = p + i * PG;
		nodes[i] = node;
	}
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE))
		return -1;
	for (int i = 0; i < n; i++)
		if (status[i] != node)
			return -1;
	return 0;
}

/* len bytes of private anonymous memory, a VMA of its own (between two
 * PROT_NONE pages, so the kernel cannot merge it with a neighbour and its
 * numa_maps line starts at the address returned). */
static char *map_anon(long len)
{
	char *p = mmap(NULL, len + 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + PG, len, PROT_READ | PROT_WRITE))
		return NULL;
	return p + PG;
}

/* ------------------------------------------------------------ anon */

static void test_anon(void)
{
	char *p = map_anon(NPAGES * PG), *q = map_anon(8 * PG);
	long cnt[2];

	if (!p || !q)
		ktap_bail("mmap");
	memset(p, 1, NPAGES * PG);
	ok(nm_line(p) == 0 && !nm_has(" file=") && !nm_has(" heap"),
	   "anon mapping listed without file/heap: %s", line);
	ok(nm_val("anon") == NPAGES && nm_val("dirty") == NPAGES && !nm_has(" mapped="),
	   "anon=%d dirty=%d, no mapped= (%s)", NPAGES, NPAGES, line);
	ok(nm_val("N0") == NPAGES && nm_val("kernelpagesize_kB") == 4,
	   "N0=%d kernelpagesize_kB=4 after writing on node 0", NPAGES);
	int on = query(p, NPAGES, cnt);
	ok(on == NPAGES && cnt[0] == nm_val("N0") && cnt[1] == nm_val("N1"),
	   "move_pages query agrees: %d on nodes, N0 %ld N1 %ld", on, cnt[0], cnt[1]);
	ok(nm_line(q) == 0 && !nm_has("anon=") && !nm_has("N0=") && !nm_has("kernelpagesize"),
	   "untouched mapping has no counts: %s", line);
	if (!two_nodes()) {
		skip("one node", "N0/N1 after move_pages");
		skip("one node", "move_pages query agrees after the move");
	} else {
		int moved = move_to(p + 16 * PG, NPAGES / 2, 1);
		nm_line(p);
		ok(!moved && nm_val("N0") == NPAGES / 2 && nm_val("N1") == NPAGES / 2 &&
		   nm_val("anon") == NPAGES, "half moved to node 1: N0=%d N1=%d (%s)",
		   NPAGES / 2, NPAGES / 2, line);
		on = query(p, NPAGES, cnt);
		ok(on == NPAGES && cnt[0] == nm_val("N0") && cnt[1] == nm_val("N1"),
		   "move_pages query agrees after the move: N0 %ld N1 %ld", cnt[0], cnt[1]);
	}
	munmap(p, NPAGES * PG);
	munmap(q, 8 * PG);
}

/* ------------------------------------------------------------ file */

static void test_file(void)
{
	char path[] = "/tmp/numamaps.XXXXXX", buf[3 * PG];
	int fd = mkstemp(path);
	volatile char sum = 0;

	memset(buf, 7, sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || fsync(fd))
		ktap_bail("file setup");
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		ktap_bail("mmap file");
	for (int i = 0; i < 3; i++)
		sum += p[i * PG];
	nm_line(p);
	/* Linux's tmpfs and ramfs pages stay dirty after fsync; a disk
	 * file's (and Numbat's ext2 file's) are clean. */
	ok(nm_has(" file=") && nm_pages() == 3 && !nm_has(" anon=") &&
	   (nm_val("dirty") == 0 || nm_val("dirty") == 3) && nm_mapped_rule(),
	   "file pages read: file=, 3 pages, no anon, mapped= as Linux's rule (%s)", line);
	p[PG] = 1;                      /* copy-on-write: one anonymous page */
	nm_line(p);
	ok(nm_val("anon") == 1 && nm_pages() == 3 && nm_val("dirty") >= 1 && nm_mapped_rule(),
	   "one page written: anon=1, dirty, 3 pages, mapped= as Linux's rule (%s)", line);
	munmap(p, 3 * PG);
	close(fd);
	unlink(path);
}

/* ------------------------------------------------------------ fork */

static void test_fork(void)
{
	char *p = map_anon(4 * PG);
	int go[2];

	if (!p || pipe(go))
		ktap_bail("fork setup");
	memset(p, 3, 4 * PG);
	ok(nm_line(p) == 0 && nm_val("anon") == 4 && !nm_has(" mapmax="),
	   "no mapmax= while only this process maps it (%s)", line);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		read(go[0], &c, 1);             /* hold the pages until told */
		_exit(0);
	}
	close(go[0]);
	nm_line(p);
	ok(pid > 0 && nm_val("mapmax") == 2 && nm_val("anon") == 4,
	   "shared with a child: mapmax=2 anon=4 (%s)", line);
	close(go[1]);
	waitpid(pid, NULL, 0);
	munmap(p, 4 * PG);
}

/* ------------------------------------------------------------ heap, stack */

static void test_heap_stack(void)
{
	char *h = (char *)syscall(SYS_brk, 0);
	char here;

	if ((char *)syscall(SYS_brk, h + 4 * PG) != h + 4 * PG)
		ktap_bail("brk");
	memset(h, 5, 4 * PG);
	int found = 0;
	read_file("/proc/self/numa_maps", maps, sizeof(maps));
	for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long start = strtoul(l, NULL, 16);
		int heap = !strncmp(l + strcspn(l, " "), " default heap", 13);
		if (heap && start <= (unsigned long)h)
			found = 1;
	}
	ok(found, "the brk area is listed as heap");
	int stack = 0;
	for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		if (memmem(l, len, " stack", 6) && strtoul(l, NULL, 16) <= (unsigned long)&here)
			stack = 1;
	}
	ok(stack, "the stack is listed as stack");
}

/* ------------------------------------------------------------ numastat */

static void test_numastat(void)
{
	long hit0 = file_counter(NODE0 "numastat", "numa_hit");
	long local0 = file_counter(NODE0 "numastat", "local_node");
	long vhit = file_counter("/proc/vmstat", "numa_hit");
	long vlocal = file_counter("/proc/vmstat", "numa_local");
	char *p = map_anon(NPAGES * PG);

	if (!p)
		ktap_bail("mmap");
	memset(p, 9, NPAGES * PG);
	long dhit = file_counter(NODE0 "numastat", "numa_hit") - hit0;
	long dlocal = file_counter(NODE0 "numastat", "local_node") - local0;
	ok(hit0 >= 0 && dhit >= NPAGES && dlocal >= NPAGES,
	   "%d pages on node 0: numa_hit +%ld, local_node +%ld", NPAGES, dhit, dlocal);
	long dv = file_counter("/proc/vmstat", "numa_hit") - vhit;
	long dvl = file_counter("/proc/vmstat", "numa_local") - vlocal;
	ok(vhit >= 0 && dv >= NPAGES && dvl >= NPAGES,
	   "/proc/vmstat: numa_hit +%ld, numa_local +%ld", dv, dvl);
	ok(file_counter(NODE0 "numastat", "interleave_hit") >= 0 &&
	   file_counter("/proc/vmstat", "numa_interleave") >= 0,
	   "interleave_hit and numa_interleave are there");
	if (!two_nodes()) {
		skip("one node", "pages moved to node 1 count numa_hit and other_node there");
	} else {
		long hit1 = file_counter(NODE1 "numastat", "numa_hit");
		long other1 = file_counter(NODE1 "numastat", "other_node");
		int moved = move_to(p, 16, 1);
		long d1 = file_counter(NODE1 "numastat", "numa_hit") - hit1;
		long o1 = file_counter(NODE1 "numastat", "other_node") - other1;
		ok(!moved && d1 >= 16 && o1 >= 16,
		   "16 pages moved to node 1: its numa_hit +%ld, other_node +%ld", d1, o1);
	}
	munmap(p, NPAGES * PG);
}

int main(void)
{
	ktap_plan("numamaps", 17);
	if (pin_node0())
		ktap_bail("cannot pin to node 0");
	test_anon();
	test_file();
	test_fork();
	test_heap_stack();
	test_numastat();
	return ktap_done();
}
