/*
 * jobctl: stopped processes as Linux has them (process groups and
 * sessions themselves are pgroups').
 * SIGSTOP/SIGTSTP stop a child (it does not run; State T; wait4 with
 * WUNTRACED sees 0x7f | sig << 8, SIGCHLD unless SA_NOCLDSTOP); SIGCONT
 * resumes it (WCONTINUED: 0xffff) and its interrupted read or select
 * goes on;
 * SIGKILL ends a stopped child; and, where stdin is the controlling TTY,
 * SIGTTIN for a background reader and SIGTTOU for a background
 * tcsetpgrp. A process of three threads: SIGSTOP (or SIGTSTP to one
 * thread) stops all three (their counters stop), wait4 reports the stop
 * and the continue once each, SIGCONT resumes all three, kill(-pgrp)
 * runs its handler once.
 * Runs on Linux too (the TTY checks skip without a TTY).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "jobtest.h"
#include "ktap.h"

static volatile sig_atomic_t chld_count, tstp_count;

static void on_chld(int sig) { (void)sig; chld_count++; }
static void on_tstp(int sig) { (void)sig; tstp_count++; }

/* /proc/PID/status's State letter, or '?'. */
static char state_of(pid_t pid)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return '?';
	char *s = strstr(buf, "State:");
	return s ? s[7] : '?';
}

/* A child that writes a byte to fd every 10 ms, forever, in a group of
 * its own (not orphaned: we are its parent, in another group of the
 * session; an orphaned group's default SIGTSTP is dropped). */
static pid_t ticking_child(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		for (;;) {
			write(fd, "t", 1);
			usleep(10000);
		}
	}
	return pid;
}

static int drain(int fd)
{
	char buf[256];
	int n = 0, r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		n += r;
	return n;
}

static void check_stop_cont(void)
{
	int p[2], st;

	pipe2(p, O_NONBLOCK);
	catch(SIGCHLD, on_chld, 0);
	chld_count = 0;
	pid_t c = ticking_child(p[1]);
	setpgid(c, c);
	usleep(30000);
	ok(waitpid(c, &st, WNOHANG | WUNTRACED) == 0, "running child: WNOHANG|WUNTRACED reports nothing");
	kill(c, SIGSTOP);
	st = wait_for(c, WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && st == 0x137f,
	   "wait4(WUNTRACED) sees SIGSTOP: status %#x", st);
	ok(chld_count >= 1, "the parent got SIGCHLD for the stop");
	ok(state_of(c) == 'T', "/proc/PID/status says T (stopped): %c", state_of(c));
	drain(p[0]);
	nap(100);
	ok(drain(p[0]) == 0, "a stopped child does not run");
	ok(waitpid(c, &st, WNOHANG | WUNTRACED) == 0, "the stop is reported once");
	chld_count = 0;
	kill(c, SIGCONT);
	st = wait_for(c, WCONTINUED);
	ok(WIFCONTINUED(st) && st == 0xffff, "wait4(WCONTINUED) sees it continued: status %#x", st);
	nap(60);                             /* Linux: SIGCHLD comes once the child runs */
	ok(chld_count >= 1, "the parent got SIGCHLD for the continue");
	ok(drain(p[0]) > 0, "continued, it runs again");

	catch(SIGCHLD, on_chld, SA_NOCLDSTOP);
	chld_count = 0;
	kill(c, SIGTSTP);
	st = wait_for(c, WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "SIGTSTP's default action stops too: %#x", st);
	ok(chld_count == 0, "SA_NOCLDSTOP: no SIGCHLD for the stop");
	kill(c, SIGKILL);
	st = wait_for(c, 0);
	ok(killed_by(st, SIGKILL), "SIGKILL ends a stopped child (%s)", status_str(st));
	signal(SIGCHLD, SIG_DFL);
	close(p[0]), close(p[1]);
}

/* POSIX: SIGTSTP (not SIGSTOP) to an orphaned group does not stop it. A
 * child that calls setsid leads a group whose parent is in another
 * session: orphaned. */
static void check_orphaned(void)
{
	int p[2], st;

	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		setsid();
		close(p[1]);
		char ch;
		read(p[0], &ch, 1);
		_exit(5);
	}
	nap(30);
	kill(c, SIGTSTP);
	nap(50);
	ok(waitpid(c, &st, WNOHANG | WUNTRACED) == 0, "SIGTSTP to an orphaned group: not stopped");
	kill(c, SIGSTOP);
	st = wait_for(c, WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "but SIGSTOP stops it (%#x)", st);
	kill(c, SIGKILL);
	wait_for(c, 0);
	close(p[0]), close(p[1]);
}

