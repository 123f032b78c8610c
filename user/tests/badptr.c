/*
 * badptr: bad user pointers handed to the kernel, and bad memory accesses
 * made by user code (as xv6's usertests do it).
 *
 * Part 1: every system call in Numbat's list that takes a pointer gets, in
 * turn, each of these instead of a good pointer:
 *
 *   NULL                  page 0 is never mapped
 *   0xffff800000000000    start of the kernel half (direct map on Numbat)
 *   0xffffffff80000000    the kernel image
 *   0x0000800000000000    first non-canonical address: must not become a #GP
 *   unmapped              a user page that was mapped and then unmapped
 *   straddling            the object (or string) begins in the last bytes of a
 *                         mapping whose next page is unmapped
 *
 * and must fail with EFAULT without side effects. raw syscall() is used so
 * that musl can't check anything first. One result line per system call;
 * a failure names the pointer kinds that went wrong.
 *
 * Where Linux does something other than EFAULT the case says so and we
 * assert what Linux does (see the QUIRK notes below).
 *
 * Part 2: user code that reads or writes kernel memory, writes its own
 * text, or overflows its stack must die of SIGSEGV (checked in a child).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

enum kind { K_NULL, K_KHALF, K_KTEXT, K_NONCANON, K_UNMAPPED, K_EDGE, NKINDS };

static const char *kind_name[NKINDS] = {
	"NULL", "0xffff800000000000", "0xffffffff80000000", "0x800000000000",
	"unmapped", "straddling",
};

#define STR  (-1)          /* the pointer is a NUL-terminated string */

/* One system call with one pointer argument replaced by p. */
struct call {
	const char *name;
	long (*fn)(char *p);
	long size;         /* bytes the kernel reads/writes at p, or STR */
	int quirks;        /* pointer kinds (1 << K_...) that give quirk_ret */
	long quirk_ret;    /* what those return: >= 0, -errno, or ANY_PID */
};

#define ANY_PID  LONG_MAX  /* quirk_ret: any value > 0 */

static char *page_end;     /* end of a mapped page; the next one is unmapped */
static char *unmapped;     /* a page that was mapped, then unmapped */
static int fd_file, fd_dir;
static char exe[256];      /* this program, for execve */

#define FILE_NAME  "badptr.f"          /* exists, 8 KiB */
#define LINK_NAME  "badptr.l"          /* symlink to LINK_TARGET */
#define LINK_TARGET "badptr-target"    /* 13 bytes */
#define NEW_NAME   "badptr.n"          /* never exists */

static struct stat st;
static struct iovec iov;
static struct timespec ts;
static char buf[8192];
static char *good_argv[] = { "badptr", "--exec-probe", NULL };

/* An iovec whose base is p, for readv/writev with a bad buffer. */
static struct iovec *iov_at(char *p)
{
	iov.iov_base = p;
	iov.iov_len = 64;
	return &iov;
}

