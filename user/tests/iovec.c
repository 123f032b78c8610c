/*
 * iovec: preadv/pwritev and preadv2/pwritev2 (offset -1: the file
 * position), fdatasync. Segments are filled in order, at the offset given
 * without moving the file position; a short read stops at the end of the
 * file; the errors and the unsupported-flag answer are Linux's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ktap.h"

#define SCRATCH "iovec.tmp"
#define BADP ((void *)1)

static long pv(long nr, int fd, struct iovec *v, long n, long off)
{
	return syscall(nr, fd, v, n, off, 0);
}

static long pv2(long nr, int fd, struct iovec *v, long n, long off, long flags)
{
	return syscall(nr, fd, v, n, off, 0, flags);
}

static void check_positional(int fd)
{
	char a[] = "abc", b[] = "defgh", c[] = "ij", r1[4] = "", r2[6] = "", r3[8] = "";
	struct iovec w[3] = { { a, 3 }, { b, 5 }, { c, 2 } };
	struct iovec r[3] = { { r1, 3 }, { r2, 5 }, { r3, 8 } };
	char all[16] = "";

	ok(pv(SYS_pwritev, fd, w, 3, 100) == 10, "pwritev: 3 segments, 10 bytes at 100");
	ok(lseek(fd, 0, SEEK_CUR) == 0, "pwritev leaves the file position");
	ok(pread(fd, all, 10, 100) == 10 && !memcmp(all, "abcdefghij", 10),
	   "the segments landed in order (%.10s)", all);
	long n = pv(SYS_preadv, fd, r, 3, 100);
	ok(n == 10 && !memcmp(r1, "abc", 3) && !memcmp(r2, "defgh", 5) && !memcmp(r3, "ij", 2),
	   "preadv: 10 bytes, the last segment short at the end of the file");
	ok(lseek(fd, 0, SEEK_CUR) == 0, "preadv leaves the file position");
	ok(pv(SYS_preadv, fd, r, 3, 110) == 0, "preadv at the end: 0");
	ok(pv(SYS_preadv, fd, r, 0, 0) == 0, "no segments: 0");
}

static void check_v2(int fd)
{
	char a[] = "XY", r1[2], r2[3];
	struct iovec w[1] = { { a, 2 } };
	struct iovec r[2] = { { r1, 2 }, { r2, 3 } };

	lseek(fd, 100, SEEK_SET);
	ok(pv2(SYS_preadv2, fd, r, 2, -1, 0) == 5 && lseek(fd, 0, SEEK_CUR) == 105 &&
	   !memcmp(r1, "ab", 2) && !memcmp(r2, "cde", 3),
	   "preadv2 offset -1: at the position, which moves on");
	ok(pv2(SYS_pwritev2, fd, w, 1, -1, 0) == 2 && lseek(fd, 0, SEEK_CUR) == 107,
	   "pwritev2 offset -1: at the position, which moves on");
	ok(pv2(SYS_preadv2, fd, r, 1, 105, 0) == 2 && !memcmp(r1, "XY", 2) &&
	   lseek(fd, 0, SEEK_CUR) == 107, "preadv2 with an offset leaves the position");
	ok_errno(pv2(SYS_preadv2, fd, r, 1, 0, 0x40000000), EOPNOTSUPP,
		 "preadv2 with an unknown flag: EOPNOTSUPP");
	ok_errno(pv2(SYS_pwritev2, fd, w, 1, 0, 0x40000000), EOPNOTSUPP,
		 "pwritev2 with an unknown flag: EOPNOTSUPP");
	ok_errno(pv2(SYS_preadv2, fd, r, 1, -2, 0), EINVAL, "preadv2 offset -2: EINVAL");
}

static void check_errors(int fd)
{
	char buf[4];
	struct iovec v[1] = { { buf, 4 } }, bad[1] = { { BADP, 4 } };
	int p[2], wo = open(SCRATCH, O_WRONLY);

	if (pipe(p))
		ktap_bail("pipe");
	ok_errno(pv(SYS_preadv, fd, v, 1, -1), EINVAL, "preadv negative offset: EINVAL");
	ok_errno(pv(SYS_preadv, fd, v, 1025, 0), EINVAL, "1025 segments: EINVAL");
	ok_errno(pv(SYS_preadv, fd, v, -1, 0), EINVAL, "-1 segments: EINVAL");
	ok_errno(pv(SYS_preadv, -1, v, 1, 0), EBADF, "preadv(-1): EBADF");
	ok_errno(pv(SYS_pwritev, -1, v, 0, 0), EBADF, "pwritev(-1) with no segments: EBADF");
	ok_errno(pv(SYS_preadv, fd, BADP, 1, 0), EFAULT, "bad iovec array: EFAULT");
	ok_errno(pv(SYS_preadv, fd, bad, 1, 0), EFAULT, "bad buffer in a segment: EFAULT");
	ok_errno(pv(SYS_preadv, p[0], v, 1, 0), ESPIPE, "preadv on a pipe: ESPIPE");
	ok_errno(pv(SYS_preadv, wo, v, 1, 0), EBADF, "preadv on an O_WRONLY fd: EBADF");
	ok(fdatasync(fd) == 0, "fdatasync");
	ok_errno(syscall(SYS_fdatasync, -1), EBADF, "fdatasync(-1): EBADF");
	close(wo);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	ktap_plan("iovec", 7 + 6 + 11);
	int fd = open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		ktap_bail("cannot create " SCRATCH);
	check_positional(fd);
	check_v2(fd);
	check_errors(fd);
	close(fd);
	unlink(SCRATCH);
	return ktap_done();
}
