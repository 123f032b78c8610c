/*
 * swappolicy: a page read back from swap is allocated as the memory policy
 * at its address says (2 nodes). Pinned to a CPU of node 0, the test fills
 * 512 pages (first touch: node 0) and a child touches 2 x RAM to push
 * them out (again, up to four times, until some are out). Then, without moving anything, it gives them MPOL_PREFERRED
 * node 1 (mbind), reads every page back and asks move_pages where each is:
 *   - most pages that were swapped out (/proc/self/pagemap bit 62) come
 *     back on node 1: at least three quarters of them. The rest may have
 *     still been in the swap cache, in their old frame on node 0, which a
 *     read maps wherever it is (on Linux up to a fifth of them);
 *   - a page that stayed in memory stays on node 0;
 *   - every word of every page is right.
 * (An interleaving policy is not checked here: Linux's swap readahead
 * places the pages it reads ahead by the faulting address's policy.)
 *
 *   swappolicy [-m RAM] [-s DEV]
 *
 * Skipped without node 1 or without the memory and swap for the push.
 * On Linux (2 nodes, swap on, root for pagemap's swap bit): swappolicy -m 64M.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define NPAGES 512
#define MPOL_PREFERRED_ 1
#define NCHECKS 5
#define PUSHES 4
#define MIN_OUT 32

static void push(void *arg)
{
	long len = *(long *)arg;
	char *p = swt_map(len);

	for (long i = 0; i < len; i += PAGE)
		p[i] = 1;
}

/* Which of the pages at p pagemap says are swapped out; -1 if unreadable. */
static int swapped(char *p, char *out)
{
	uint64_t e[NPAGES];
	int n = 0;

	if (swt_pagemap(p, e, NPAGES))
		return -1;
	for (int i = 0; i < NPAGES; i++)
		n += out[i] = e[i] >> 62 & 1;
	return n;
}

/* The node of each page (move_pages status). */
static int nodes_of(char *p, int *status)
{
	void *pages[NPAGES];

	for (int i = 0; i < NPAGES; i++)
		pages[i] = p + i * PAGE;
	return (int)syscall(SYS_move_pages, 0, (unsigned long)NPAGES, pages, NULL, status, 0);
}

static void check(char *p, const char *out, int nout)
{
	int status[NPAGES], back = 0, stay = 0, stay_ok = 0;
	unsigned long one = 1UL << 1;

	ok(syscall(SYS_mbind, p, NPAGES * PAGE, MPOL_PREFERRED_, &one, 64UL, 0) == 0,
	   "mbind PREFERRED node 1, no move");
	ok(swt_check(p, NPAGES * PAGE, 0, 7, NULL) == 0, "read back: every word of %d pages right",
	   NPAGES);
	int q = nodes_of(p, status);
	for (int i = 0; i < NPAGES && q == 0; i++) {
		if (out[i])
			back += status[i] == 1;
		else
			stay++, stay_ok += status[i] == 0;
	}
	ok(q == 0 && back * 4 >= nout * 3,
	   "swapped-out pages come back on node 1: %d of %d (the rest: from the swap cache)",
	   back, nout);
	ok(q == 0 && stay_ok == stay, "pages that stayed in memory stay on node 0: %d of %d",
	   stay_ok, stay);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	char out[NPAGES];

	if (swt_getopt(argc, argv, "", &o) != -1)
		return 2;
	swt_start("swappolicy", NCHECKS, &o);
	long len = o.ram * 2;
	int cpu0;
	const char *why = swt_two_node_why(len, &cpu0);
	if (why)
		return swt_skip_rest(NCHECKS, why);
	swt_pin(cpu0);
	char *p = swt_map(NPAGES * PAGE);
	swt_fill(p, NPAGES * PAGE, 0, 7);
	/* A page is swapped out only after a second look finds it unused
	 * (the first activates it, as any fresh anonymous page): one push of
	 * 2 x RAM took from 0 (once, in CI) to 317 of the 512, so push
	 * again, up to PUSHES times, until MIN_OUT are out. */
	int nout = 0;
	for (int i = 0; i < PUSHES && nout >= 0 && nout < MIN_OUT; i++) {
		int st = run_child(push, &len);
		diag("RAM %ld MiB; a child touched %ld MiB: %s", o.ram >> 20, len >> 20,
		     status_str(st));
		nout = swapped(p, out);
	}
	if (nout < 0)
		return swt_skip_rest(NCHECKS, "cannot read /proc/self/pagemap");
	ok(nout > 0, "%d of %d pages swapped out", nout, NPAGES);
	check(p, out, nout);
	return ktap_done();
}
