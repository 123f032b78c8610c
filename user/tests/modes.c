/*
 * modes: the calls that set and check a file's attributes, with Linux's
 * numbers, structures and errors: umask (applied by open, mkdir, mknod;
 * not by symlink; inherited by fork), chmod/fchmod/fchmodat,
 * chown/fchown/lchown/fchownat (uid and gid above 65535 too, the set-ID
 * bits chown clears, ctime), utimensat with UTIME_NOW/UTIME_OMIT and
 * AT_SYMLINK_NOFOLLOW, utimes/futimesat/utime, and faccessat/faccessat2
 * as root sees them. Raw syscall() throughout, so that the C library
 * checks and emulates nothing. Runs as root (Numbat's only user; on the
 * Linux host, run it as root too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define DIR_ "modes.d"
#define F    DIR_ "/f"
#define LNK  DIR_ "/lnk"
#define BADP ((void *)1)            /* an address nothing is mapped at */

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

static struct stat st;

static long do_stat(const char *p)  { return syscall(SYS_stat, p, &st); }
static long do_lstat(const char *p) { return syscall(SYS_lstat, p, &st); }

/* The permission bits (with set-ID and sticky) of p, or -1. */
static long perm(const char *p)
{
	return do_lstat(p) ? -1 : (long)(st.st_mode & 07777);
}

static void make_file(const char *p, int mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		ktap_bail("cannot create a scratch file");
	close(fd);
}

/* ---------------------------------------------------------------- umask */

static void umask_child(void *arg __attribute__((unused)))
{
	_exit(syscall(SYS_umask, 0) == 027 ? 0 : 1);
}

static void check_umask(void)
{
	long old = syscall(SYS_umask, 027);

	if (is_numbat())
		ok(old == 022, "the first process's umask is 022 (got %lo)", old);
	else
		skip("the host shell chose its umask", "the first process's umask is 022");
	make_file(F, 0666);
	ok(perm(F) == 0640, "open(O_CREAT, 0666) under umask 027: 0640 (got %lo)", perm(F));
	long r = syscall(SYS_mkdir, DIR_ "/sub", 0777), m = perm(DIR_ "/sub");
	ok(r == 0 && m == 0750, "mkdir(0777) under umask 027: 0750 (got %lo)", m);
	r = syscall(SYS_mknod, DIR_ "/fifo", S_IFIFO | 0666, 0);
	m = perm(DIR_ "/fifo");
	ok(r == 0 && m == 0640 && S_ISFIFO(st.st_mode),
	   "mknod(S_IFIFO|0666) under umask 027: a FIFO, 0640 (got %lo)", m);
	r = syscall(SYS_symlink, "f", LNK);
	m = perm(LNK);
	ok(r == 0 && m == 0777 && S_ISLNK(st.st_mode), "symlink is 0777 whatever the umask (got %lo)", m);
	int status = run_child(umask_child, NULL);
	ok(exited_with(status, 0), "fork: the child has its parent's umask (%s)", status_str(status));
	ok(syscall(SYS_umask, 07777) == 027 && syscall(SYS_umask, 022) == 0777,
	   "umask keeps only the permission bits (07777 reads back as 0777)");
	unlink(DIR_ "/fifo");
	rmdir(DIR_ "/sub");
}

/* ---------------------------------------------------------------- chmod */

static void check_chmod(void)
{
	int fd = open(F, O_RDONLY), dfd = open(DIR_, O_RDONLY | O_DIRECTORY);

	long r = syscall(SYS_chmod, F, 04755), m = perm(F);
	ok(r == 0 && m == 04755 && S_ISREG(st.st_mode),
	   "chmod(04755): the bits change, the type stays (got %lo)", m);
	r = syscall(SYS_fchmod, fd, 0600);
	m = perm(F);
	ok(r == 0 && m == 0600, "fchmod on a read-only descriptor (got %lo)", m);
	r = syscall(SYS_fchmodat, dfd, "f", 0644);
	m = perm(F);
	ok(r == 0 && m == 0644, "fchmodat(dirfd, \"f\") (got %lo)", m);
	ok(syscall(SYS_chmod, LNK, 0601) == 0 && perm(F) == 0601 && perm(LNK) == 0777,
	   "chmod follows a symlink to its target");
	ok(syscall(SYS_chmod, F, 0177777) == 0 && perm(F) == 07777 && S_ISREG(st.st_mode),
	   "chmod ignores bits above 07777");
	ok_errno(syscall(SYS_chmod, DIR_ "/none", 0644), ENOENT, "chmod: ENOENT");
	ok_errno(syscall(SYS_chmod, F "/x", 0644), ENOTDIR, "chmod through a file: ENOTDIR");
	ok_errno(syscall(SYS_chmod, BADP, 0644), EFAULT, "chmod of a bad pointer: EFAULT");
	ok_errno(syscall(SYS_fchmod, -1, 0644), EBADF, "fchmod(-1): EBADF");
	ok_errno(syscall(SYS_fchmodat, -1, "f", 0644), EBADF, "fchmodat(-1, relative): EBADF");
	ok_errno(syscall(SYS_fchmodat, fd, "f", 0644), ENOTDIR,
		 "fchmodat with a file as dirfd: ENOTDIR");
	char abs[4096];
	if (!getcwd(abs, sizeof(abs) - 16))
		ktap_bail("getcwd failed");
	strcat(abs, "/" F);
	ok(syscall(SYS_fchmodat, -1, abs, 0640) == 0 && perm(F) == 0640,
	   "fchmodat ignores dirfd for an absolute path");
	syscall(SYS_symlink, "loop", DIR_ "/loop");
	ok_errno(syscall(SYS_chmod, DIR_ "/loop", 0644), ELOOP, "chmod of a symlink loop: ELOOP");
	unlink(DIR_ "/loop");
	syscall(SYS_chmod, F, 0644);
	close(fd);
	close(dfd);
}

