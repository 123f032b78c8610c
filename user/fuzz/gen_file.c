/*
 * gen_file.c: file, directory and descriptor calls. Paths that change
 * anything are under the worker's scratch directory (state.c); the rest of
 * the disk is only looked at (stat, open O_RDONLY, readlink, getdents).
 * Pipes are always non-blocking, so no call here waits for ever; the
 * console (the log) is never read, written, closed or replaced.
 */
#include <fcntl.h>
#include <sys/uio.h>
#include "fuzz.h"

#define BUF_END ((unsigned long)fz_buf + BUF_SIZE)

static struct iovec iov[8];
static int pfd[2];

/* A length for the kernel to write to ptr: never past the end of fz_buf;
 * arena pages in the range are from then on of unknown content. */
static long out_len(struct worker *w, unsigned long ptr)
{
	long len = fz_len(w);

	if (ptr >= (unsigned long)fz_buf && ptr < BUF_END && (unsigned long)len > BUF_END - ptr)
		len = (long)(BUF_END - ptr);
	fz_arena_unknown(w, ptr, (unsigned long)len);
	return len;
}

static long offset(struct worker *w)
{
	static const long edge[] = { 0, 4096, 1L << 31, 1L << 40, -1, 0x7fffffffffffff00L };

	return fz_chance(w, 70) ? fz_rand(w, 1 << 20) : edge[fz_rand(w, 6)];
}

static int fd_kind(struct worker *w, long fd)
{
	return fd >= 0 && fd < MAX_FD ? w->fd[fd] : FD_NONE;
}

static void gen_open(struct worker *w)
{
	static const long mflags[] = { O_RDWR | O_CREAT, O_WRONLY | O_CREAT | O_TRUNC, O_RDONLY,
				       O_RDWR | O_APPEND, O_CREAT | O_EXCL | O_RDWR, O_DIRECTORY,
				       O_RDONLY | O_NOFOLLOW, 0x7fffffff, O_WRONLY | O_CREAT | O_DIRECTORY };
	int ro = fz_chance(w, 35);
	const char *path = ro ? fz_any_path(w) : fz_mut_path(w);
	long flags = ro ? (O_RDONLY | (fz_chance(w, 30) ? O_DIRECTORY : 0)) : mflags[fz_rand(w, 9)];
	long mode = fz_rand(w, 010000), fd;

	if (fz_chance(w, 50))
		fd = fz_do(w, &(struct call){ "open", 2, { (long)path, flags, mode }, 3 });
	else
		fd = fz_do(w, &(struct call){ "openat", 257, { fz_chance(w, 80) ? AT_FDCWD : fz_pick_fd(w, 0),
			(long)path, flags, mode }, 4 });
	if (fd >= 0)
		fz_fd_set(w, fd, ro || flags == 0x7fffffff ? FD_SYS : FD_FILE);
}

static void gen_close(struct worker *w)
{
	long fd = fz_pick_fd(w, 1);

	if (fz_do(w, &(struct call){ "close", 3, { fd }, 1 }) == 0)
		fz_fd_set(w, fd, FD_NONE);
}

/* read, pread64, write, pwrite64. Reads into the arena forget its bytes. */
static void gen_rw(struct worker *w)
{
	long r = fz_rand(w, 4), fd = fz_pick_fd(w, 1);
	unsigned long p = r < 2 ? fz_out_ptr(w, 1) : fz_pick_ptr(w, 1);
	long len = r < 2 ? out_len(w, p) : fz_len(w);

	if (r == 0)
		fz_do(w, &(struct call){ "read", 0, { fd, (long)p, len }, 3 });
	else if (r == 1)
		fz_do(w, &(struct call){ "pread64", 17, { fd, (long)p, len, offset(w) }, 4 });
	else if (r == 2)
		fz_do(w, &(struct call){ "write", 1, { fd, (long)p, len }, 3 });
	else
		fz_do(w, &(struct call){ "pwrite64", 18, { fd, (long)p, len, offset(w) }, 4 });
}

