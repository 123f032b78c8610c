/*
 * lruhot: reclaim keeps the pages in use and takes the idle ones.
 *
 * A hot set of RAM / 8 is written once; then a cold region of 2 x RAM is
 * written one MiB at a time, and after each MiB the test reads one word
 * of every hot page. The hot pages are used all the time, the cold ones
 * once: a reclaim that looks at the accessed bits (page_referenced) and
 * activates what was used keeps the hot set in memory and sends the cold
 * region to swap. One that takes pages in the order they came (FIFO)
 * evicts the hot set again and again, and every eviction is a read back
 * from swap (a major fault) on the next round.
 *
 *   lruhot [-m RAM] [-s DEV]
 *
 * The check: the hot pages read back from swap during the cold writes
 * (ru_majflt of the loop, which reads nothing else) are fewer than a
 * quarter of the hot set. (On the harness's machine Numbat read back 86
 * to 243 of its 2048 hot pages in five runs; taking pages in the order
 * they came read back 1200, never activating a page 4152, and reclaim
 * without kswapd 2087: the first direct reclaim, at min, finds every
 * page referenced once, activates them all and sweeps the hot set out
 * in that one call.) Then every word of both regions is checked. Needs
 * swap: without it every check is skipped (as on a host with none).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define MiB (1L << 20)
#define CHECKS 5

static long majflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_majflt;
}

/* Read the first word of every hot page; the ones that are wrong. */
static long touch_hot(const char *hot, long len)
{
	long bad = 0;

	for (long o = 0; o < len; o += PAGE)
		bad += *(volatile const unsigned long *)(hot + o) != swt_pat(hot + o, 0, 1);
	return bad;
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };

	if (swt_getopt(argc, argv, "", &o) != -1)
		return 2;
	swt_start("lruhot", CHECKS - 1, &o);
	long hotlen = o.ram / 8 & ~(PAGE - 1), coldlen = 2 * o.ram & ~(MiB - 1);
	diag("RAM %ld MiB: hot %ld MiB, cold %ld MiB", o.ram / MiB, hotlen / MiB, coldlen / MiB);
	if (meminfo_kb("SwapTotal") <= 0)
		return swt_skip_rest(CHECKS - 1, "no swap area");
	if (swt_avail() < hotlen + coldlen + 8 * MiB)
		return swt_skip_rest(CHECKS - 1, "MemFree + SwapFree cannot hold it");
	char *hot = swt_map(hotlen), *cold = swt_map(coldlen);
	long out0 = swt_vmstat("pswpout"), bad = 0;

	swt_fill(hot, hotlen, 0, 1);
	long maj0 = majflt(), t0 = swt_ms();
	for (long c = 0; c < coldlen; c += MiB) {
		swt_fill(cold + c, MiB, 0, 2);
		bad += touch_hot(hot, hotlen);
	}
	long reads = majflt() - maj0, pages = hotlen / PAGE;
	diag("%ld ms; %ld major faults over %ld rounds of %ld hot pages; pswpout +%ld, "
	     "pgactivate %ld, pgdeactivate %ld", swt_ms() - t0, reads, coldlen / MiB, pages,
	     swt_vmstat("pswpout") - out0, swt_vmstat("pgactivate"), swt_vmstat("pgdeactivate"));
	ok(swt_vmstat("pswpout") - out0 >= (coldlen - o.ram) / PAGE,
	   "the cold region went out to swap (pswpout +%ld)", swt_vmstat("pswpout") - out0);
	ok(maj0 >= 0 && reads < pages / 4,
	   "the hot set stayed in memory: %ld reads from swap for %ld hot pages (fewer than %ld)",
	   reads, pages, pages / 4);
	ok(bad == 0 && swt_check(hot, hotlen, 0, 1, NULL) == 0,
	   "every word of the hot set is right (%ld wrong in the rounds)", bad);
	ok(swt_check(cold, coldlen, 0, 2, NULL) == 0, "every word of the cold region is right");
	return ktap_done();
}
