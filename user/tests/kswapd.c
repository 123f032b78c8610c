/*
 * kswapd: reclaim on one node (2 nodes, both with CPUs). Pinned to a CPU
 * of node 1, the test fills node 1 past its low watermark: its free pages
 * plus a quarter of the node. Then node 1's kswapd must have scanned and
 * reclaimed (pgscan_kswapd, pgsteal_kswapd of
 * /sys/devices/system/node/node1/vmstat grow) and node 0's must not have;
 * and once the test stops allocating, node 1's free pages (/proc/zoneinfo)
 * settle between its low and high watermarks (kswapd woke below low and
 * stopped near high). Every word of the fill is right at the end.
 *
 *   kswapd [-m RAM] [-s DEV]
 *
 * Both kernels place memory by first touch and spill to node 0 when node
 * 1 runs short (Numbat at node 1's min watermark, while kswapd catches
 * up; Linux earlier): where set_mempolicy exists the test binds itself to
 * node 1 (MPOL_BIND) and wants 90% of the fill there; without a policy,
 * most of it. Linux counts
 * pgscan and pgsteal per system only: those per-node checks are skipped on
 * Linux (and fail on Numbat if missing); the system-wide count is checked.
 * Upper slack for "settles": a free page count above high is accepted up
 * to high + (high - low) + 1 MiB (reclaim works in batches), and it must
 * stay in that band for 3 polls 100 ms apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define NCHECKS 8
#define SETTLE_MS 5000
#define SETTLE_POLLS 3
#define MPOL_BIND_ 2

struct wm { long free, min, low, high; };    /* pages, summed over zones */

/* Node nid's free pages and watermarks from /proc/zoneinfo; 0 or -1. */
static int zoneinfo(int nid, struct wm *w)
{
	static char buf[65536];
	int cur = -1, seen = 0;

	memset(w, 0, sizeof(*w));
	if (read_file("/proc/zoneinfo", buf, sizeof(buf)) <= 0)
		return -1;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char k1[32], k2[32];
		long v;
		int n;
		if (sscanf(l, "Node %d, zone %31s", &n, k1) == 2) {
			cur = n;
			continue;
		}
		if (cur != nid)
			continue;
		if (sscanf(l, " pages free %ld", &v) == 1)
			w->free += v, seen |= 1;
		else if (sscanf(l, " %31s %ld", k2, &v) == 2 && !strcmp(k2, "min"))
			w->min += v, seen |= 2;
		else if (sscanf(l, " %31s %ld", k2, &v) == 2 && !strcmp(k2, "low"))
			w->low += v, seen |= 4;
		else if (sscanf(l, " %31s %ld", k2, &v) == 2 && !strcmp(k2, "high"))
			w->high += v, seen |= 8;
	}
	return seen == 15 ? 0 : -1;
}

static long node_counter(int nid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/vmstat", nid);
	return file_counter(path, key);
}

struct counts { long scan[2], steal[2], all_scan; };

static void counts(struct counts *c)
{
	for (int n = 0; n < 2; n++) {
		c->scan[n] = node_counter(n, "pgscan_kswapd");
		c->steal[n] = node_counter(n, "pgsteal_kswapd");
	}
	c->all_scan = swt_vmstat("pgscan_kswapd");
}

/* One per-node counter check: grew (want_growth) or stayed. */
static void node_check(int nid, const char *name, long before, long after, int want_growth)
{
	if (before < 0 || after < 0) {
		if (!is_numbat())
			skip("Linux counts it per system only", "node %d %s %s", nid, name,
			     want_growth ? "grew" : "did not grow");
		else
			ok_why(0, "missing from the node's vmstat", "node %d %s", nid, name);
		return;
	}
	if (want_growth)
		ok(after > before, "node %d %s grew (+%ld)", nid, name, after - before);
	else
		ok(after == before, "node %d %s did not grow (+%ld)", nid, name, after - before);
}

/* Is node 1's free page count in [low, high + slack]? -1: no zoneinfo. */
static int in_band(struct wm *w)
{
	if (zoneinfo(1, w) < 0)
		return -1;
	return w->free >= w->low && w->free <= w->high + (w->high - w->low) + (1L << 20) / PAGE;
}

/* Poll node 1 every 100 ms until its free pages stay in the band for
 * SETTLE_POLLS polls in a row, for at most SETTLE_MS. */