static long c_read(char *p)     { lseek(fd_file, 0, SEEK_SET); return syscall(SYS_read, fd_file, p, 64); }
static long c_write(char *p)    { lseek(fd_file, 0, SEEK_SET); return syscall(SYS_write, fd_file, p, 64); }
static long c_readv_a(char *p)  { lseek(fd_file, 0, SEEK_SET); return syscall(SYS_readv, fd_file, p, 1); }
static long c_readv_b(char *p)  { lseek(fd_file, 0, SEEK_SET); return syscall(SYS_readv, fd_file, iov_at(p), 1); }
static long c_writev_a(char *p) { lseek(fd_file, 0, SEEK_SET); return syscall(SYS_writev, fd_file, p, 1); }
static long c_writev_b(char *p) { lseek(fd_file, 0, SEEK_SET); return syscall(SYS_writev, fd_file, iov_at(p), 1); }
static long c_pread(char *p)    { return syscall(SYS_pread64, fd_file, p, 64, 0); }
static long c_pwrite(char *p)   { return syscall(SYS_pwrite64, fd_file, p, 64, 0); }
static long c_open(char *p)
{
	long r = syscall(SYS_open, p, O_RDONLY);
	if (r >= 0)
		close(r);
	return r;
}
static long c_stat_a(char *p)   { return syscall(SYS_stat, p, &st); }
static long c_stat_b(char *p)   { return syscall(SYS_stat, FILE_NAME, p); }
static long c_fstat(char *p)    { return syscall(SYS_fstat, fd_file, p); }
static long c_lstat_a(char *p)  { return syscall(SYS_lstat, p, &st); }
static long c_lstat_b(char *p)  { return syscall(SYS_lstat, LINK_NAME, p); }
static long c_fstatat_a(char *p) { return syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0); }
static long c_fstatat_b(char *p) { return syscall(SYS_newfstatat, AT_FDCWD, FILE_NAME, p, 0); }
static long c_getdents(char *p) { lseek(fd_dir, 0, SEEK_SET); return syscall(SYS_getdents64, fd_dir, p, 4096); }
static long c_access(char *p)   { return syscall(SYS_access, p, F_OK); }
static long c_mkdir(char *p)    { return syscall(SYS_mkdir, p, 0755); }
static long c_rmdir(char *p)    { return syscall(SYS_rmdir, p); }
static long c_unlink(char *p)   { return syscall(SYS_unlink, p); }
static long c_rename_a(char *p) { return syscall(SYS_rename, p, NEW_NAME); }
static long c_rename_b(char *p) { return syscall(SYS_rename, FILE_NAME, p); }
static long c_link_a(char *p)   { return syscall(SYS_link, p, NEW_NAME); }
static long c_link_b(char *p)   { return syscall(SYS_link, FILE_NAME, p); }
static long c_symlink_a(char *p) { return syscall(SYS_symlink, p, NEW_NAME); }
static long c_symlink_b(char *p) { return syscall(SYS_symlink, FILE_NAME, p); }
static long c_readlink_a(char *p) { return syscall(SYS_readlink, p, buf, 64); }
static long c_readlink_b(char *p) { return syscall(SYS_readlink, LINK_NAME, p, 64); }
static long c_chdir(char *p)    { return syscall(SYS_chdir, p); }
static long c_getcwd(char *p)   { return syscall(SYS_getcwd, p, 4096); }
static long c_pipe(char *p)
{
	long r = syscall(SYS_pipe, p);
	if (r == 0) {                   /* must not happen: don't leak the fds */
		close(((int *)p)[0]);
		close(((int *)p)[1]);
	}
	return r;
}
static long c_uname(char *p)    { return syscall(SYS_uname, p); }
static long c_clock(char *p)    { return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p); }
static long c_nanosleep_a(char *p) { return syscall(SYS_nanosleep, p, NULL); }
static long c_nanosleep_b(char *p)
{
	ts.tv_sec = 0;
	ts.tv_nsec = 1000;
	return syscall(SYS_nanosleep, &ts, p);
}
static long c_wait4(char *p)
{
	pid_t pid = fork();
	long r;

	if (pid == 0)
		_exit(0);
	r = syscall(SYS_wait4, pid, p, 0, NULL);
	int e = errno;
	waitpid(pid, NULL, 0);          /* reap it if the bad call didn't */
	errno = e;
	return r;
}
static long c_getaffinity(char *p) { return syscall(SYS_sched_getaffinity, 0, 8, p); }
static long c_getcpu_a(char *p) { return syscall(SYS_getcpu, p, NULL, NULL); }
static long c_getcpu_b(char *p) { unsigned cpu; return syscall(SYS_getcpu, &cpu, p, NULL); }
static long c_sigaction_a(char *p) { return syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8); }
static long c_sigaction_b(char *p) { return syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8); }

