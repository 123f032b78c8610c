/*
 * badfd: bad file descriptors. -1, a huge number and a descriptor that was
 * just closed go to every call that takes one, which must fail with EBADF;
 * a descriptor open for the wrong direction fails with EBADF too, and
 * seeking a pipe fails with ESPIPE. raw syscall() so that musl checks
 * nothing first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#define SCRATCH "badfd.tmp"

static char buf[4096];
static struct stat st;

static long c_read(int fd)      { return syscall(SYS_read, fd, buf, 16); }
static long c_write(int fd)     { return syscall(SYS_write, fd, "x", 1); }
static long c_close(int fd)     { return syscall(SYS_close, fd); }
static long c_fstat(int fd)     { return syscall(SYS_fstat, fd, &st); }
static long c_lseek(int fd)     { return syscall(SYS_lseek, fd, 0, SEEK_SET); }
static long c_dup(int fd)       { return syscall(SYS_dup, fd); }
static long c_dup2(int fd)      { return syscall(SYS_dup2, fd, 20); }
static long c_dup3(int fd)      { return syscall(SYS_dup3, fd, 20, 0); }
static long c_getdents(int fd)  { return syscall(SYS_getdents64, fd, buf, sizeof(buf)); }
static long c_fcntl(int fd)     { return syscall(SYS_fcntl, fd, F_GETFD); }
static long c_pread(int fd)     { return syscall(SYS_pread64, fd, buf, 16, 0); }
static long c_pwrite(int fd)    { return syscall(SYS_pwrite64, fd, "x", 1, 0); }
static long c_fsync(int fd)     { return syscall(SYS_fsync, fd); }
static long c_fstatat(int fd) { return syscall(SYS_newfstatat, fd, "x", &st, 0); }

static const struct {
	const char *name;
	long (*fn)(int fd);
} calls[] = {
	{ "read", c_read }, { "write", c_write }, { "close", c_close },
	{ "fstat", c_fstat }, { "lseek", c_lseek }, { "dup", c_dup },
	{ "dup2(bad, 20)", c_dup2 }, { "dup3(bad, 20, 0)", c_dup3 },
	{ "getdents64", c_getdents }, { "fcntl(F_GETFD)", c_fcntl },
	{ "pread64", c_pread }, { "pwrite64", c_pwrite }, { "fsync", c_fsync },
	{ "newfstatat(bad dirfd, relative path)", c_fstatat },
};
#define NCALLS (int)(sizeof(calls) / sizeof(calls[0]))

/* Every call with -1, 1000000 and a closed descriptor: one line per call. */
static void check_calls(void)
{
	int closed = open(".", O_RDONLY);
	int bad[3] = { -1, 1000000, closed };
	const char *bad_name[3] = { "-1", "1000000", "closed fd" };

	close(closed);
	for (int i = 0; i < NCALLS; i++) {
		char why[160] = "";
		size_t len = 0;

		for (int b = 0; b < 3; b++) {
			errno = 0;
			long r = calls[i].fn(bad[b]);
			if (r != -1 || errno != EBADF)
				len += snprintf(why + len, sizeof(why) - len, "%s%s: ret %ld errno %d",
						len ? "; " : "", bad_name[b], r, errno);
		}
		ok_why(len == 0, why, "%s: EBADF for -1, 1000000 and a closed fd", calls[i].name);
	}
}

int main(void)
{
	int fds[2], ro, wo;

	ktap_plan("badfd", NCALLS + 10);
	check_calls();

	if (pipe(fds) < 0)
		ktap_bail("pipe failed");
	ok_errno(syscall(SYS_lseek, fds[0], 0, SEEK_SET), ESPIPE, "lseek on a pipe: ESPIPE");
	ok_errno(syscall(SYS_write, fds[0], "x", 1), EBADF, "write to a pipe's read end: EBADF");
	ok_errno(syscall(SYS_read, fds[1], buf, 1), EBADF, "read from a pipe's write end: EBADF");
	close(fds[0]);
	close(fds[1]);

	wo = open(SCRATCH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ro = open(SCRATCH, O_RDONLY);
	if (wo < 0 || ro < 0)
		ktap_bail("can't create " SCRATCH);
	ok_errno(syscall(SYS_write, ro, "x", 1), EBADF, "write to an O_RDONLY fd: EBADF");
	ok_errno(syscall(SYS_pwrite64, ro, "x", 1, 0), EBADF, "pwrite64 to an O_RDONLY fd: EBADF");
	ok_errno(syscall(SYS_read, wo, buf, 1), EBADF, "read from an O_WRONLY fd: EBADF");
	ok_errno(syscall(SYS_getdents64, ro, buf, sizeof(buf)), ENOTDIR,
		 "getdents64 on a regular file: ENOTDIR");
	ok_errno(syscall(SYS_dup2, ro, -1), EBADF, "dup2(fd, -1): EBADF");
	ok_errno(syscall(SYS_dup3, ro, ro, 0), EINVAL, "dup3(fd, fd, 0): EINVAL");
	ok(syscall(SYS_dup2, ro, ro) == ro, "dup2(fd, fd) returns fd");
	close(ro);
	close(wo);
	unlink(SCRATCH);
	return ktap_done();
}