static void gen_rwv(struct worker *w)
{
	static const long cnt[] = { 0, 1, 2, 3, 8, 1025, -1 };
	int wr = fz_chance(w, 50);

	for (int i = 0; i < 8; i++) {
		unsigned long p = wr ? fz_pick_ptr(w, 1) : fz_out_ptr(w, 1);
		iov[i].iov_base = (void *)p;
		iov[i].iov_len = (size_t)(wr ? fz_len(w) : out_len(w, p));
	}
	long v = fz_chance(w, 90) ? (long)iov : (long)fz_bad_ptr(w);
	fz_do(w, &(struct call){ wr ? "writev" : "readv", wr ? 20 : 19,
		{ fz_pick_fd(w, 1), v, cnt[fz_rand(w, 7)] }, 3 });
}

static void gen_stat(struct worker *w)
{
	static const long fl[] = { 0, 0x100, 0x1000, 0x800, 0x7fffffff };
	long r = fz_rand(w, 5), out = (long)fz_out_ptr(w, 256);
	const char *path = fz_any_path(w);

	if (r == 0)
		fz_do(w, &(struct call){ "fstat", 5, { fz_pick_fd(w, 0), out }, 2 });
	else if (r == 1)
		fz_do(w, &(struct call){ "stat", 4, { (long)path, out }, 2 });
	else if (r == 2)
		fz_do(w, &(struct call){ "lstat", 6, { (long)path, out }, 2 });
	else if (r == 3)
		fz_do(w, &(struct call){ "newfstatat", 262, { fz_chance(w, 70) ? AT_FDCWD : fz_pick_fd(w, 0),
			(long)path, out, fl[fz_rand(w, 5)] }, 4 });
	else
		fz_do(w, &(struct call){ "access", 21, { (long)path, fz_rand(w, 9) }, 2 });
}

static void gen_pipe(struct worker *w)
{
	static const long fl[] = { 0, O_NONBLOCK, O_CLOEXEC, O_DIRECT, 0x7fffffff };
	long p = fz_chance(w, 85) ? (long)pfd : (long)fz_bad_ptr(w), ret;

	if (fz_chance(w, 30))
		ret = fz_do(w, &(struct call){ "pipe", 22, { p }, 1 });
	else
		ret = fz_do(w, &(struct call){ "pipe2", 293, { p, fl[fz_rand(w, 5)] }, 2 });
	if (ret != 0 || p != (long)pfd)
		return;
	for (int i = 0; i < 2; i++) {          /* never block: a worker is alone */
		fz_sys(72, pfd[i], F_SETFL, O_NONBLOCK, 0, 0, 0);
		fz_fd_set(w, pfd[i], FD_PIPE);
	}
}

/* dup, dup2, dup3: never onto 0-2 (the console, our log). */
static void gen_dup(struct worker *w)
{
	static const long bad[] = { -1, 1024, 0x7fffffff, MAX_FD + 5 };
	long old = fz_pick_fd(w, 0), r = fz_rand(w, 3), ret;
	long new = fz_chance(w, 85) ? 3 + fz_rand(w, MAX_FD - 3) : bad[fz_rand(w, 4)];

	if (r == 0)
		ret = fz_do(w, &(struct call){ "dup", 32, { old }, 1 });
	else if (r == 1)
		ret = fz_do(w, &(struct call){ "dup2", 33, { old, new }, 2 });
	else
		ret = fz_do(w, &(struct call){ "dup3", 292, { old, new,
			fz_chance(w, 70) ? 0 : fz_chance(w, 50) ? O_CLOEXEC : 0x7fffffff }, 3 });
	if (ret >= 0)
		fz_fd_set(w, ret, fd_kind(w, old) == FD_NONE ? FD_SYS : fd_kind(w, old));
}

static void gen_fcntl(struct worker *w)
{
	static const long cmd[] = { F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC,
				    F_GETLK, 9999 };
	long fd = fz_pick_fd(w, 0), c = cmd[fz_rand(w, 8)], arg = fz_rand(w, 4) == 0 ?
		(long)fz_next(&w->rng) : fz_rand(w, 70);
	int kind = fd_kind(w, fd);

	if (c == F_SETFL && kind == FD_CONSOLE)
		return;
	if (c == F_SETFL && kind == FD_PIPE)
		arg |= O_NONBLOCK;
	if (c == F_GETLK)
		arg = (long)fz_out_ptr(w, 64);
	long ret = fz_do(w, &(struct call){ "fcntl", 72, { fd, c, arg }, 3 });
	if ((c == F_DUPFD || c == F_DUPFD_CLOEXEC) && ret >= 0)
		fz_fd_set(w, ret, kind == FD_NONE ? FD_SYS : kind);
}