/* ---------------------------------------------------------------- chown */

static int owner_is(const char *p, unsigned uid, unsigned gid)
{
	return do_lstat(p) == 0 && st.st_uid == uid && st.st_gid == gid;
}

static void check_chown(void)
{
	int fd = open(F, O_RDONLY);

	int good = syscall(SYS_chown, F, 1234, 5678) == 0 && owner_is(F, 1234, 5678);
	ok(good, "chown(1234, 5678) shows in stat (%u:%u)", st.st_uid, st.st_gid);
	good = syscall(SYS_chown, F, 70000, 80000) == 0 && owner_is(F, 70000, 80000);
	ok(good, "ids above 65535 (ext2 keeps their high halves apart): %u:%u",
	   st.st_uid, st.st_gid);
	good = syscall(SYS_fchown, fd, -1, 99) == 0 && owner_is(F, 70000, 99);
	ok(good, "fchown(-1, 99) changes the group only (%u:%u)", st.st_uid, st.st_gid);
	do_lstat(LNK);
	unsigned luid = st.st_uid, lgid = st.st_gid;
	ok(syscall(SYS_lchown, LNK, 7, 8) == 0 && owner_is(LNK, 7, 8) && owner_is(F, 70000, 99),
	   "lchown changes the symlink, not its target");
	ok(syscall(SYS_fchownat, AT_FDCWD, LNK, luid, lgid, AT_SYMLINK_NOFOLLOW) == 0 &&
	   owner_is(LNK, luid, lgid), "fchownat(AT_SYMLINK_NOFOLLOW) on the symlink");
	ok(syscall(SYS_fchownat, AT_FDCWD, LNK, 0, 0, 0) == 0 && owner_is(F, 0, 0),
	   "fchownat without flags follows the symlink");
	ok(syscall(SYS_fchownat, fd, "", 5, 6, AT_EMPTY_PATH) == 0 && owner_is(F, 5, 6),
	   "fchownat(fd, \"\", AT_EMPTY_PATH) changes fd's file");
	ok_errno(syscall(SYS_fchownat, AT_FDCWD, F, 0, 0, 0x4), EINVAL, "fchownat bad flags: EINVAL");
	ok_errno(syscall(SYS_fchownat, AT_FDCWD, "", 0, 0, 0), ENOENT,
		 "fchownat of \"\" without AT_EMPTY_PATH: ENOENT");
	ok_errno(syscall(SYS_fchown, 1000000, 0, 0), EBADF, "fchown(1000000): EBADF");
	ok_errno(syscall(SYS_chown, BADP, 0, 0), EFAULT, "chown of a bad pointer: EFAULT");

	syscall(SYS_chmod, F, 06755);
	long r = syscall(SYS_chown, F, -1, -1), m = perm(F);
	ok(r == 0 && m == 0755, "chown(-1, -1) clears set-user-ID and set-group-ID (group x): %lo", m);
	syscall(SYS_chmod, F, 02644);
	r = syscall(SYS_chown, F, 0, 0);
	m = perm(F);
	ok(r == 0 && m == 02644, "chown keeps set-group-ID without group execute: %lo", m);
	syscall(SYS_mkdir, DIR_ "/sd", 0755);
	syscall(SYS_chmod, DIR_ "/sd", 06755);
	r = syscall(SYS_chown, DIR_ "/sd", 0, 0);
	m = perm(DIR_ "/sd");
	ok(r == 0 && m == 06755, "chown keeps a directory's set-ID bits: %lo", m);
	rmdir(DIR_ "/sd");
	syscall(SYS_chmod, F, 0644);
	close(fd);
}