static void check_restart_after_stop(void)
{
	int p[2];

	pipe(p);
	pid_t c = waiting_child(p, 0);
	usleep(30000);                       /* in its read */
	kill(c, SIGSTOP);
	int st = wait_for(c, WUNTRACED);
	kill(c, SIGCONT);
	usleep(30000);
	write(p[1], "k", 1);
	st = wait_for(c, 0);
	ok(exited_with(st, 'k'), "a read stopped and continued goes on and gets its byte (%s)", status_str(st));
	close(p[0]), close(p[1]);

	pipe(p);
	c = fork();
	if (c == 0) {
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(p[0], &rs);
		struct timeval tv = { 5, 0 };
		close(p[1]);
		int r = select(p[0] + 1, &rs, NULL, NULL, &tv);
		_exit(r == 1 && FD_ISSET(p[0], &rs) ? 0 : r < 0 ? 100 + errno : 99);
	}
	usleep(30000);                       /* in its select */
	kill(c, SIGSTOP);
	wait_for(c, WUNTRACED);
	kill(c, SIGCONT);
	usleep(30000);
	write(p[1], "k", 1);
	st = wait_for(c, 0);
	ok(exited_with(st, 0), "a select stopped and continued goes on and sees the byte (%s)", status_str(st));
	close(p[0]), close(p[1]);

	pipe(p);
	c = fork();
	if (c == 0) {
		catch(SIGTSTP, on_tstp, 0);
		tstp_count = 0;
		close(p[1]);
		char ch;
		read(p[0], &ch, 1);
		_exit(tstp_count == 1 ? 0 : 1);
	}
	usleep(30000);
	kill(c, SIGTSTP);
	usleep(30000);
	write(p[1], "k", 1);
	st = wait_for(c, WUNTRACED);
	ok(exited_with(st, 0), "a handled SIGTSTP does not stop (%s)", status_str(st));
	close(p[0]), close(p[1]);
}

/* The TTY part needs stdin to be our controlling TTY. */
static void check_tty(void)
{
	const int n = 7;
	pid_t fg = tcgetpgrp(0);

	if (fg < 0) {
		for (int i = 0; i < n; i++)
			skip("stdin is not a controlling TTY here", "tty check %d", i + 1);
		return;
	}
	int sid = -1, r = ioctl(0, TIOCGSID, &sid);
	ok(r == 0 && sid == getsid(0), "TIOCGSID: our session %d", sid);
	ok_errno(tcsetpgrp(0, 999999), ESRCH, "tcsetpgrp to a missing group: ESRCH");

	pid_t c = fork();
	if (c == 0) {
		char ch;
		setpgid(0, 0);
		read(0, &ch, 1);                 /* background: SIGTTIN stops us */
		_exit(3);
	}
	setpgid(c, c);
	int st = wait_for(c, WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN, "a background reader stops with SIGTTIN (%#x)", st);
	kill(c, SIGKILL);
	wait_for(c, 0);

	c = fork();
	if (c == 0) {
		char ch;
		signal(SIGTTIN, SIG_IGN);
		setpgid(0, 0);
		_exit(read(0, &ch, 1) == -1 && errno == EIO ? 0 : 1);
	}
	setpgid(c, c);
	st = wait_for(c, 0);
	ok(exited_with(st, 0), "with SIGTTIN ignored, a background read fails with EIO (%s)",
	   status_str(st));

	struct termios t;
	tcgetattr(1, &t);
	t.c_lflag |= TOSTOP;
	tcsetattr(1, TCSANOW, &t);
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		write(1, "", 0);                 /* TOSTOP, background: SIGTTOU stops us */
		_exit(3);
	}
	setpgid(c, c);
	st = wait_for(c, WUNTRACED);
	t.c_lflag &= ~TOSTOP;
	tcsetattr(1, TCSANOW, &t);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "with TOSTOP a background write stops with SIGTTOU (%#x)", st);
	kill(c, SIGKILL);
	wait_for(c, 0);

	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		tcsetpgrp(0, getpgrp());         /* background: SIGTTOU stops us */
		_exit(3);
	}
	setpgid(c, c);
	st = wait_for(c, WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "a background tcsetpgrp stops with SIGTTOU (%#x)", st);
	kill(c, SIGKILL);
	wait_for(c, 0);

	c = fork();
	if (c == 0) {
		signal(SIGTTOU, SIG_IGN);
		setpgid(0, 0);
		int okay = tcsetpgrp(0, getpgrp()) == 0 && tcgetpgrp(0) == getpgrp();
		okay = okay && tcsetpgrp(0, fg) == 0;
		_exit(okay ? 0 : 1);
	}
	setpgid(c, c);
	st = wait_for(c, 0);
	signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(0, fg);                    /* in case the child did not */
	signal(SIGTTOU, SIG_DFL);
	ok(exited_with(st, 0), "with SIGTTOU ignored, a background group may take the foreground");
}

