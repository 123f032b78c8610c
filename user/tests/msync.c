/*
 * msync: one msync over many shared file mappings writes every file back.
 *
 * Twelve one-page files (written once with zeros and synced, so their
 * blocks and metadata are on the disk) are mapped MAP_SHARED side by side;
 * each page is filled through its mapping, then one msync(MS_SYNC) covers
 * the whole range. The data reads back through read(2).
 *
 * Then every page is written again through its mapping, now a page the
 * first msync left clean and mapped writable: the second write takes no
 * fault, and only the PTE's dirty bit (set by the CPU) says the page
 * changed. A second msync must find that bit and write the pages again.
 *
 *   msync hold    keeps the files and waits after the second msync,
 *                 printing "# msync: holding": the harness then cuts the
 *                 power and reads the files from the disk image with
 *                 debugfs. Only msync can have written the pages (the
 *                 kernel's periodic flush writes pages marked dirty in
 *                 the page cache, not the dirty bits of PTEs), so every
 *                 file must be on the disk with its second contents,
 *                 'A' + i. (A kernel that stopped after eight files left
 *                 four as zeros; one whose msync only wrote pages marked
 *                 dirty in the cache left the first contents, 'a' + i.)
 * Runs on Linux too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"

#define NFILES 12
#define PG 4096UL

static int fds[NFILES];

/* File i: one page of zeros on the disk, mapped shared at base + i pages. */
static int make_file(char *base, int i)
{
	static char zeros[PG];
	char name[32];

	snprintf(name, sizeof(name), "msync.%d", i);
	fds[i] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	return fds[i] >= 0 && write(fds[i], zeros, PG) == (ssize_t)PG &&
	       mmap(base + i * PG, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		    fds[i], 0) == base + i * PG;
}

/* 1 if file i reads back a page of first + i, for every i. */
static int reads_back(int first)
{
	int same = 1;

	for (int i = 0; i < NFILES; i++) {
		char buf[PG];
		same &= pread(fds[i], buf, PG, 0) == (ssize_t)PG && buf[0] == first + i &&
			buf[PG - 1] == first + i;
	}
	return same;
}

int main(int argc, char **argv)
{
	int hold = argc > 1 && !strcmp(argv[1], "hold");
	char *base = mmap(NULL, NFILES * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int good = base != MAP_FAILED;

	ktap_plan("msync", 5);
	for (int i = 0; good && i < NFILES; i++)
		good = make_file(base, i);
	sync();
	ok(good, "%d one-page files on the disk, mapped shared side by side", NFILES);
	if (!good)
		ktap_bail("setup");
	for (int i = 0; i < NFILES; i++)
		memset(base + i * PG, 'a' + i, PG);
	ok(msync(base, NFILES * PG, MS_SYNC) == 0, "one msync(MS_SYNC) over all of them");
	ok(reads_back('a'), "every file reads back what was written through its mapping");
	for (int i = 0; i < NFILES; i++)
		memset(base + i * PG, 'A' + i, PG);
	ok(msync(base, NFILES * PG, MS_SYNC) == 0, "a second msync after writing every page again");
	ok(reads_back('A'), "every file reads back the second write");
	if (hold) {
		printf("# msync: holding\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	for (int i = 0; i < NFILES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "msync.%d", i);
		close(fds[i]);
		unlink(name);
	}
	return ktap_done();
}