/* Both chmod and chown change ctime: make the file, wait past a second
 * boundary, change it. */
static void check_ctime(void)
{
	struct timespec nap = { 1, 100000000 };

	do_stat(F);
	time_t c0 = st.st_ctime;
	nanosleep(&nap, NULL);
	syscall(SYS_chmod, F, 0640);
	do_stat(F);
	time_t c1 = st.st_ctime;
	ok(c1 > c0, "chmod moves ctime on (%ld -> %ld)", (long)c0, (long)c1);
	nanosleep(&nap, NULL);
	syscall(SYS_chown, F, 0, 0);
	do_stat(F);
	ok(st.st_ctime > c1, "chown moves ctime on (%ld -> %ld)", (long)c1, (long)st.st_ctime);
}

/* ---------------------------------------------------------------- times */

static int times_are(const char *p, long a, long m)
{
	return do_lstat(p) == 0 && st.st_atime == a && st.st_mtime == m;
}

static void check_utimensat(void)
{
	struct timespec t[2] = { { 1000000000, 0 }, { 1100000000, 500 } };
	int fd = open(F, O_RDONLY);

	int good = syscall(SYS_utimensat, AT_FDCWD, F, t, 0) == 0 &&
		   times_are(F, 1000000000, 1100000000);
	ok(good, "utimensat sets atime and mtime (%ld, %ld)", (long)st.st_atime, (long)st.st_mtime);
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = 1200000000;
	ok(syscall(SYS_utimensat, AT_FDCWD, F, t, 0) == 0 && times_are(F, 1000000000, 1200000000),
	   "UTIME_OMIT keeps atime");
	time_t before = time(NULL);
	t[0].tv_nsec = UTIME_NOW;
	t[1].tv_nsec = UTIME_OMIT;
	ok(syscall(SYS_utimensat, AT_FDCWD, F, t, 0) == 0 && do_stat(F) == 0 &&
	   st.st_atime >= before && st.st_atime <= time(NULL) + 1 && st.st_mtime == 1200000000,
	   "UTIME_NOW sets atime to now, UTIME_OMIT keeps mtime");
	ok(syscall(SYS_utimensat, AT_FDCWD, F, NULL, 0) == 0 && do_stat(F) == 0 &&
	   st.st_mtime >= before && st.st_mtime <= time(NULL) + 1, "times NULL: both now");
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	ok(syscall(SYS_utimensat, AT_FDCWD, DIR_ "/none", omit, 0) == 0,
	   "both UTIME_OMIT: 0 without looking the path up");
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	ok(syscall(SYS_utimensat, AT_FDCWD, LNK, old, AT_SYMLINK_NOFOLLOW) == 0 &&
	   times_are(LNK, 1000, 2000) && !times_are(F, 1000, 2000),
	   "AT_SYMLINK_NOFOLLOW changes the symlink, not its target");
	struct timespec fdt[2] = { { 3000, 0 }, { 4000, 0 } };
	ok(syscall(SYS_utimensat, fd, NULL, fdt, 0) == 0 && times_are(F, 3000, 4000),
	   "utimensat(fd, NULL, times): the descriptor's file");
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	ok_errno(syscall(SYS_utimensat, AT_FDCWD, F, bad, 0), EINVAL, "nanoseconds 1e9: EINVAL");
	bad[0].tv_nsec = -1;
	ok_errno(syscall(SYS_utimensat, AT_FDCWD, F, bad, 0), EINVAL, "nanoseconds -1: EINVAL");
	ok_errno(syscall(SYS_utimensat, AT_FDCWD, F, NULL, 0x4), EINVAL, "bad flags: EINVAL");
	ok_errno(syscall(SYS_utimensat, fd, NULL, NULL, AT_SYMLINK_NOFOLLOW), EINVAL,
		 "utimensat(fd, NULL) with flags: EINVAL");
	ok_errno(syscall(SYS_utimensat, AT_FDCWD, F, BADP, 0), EFAULT, "bad times pointer: EFAULT");
	ok_errno(syscall(SYS_utimensat, AT_FDCWD, DIR_ "/none", NULL, 0), ENOENT, "ENOENT");
	ok_errno(syscall(SYS_utimensat, -1, "f", NULL, 0), EBADF, "bad dirfd: EBADF");
	close(fd);
}

