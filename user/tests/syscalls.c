/*
 * syscalls: the ordinary semantics of the rest of Numbat's system calls:
 * process ids, uname, clocks and sleeping, CPU affinity, directories and
 * names, pipes and wait status, kill, descriptors (dup, fcntl, open flags,
 * offsets), vectored I/O, access, sync, user ids and signals.
 *
 * Scratch files live in syscalls.d/ in the current directory, removed at
 * the end. The FD_CLOEXEC check executes this program again
 * (`syscalls --check-closed FD`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define DIR_NAME "syscalls.d"

static char exe[256];        /* this program, to execute it again */

static long now_ns(void)
{
	struct timespec t;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	close(fd);
	return ok ? 0 : -1;
}

/* 1 if path holds exactly s. */
static int holds(const char *path, const char *s)
{
	char buf[256];

	return read_file(path, buf, sizeof(buf)) == (long)strlen(s) && strcmp(buf, s) == 0;
}

/* ---------------------------------------------------------------- processes */

static void test_ids(void)
{
	pid_t me = getpid();
	int fds[2], status;
	pid_t got[2] = { 0, 0 };

	/* As on Linux, pid 1 (the test run as init) has parent 0. */
	ok(me > 0 && (me == 1 ? getppid() == 0 : getppid() > 0 && getppid() != me) &&
	   syscall(SYS_gettid) == me,
	   "getpid, getppid, gettid (= pid when single-threaded)");
	pipe(fds);
	pid_t pid = fork();
	if (pid == 0) {
		pid_t mine[2] = { getpid(), getppid() };
		write(fds[1], mine, sizeof(mine));
		_exit(42);
	}
	read(fds[0], got, sizeof(got));
	waitpid(pid, &status, 0);
	ok(got[0] == pid && got[1] == me, "the child's getpid is fork's return, its getppid ours");
	ok_why(exited_with(status, 42), status_str(status), "wait4: WEXITSTATUS is the child's exit code");
	close(fds[0]);
	close(fds[1]);

	pipe(fds);
	pid = fork();
	if (pid == 0) {
		char c;
		read(fds[0], &c, 1);              /* blocks: nobody writes */
		_exit(0);
	}
	ok(waitpid(pid, &status, WNOHANG) == 0, "wait4 WNOHANG on a running child returns 0");
	ok(kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid && killed_by(status, SIGKILL),
	   "kill(child, SIGKILL): wait4 says WTERMSIG SIGKILL");
	ok_errno(kill(pid, 0), ESRCH, "kill of a reaped child: ESRCH");
	close(fds[0]);
	close(fds[1]);
	ok_errno(waitpid(-1, &status, 0), ECHILD, "wait4 with no children: ECHILD");
}

static void test_uname_time(void)
{
	struct utsname u;
	long t0, t1, t2;
	int monotonic = 1;

	int major = 0, minor = -1;

	/* Linux's name and a Linux release (what C libraries and scripts
	 * check) on Numbat too: it names itself in the version field */
	ok(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 &&
	   sscanf(u.release, "%d.%d", &major, &minor) == 2 && major >= 3 &&
	   strcmp(u.machine, "x86_64") == 0,
	   "uname: sysname \"%s\" release \"%s\", machine x86_64", u.sysname, u.release);
	t0 = now_ns();
	for (int i = 0; i < 1000; i++) {
		t1 = now_ns();
		monotonic &= t1 >= t0;
		t0 = t1;
	}
	ok(monotonic && t0 > 0, "clock_gettime(CLOCK_MONOTONIC) never goes back");
	struct timespec req = { 0, 20 * 1000 * 1000 };
	t1 = now_ns();
	int r = nanosleep(&req, NULL);
	t2 = now_ns();
	ok(r == 0 && t2 - t1 >= 20 * 1000 * 1000, "nanosleep(20 ms) sleeps at least 20 ms (%ld us)",
	   (t2 - t1) / 1000);
	ok(sched_yield() == 0, "sched_yield returns 0");
}

/* Pin to each allowed CPU in turn; getcpu must agree. */
static void test_affinity(void)
{
	cpu_set_t all, one;
	unsigned cpu = ~0u, node;
	int tried = 0, good = 0;
	long r;

	CPU_ZERO(&all);                 /* the kernel fills only its mask size */
	r = syscall(SYS_sched_getaffinity, 0, sizeof(all), &all);

	ok(r > 0 && r % sizeof(long) == 0 && CPU_COUNT(&all) > 0,
	   "sched_getaffinity: %ld bytes, %d CPUs", r, CPU_COUNT(&all));
	ok(syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && CPU_ISSET(cpu, &all),
	   "getcpu reports a CPU we may run on");
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		tried++;
		if (sched_setaffinity(0, sizeof(one), &one) == 0 &&
		    syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 && cpu == (unsigned)c)
			good++;
	}
	ok(tried > 0 && good == tried, "sched_setaffinity to one CPU, then getcpu: %d of %d", good, tried);
	sched_setaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	ok_errno(sched_setaffinity(0, sizeof(one), &one), EINVAL, "sched_setaffinity to no CPU: EINVAL");
}

