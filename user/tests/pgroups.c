/*
 * pgroups: process groups and sessions as Linux has them.
 * getpgid/getpgrp/getsid; setsid (EPERM for a group leader); setpgid's
 * rules (EINVAL, ESRCH, EPERM across sessions or to a missing group,
 * EACCES after the child's exec); kill of a group (pid < -1 and 0);
 * setpgid(0, 0) from a thread moves the whole process. Stopping and
 * continuing are jobctl's. Runs on Linux too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtest.h"
#include "ktap.h"

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig) { (void)sig; usr1_count++; }

static void check_ids(void)
{
	ok(getpgrp() == getpgid(0) && getpgid(0) == getpgid(getpid()), "getpgrp == getpgid(0) == getpgid(self)");
	ok(getsid(0) == getsid(getpid()) && getsid(0) > 0, "getsid(0) == getsid(self)");
	ok_errno(getpgid(999999), ESRCH, "getpgid of no process: ESRCH");
	ok_errno(getsid(999999), ESRCH, "getsid of no process: ESRCH");
}

/* In a child: setsid makes a new session and group; then it leads both. */
static void child_setsid(void *unused)
{
	(void)unused;
	pid_t me = getpid();
	int okay = setsid() == me && getsid(0) == me && getpgrp() == me;

	okay = okay && setsid() == -1 && errno == EPERM;        /* a group leader now */
	okay = okay && setpgid(0, 0) == -1 && errno == EPERM;   /* a session leader */
	_exit(okay ? 0 : 1);
}

static void child_leader_setsid(void *unused)
{
	(void)unused;
	setpgid(0, 0);
	_exit(setsid() == -1 && errno == EPERM ? 0 : 1);
}

static void check_setsid(void)
{
	int st = run_child(child_setsid, NULL);
	ok(exited_with(st, 0), "setsid in a child: new session and group; then EPERM for setsid and setpgid");
	st = run_child(child_leader_setsid, NULL);
	ok(exited_with(st, 0), "setsid by a process group leader: EPERM");
}

static void check_setpgid(void)
{
	int p[2];

	pipe(p);
	pid_t c = waiting_child(p, 0);
	ok(setpgid(c, 0) == 0 && getpgid(c) == c, "setpgid(child, 0): the child leads a new group");
	ok(setpgid(c, getpgrp()) == 0 && getpgid(c) == getpgrp(), "setpgid(child, my group): back in ours");
	ok_errno(setpgid(c, 999999), EPERM, "setpgid to a group that does not exist: EPERM");
	ok_errno(setpgid(-1, 0), EINVAL, "setpgid(-1, 0): EINVAL");
	ok_errno(setpgid(0, -5), EINVAL, "setpgid(0, -5): EINVAL");
	ok_errno(setpgid(getppid() > 1 ? getppid() : 999999, 0), ESRCH, "setpgid of a process that is not a child: ESRCH");
	close(p[1]);
	wait_for(c, 0);
	close(p[0]);

	pipe(p);
	c = fork();
	if (c == 0) {
		setsid();
		close(p[1]);
		char ch;
		read(p[0], &ch, 1);
		_exit(0);
	}
	usleep(50000);                       /* let it run setsid */
	ok_errno(setpgid(c, c), EPERM, "setpgid of a child in another session: EPERM");
	close(p[1]);
	wait_for(c, 0);
	close(p[0]);
}

/* setpgid after the child's exec: EACCES. The child execs this program
 * with "exec-child FD", which writes a byte to FD and waits for EOF. */
static void check_exec_eacces(const char *self)
{
	int ready[2], hold[2];
	char arg[16], ch;

	pipe(ready), pipe(hold);
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]), close(hold[1]);
		dup2(hold[0], 0);
		snprintf(arg, sizeof(arg), "%d", ready[1]);
		execl(self, self, "exec-child", arg, (char *)NULL);
		_exit(127);
	}
	close(ready[1]), close(hold[0]);
	int got = read(ready[0], &ch, 1);
	ok_errno(got == 1 ? setpgid(c, c) : 0, EACCES, "setpgid of a child after its exec: EACCES");
	close(hold[1]);
	wait_for(c, 0);
	close(ready[0]);
}

static int exec_child(const char *fd)
{
	char ch;

	write(atoi(fd), "r", 1);
	read(0, &ch, 1);                     /* until the parent closes it */
	return 0;
}

static void check_kill_group(void)
{
	int p[2];

	pipe(p);
	pid_t a = waiting_child(p, 1);
	setpgid(a, a);                       /* no race with the child's own call */
	pid_t b = fork();
	if (b == 0) {
		setpgid(0, a);
		close(p[1]);
		char c;
		read(p[0], &c, 1);
		_exit(0);
	}
	setpgid(b, a);
	ok(kill(-a, 0) == 0, "kill(-pgid, 0): the group exists");
	ok(kill(-a, SIGTERM) == 0, "kill(-pgid, SIGTERM) succeeds");
	int sa = wait_for(a, 0), sb = wait_for(b, 0);
	ok(killed_by(sa, SIGTERM) && killed_by(sb, SIGTERM), "both members died of SIGTERM (%s, %s)",
	   status_str(sa), status_str(sb));
	ok_errno(kill(-a, 0), ESRCH, "kill of an empty group: ESRCH");
	ok(kill(-1, 0) == 0, "kill(-1, 0): some process may be signalled");
	close(p[0]), close(p[1]);
}

/* kill(0, sig) in a child that leads a group with a grandchild. */
static void child_kill_zero(void *unused)
{
	(void)unused;
	int p[2];

	setpgid(0, 0);
	pipe(p);
	pid_t g = waiting_child(p, 0);
	catch(SIGUSR1, on_usr1, 0);
	usr1_count = 0;
	kill(0, SIGUSR1);
	int st = wait_for(g, 0);
	_exit(killed_by(st, SIGUSR1) && usr1_count == 1 ? 0 : 1);
}

static void check_kill_zero(void)
{
	int st = run_child(child_kill_zero, NULL);
	ok(exited_with(st, 0), "kill(0, sig) reaches the caller and its group");
}

static volatile int thread_setpgid = -2;

static void *setpgid_thread(void *arg)
{
	(void)arg;
	thread_setpgid = setpgid(0, 0);
	return NULL;
}

/* In a child: setpgid(0, 0) from a thread other than the main one moves
 * the process (pgid = its pid). Exits 0 if the main thread sees it. */
static void setpgid_child(void)
{
	pthread_t t;

	pthread_create(&t, NULL, setpgid_thread, NULL);
	pthread_join(t, NULL);
	_exit(thread_setpgid == 0 && getpgrp() == getpid() ? 0 : 1);
}

static void check_thread_setpgid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		setpgid_child();
	int st = wait_for(pid, 0);
	ok(exited_with(st, 0), "setpgid(0, 0) in a thread makes the process (its pid) a group (%s)",
	   status_str(st));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exec-child"))
		return exec_child(argv[2]);
	ktap_plan("pgroups", 21);
	check_ids();
	check_setsid();
	check_setpgid();
	check_exec_eacces(argv[0]);
	check_kill_group();
	check_kill_zero();
	check_thread_setpgid();
	return ktap_done();
}
