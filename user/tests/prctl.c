/*
 * prctl: the process settings Numbat stores, as Linux reports them.
 * prctl's name (and /proc/self/comm), parent-death signal (sent when the
 * parent exits), dumpable and no_new_privs flags; getpriority and
 * setpriority with the raw call's 20 - nice convention; the user and
 * group ids with Linux's rules for changing them (in children, which then
 * stop being root); getgroups/setgroups. Each error as Linux's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define BADP ((void *)1)

static long pr(long op, long a, long b, long c, long d)
{
	return syscall(SYS_prctl, op, a, b, c, d);
}

static void check_name(void)
{
	char name[32], comm[64];

	memset(name, 0, sizeof(name));
	ok(pr(PR_SET_NAME, (long)"a-rather-long-thread-name", 0, 0, 0) == 0, "PR_SET_NAME");
	ok(pr(PR_GET_NAME, (long)name, 0, 0, 0) == 0 && !strcmp(name, "a-rather-long-t"),
	   "PR_GET_NAME: the first 15 bytes (%s)", name);
	long n = read_file("/proc/self/comm", comm, sizeof(comm));
	ok(n > 0 && !strcmp(comm, "a-rather-long-t\n"), "/proc/self/comm shows it");
	ok_errno(pr(PR_SET_NAME, (long)BADP, 0, 0, 0), EFAULT, "PR_SET_NAME(bad): EFAULT");
	ok_errno(pr(PR_GET_NAME, (long)BADP, 0, 0, 0), EFAULT, "PR_GET_NAME(bad): EFAULT");
	pr(PR_SET_NAME, (long)"prctl", 0, 0, 0);
}

/* The grandchild asks for SIGUSR1 when its parent (the child) dies, and
 * reports through the pipe whether it came. */
static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got = 1; }

static void pdeath_child(void *arg)
{
	int *p = arg;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGUSR1, on_usr1);
		pr(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
		write(p[1], "r", 1);            /* ready */
		for (int i = 0; i < 300 && !got; i++) {
			struct timespec t = { 0, 10000000 };
			nanosleep(&t, NULL);
		}
		write(p[1], got ? "y" : "n", 1);
		_exit(0);
	}
	char c;
	read(p[0], &c, 1);                     /* then die */
	_exit(0);
}

