/*
 * fslimits: the limits of names and file sizes, where a wrong answer used
 * to damage the kernel or the disk.
 *
 * - chdir to a path with a component of more than 255 bytes fails with
 *   ENAMETOOLONG and leaves the working directory as it was (the kernel
 *   once dropped a reference it had never taken: memory corruption from one
 *   system call, so the call is made many times).
 * - The largest file size (Linux's s_maxbytes): it is found by bisection
 *   with ftruncate, then ftruncate past it and write or pwrite at it fail
 *   with EFBIG, a write that crosses it is cut short, and on ext2 with
 *   4 KiB blocks it is exactly what Linux allows (i_blocks, 32 bits of
 *   512-byte sectors, must count the data and the indirect blocks). A file
 *   of that size is left behind for e2fsck, which the harness runs after
 *   the boot: e2fsck must agree that it is a valid size.
 *
 * Runs on Linux too; the exact ext2 figure is checked on Numbat only (its
 * root is ext2; Linux's test directory is usually not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#define BIGFILE "fslimits.max"
/* ext2 with 4 KiB blocks: 536346110 blocks of data (Linux's s_maxbytes). */
#define EXT2_4K_MAX 2196873666560LL

static char longname[300];

static void check_chdir(void)
{
	char before[PATH_MAX], after[PATH_MAX];
	int bad = 0;

	memset(longname, 'n', 256);
	longname[256] = 0;
	if (!getcwd(before, sizeof(before)))
		ktap_bail("getcwd");
	for (int i = 0; i < 500; i++)
		if (syscall(SYS_chdir, longname) != -1 || errno != ENAMETOOLONG)
			bad++;
	ok(bad == 0, "chdir(256-byte name) fails with ENAMETOOLONG, 500 times (%d wrong)", bad);

	char mid[400];
	snprintf(mid, sizeof(mid), "./%s/x", longname);
	ok_errno(syscall(SYS_chdir, mid), ENAMETOOLONG, "chdir(./<256 bytes>/x)");

	static char huge[PATH_MAX + 16];
	memset(huge, 'a', sizeof(huge) - 1);
	ok_errno(syscall(SYS_chdir, huge), ENAMETOOLONG, "chdir(path of PATH_MAX+15 bytes)");

	longname[255] = 0;                 /* 255 bytes: legal, but absent */
	ok_errno(syscall(SYS_chdir, longname), ENOENT, "chdir(255-byte name) that does not exist");

	ok(getcwd(after, sizeof(after)) && strcmp(before, after) == 0,
	   "the working directory is unchanged (%s)", after);
	ok(chdir("/") == 0 && chdir(before) == 0, "chdir still works");
}

/* The largest length ftruncate accepts on fd, by bisection. */
static long long max_size(int fd)
{
	long long lo = 0, hi = LLONG_MAX;  /* lo is accepted */

	while (lo < hi) {
		long long mid = lo + (hi - lo) / 2 + 1;
		if (ftruncate(fd, mid) == 0)
			lo = mid;
		else if (errno == EFBIG)
			hi = mid - 1;
		else
			return -1;
	}
	return lo;
}

static void check_size(void)
{
	int fd = open(BIGFILE, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		ktap_bail("open " BIGFILE);
	ok_errno(ftruncate(fd, LLONG_MAX), EFBIG, "ftruncate(LLONG_MAX)");
	long long m = max_size(fd);
	ok(m > 0, "the largest size ftruncate accepts: %lld bytes", m);
	if (is_numbat())
		ok(m == EXT2_4K_MAX, "it is ext2's largest file with 4 KiB blocks (%lld)",
		   EXT2_4K_MAX);
	else
		skip("the test directory is not Numbat's ext2", "ext2's largest file");
	if (m <= 0 || m == LLONG_MAX) {
		skip("no size limit below LLONG_MAX", "EFBIG at the limit");
		close(fd);
		return;
	}
	ok_errno(ftruncate(fd, m + 1), EFBIG, "ftruncate(largest + 1)");
	ok_errno(pwrite(fd, "xy", 2, m), EFBIG, "pwrite at the largest size");
	ok(pwrite(fd, "xy", 2, m - 1) == 1, "pwrite of 2 bytes ending past it writes 1");
	ok(lseek(fd, m, SEEK_SET) == m, "lseek to the largest size");
	ok_errno(write(fd, "z", 1), EFBIG, "write at the largest size");
	struct stat st = { 0 };
	int r = fstat(fd, &st);
	ok(r == 0 && st.st_size == m, "the size is still the largest (%lld)",
	   (long long)st.st_size);
	ok(ftruncate(fd, m) == 0 && close(fd) == 0, "left at that size for e2fsck");
}

int main(void)
{
	ktap_plan("fslimits", 16);
	check_chdir();
	check_size();
	return ktap_done();
}
