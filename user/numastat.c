/*
 * numastat: per-node memory statistics, in the layout of numactl's
 * numastat(8).
 *
 *   numastat          the allocation counters of every node, in pages,
 *                     from /sys/devices/system/node/nodeN/numastat:
 *                                                node0           node1
 *                       numa_hit                  1296            1024
 *                       ...
 *   numastat -p PID   where the process's memory is, in MB per node,
 *                     from /proc/PID/numa_maps: rows Huge, Heap, Stack,
 *                     Private (everything else) and Total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

#define MAX_NODES 16
#define NODE_DIR "/sys/devices/system/node/"

static const char *const counters[] = {
	"numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node",
};

enum { HUGE, HEAP, STACK, PRIVATE, NR_ROWS };
static const char *const rows[NR_ROWS] = { "Huge", "Heap", "Stack", "Private" };

static char text[1 << 20];

/* path's contents into text (read_file, user/lib): length or -1. */
static long slurp(const char *path)
{
	return read_file(path, text, sizeof(text));
}

/* The nodes that exist, from nodeN directories; returns how many. */
static int find_nodes(int *ids)
{
	int n = 0;
	char path[64];

	for (int nid = 0; nid < MAX_NODES; nid++) {
		snprintf(path, sizeof(path), NODE_DIR "node%d", nid);
		if (access(path, F_OK) == 0)
			ids[n++] = nid;
	}
	return n;
}

/* The value of "key value" in text, or 0. */
static unsigned long counter(const char *key)
{
	size_t len = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, len) && l[len] == ' ')
			return strtoul(l + len + 1, NULL, 10);
	return 0;
}

/* numastat with no arguments: the counters, one column per node. */
static int show_system(void)
{
	int ids[MAX_NODES], n = find_nodes(ids);
	unsigned long v[MAX_NODES][6];
	char name[16];

	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), NODE_DIR "node%d/numastat", ids[i]);
		if (slurp(path) < 0) {
			fprintf(stderr, "numastat: cannot read %s\n", path);
			return 1;
		}
		for (int c = 0; c < 6; c++)
			v[i][c] = counter(counters[c]);
	}
	printf("%-16s", "");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "node%d", ids[i]);
		printf("%16s", name);
	}
	printf("\n");
	for (int c = 0; c < 6; c++) {
		printf("%-16s", counters[c]);
		for (int i = 0; i < n; i++)
			printf("%16lu", v[i][c]);
		printf("\n");
	}
	return 0;
}

/* Add one numa_maps line's N<n>= pages (in kB) to its row of kb[][]. */
static void add_line(const char *l, size_t len, double kb[NR_ROWS][MAX_NODES])
{
	char buf[1024];
	long page_kb = 4;
	int row = PRIVATE;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, l);
	if (strstr(buf, " huge"))
		row = HUGE;
	else if (strstr(buf, " heap"))
		row = HEAP;
	else if (strstr(buf, " stack"))
		row = STACK;
	char *p = strstr(buf, " kernelpagesize_kB=");
	if (p)
		page_kb = strtol(p + 19, NULL, 10);
	for (p = buf; (p = strstr(p, " N")); p += 2) {
		char *end;
		long nid = strtol(p + 2, &end, 10);
		if (end != p + 2 && *end == '=' && nid >= 0 && nid < MAX_NODES)
			kb[row][nid] += (double)strtol(end + 1, NULL, 10) * (double)page_kb;
	}
}

/* The process's name from /proc/PID/status, into name. */
static void proc_name(int pid, char *name, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	snprintf(name, size, "?");
	if (slurp(path) > 0 && !strncmp(text, "Name:", 5)) {
		const char *s = text + 5 + strspn(text + 5, " \t");
		snprintf(name, size, "%.*s", (int)strcspn(s, "\n"), s);
	}
}

static void dashes(const char *first, int n)
{
	printf("%-17s", first);
	for (int i = 0; i <= n; i++)
		printf(" %s", "---------------");
	printf("\n");
}

/* One row of -p: the MB on each node and their total. */
static void mb_row(const char *label, const double *kb, const int *ids, int n)
{
	double total = 0;

	printf("%-17s", label);
	for (int i = 0; i < n; i++) {
		printf("%16.2f", kb[ids[i]] / 1024);
		total += kb[ids[i]];
	}
	printf("%16.2f\n", total / 1024);
}

/* numastat -p PID: the process's resident memory per node, in MB. */
static int show_process(int pid)
{
	double kb[NR_ROWS][MAX_NODES] = { { 0 } }, sum[MAX_NODES] = { 0 };
	int ids[MAX_NODES], n = find_nodes(ids);
	char path[64], name[64], label[16];

	proc_name(pid, name, sizeof(name));
	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	if (slurp(path) < 0) {
		fprintf(stderr, "numastat: cannot read %s\n", path);
		return 1;
	}
	for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
		add_line(l, strcspn(l, "\n"), kb);
	printf("\nPer-node process memory usage (in MBs) for PID %d (%s)\n", pid, name);
	printf("%-17s", "");
	for (int i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "Node %d", ids[i]);
		printf("%16s", label);
	}
	printf("%16s\n", "Total");
	dashes("", n);
	for (int r = 0; r < NR_ROWS; r++) {
		mb_row(rows[r], kb[r], ids, n);
		for (int i = 0; i < MAX_NODES; i++)
			sum[i] += kb[r][i];
	}
	dashes("----------------", n);
	mb_row("Total", sum, ids, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return show_system();
	if (argc == 3 && !strcmp(argv[1], "-p") && atoi(argv[2]) > 0)
		return show_process(atoi(argv[2]));
	fprintf(stderr, "usage: numastat [-p PID]\n");
	return 2;
}
