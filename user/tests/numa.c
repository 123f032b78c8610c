/*
 * numa: the NUMA topology in /sys/devices/system/node agrees with itself
 * and with the scheduler.
 *
 *  - online lists the nodes; each nodeN/cpulist and nodeN/distance reads;
 *  - no CPU is in two nodes, and every CPU we may run on (and every CPU in
 *    /sys/devices/system/cpu/online, where that exists) is in exactly one;
 *  - each distance row has one entry per online node, 10 to itself and
 *    more than 10 to the others;
 *  - pinned with sched_setaffinity to a CPU of each node in turn, getcpu
 *    reports that CPU and that node.
 *
 * Written for Numbat's 2-node default machine; on a one-node Linux host the
 * same checks hold with one node.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#define NODE_DIR "/sys/devices/system/node"
#define MAXNODES 64
#define MAXCPUS  1024
#define WORDS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static unsigned long online[WORDS(MAXNODES)];
static unsigned long node_cpus[MAXNODES][WORDS(MAXCPUS)];
static int dist[MAXNODES][MAXNODES];
static int dist_len[MAXNODES];
static int nodes[MAXNODES], nnodes;    /* online node ids, in order */

/* Read NODE_DIR/node<n>/<what>. Returns its length or -1. */
static long node_file(int n, const char *what, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), NODE_DIR "/node%d/%s", n, what);
	return read_file(path, buf, size);
}

/* Read every online node's cpulist and distance row. Returns the number of
 * nodes whose files are missing or malformed. */
static int read_nodes(void)
{
	char buf[4096];
	int bad = 0;

	for (int i = 0; i < nnodes; i++) {
		int n = nodes[i];
		char *p = buf, *end;
		if (node_file(n, "cpulist", buf, sizeof(buf)) < 0 ||
		    cpulist_parse(buf, node_cpus[n], MAXCPUS) < 0) {
			diag("node%d/cpulist: can't read or parse", n);
			bad++;
		}
		if (node_file(n, "distance", buf, sizeof(buf)) < 0) {
			diag("node%d/distance: can't read", n);
			bad++;
			continue;
		}
		for (dist_len[n] = 0; dist_len[n] < MAXNODES; dist_len[n]++, p = end) {
			long d = strtol(p, &end, 10);
			if (end == p)
				break;
			dist[n][dist_len[n]] = d;
		}
	}
	return bad;
}

/* CPUs that belong to no node or to several; cpus is the set that must be
 * covered. Returns the number of such CPUs (diagnosed). */
static int coverage_errors(const unsigned long *cpus, const char *what)
{
	int errors = 0;

	for (int c = 0; c < MAXCPUS; c++) {
		int owners = 0;
		if (!bit_test(cpus, c))
			continue;
		for (int i = 0; i < nnodes; i++)
			owners += bit_test(node_cpus[nodes[i]], c);
		if (owners != 1) {
			diag("%s CPU %d is in %d nodes", what, c, owners);
			errors++;
		}
	}
	return errors;
}

/* No CPU may be listed by two nodes, online or not. */
static int overlap_errors(void)
{
	int errors = 0;

	for (int c = 0; c < MAXCPUS; c++) {
		int owners = 0;
		for (int i = 0; i < nnodes; i++)
			owners += bit_test(node_cpus[nodes[i]], c);
		errors += owners > 1;
	}
	return errors;
}

static int distance_errors(void)
{
	int errors = 0;

	for (int i = 0; i < nnodes; i++) {
		int n = nodes[i];
		if (dist_len[n] != nnodes) {
			diag("node%d/distance has %d entries for %d nodes", n, dist_len[n], nnodes);
			errors++;
			continue;
		}
		for (int j = 0; j < nnodes; j++) {
			if (i == j ? dist[n][j] != 10 : dist[n][j] <= 10) {
				diag("node%d: distance %d to node %d", n, dist[n][j], nodes[j]);
				errors++;
			}
		}
	}
	return errors;
}

/* Pin to the first allowed CPU of each node; getcpu must say that CPU and
 * node. Returns the number of nodes checked; *bad counts mismatches. */
static int pin_each_node(const cpu_set_t *allowed, int *bad)
{
	int checked = 0;

	*bad = 0;
	for (int i = 0; i < nnodes; i++) {
		int n = nodes[i], c;
		cpu_set_t one;
		unsigned cpu = ~0u, node = ~0u;

		for (c = 0; c < MAXCPUS && c < CPU_SETSIZE; c++)
			if (bit_test(node_cpus[n], c) && CPU_ISSET(c, allowed))
				break;
		if (c == MAXCPUS || c == CPU_SETSIZE)
			continue;                  /* no CPU of ours there */
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		checked++;
		if (sched_setaffinity(0, sizeof(one), &one) < 0 ||
		    syscall(SYS_getcpu, &cpu, &node, NULL) < 0 || cpu != (unsigned)c ||
		    node != (unsigned)n) {
			diag("pinned to CPU %d of node %d: getcpu says CPU %d node %d", c, n,
			     (int)cpu, (int)node);
			(*bad)++;
		}
	}
	sched_setaffinity(0, sizeof(*allowed), allowed);
	return checked;
}

int main(void)
{
	static unsigned long runnable[WORDS(MAXCPUS)], cpu_online[WORDS(MAXCPUS)];
	char buf[4096];
	cpu_set_t allowed;
	int bad, checked;

	ktap_plan("numa", 7);
	if (read_file(NODE_DIR "/online", buf, sizeof(buf)) < 0 ||
	    cpulist_parse(buf, online, MAXNODES) <= 0)
		ktap_bail(NODE_DIR "/online: can't read or parse");
	for (int n = 0; n < MAXNODES; n++)
		if (bit_test(online, n))
			nodes[nnodes++] = n;
	ok(nnodes > 0, "%d online node(s): %.*s", nnodes, (int)strcspn(buf, "\n"), buf);
	ok(read_nodes() == 0, "every online node has a cpulist and a distance row");
	ok(overlap_errors() == 0, "no CPU is in two nodes");

	CPU_ZERO(&allowed);
	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < MAXCPUS && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			bit_set(runnable, c);
	ok(CPU_COUNT(&allowed) > 0 && coverage_errors(runnable, "runnable") == 0,
	   "every CPU we may run on is in exactly one node");
	if (read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) >= 0 &&
	    cpulist_parse(buf, cpu_online, MAXCPUS) > 0)
		ok(coverage_errors(cpu_online, "online") == 0,
		   "every CPU in /sys/devices/system/cpu/online is in exactly one node");
	else
		skip("no /sys/devices/system/cpu/online", "every online CPU is in exactly one node");
	ok(distance_errors() == 0, "distance rows: one entry per node, 10 to itself, > 10 to others");

	checked = pin_each_node(&allowed, &bad);
	ok(checked > 0 && bad == 0, "pinned to a CPU of each node, getcpu agrees (%d nodes)", checked);
	return ktap_done();
}
