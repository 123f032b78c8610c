/*
 * demand: demand paging. This program has a 32 MiB .bss array and a 1 MiB
 * .data array but touches only a few pages of each: memory must be given
 * page by page, on first touch, so
 *
 *  - the resident set (VmRSS in /proc/self/status) grows by about the pages
 *    touched, far less than the arrays;
 *  - the page-fault count grows by at least the .bss pages written (each
 *    first write faults) and by fewer than SLACK + touched pages.
 *
 * On Linux the resident growth is measured with RssAnon rather than VmRSS:
 * a read fault on a file page maps its neighbours too when they are in the
 * page cache (fault-around, whole large folios), so VmRSS grows by far more
 * than the .data pages read, though still by much less than the arrays.
 *
 * Fault counts come from /proc/vmstat (pgfault, pgmajfault) on Numbat, where
 * nothing else runs during the test; on a Linux host other processes fault
 * too, so there the test counts its own faults (/proc/self/stat fields 10
 * and 12, minflt and majflt).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ktap.h"

#define PG        4096
#define BSS_SIZE  (32 << 20)
#define DATA_SIZE (1 << 20)
#define BSS_TOUCH 16        /* pages written, 2 MiB apart */
#define DATA_TOUCH 4        /* pages read, 256 KiB apart */
#define SLACK     64

/* Global and read through volatile, so the compiler can't fold them away. */
char bss[BSS_SIZE] __attribute__((aligned(PG)));

/* Initialised, so it is all in the file; four pages carry a marker. */
#define AT(i) [(i) * (DATA_SIZE / DATA_TOUCH)] = 'a' + (i)
char data[DATA_SIZE] __attribute__((aligned(PG))) = { AT(0), AT(1), AT(2), AT(3) };

static int numbat;

/* Page faults so far (see the top of the file), or -1. */
static long faults(void)
{
	static char stat[1024];
	long minflt, majflt;

	if (numbat) {
		long f = file_counter("/proc/vmstat", "pgfault");
		long m = file_counter("/proc/vmstat", "pgmajfault");
		return f < 0 ? -1 : f + (m > 0 ? m : 0);
	}
	/* pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt */
	if (read_file("/proc/self/stat", stat, sizeof(stat)) < 0 || !strrchr(stat, ')') ||
	    sscanf(strrchr(stat, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %ld %*u %ld",
		   &minflt, &majflt) != 2)
		return -1;
	return minflt + majflt;
}

static long rss_kb(void)
{
	return file_counter("/proc/self/status", "VmRSS");
}

/* The resident size whose growth we bound (see the top of the file). */
static long grown_kb(void)
{
	return file_counter("/proc/self/status", numbat ? "VmRSS" : "RssAnon");
}

int main(void)
{
	long f0, f1, g0, g1, rss1, touched = BSS_TOUCH + DATA_TOUCH;
	int data_ok = 1;

	numbat = is_numbat();
	ktap_plan("demand", 6);
	/* Linux may back 2 MiB of .bss with one huge page on first touch
	 * (transparent huge pages set to "always"); we measure 4 KiB paging. */
	if (!numbat)
		madvise(bss, BSS_SIZE, MADV_NOHUGEPAGE);

	/* Warm up the code and buffers that measure, then measure. */
	faults();
	grown_kb();
	g0 = grown_kb();
	f0 = faults();

	for (int i = 0; i < BSS_TOUCH; i++)
		((volatile char *)bss)[i * (BSS_SIZE / BSS_TOUCH)] = 1;
	for (int i = 0; i < DATA_TOUCH; i++) {
		char c = ((volatile char *)data)[i * (DATA_SIZE / DATA_TOUCH)];
		data_ok &= c == 'a' + i;
	}

	f1 = faults();
	g1 = grown_kb();
	rss1 = rss_kb();
	diag("touched %ld pages: faults %ld -> %ld, %s %ld -> %ld kB, VmRSS %ld kB", touched,
	     f0, f1, numbat ? "VmRSS" : "RssAnon", g0, g1, rss1);

	ok(f0 >= 0 && g0 >= 0, "fault counts and resident sizes can be read");
	ok(f1 - f0 >= BSS_TOUCH, "each first write to a .bss page faults (%ld faults)", f1 - f0);
	ok(f1 - f0 < SLACK + touched, "fewer than %ld faults", SLACK + touched);
	ok(g1 - g0 <= (SLACK + touched) * PG / 1024, "%s grows by about the pages touched (%ld kB)",
	   numbat ? "VmRSS" : "RssAnon", g1 - g0);
	ok(rss1 > 0 && rss1 < (BSS_SIZE + DATA_SIZE) / 1024 / 4,
	   "VmRSS (%ld kB) is far below the %d KiB of arrays", rss1, (BSS_SIZE + DATA_SIZE) / 1024);
	ok(data_ok && ((volatile char *)bss)[PG] == 0 &&
	   ((volatile char *)bss)[BSS_SIZE - 1] == 0,
	   ".data pages hold their initial values, untouched .bss reads as zeros");
	return ktap_done();
}