static void check_old_time_calls(void)
{
	struct timeval tv[2] = { { 5000, 999999 }, { 6000, 0 } };
	long ub[2] = { 7000, 8000 };
	int dfd = open(DIR_, O_RDONLY | O_DIRECTORY);

	ok(syscall(SYS_utimes, F, tv) == 0 && times_are(F, 5000, 6000), "utimes");
	tv[0].tv_sec = 5500;
	ok(syscall(SYS_futimesat, dfd, "f", tv) == 0 && times_are(F, 5500, 6000), "futimesat");
	ok(syscall(SYS_utime, F, ub) == 0 && times_are(F, 7000, 8000), "utime");
	time_t before = time(NULL);
	ok(syscall(SYS_utime, F, NULL) == 0 && do_stat(F) == 0 && st.st_mtime >= before,
	   "utime(NULL): now");
	tv[1].tv_usec = 1000000;
	ok_errno(syscall(SYS_utimes, F, tv), EINVAL, "utimes with 1000000 us: EINVAL");
	ok_errno(syscall(SYS_utime, F, BADP), EFAULT, "utime bad pointer: EFAULT");
	close(dfd);
}

/* ---------------------------------------------------------------- access */

static long acc(int dirfd, const char *p, int mode, int flags)
{
	return syscall(SYS_faccessat2, dirfd, p, mode, flags);
}

static void check_access(void)
{
	int fd = open(F, O_RDONLY), dfd = open(DIR_, O_RDONLY | O_DIRECTORY);

	syscall(SYS_chmod, F, 0644);
	ok(acc(AT_FDCWD, F, R_OK | W_OK, 0) == 0, "root may read and write a 0644 file");
	ok_errno(acc(AT_FDCWD, F, X_OK, 0), EACCES, "X_OK on a file without x bits: EACCES");
	syscall(SYS_chmod, F, 0);
	ok(acc(AT_FDCWD, F, R_OK | W_OK, 0) == 0, "root may read and write a 0000 file");
	syscall(SYS_chmod, F, 0001);
	ok(acc(AT_FDCWD, F, X_OK, 0) == 0, "X_OK with only the others' x bit: allowed");
	syscall(SYS_mkdir, DIR_ "/d0", 0);
	ok(acc(AT_FDCWD, DIR_ "/d0", R_OK | W_OK | X_OK, 0) == 0, "a 0000 directory: rwx for root");
	rmdir(DIR_ "/d0");
	ok(syscall(SYS_faccessat, dfd, "f", X_OK) == 0, "faccessat(dirfd, \"f\")");
	ok(syscall(SYS_access, F, F_OK) == 0, "access(F_OK)");
	syscall(SYS_symlink, "none", DIR_ "/dangling");
	ok_errno(acc(AT_FDCWD, DIR_ "/dangling", F_OK, 0), ENOENT, "a dangling symlink: ENOENT");
	ok(acc(AT_FDCWD, DIR_ "/dangling", F_OK, AT_SYMLINK_NOFOLLOW) == 0,
	   "AT_SYMLINK_NOFOLLOW: the symlink itself exists");
	unlink(DIR_ "/dangling");
	ok(acc(fd, "", R_OK, AT_EMPTY_PATH) == 0, "AT_EMPTY_PATH: the descriptor's file");
	ok(acc(AT_FDCWD, "", R_OK, AT_EMPTY_PATH) == 0, "AT_EMPTY_PATH with AT_FDCWD: the cwd");
	ok(acc(AT_FDCWD, F, R_OK, AT_EACCESS) == 0, "AT_EACCESS");
	ok_errno(acc(AT_FDCWD, "", R_OK, 0), ENOENT, "\"\" without AT_EMPTY_PATH: ENOENT");
	ok_errno(acc(AT_FDCWD, F, 8, 0), EINVAL, "mode 8: EINVAL");
	ok_errno(acc(AT_FDCWD, F, R_OK, 0x4), EINVAL, "faccessat2 bad flags: EINVAL");
	ok_errno(acc(-1, "f", R_OK, 0), EBADF, "faccessat2(-1, relative): EBADF");
	ok_errno(acc(fd, "f", R_OK, 0), ENOTDIR, "faccessat2 with a file as dirfd: ENOTDIR");
	ok_errno(acc(AT_FDCWD, F "/x", R_OK, 0), ENOTDIR, "a path through a file: ENOTDIR");
	ok_errno(acc(AT_FDCWD, BADP, R_OK, 0), EFAULT, "bad path pointer: EFAULT");
	ok_errno(syscall(SYS_faccessat, AT_FDCWD, DIR_ "/none", F_OK), ENOENT, "faccessat: ENOENT");
	syscall(SYS_chmod, F, 0644);
	close(fd);
	close(dfd);
}

int main(void)
{
	ktap_plan("modes", 7 + 13 + 14 + 2 + 14 + 6 + 20);
	unlink(F);
	unlink(LNK);
	rmdir(DIR_);
	if (syscall(SYS_mkdir, DIR_, 0755))
		ktap_bail("cannot make " DIR_);
	check_umask();
	check_chmod();
	check_chown();
	check_ctime();
	check_utimensat();
	check_old_time_calls();
	check_access();
	unlink(LNK);
	unlink(F);
	rmdir(DIR_);
	return ktap_done();
}