static void check_pdeathsig(void)
{
	int sig = -1, p[2];

	ok(pr(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == 0 && pr(PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0) == 0 &&
	   sig == SIGTERM, "PR_SET_PDEATHSIG then PR_GET_PDEATHSIG: %d", sig);
	pr(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	ok_errno(pr(PR_SET_PDEATHSIG, 1000, 0, 0, 0), EINVAL, "PR_SET_PDEATHSIG(1000): EINVAL");
	ok_errno(pr(PR_GET_PDEATHSIG, (long)BADP, 0, 0, 0), EFAULT, "PR_GET_PDEATHSIG(bad): EFAULT");
	if (pipe(p))
		ktap_bail("pipe");
	int status = run_child(pdeath_child, p);
	char c = 0;
	read(p[0], &c, 1);
	ok(exited_with(status, 0) && c == 'y', "the parent-death signal comes when the parent exits");
	close(p[0]);
	close(p[1]);
}

static void check_flags(void)
{
	ok(pr(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1, "dumpable at start");
	ok(pr(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && pr(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	   "PR_SET_DUMPABLE(0)");
	ok_errno(pr(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL, "PR_SET_DUMPABLE(2): EINVAL");
	pr(PR_SET_DUMPABLE, 1, 0, 0, 0);
	ok(pr(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "no_new_privs off at start");
	ok_errno(pr(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS(0): EINVAL");
	ok_errno(pr(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS extra arg: EINVAL");
	ok(pr(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && pr(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
	   "PR_SET_NO_NEW_PRIVS(1) sticks");
	ok_errno(pr(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL, "PR_GET_NO_NEW_PRIVS extra arg: EINVAL");
	ok_errno(pr(0x7fff1234, 0, 0, 0, 0), EINVAL, "an unknown option: EINVAL");
}

/* ---------------------------------------------------------------- nice */

static void nice_child(void *arg)
{
	(void)arg;
	/* inherited 5; an unprivileged process may raise it, not lower it */
	long r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	if (r != 15)
		_exit(1);
	if (syscall(SYS_setresuid, 1000, 1000, 1000))
		_exit(2);
	if (syscall(SYS_setpriority, PRIO_PROCESS, 0, 7))
		_exit(3);
	if (syscall(SYS_setpriority, PRIO_PROCESS, 0, 6) != -1 || errno != EACCES)
		_exit(4);
	_exit(0);
}

static void check_priority(void)
{
	ok(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 20, "raw getpriority: 20 - nice 0 = 20");
	ok(setpriority(PRIO_PROCESS, 0, 5) == 0 && getpriority(PRIO_PROCESS, 0) == 5 &&
	   syscall(SYS_getpriority, PRIO_PROCESS, getpid()) == 15, "nice 5: raw 15, libc 5");
	ok(setpriority(PRIO_PROCESS, 0, 100) == 0 && getpriority(PRIO_PROCESS, 0) == 19,
	   "nice 100 is clamped to 19");
	setpriority(PRIO_PROCESS, 0, 5);
	int status = run_child(nice_child, NULL);
	ok(exited_with(status, 0), "fork inherits nice; a non-root process may raise it only (%s)",
	   status_str(status));
	ok(setpriority(PRIO_PROCESS, 0, -20) == 0 && getpriority(PRIO_PROCESS, 0) == -20,
	   "root may lower nice to -20");
	setpriority(PRIO_PROCESS, 0, 0);
	ok_errno(syscall(SYS_getpriority, 7, 0), EINVAL, "getpriority(which 7): EINVAL");
	ok_errno(syscall(SYS_setpriority, 7, 0, 0), EINVAL, "setpriority(which 7): EINVAL");
	ok_errno(syscall(SYS_getpriority, PRIO_PROCESS, 999999), ESRCH, "no such pid: ESRCH");
	ok_errno(syscall(SYS_setpriority, PRIO_PROCESS, 999999, 0), ESRCH, "setpriority: ESRCH");
}

/* ---------------------------------------------------------------- ids */

#define FAIL_UNLESS(cond, code) do { if (!(cond)) _exit(code); } while (0)

static void ids_child(void *arg)
{
	unsigned r, e, s;

	(void)arg;
	FAIL_UNLESS(syscall(SYS_setresgid, 10, 20, 30) == 0, 1);
	FAIL_UNLESS(syscall(SYS_getresgid, &r, &e, &s) == 0 && r == 10 && e == 20 && s == 30, 2);
	FAIL_UNLESS(getgid() == 10 && getegid() == 20, 3);
	FAIL_UNLESS(syscall(SYS_setresuid, 100, 200, 300) == 0, 4);
	FAIL_UNLESS(syscall(SYS_getresuid, &r, &e, &s) == 0 && r == 100 && e == 200 && s == 300, 5);
	FAIL_UNLESS(getuid() == 100 && geteuid() == 200, 6);
	/* no longer root: only its own three ids */
	FAIL_UNLESS(syscall(SYS_setuid, 0) == -1 && errno == EPERM, 7);
	FAIL_UNLESS(syscall(SYS_setresuid, -1, 300, -1) == 0 && geteuid() == 300, 8);
	FAIL_UNLESS(syscall(SYS_setuid, 100) == 0 && geteuid() == 100 && getuid() == 100, 9);
	FAIL_UNLESS(syscall(SYS_getresuid, &r, &e, &s) == 0 && s == 300, 10);
	FAIL_UNLESS(syscall(SYS_setreuid, 300, -1) == -1 && errno == EPERM, 11);
	FAIL_UNLESS(syscall(SYS_setreuid, -1, 300) == 0 && geteuid() == 300, 12);
	/* setreuid with e != old real: saved becomes the new effective */
	FAIL_UNLESS(syscall(SYS_getresuid, &r, &e, &s) == 0 && s == 300, 13);
	FAIL_UNLESS(syscall(SYS_setgroups, 0, NULL) == -1 && errno == EPERM, 14);
	FAIL_UNLESS(syscall(SYS_setgid, 0) == -1 && errno == EPERM, 15);
	FAIL_UNLESS(syscall(SYS_setregid, -1, 30) == 0 && getegid() == 30, 16);
	_exit(0);
}

static void check_ids(void)
{
	unsigned r = 9, e = 9, s = 9, g[8];
	unsigned set[3] = { 30, 10, 20 };

	ok(getuid() == 0 && geteuid() == 0 && getgid() == 0, "root to start with");
	ok(syscall(SYS_getresuid, &r, &e, &s) == 0 && r == 0 && e == 0 && s == 0,
	   "getresuid: 0 0 0");
	ok_errno(syscall(SYS_getresuid, BADP, &e, &s), EFAULT, "getresuid(bad): EFAULT");
	int status = run_child(ids_child, NULL);
	ok(exited_with(status, 0), "set*id in a child: Linux's rules (%s)", status_str(status));
	ok(getuid() == 0 && geteuid() == 0, "the parent is still root");
	ok(syscall(SYS_setgroups, 3, set) == 0, "setgroups(3)");
	long n = syscall(SYS_getgroups, 8, g);
	ok(n == 3 && g[0] == 10 && g[1] == 20 && g[2] == 30,
	   "getgroups: 3, sorted as Linux keeps them");
	ok(syscall(SYS_getgroups, 0, NULL) == 3, "getgroups(0, NULL): the count");
	ok_errno(syscall(SYS_getgroups, 2, g), EINVAL, "getgroups with too small a list: EINVAL");
	ok_errno(syscall(SYS_setgroups, -1, g), EINVAL, "setgroups(-1): EINVAL");
	ok_errno(syscall(SYS_setgroups, 1, BADP), EFAULT, "setgroups(bad): EFAULT");
	syscall(SYS_setgroups, 0, NULL);
	ok_errno(syscall(SYS_setuid, -1), EINVAL, "setuid(-1): EINVAL");
}

int main(void)
{
	ktap_plan("prctl", 5 + 4 + 9 + 9 + 12);
	check_name();
	check_pdeathsig();
	check_flags();
	check_priority();
	check_ids();
	return ktap_done();
}
