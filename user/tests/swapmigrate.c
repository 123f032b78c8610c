/*
 * swapmigrate: move_pages(2) and swapped-out pages (2 nodes). Pinned to a
 * CPU of node 0, the test fills 512 pages with a pattern and a child
 * touches 1.5 x RAM to push them out. Then:
 *   - move_pages without nodes reports -ENOENT for each swapped-out page,
 *     and /proc/self/pagemap agrees (bit 62 swapped, bit 63 present);
 *     /proc/self/numa_maps counts only the pages still in memory: its
 *     N0= and N1= are the query's pages on each node, swapped-out pages
 *     are on none;
 *   - asked to move them to node 1, each swapped-out page reports -ENOENT
 *     (there is no frame to move) and stays out;
 *   - one of them, read (swapped in), is present again and moves to node 1
 *     with its data intact; at the end every word of all 512 pages is right.
 *
 *   swapmigrate [-m RAM] [-s DEV]
 *
 * Skipped without node 1 or without the memory and swap for the push.
 * On Linux (2 nodes, swap on, root for pagemap's swap bit): swapmigrate -m 16M.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define NPAGES 512
#define MPOL_MF_MOVE_ (1 << 1)
#define NCHECKS 9

static long move_pages_(unsigned long n, void **pages, const int *nodes, int *status)
{
	return syscall(SYS_move_pages, 0, n, pages, nodes, status, nodes ? MPOL_MF_MOVE_ : 0);
}

static void push(void *arg)
{
	long len = *(long *)arg;
	char *p = swt_map(len);

	for (long i = 0; i < len; i += PAGE)
		p[i] = 1;
}

/* Does pagemap say page i is swapped (62) exactly when status[i] is
 * -ENOENT, and present (63) otherwise? -1 if pagemap cannot be read. */
static int pagemap_agrees(char *base, const int *status)
{
	uint64_t e[NPAGES];
	int agree = 1;

	if (swt_pagemap(base, e, NPAGES))
		return -1;
	for (int i = 0; i < NPAGES; i++) {
		int swapped = e[i] >> 62 & 1, present = e[i] >> 63 & 1;
		if (status[i] == -ENOENT ? !swapped || present : !present)
			agree = 0;
	}
	return agree;
}

/* The value of " key=" in a numa_maps line, 0 when absent (as Linux
 * leaves zero counts out). */
static long nm_val(const char *line, const char *key)
{
	char pat[16];

	snprintf(pat, sizeof(pat), " %s=", key);
	const char *v = strstr(line, pat);
	return v ? strtol(v + strlen(pat), NULL, 10) : 0;
}

/* Does numa_maps count, on nodes 0 and 1, exactly the pages the query
 * found there (status[]), so none of the swapped-out ones? -1 if the
 * mapping is not a VMA of its own (/proc/self/maps) or a file is not
 * readable: then the counts would mix in other pages. */
static int numa_maps_agrees(char *base, const int *status)
{
	static char text[1 << 16];
	char want[64];
	long n0 = 0, n1 = 0;

	snprintf(want, sizeof(want), "%lx-%lx ", (unsigned long)base,
		 (unsigned long)(base + NPAGES * PAGE));
	if (read_file("/proc/self/maps", text, sizeof(text)) <= 0 || !strstr(text, want))
		return -1;
	snprintf(want, sizeof(want), "\n%08lx ", (unsigned long)base);
	if (read_file("/proc/self/numa_maps", text + 1, sizeof(text) - 1) <= 0)
		return -1;
	text[0] = '\n';
	char *line = strstr(text, want);
	if (!line)
		return -1;
	line++;                                 /* past the '\n' */
	line[strcspn(line, "\n")] = 0;
	for (int i = 0; i < NPAGES; i++) {
		n0 += status[i] == 0;
		n1 += status[i] == 1;
	}
	diag("numa_maps: %s (query: %ld on node 0, %ld on node 1)", line, n0, n1);
	return nm_val(line, "N0") == n0 && nm_val(line, "N1") == n1 &&
	       !strstr(line, " N2=") && !strstr(line, " N3=");
}

