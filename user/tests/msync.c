/*
 * msync: one msync over many shared file mappings writes every file back.
 *
 * Twelve one-page files (written once with zeros and synced, so their
 * blocks and metadata are on the disk) are mapped MAP_SHARED side by side;
 * each page is filled through its mapping, then one msync(MS_SYNC) covers
 * the whole range. The data reads back through read(2).
 *
 *   msync hold    keeps the files and waits after the msync, printing
 *                 "# msync: holding": the harness then cuts the power and
 *                 reads the files from the disk image with debugfs. Only
 *                 msync can have written the pages (the kernel's periodic
 *                 flush writes pages dirtied by write(2), not ones dirtied
 *                 through a mapping), so every file must be on the disk.
 *                 (A kernel that stopped after eight files left four as
 *                 zeros.)
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

int main(int argc, char **argv)
{
	int hold = argc > 1 && !strcmp(argv[1], "hold");
	char *base = mmap(NULL, NFILES * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int good = base != MAP_FAILED;

	ktap_plan("msync", 3);
	for (int i = 0; good && i < NFILES; i++)
		good = make_file(base, i);
	sync();
	ok(good, "%d one-page files on the disk, mapped shared side by side", NFILES);
	if (!good)
		ktap_bail("setup");
	for (int i = 0; i < NFILES; i++)
		memset(base + i * PG, 'a' + i, PG);
	ok(msync(base, NFILES * PG, MS_SYNC) == 0, "one msync(MS_SYNC) over all of them");
	int same = 1;
	for (int i = 0; i < NFILES; i++) {
		char buf[PG];
		same &= pread(fds[i], buf, PG, 0) == (ssize_t)PG && buf[0] == 'a' + i &&
			buf[PG - 1] == 'a' + i;
	}
	ok(same, "every file reads back what was written through its mapping");
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