/* ---- a process of several threads: job control acts on the process ---- */

#define GROUP_THREADS 3

/* Shared with the parent (MAP_SHARED): each thread's loop count. */
struct group_share {
	volatile long count[GROUP_THREADS];
	volatile int tid[GROUP_THREADS];
	volatile int usr1_runs;
};

static struct group_share *gs;

static void *group_counter(void *arg)
{
	long i = (long)arg;

	gs->tid[i] = (int)syscall(SYS_gettid);
	for (;;) {
		gs->count[i]++;
		usleep(2000);
	}
	return NULL;
}

static void on_group_usr1(int sig)
{
	(void)sig;
	__atomic_fetch_add(&gs->usr1_runs, 1, __ATOMIC_SEQ_CST);
}

/* A child of GROUP_THREADS threads in a group of its own, each counting
 * in gs; it handles SIGUSR1 by counting that too. */
static pid_t group_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pthread_t t;
		setpgid(0, 0);
		catch(SIGUSR1, on_group_usr1, SA_RESTART);
		for (long i = 1; i < GROUP_THREADS; i++)
			pthread_create(&t, NULL, group_counter, (void *)i);
		group_counter((void *)0);
	}
	setpgid(pid, pid);
	return pid;
}

static void counts(long *c)
{
	for (int i = 0; i < GROUP_THREADS; i++)
		c[i] = gs->count[i];
}

/* How many threads counted since c was taken (and take it again). */
static int moved(long *c)
{
	int n = 0;

	for (int i = 0; i < GROUP_THREADS; i++) {
		n += gs->count[i] != c[i];
		c[i] = gs->count[i];
	}
	return n;
}

/* Every thread has counted at least once: all have started. */
static void group_started(void)
{
	for (int i = 0; i < 500; i++) {
		int all = 1;
		for (int t = 0; t < GROUP_THREADS; t++)
			all &= gs->count[t] > 0;
		if (all)
			return;
		nap(10);
	}
}

static void check_group_stop(void)
{
	long c[GROUP_THREADS];
	int st;

	gs = mmap(NULL, sizeof(*gs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset((void *)gs, 0, sizeof(*gs));
	pid_t pid = group_child();
	group_started();
	kill(pid, SIGSTOP);
	st = wait_for(pid, WUNTRACED);
	ok(WIFSTOPPED(st) && st == 0x137f, "3 threads: wait4(WUNTRACED) sees the stop: %#x", st);
	nap(20);
	counts(c);
	nap(150);
	ok(moved(c) == 0, "SIGSTOP to a process stops all %d of its threads", GROUP_THREADS);
	ok(state_of(pid) == 'T', "its /proc/PID/status says T: %c", state_of(pid));
	ok(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "the process's stop is reported once");
	kill(pid, SIGCONT);
	st = wait_for(pid, WCONTINUED);
	ok(WIFCONTINUED(st), "wait4(WCONTINUED) sees it continued: %#x", st);
	ok(waitpid(pid, &st, WNOHANG | WCONTINUED) == 0, "the continue is reported once");
	nap(150);
	ok(moved(c) == GROUP_THREADS, "SIGCONT resumes all %d threads", GROUP_THREADS);

	/* A stop sent to one thread (tgkill) stops the whole process too. */
	syscall(SYS_tgkill, pid, gs->tid[GROUP_THREADS - 1], SIGTSTP);
	st = wait_for(pid, WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "SIGTSTP to one thread stops the process: %#x",
	   st);
	nap(20);
	counts(c);
	nap(150);
	ok(moved(c) == 0, "... every thread of it");
	kill(pid, SIGCONT);
	wait_for(pid, WCONTINUED);

	gs->usr1_runs = 0;
	kill(-pid, SIGUSR1);
	nap(150);
	ok(gs->usr1_runs == 1, "kill(-pgrp) reaches the 3-thread process once: %d handler runs",
	   gs->usr1_runs);
	kill(pid, SIGKILL);
	st = wait_for(pid, 0);
	ok(killed_by(st, SIGKILL), "SIGKILL ends it (%s)", status_str(st));
	munmap((void *)gs, sizeof(*gs));
}

int main(void)
{
	ktap_plan("jobctl", 35);
	check_stop_cont();
	check_orphaned();
	check_restart_after_stop();
	check_tty();
	check_group_stop();
	return ktap_done();
}