/* Query, cross-check, try to move the swapped-out pages. Returns one
 * swapped-out page, or NULL. */
static char *swapped_pages(char *p)
{
	void *pages[NPAGES], *out[NPAGES];
	int status[NPAGES], nodes[NPAGES], nout = 0;

	for (int i = 0; i < NPAGES; i++)
		pages[i] = p + i * PAGE;
	long r = move_pages_(NPAGES, pages, NULL, status);
	ok(r == 0, "move_pages query of %d pages (%ld, %s)", NPAGES, r, r ? strerror(errno) : "ok");
	for (int i = 0; i < NPAGES; i++)
		if (r == 0 && status[i] == -ENOENT)
			out[nout++] = pages[i];
	ok(nout > 0, "%d of %d pages report -ENOENT: swapped out", nout, NPAGES);
	int agree = r == 0 ? pagemap_agrees(p, status) : 0;
	if (agree < 0)
		skip("cannot read /proc/self/pagemap", "pagemap agrees");
	else
		ok(agree, "pagemap agrees: those pages are swapped (bit 62), the others present (bit 63)");
	agree = r == 0 ? numa_maps_agrees(p, status) : 0;
	if (agree < 0)
		skip("the region is not a mapping of its own", "numa_maps agrees");
	else
		ok(agree, "numa_maps N0=/N1= count the pages in memory only, as the query");
	for (int i = 0; i < nout; i++)
		nodes[i] = 1, status[i] = 0;
	r = nout ? move_pages_(nout, out, nodes, status) : -1;
	int all = nout > 0 && r >= 0;
	for (int i = 0; i < nout; i++)
		all &= status[i] == -ENOENT;
	int still = nout > 0 && move_pages_(nout, out, NULL, status) == 0;
	for (int i = 0; i < nout; i++)
		still &= status[i] == -ENOENT;
	ok(all && still, "moving them to node 1: each reports -ENOENT and stays out (%ld)", r);
	return nout ? out[0] : NULL;
}

/* Swap one page in by reading it, then move it to node 1. */
static void move_swapped_in(char *x)
{
	void *pg[1] = { x };
	int st[1] = { -99 }, node[1] = { 1 };

	long bad = swt_check(x, PAGE, 0, 7, NULL);
	long q = move_pages_(1, pg, NULL, st);
	ok(bad == 0 && q == 0 && st[0] >= 0, "read back in: every word right, present on node %d", st[0]);
	long r = move_pages_(1, pg, node, st);
	ok(r == 0 && st[0] == 1, "moved to node 1 just after swap-in (%ld, status %d)", r, st[0]);
	st[0] = -99;
	q = move_pages_(1, pg, NULL, st);
	ok(q == 0 && st[0] == 1 && swt_check(x, PAGE, 0, 7, NULL) == 0,
	   "it is on node 1 (%d) and every word is right", st[0]);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };

	if (swt_getopt(argc, argv, "", &o) != -1)
		return 2;
	swt_start("swapmigrate", NCHECKS, &o);
	long len = o.ram * 3 / 2;
	int cpu0;
	const char *why = swt_two_node_why(len, &cpu0);
	if (why)
		return swt_skip_rest(NCHECKS, why);
	swt_pin(cpu0);
	char *p = swt_map(NPAGES * PAGE);
	swt_fill(p, NPAGES * PAGE, 0, 7);
	int st = run_child(push, &len);
	diag("RAM %ld MiB; a child touched %ld MiB: %s", o.ram >> 20, len >> 20, status_str(st));
	char *x = swapped_pages(p);
	if (x) {
		move_swapped_in(x);
	} else {
		for (int i = 0; i < 3; i++)
			ok_why(0, "no page was swapped out", "swap-in and move, check %d", i + 1);
	}
	ok(swt_check(p, NPAGES * PAGE, 0, 7, NULL) == 0, "all %d pages: every word right", NPAGES);
	return ktap_done();
}
