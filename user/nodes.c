/*
 * nodes: the NUMA topology as the kernel exports it in
 * /sys/devices/system/node (a numastat-like reader):
 *
 *   node 0: cpus 0-1 MemTotal 262144 kB MemFree 250000 kB distances 10 20
 *
 * Reads online (the node list) and, for each node N, nodeN/cpulist,
 * nodeN/meminfo ("Node N MemTotal:  262144 kB" lines) and nodeN/distance.
 *
 * System calls: open, read, close, write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"

#define NODE_DIR  "/sys/devices/system/node"
#define MAXNODES  1024

/* Read NODE_DIR/node<n>/<what> into buf; "?" if it can't be read. With
 * one_line, keep only the first line (without its newline). */
static void node_file(int n, const char *what, char *buf, size_t size, int one_line)
{
	char path[128];

	snprintf(path, sizeof(path), NODE_DIR "/node%d/%s", n, what);
	if (read_file(path, buf, size) < 0)
		snprintf(buf, size, "?");
	if (one_line)
		buf[strcspn(buf, "\n")] = '\0';
}

/* The kB value of key in a node's meminfo text ("Node 0 MemFree: 12 kB"). */
static long node_mem(const char *meminfo, const char *key)
{
	const char *p = strstr(meminfo, key);

	return p ? strtol(p + strlen(key) + 1, NULL, 10) : -1;
}

int main(void)
{
	static unsigned long online[MAXNODES / BITS_PER_LONG];
	static char buf[8192];
	char cpus[512], dist[512];

	if (read_file(NODE_DIR "/online", buf, sizeof(buf)) < 0 ||
	    cpulist_parse(buf, online, MAXNODES) < 0) {
		fprintf(stderr, "nodes: can't read " NODE_DIR "/online\n");
		return 1;
	}
	for (int n = 0; n < MAXNODES; n++) {
		if (!bit_test(online, n))
			continue;
		node_file(n, "cpulist", cpus, sizeof(cpus), 1);
		node_file(n, "distance", dist, sizeof(dist), 1);
		node_file(n, "meminfo", buf, sizeof(buf), 0);
		printf("node %d: cpus %s MemTotal %ld kB MemFree %ld kB distances %s\n",
		       n, *cpus ? cpus : "none", node_mem(buf, "MemTotal:"),
		       node_mem(buf, "MemFree:"), dist);
	}
	return 0;
}