/* ---------------------------------------------------------------- names */

/* The names in a directory, via raw getdents64, joined as " a b c ". */
static int list_dir(const char *path, char *out, size_t size)
{
	struct dirent64_raw {
		unsigned long ino;
		long off;
		unsigned short reclen;
		unsigned char type;
		char name[];
	};
	char buf[4096];
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	long n;
	size_t len = 0;

	out[0] = '\0';
	if (fd < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n; ) {
			struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
			if (d->reclen == 0)
				break;
			len += snprintf(out + len, size - len, " %s", d->name);
			off += d->reclen;
		}
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

/* 1 if w is one of the words of a list made by list_dir. */
static int has_word(const char *list, const char *w)
{
	char pat[64], padded[1100];

	snprintf(pat, sizeof(pat), " %s ", w);
	snprintf(padded, sizeof(padded), "%s ", list);
	return strstr(padded, pat) != NULL;
}

static void test_dirs(void)
{
	char cwd[512], inner[512], names[1024], target[64];
	struct stat st, lst;
	ssize_t n;

	ok(getcwd(cwd, sizeof(cwd)) != NULL && cwd[0] == '/', "getcwd gives an absolute path");
	ok(mkdir(DIR_NAME, 0755) == 0, "mkdir " DIR_NAME);
	ok_errno(mkdir(DIR_NAME, 0755), EEXIST, "mkdir of an existing name: EEXIST");
	ok(chdir(DIR_NAME) == 0 && getcwd(inner, sizeof(inner)) &&
	   strcmp(inner + strlen(inner) - strlen("/" DIR_NAME), "/" DIR_NAME) == 0,
	   "chdir into it: getcwd ends in /" DIR_NAME);

	write_str("a", "alpha");
	ok(rename("a", "b") == 0 && access("a", F_OK) < 0 && errno == ENOENT && holds("b", "alpha"),
	   "rename moves the contents to the new name; the old is gone");
	ok(link("b", "c") == 0 && stat("b", &st) == 0 && st.st_nlink == 2 && holds("c", "alpha"),
	   "link: a second name, nlink 2, same contents");
	ok(unlink("b") == 0 && stat("c", &st) == 0 && st.st_nlink == 1 && holds("c", "alpha"),
	   "unlink one name: the other keeps the file, nlink 1");
	ok_errno(unlink("b"), ENOENT, "unlink of a missing name: ENOENT");
	n = symlink("c", "s") == 0 ? readlink("s", target, sizeof(target)) : -1;
	ok(n == 1 && target[0] == 'c', "symlink, readlink gives the target (no NUL added)");
	ok(lstat("s", &lst) == 0 && S_ISLNK(lst.st_mode) && stat("s", &st) == 0 &&
	   S_ISREG(st.st_mode) && st.st_size == 5 && holds("s", "alpha"),
	   "lstat sees the link, stat and open follow it");
	mkdir("sub", 0755);
	write_str("sub/f", "x");
	ok_errno(rmdir("sub"), ENOTEMPTY, "rmdir of a non-empty directory: ENOTEMPTY");
	ok(list_dir(".", names, sizeof(names)) == 0 && has_word(names, ".") &&
	   has_word(names, "..") && has_word(names, "c") && has_word(names, "s") &&
	   has_word(names, "sub") && !has_word(names, "a") && !has_word(names, "b"),
	   "getdents64 lists . .. c s sub (got%s)", names);
	ok(unlink("sub/f") == 0 && rmdir("sub") == 0 && access("sub", F_OK) < 0,
	   "rmdir of an empty directory");
	ok(access("c", F_OK) == 0 && access("c", R_OK | W_OK) == 0, "access F_OK, R_OK|W_OK");
	unlink("c");
	unlink("s");
	ok(chdir("..") == 0 && getcwd(inner, sizeof(inner)) && strcmp(inner, cwd) == 0 &&
	   rmdir(DIR_NAME) == 0, "chdir(\"..\") comes back; rmdir " DIR_NAME);
}

/* ---------------------------------------------------------------- descriptors */

static void test_fds(void)
{
	const char *f = DIR_NAME ".f";
	char buf[64] = "";
	int fd, fd2, fd3, status;
	struct stat st;

	write_str(f, "0123456789");
	fd = open(f, O_RDWR);
	fd2 = dup(fd);
	ok(fd2 > fd && read(fd, buf, 3) == 3 && lseek(fd2, 0, SEEK_CUR) == 3,
	   "dup shares the file offset");
	fd3 = dup2(fd, 30);
	ok(fd3 == 30 && read(fd3, buf, 2) == 2 && lseek(fd, 0, SEEK_CUR) == 5,
	   "dup2 to 30 shares it too");
	ok(dup3(fd, 31, O_CLOEXEC) == 31 && fcntl(31, F_GETFD) == FD_CLOEXEC &&
	   fcntl(30, F_GETFD) == 0, "dup3(O_CLOEXEC) sets FD_CLOEXEC on the new fd only");
	ok(fcntl(30, F_SETFD, FD_CLOEXEC) == 0 && fcntl(30, F_GETFD) == FD_CLOEXEC,
	   "fcntl F_SETFD/F_GETFD FD_CLOEXEC");

	/* Run ourselves again: fd 30 (FD_CLOEXEC) must be closed there, fd2 open. */
	pid_t pid = fork();
	if (pid == 0) {
		char n1[16], n2[16];
		snprintf(n1, sizeof(n1), "%d", 30);
		snprintf(n2, sizeof(n2), "%d", fd2);
		execl(exe, exe, "--check-closed", n1, n2, (char *)NULL);
		_exit(100);
	}
	waitpid(pid, &status, 0);
	ok_why(exited_with(status, 0), status_str(status),
	       "execve closes FD_CLOEXEC fds and keeps the others");
	close(30);
	close(31);
	close(fd2);

	ok(pread(fd, buf, 4, 6) == 4 && memcmp(buf, "6789", 4) == 0 &&
	   pwrite(fd, "ab", 2, 0) == 2 && lseek(fd, 0, SEEK_CUR) == 5,
	   "pread and pwrite don't move the offset");
	ok(lseek(fd, 0, SEEK_END) == 10 && lseek(fd, -1, SEEK_END) == 9 &&
	   read(fd, buf, 5) == 1 && buf[0] == '9', "lseek SEEK_END");
	ok_errno(lseek(fd, -100, SEEK_SET), EINVAL, "lseek to a negative offset: EINVAL");

	struct iovec out[3] = { { "one", 3 }, { "-two", 4 }, { "-three", 6 } };
	char x[5] = "", y[9] = "";
	struct iovec in[2] = { { x, 4 }, { y, 9 } };
	lseek(fd, 0, SEEK_SET);
	ok(writev(fd, out, 3) == 13 && lseek(fd, 0, SEEK_SET) == 0 && readv(fd, in, 2) == 13 &&
	   memcmp(x, "one-", 4) == 0 && memcmp(y, "two-three", 9) == 0,
	   "writev of 3 pieces, readv into 2");
	ok(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 13, "fstat: a 13-byte file");
	ok(fsync(fd) == 0, "fsync");
	sync();
	close(fd);

	fd = open(f, O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	ok(write(fd, "END", 3) == 3 && fstat(fd, &st) == 0 && st.st_size == 16,
	   "O_APPEND writes at the end whatever the offset");
	close(fd);
	ok_errno(open(f, O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL of an existing file: EEXIST");
	fd = open(f, O_RDWR | O_TRUNC);
	ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties the file");
	close(fd);
	unlink(f);
	ok_errno(open(f, O_RDONLY), ENOENT, "open of a missing file: ENOENT");

	int fds[2];
	ok(pipe(fds) == 0 && fstat(fds[0], &st) == 0 && S_ISFIFO(st.st_mode) &&
	   write(fds[1], "pipe", 4) == 4 && read(fds[0], buf, 10) == 4 && memcmp(buf, "pipe", 4) == 0,
	   "pipe: a FIFO; what goes in comes out");
	close(fds[1]);
	ok(read(fds[0], buf, 10) == 0, "pipe: end of file once the write end is closed");
	close(fds[0]);
}

/* ---------------------------------------------------------------- ids, signals */

/* A handler returns through rt_sigreturn, which musl's restorer calls:
 * the kernel needs it as soon as it runs handlers. */
static volatile int usr1_count;
static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void test_signals(void)
{
	struct sigaction sa, old;
	sigset_t block, prev;

	ok(getuid() == geteuid() && getgid() == getegid(), "getuid = geteuid, getgid = getegid (%d, %d)",
	   getuid(), getgid());
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	ok(sigaction(SIGUSR1, &sa, NULL) == 0 && kill(getpid(), SIGUSR1) == 0 && usr1_count == 1,
	   "rt_sigaction: a handler runs for kill(getpid(), SIGUSR1)");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &prev);
	kill(getpid(), SIGUSR1);
	int while_blocked = usr1_count;
	sigprocmask(SIG_SETMASK, &prev, NULL);
	ok(while_blocked == 1 && usr1_count == 2,
	   "rt_sigprocmask: a blocked signal waits, and comes on unblocking");
	ok(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == on_usr1,
	   "rt_sigaction reports the installed handler");
	signal(SIGUSR1, SIG_DFL);
}

/* `syscalls --check-closed A B`: exit 0 if fd A is closed and fd B open. */
static int check_closed(int argc, char *argv[])
{
	if (argc < 4)
		return 2;
	return fcntl(atoi(argv[2]), F_GETFD) == -1 && errno == EBADF &&
	       fcntl(atoi(argv[3]), F_GETFD) >= 0 ? 0 : 1;
}

int main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "--check-closed") == 0)
		return check_closed(argc, argv);
	snprintf(exe, sizeof(exe), "%s%s", strchr(argv[0], '/') ? "" : "/bin/", argv[0]);

	ktap_plan("syscalls", 51);
	test_ids();
	test_uname_time();
	test_affinity();
	test_dirs();
	test_fds();
	test_signals();
	return ktap_done();
}