/* execve in a child, so that a wrong success can't replace this test. The
 * child exits with the errno; if the exec worked, the new image sees
 * --exec-probe (or an empty argv) and exits 99 (see main). Returns -1 with errno set like a
 * failed execve, or 0 for "the exec worked". */
static long exec_in_child(const char *path, char **argv, char **envp)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		syscall(SYS_execve, path, argv, envp);
		_exit(errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return errno = 0, -2;
	if (WEXITSTATUS(status) == 99)
		return 0;
	errno = WEXITSTATUS(status);
	return -1;
}
static long c_execve_a(char *p) { return exec_in_child(p, good_argv, NULL); }
static long c_execve_b(char *p) { return exec_in_child(exe, (char **)p, NULL); }
static long c_execve_c(char *p)
{
	char *argv[] = { p, NULL };
	return exec_in_child(exe, argv, NULL);
}
static long c_execve_d(char *p) { return exec_in_child(exe, good_argv, (char **)p); }

#define Q(k) (1 << (k))

static const struct call calls[] = {
	/* QUIRK: a read or write that straddles the end of a mapping moves the
	 * bytes that fit and returns that count, as Linux does ("a short read
	 * or write"); the 64-byte buffer starts 32 bytes before the end. */
	{ "read(fd, BAD, 64)", c_read, 64, Q(K_EDGE), 32 },
	{ "write(fd, BAD, 64)", c_write, 64, Q(K_EDGE), 32 },
	{ "readv(fd, BAD iov, 1)", c_readv_a, sizeof(struct iovec), 0, 0 },
	{ "readv(fd, iov.base=BAD, 1)", c_readv_b, 64, Q(K_EDGE), 32 },
	{ "writev(fd, BAD iov, 1)", c_writev_a, sizeof(struct iovec), 0, 0 },
	{ "writev(fd, iov.base=BAD, 1)", c_writev_b, 64, Q(K_EDGE), 32 },
	{ "pread64(fd, BAD, 64, 0)", c_pread, 64, Q(K_EDGE), 32 },
	{ "pwrite64(fd, BAD, 64, 0)", c_pwrite, 64, Q(K_EDGE), 32 },
	{ "open(BAD)", c_open, STR, 0, 0 },
	{ "stat(BAD, st)", c_stat_a, STR, 0, 0 },
	{ "stat(path, BAD)", c_stat_b, sizeof(struct stat), 0, 0 },
	{ "fstat(fd, BAD)", c_fstat, sizeof(struct stat), 0, 0 },
	{ "lstat(BAD, st)", c_lstat_a, STR, 0, 0 },
	{ "lstat(path, BAD)", c_lstat_b, sizeof(struct stat), 0, 0 },
	{ "newfstatat(AT_FDCWD, BAD, st, 0)", c_fstatat_a, STR, 0, 0 },
	{ "newfstatat(AT_FDCWD, path, BAD, 0)", c_fstatat_b, sizeof(struct stat), 0, 0 },
	/* The first entry (".", 24 bytes) doesn't fit before the end. */
	{ "getdents64(dirfd, BAD, 4096)", c_getdents, 16, 0, 0 },
	{ "access(BAD, F_OK)", c_access, STR, 0, 0 },
	{ "mkdir(BAD)", c_mkdir, STR, 0, 0 },
	{ "rmdir(BAD)", c_rmdir, STR, 0, 0 },
	{ "unlink(BAD)", c_unlink, STR, 0, 0 },
	{ "rename(BAD, new)", c_rename_a, STR, 0, 0 },
	{ "rename(old, BAD)", c_rename_b, STR, 0, 0 },
	{ "link(BAD, new)", c_link_a, STR, 0, 0 },
	{ "link(old, BAD)", c_link_b, STR, 0, 0 },
	{ "symlink(BAD, new)", c_symlink_a, STR, 0, 0 },
	{ "symlink(target, BAD)", c_symlink_b, STR, 0, 0 },
	{ "readlink(BAD, buf, 64)", c_readlink_a, STR, 0, 0 },
	{ "readlink(link, BAD, 64)", c_readlink_b, sizeof(LINK_TARGET) - 1, 0, 0 },
	{ "chdir(BAD)", c_chdir, STR, 0, 0 },
	/* getcwd writes at least "/" and its NUL. */
	{ "getcwd(BAD, 4096)", c_getcwd, 2, 0, 0 },
	{ "pipe(BAD)", c_pipe, 2 * sizeof(int), 0, 0 },
	{ "uname(BAD)", c_uname, 390, 0, 0 },
	{ "clock_gettime(CLOCK_MONOTONIC, BAD)", c_clock, sizeof(struct timespec), 0, 0 },
	{ "nanosleep(BAD, NULL)", c_nanosleep_a, sizeof(struct timespec), 0, 0 },
	/* QUIRK: rem is written only when the sleep is interrupted, so an
	 * uninterrupted nanosleep never looks at it and returns 0. */
	{ "nanosleep(req, BAD rem)", c_nanosleep_b, sizeof(struct timespec), (1 << NKINDS) - 1, 0 },
	/* QUIRK: a NULL status pointer means "don't store it". */
	{ "wait4(pid, BAD status, 0, NULL)", c_wait4, sizeof(int), Q(K_NULL), ANY_PID },
	/* The kernel copies min(len, its mask size) = 8 bytes with <= 64 CPUs. */
	{ "sched_getaffinity(0, 8, BAD)", c_getaffinity, 8, 0, 0 },
	/* QUIRK: NULL means "don't report it" for getcpu and rt_sigaction. */
	{ "getcpu(BAD cpu, NULL, NULL)", c_getcpu_a, sizeof(unsigned), Q(K_NULL), 0 },
	{ "getcpu(cpu, BAD node, NULL)", c_getcpu_b, sizeof(unsigned), Q(K_NULL), 0 },
	{ "rt_sigaction(SIGUSR1, BAD act, NULL, 8)", c_sigaction_a, 32, Q(K_NULL), 0 },
	{ "rt_sigaction(SIGUSR1, NULL, BAD old, 8)", c_sigaction_b, 32, Q(K_NULL), 0 },
	/* QUIRK: Linux runs a program given a NULL or empty argv (with argc 0,
	 * or since 5.18 argv = {""}), and a NULL envp means an empty one. */
	{ "execve(BAD, argv, NULL)", c_execve_a, STR, 0, 0 },
	{ "execve(path, BAD argv, NULL)", c_execve_b, sizeof(char *), Q(K_NULL), 0 },
	{ "execve(path, {BAD, NULL}, NULL)", c_execve_c, STR, Q(K_NULL), 0 },
	{ "execve(path, argv, BAD envp)", c_execve_d, sizeof(char *), Q(K_NULL), 0 },
};
#define NCALLS (int)(sizeof(calls) / sizeof(calls[0]))