static void check_settles(void)
{
	struct wm w;
	long t0 = swt_ms(), ms = -1;
	int run = 0, r;

	while ((r = in_band(&w)) >= 0 && swt_ms() - t0 < SETTLE_MS) {
		run = r ? run + 1 : 0;
		if (run == SETTLE_POLLS) {
			ms = swt_ms() - t0;
			break;
		}
		swt_sleep_ms(100);
	}
	if (r < 0) {
		ok_why(0, "no free/min/low/high for node 1 in /proc/zoneinfo", "node 1 settles");
		return;
	}
	ok(ms >= 0, "node 1 free pages settle between low and high: free %ld, min %ld, low %ld, "
	   "high %ld (%d polls in a row after %ld ms)", w.free, w.min, w.low, w.high,
	   SETTLE_POLLS, ms);
}

/* Where the fill's resident pages are: at least 90% on node 1 when bound
 * there, else more than half. */
static void check_placement(char *p, long len, int bound)
{
	long n = len / PAGE, on1 = 0, present = 0;
	void **pages = malloc(n * sizeof(void *));
	int *status = malloc(n * sizeof(int));

	for (long i = 0; pages && status && i < n; i++)
		pages[i] = p + i * PAGE;
	long r = pages && status ? syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) : -1;
	for (long i = 0; r == 0 && i < n; i++) {
		present += status[i] >= 0;
		on1 += status[i] == 1;
	}
	ok(r == 0 && present > 0 && (bound ? on1 * 10 >= present * 9 : on1 * 2 > present),
	   "the fill is on node 1: %ld of its %ld resident pages (%ld in all)", on1, present, n);
	free(pages);
	free(status);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	struct wm w;
	struct counts a, b;

	if (swt_getopt(argc, argv, "", &o) != -1)
		return 2;
	swt_start("kswapd", NCHECKS, &o);
	int cpu1 = swt_node_cpu(1);
	long total1 = file_counter("/sys/devices/system/node/node1/meminfo", "Node 1 MemTotal");
	int haveinfo = zoneinfo(1, &w) == 0;
	long fill = haveinfo ? (w.free + total1 / 4 / 4) * PAGE : 0;   /* total1 is kB */
	const char *why = cpu1 < 0 ? "no CPU on node 1" : total1 <= 0 ? "no node 1 meminfo" :
			  meminfo_kb("SwapTotal") <= 0 ? "no swap area" :
			  swt_avail() < fill + (8L << 20) ? "MemFree + SwapFree too small" : NULL;
	if (why || (!haveinfo && !is_numbat()))
		return swt_skip_rest(NCHECKS, why ? why : "no /proc/zoneinfo");
	if (!haveinfo) {                    /* zoneinfo is part of what Numbat must give */
		for (int i = 0; i < NCHECKS; i++)
			ok_why(0, "no node 1 in /proc/zoneinfo", "check %d", i + 1);
		return ktap_done();
	}
	swt_pin(cpu1);
	unsigned long mask = 1UL << 1;
	long pol = syscall(SYS_set_mempolicy, MPOL_BIND_, &mask, 64);
	diag("node 1: %ld kB, free %ld, low %ld, high %ld pages; filling %ld MiB on cpu %d; "
	     "set_mempolicy(MPOL_BIND, 1): %s", total1, w.free, w.low, w.high, fill >> 20, cpu1,
	     pol ? strerror(errno) : "ok");
	counts(&a);
	char *p = swt_map(fill);
	swt_fill(p, fill, 0, 9);
	check_settles();
	counts(&b);
	node_check(1, "pgscan_kswapd", a.scan[1], b.scan[1], 1);
	node_check(1, "pgsteal_kswapd", a.steal[1], b.steal[1], 1);
	node_check(0, "pgscan_kswapd", a.scan[0], b.scan[0], 0);
	node_check(0, "pgsteal_kswapd", a.steal[0], b.steal[0], 0);
	ok(a.all_scan >= 0 && b.all_scan > a.all_scan, "pgscan_kswapd of /proc/vmstat grew (+%ld)",
	   b.all_scan - a.all_scan);
	check_placement(p, fill, pol == 0);
	ok(swt_check(p, fill, 0, 9, NULL) == 0, "every word of the %ld MiB is right", fill >> 20);
	return ktap_done();
}