static void gen_ioctl(struct worker *w)
{
	static const long cmd[] = { 0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */, 0x541b /* FIONREAD */,
				    0x5402 /* TCSETS */, 0x540f /* TIOCGPGRP */, 0xdeadbeef };
	long fd = fz_pick_fd(w, 0), c = cmd[fz_rand(w, 6)];

	if (fd_kind(w, fd) == FD_CONSOLE && c == 0x5402)
		return;
	fz_do(w, &(struct call){ "ioctl", 16, { fd, c, (long)fz_out_ptr(w, 64) }, 3 });
}

static void gen_size(struct worker *w)
{
	static const long len[] = { 0, 1, 4096, 100000, 1L << 31, 1L << 44, -1, 0x7fffffffffffff00L };
	long r = fz_rand(w, 5), n = fz_chance(w, 60) ? fz_rand(w, 1 << 18) : len[fz_rand(w, 8)];
	static const long wh[] = { 0, 1, 2, 3, 4, 99 };

	if (r == 0)
		fz_do(w, &(struct call){ "truncate", 76, { (long)fz_mut_path(w), n }, 2 });
	else if (r == 1)
		fz_do(w, &(struct call){ "ftruncate", 77, { fz_pick_fd(w, 1), n }, 2 });
	else if (r == 2)
		fz_do(w, &(struct call){ "lseek", 8, { fz_pick_fd(w, 1), offset(w), wh[fz_rand(w, 6)] }, 3 });
	else if (r == 3)
		fz_do(w, &(struct call){ "fsync", 74, { fz_pick_fd(w, 0) }, 1 });
	else if (fz_chance(w, 20))
		fz_do(w, &(struct call){ "sync", 162, { 0 }, 0 });
}

/* mkdir, rmdir, unlink, rename, link, symlink, readlink, chdir, getcwd,
 * getdents64. Links point only inside the campaign's directory. */
static void gen_names(struct worker *w)
{
	static const char *target[] = { "a", "d", "..", "s", "nodir/x", "" };
	long r = fz_rand(w, 10), out = (long)fz_out_ptr(w, 1);
	const char *p = fz_mut_path(w), *q = fz_mut_path(w);

	if (r == 0)
		fz_do(w, &(struct call){ "mkdir", 83, { (long)p, fz_rand(w, 01000) }, 2 });
	else if (r == 1)
		fz_do(w, &(struct call){ "rmdir", 84, { (long)p }, 1 });
	else if (r == 2)
		fz_do(w, &(struct call){ "unlink", 87, { (long)p }, 1 });
	else if (r == 3)
		fz_do(w, &(struct call){ "rename", 82, { (long)p, (long)q }, 2 });
	else if (r == 4)
		fz_do(w, &(struct call){ "link", 86, { (long)p, (long)q }, 2 });
	else if (r == 5)
		fz_do(w, &(struct call){ "symlink", 88, { fz_chance(w, 80) ? (long)target[fz_rand(w, 6)] :
			(long)w->path[0], (long)q }, 2 });
	else if (r == 6)
		fz_do(w, &(struct call){ "readlink", 89, { (long)fz_any_path(w), out, out_len(w, out) }, 3 });
	else if (r == 7)
		fz_do(w, &(struct call){ "chdir", 80, { fz_chance(w, 50) ? (long)w->dir : (long)p }, 1 });
	else if (r == 8)
		fz_do(w, &(struct call){ "getcwd", 79, { out, out_len(w, out) }, 2 });
	else
		fz_do(w, &(struct call){ "getdents64", 217, { fz_pick_fd(w, 0), out, out_len(w, out) }, 3 });
}

int fz_gen_file(struct worker *w)
{
	long r = fz_rand(w, 100);

	if (r < 12)
		gen_open(w);
	else if (r < 20)
		gen_close(w);
	else if (r < 38)
		gen_rw(w);
	else if (r < 44)
		gen_rwv(w);
	else if (r < 54)
		gen_stat(w);
	else if (r < 58)
		gen_pipe(w);
	else if (r < 64)
		gen_dup(w);
	else if (r < 70)
		gen_fcntl(w);
	else if (r < 74)
		gen_ioctl(w);
	else if (r < 82)
		gen_size(w);
	else
		gen_names(w);
	return 1;
}
