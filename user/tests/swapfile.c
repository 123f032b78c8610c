/*
 * swapfile: file pages under memory pressure. A file (swapfile.out in the
 * working directory, FILE bytes) is written with a pattern; its first half
 * is then rewritten through a MAP_SHARED mapping (dirty shared pages), and
 * the even pages of its second half through a MAP_PRIVATE mapping (private
 * copies: anonymous pages, which can only go to swap). A child then touches
 * 1.5 x RAM of anonymous memory, pushing everything out. Afterwards every
 * word reads back right through both mappings (the clean pages come back
 * from the file: pgmajfault grows), and after munmap, read() finds the
 * shared writes in the file and none of the private ones.
 *
 *   swapfile [-m RAM] [-s DEV] [-f FILE]     (FILE default RAM / 4, at most 16M)
 *
 * The file stays: the harness reads it from the disk image with debugfs
 * (first half pass 1, second half pass 0: tests/fsimg.py post_swapfile).
 * On Linux, in a scratch directory: swapfile -m 16M.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define NAME "swapfile.out"

/* File data: the word at byte offset off of the file holds swt_pat(off). */
static void fill_at(char *p, long len, long off, unsigned pass)
{
	unsigned long *w = (unsigned long *)p;

	for (long i = 0; i < len / 8; i++)
		w[i] = swt_pat((void *)(off + 8 * i), pass, 0);
}

static long check_at(const char *p, long len, long off, unsigned pass)
{
	const unsigned long *w = (const unsigned long *)p;
	long bad = 0;

	for (long i = 0; i < len / 8; i++)
		bad += w[i] != swt_pat((void *)(off + 8 * i), pass, 0);
	return bad;
}

/* Write the whole file with pass 0, one page at a time; 0 or -1. */
static int make_file(long size)
{
	char page[PAGE];
	int fd = open(NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	for (long off = 0; off < size; off += PAGE) {
		fill_at(page, PAGE, off, 0);
		if (write(fd, page, PAGE) != PAGE)
			return close(fd), -1;
	}
	return fsync(fd) | close(fd);
}

/* In a child (run_child): touch *arg bytes of anonymous memory. */
static void pressure(void *arg)
{
	long len = *(long *)arg;
	char *p = swt_map(len);

	for (long i = 0; i < len; i += PAGE)
		p[i] = 1;
}

/* Wrong words in the private mapping's even (pass 2) or odd (pass 0) pages. */
static long check_private(const char *q, long half, long size, int even)
{
	long bad = 0;

	for (long pg = even ? 0 : 1; pg * PAGE < half; pg += 2)
		bad += check_at(q + pg * PAGE, PAGE, size / 2 + pg * PAGE, even ? 2 : 0);
	return bad;
}

/* munmap'ed: read() the file back. */
static void check_read_back(long size)
{
	long half = size / 2, bad1 = 0, bad2 = 0;
	char page[PAGE];
	int fd = open(NAME, O_RDONLY);

	for (long off = 0; off < size; off += PAGE) {
		if (fd < 0 || pread(fd, page, PAGE, off) != PAGE) {
			bad1 = bad2 = -1;
			break;
		}
		if (off < half)
			bad1 += check_at(page, PAGE, off, 1);
		else
			bad2 += check_at(page, PAGE, off, 0);
	}
	close(fd);
	ok(bad1 == 0, "read(): the shared writes reached the file (%ld wrong words)", bad1);
	ok(bad2 == 0, "read(): no private write reached the file (%ld wrong words)", bad2);
}

/* Map the file (shared: all; private: its second half) and write through
 * both; *s and *q get the mappings. Bails out if it cannot. */
static void map_and_write(long size, char **s, char **q)
{
	long half = size / 2;

	if (!ok(make_file(size) == 0, "%s written (%ld KiB) and fsync'ed", NAME, size >> 10))
		ktap_bail("cannot write the file");
	int fd = open(NAME, O_RDWR);
	*s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	*q = mmap(NULL, half, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, half);
	close(fd);
	if (!ok(*s != MAP_FAILED && *q != MAP_FAILED,
		"a shared mapping of it all, a private one of its second half"))
		ktap_bail("mmap");
	fill_at(*s, half, 0, 1);
	for (long pg = 0; pg * PAGE < half; pg += 2)
		fill_at(*q + pg * PAGE, PAGE, half + pg * PAGE, 2);
}

/* After the pressure: both mappings hold what they should; pages that were
 * evicted came back (pgmajfault grows while they are read, from maj1). */
static void check_mappings(const char *s, const char *q, long size, long maj1)
{
	long half = size / 2;

	ok(check_at(s, half, 0, 1) == 0, "shared mapping: the dirty first half is intact");
	ok(check_at(s + half, half, half, 0) == 0, "shared mapping: the clean second half reads the file");
	ok(check_private(q, half, size, 1) == 0, "private mapping: the written pages are intact");
	ok(check_private(q, half, size, 0) == 0, "private mapping: the clean pages read the file");
	long maj = swt_vmstat("pgmajfault") - maj1;
	diag("pgmajfault: +%ld reading the mappings again", maj);
	if (meminfo_kb("SwapTotal") > 0)
		ok(maj1 >= 0 && maj > 0, "pages evicted under pressure came back from the file "
		   "or swap (pgmajfault +%ld)", maj);
	else
		skip("no swap area: no pressure", "pages evicted under pressure came back");
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	long size = 0;
	int c, st;
	char *s, *q;

	while ((c = swt_getopt(argc, argv, "f:", &o)) != -1) {
		if (c != 'f' || (size = swt_size(optarg)) <= 0)
			return 2;
	}
	if (!size)
		size = o.ram / 4 < (16L << 20) ? o.ram / 4 : 16L << 20;
	size &= ~(2 * PAGE - 1);
	swt_start("swapfile", 11, &o);
	long push = o.ram * 3 / 2, avail = swt_avail();
	diag("RAM %ld MiB, file %ld KiB, pressure %ld MiB; MemFree + SwapFree %ld MiB",
	     o.ram >> 20, size >> 10, push >> 20, avail >> 20);
	if (avail < push + size + (8L << 20))
		return swt_skip_rest(11, "MemFree + SwapFree cannot hold the pressure");
	map_and_write(size, &s, &q);
	st = run_child(pressure, &push);
	ok(exited_with(st, 0), "a child touched %ld MiB of anonymous memory (%s)", push >> 20,
	   status_str(st));
	check_mappings(s, q, size, swt_vmstat("pgmajfault"));
	ok(munmap(s, size) == 0 && munmap(q, size / 2) == 0, "munmap both");
	check_read_back(size);
	return ktap_done();
}