/* The bad pointer of kind k for call c. */
static char *bad_pointer(const struct call *c, enum kind k)
{
	switch (k) {
	case K_NULL:      return NULL;
	case K_KHALF:     return (char *)0xffff800000000000UL;
	case K_KTEXT:     return (char *)0xffffffff80000000UL;
	case K_NONCANON:  return (char *)0x0000800000000000UL;
	case K_UNMAPPED:  return unmapped;
	default:
		if (c->size == STR) {   /* 16 non-NUL bytes right up to the end */
			memset(page_end - 16, 'x', 16);
			return page_end - 16;
		}
		return page_end - c->size / 2;
	}
}

/* Try every pointer kind on one call; one result line. */
static void check_call(const struct call *c)
{
	char why[256] = "";
	size_t len = 0;

	for (int k = 0; k < NKINDS; k++) {
		long want = (c->quirks & Q(k)) ? c->quirk_ret : -EFAULT;
		errno = 0;
		long r = c->fn(bad_pointer(c, k));
		long got = r == -1 ? -errno : r;
		if (want == ANY_PID && got > 0)
			want = got;
		if (got != want && len < sizeof(why) - 64)
			len += snprintf(why + len, sizeof(why) - len, "%s%s: got %ld want %ld",
					len ? "; " : "", kind_name[k], got, want);
	}
	ok_why(len == 0, why, "%s", c->name);
}

/* ---------------------------------------------------------------- part 2 */

/* Recurse with 64 KiB frames until the stack runs out; the bound (256 MiB
 * of stack) is far beyond any stack limit, so returning is a failure. */
static __attribute__((noinline)) int recurse(int depth)
{
	volatile char frame[65536];

	frame[0] = depth;
	frame[sizeof(frame) - 1] = depth;
	if (depth >= 4096)
		return 0;
	return recurse(depth + 1) + frame[100];
}

static void overflow(void *unused)
{
	(void)unused;
	recurse(0);
}

/* Run fn(arg) in a child, which must die of SIGSEGV. */
static void check_segv(const char *what, void (*fn)(void *), void *arg)
{
	int status = run_child(fn, arg);

	ok_why(killed_by(status, SIGSEGV), status_str(status), "%s kills with SIGSEGV", what);
}

/* Read or write one byte at addr in a child, which must die of SIGSEGV. */
static void check_touch(const char *what, void *addr, int write)
{
	int status = touch_in_child(addr, write);

	ok_why(killed_by(status, SIGSEGV), status_str(status), "%s kills with SIGSEGV", what);
}

/* ---------------------------------------------------------------- setup */

static int setup(const char *argv0)
{
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *u = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || u == MAP_FAILED || munmap(m + 4096, 4096) || munmap(u, 4096))
		return -1;
	page_end = m + 4096;
	unmapped = u;
	/* Path to ourselves for execve: as given, or found in /bin. */
	snprintf(exe, sizeof(exe), "%s%s", strchr(argv0, '/') ? "" : "/bin/", argv0);

	unlink(FILE_NAME);
	unlink(LINK_NAME);
	unlink(NEW_NAME);
	memset(buf, 'f', sizeof(buf));
	fd_file = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fd_dir = open(".", O_RDONLY | O_DIRECTORY);
	if (fd_file < 0 || fd_dir < 0 || write(fd_file, buf, sizeof(buf)) != sizeof(buf))
		return -1;
	return symlink(LINK_TARGET, LINK_NAME);
}

int main(int argc, char *argv[])
{
	char *text = (char *)(void *)main;

	/* An execve of ours that worked: with --exec-probe, or with the empty
	 * argv Linux makes of a NULL one. Tell the parent and stop. */
	if (argc == 0 || argv[0][0] == '\0' ||
	    (argc > 1 && strcmp(argv[1], "--exec-probe") == 0))
		return 99;

	ktap_plan("badptr", NCALLS + 10);
	if (setup(argv[0]) < 0) {
		diag("setup failed: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < NCALLS; i++)
		check_call(&calls[i]);

	check_touch("reading 0xffff800000000000", (void *)0xffff800000000000UL, 0);
	check_touch("writing 0xffff800000000000", (void *)0xffff800000000000UL, 1);
	check_touch("reading 0xffffffff80000000", (void *)0xffffffff80000000UL, 0);
	check_touch("writing 0xffffffff80000000", (void *)0xffffffff80000000UL, 1);
	check_touch("reading 0x800000000000 (non-canonical)", (void *)0x800000000000UL, 0);
	check_touch("reading NULL", NULL, 0);
	check_touch("writing NULL", NULL, 1);
	check_touch("reading an unmapped page", unmapped, 0);
	check_touch("writing our own text", text, 1);
	check_segv("stack overflow", overflow, NULL);

	close(fd_file);
	close(fd_dir);
	unlink(FILE_NAME);
	unlink(LINK_NAME);
	unlink(NEW_NAME);
	return ktap_done();
}
