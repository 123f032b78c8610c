/*
 * threadsig: signals among POSIX threads, as Linux has them. Built twice:
 * with musl (this file, /tests/threadsig) and with glibc
 * (user/glibc/threadsig-glibc.c includes it: /tests/threadsig-glibc).
 *
 * A signal to the process is taken by the thread that does not block it,
 * tgkill reaches the thread named. Signal waits and timers in one thread
 * of several: an ITIMER_REAL armed by a thread is the process's (another
 * thread reads it; it fires after that thread exited, in the thread that
 * does not block SIGALRM), sigtimedwait and sigsuspend in one thread take
 * a signal sent to the process while another runs, poll in one thread
 * wakes on another's write, and an SA_RESTART handler restarts a thread's
 * read. The rest of threads (ids, mutexes, TLBs, endings, stacks, pages)
 * is threads'.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* nanosleep(2) itself: glibc's nanosleep() is clock_nanosleep(2). */
/* nanosleep by its system call, not the C library's wrapper */
static void sys_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	syscall(SYS_nanosleep, &ts, NULL);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ---- signals: to the process, to one thread ---- */

static volatile pid_t usr1_tid;
static volatile int usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = gettid_();
	usr1_count++;
}

static volatile int stop_waiter;
static volatile pid_t waiter_tid;

static void *sig_waiter(void *arg)
{
	(void)arg;
	waiter_tid = gettid_();
	while (!stop_waiter)
		sys_sleep_ms(5);
	return NULL;
}

static void signals(void)
{
	struct sigaction sa;
	sigset_t usr1, old;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_create(&t, NULL, sig_waiter, NULL);
	while (!waiter_tid)
		sys_sleep_ms(1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);        /* main blocks it */
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 500 && !usr1_count; i++)
		sys_sleep_ms(2);
	ok(usr1_count == 1 && usr1_tid == waiter_tid,
	   "kill(getpid()) is taken by the thread that does not block it (tid %d, want %d)",
	   usr1_tid, waiter_tid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	usr1_count = 0;
	syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);
	for (int i = 0; i < 500 && !usr1_count; i++)
		sys_sleep_ms(2);
	ok(usr1_count == 1 && usr1_tid == waiter_tid, "tgkill reaches the thread named");
	ok_errno(syscall(SYS_tgkill, getpid() + 100000, waiter_tid, SIGUSR1), ESRCH,
		 "tgkill with the wrong process id: ESRCH");
	stop_waiter = 1;
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- signal waits, timers, poll and restarts in one thread of many ---- */

/* sigaction with flags, no mask. */
static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigaction(sig, &sa, NULL);
}

static volatile pid_t alrm_tid;

static void on_alrm(int sig)
{
	(void)sig;
	alrm_tid = gettid_();
}

static void block(int how, int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

/* Arms a 200 ms ITIMER_REAL and exits: the timer is the process's. */
static void *arm_and_exit(void *arg)
{
	struct itimerval v = { { 0, 0 }, { 0, 200000 } };

	(void)arg;
	setitimer(ITIMER_REAL, &v, NULL);
	return NULL;
}

/* Waits for SIGALRM with it unblocked (the other threads block it). */
static void *alrm_taker(void *arg)
{
	(void)arg;
	block(SIG_UNBLOCK, SIGALRM);
	for (int i = 0; i < 200 && !alrm_tid; i++)
		sys_sleep_ms(10);
	return (void *)(long)syscall(SYS_gettid);
}

static void check_thread_alarm(void)
{
	pthread_t a, b;
	struct itimerval v;
	void *taker;

	handle(SIGALRM, on_alrm, 0);
	block(SIG_BLOCK, SIGALRM);           /* the new threads inherit it */
	alrm_tid = 0;
	pthread_create(&b, NULL, alrm_taker, NULL);
	pthread_create(&a, NULL, arm_and_exit, NULL);
	pthread_join(a, NULL);
	getitimer(ITIMER_REAL, &v);
	ok(v.it_value.tv_sec || v.it_value.tv_usec,
	   "a timer armed by a thread shows in another's getitimer: %ld us",
	   (long)v.it_value.tv_usec);
	pthread_join(b, &taker);
	ok(alrm_tid && alrm_tid == (pid_t)(long)taker,
	   "its SIGALRM, after that thread exited, ran in the one thread not blocking it");
	unsigned left = alarm(5);
	pthread_create(&a, NULL, arm_and_exit, NULL);   /* replaces the alarm */
	pthread_join(a, NULL);
	left = alarm(0);
	ok(left == 1, "alarm() is per process: another thread's setitimer replaced it (%u)", left);
	block(SIG_UNBLOCK, SIGALRM);
	signal(SIGALRM, SIG_DFL);
}

static volatile int waited_sig = -2;

static void *sigtimedwaiter(void *arg)
{
	sigset_t s;
	struct timespec ts = { 3, 0 };

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	waited_sig = sigtimedwait(&s, NULL, &ts);
	return NULL;
}

static volatile pid_t suspend_usr1_tid;

static void on_suspend_usr1(int sig)
{
	(void)sig;
	suspend_usr1_tid = gettid_();
}

static volatile pid_t suspender_tid;

/* sigsuspend with SIGUSR1 unblocked; the other threads block it. */
static void *suspender(void *arg)
{
	sigset_t none;

	(void)arg;
	suspender_tid = gettid_();
	sigemptyset(&none);
	sigsuspend(&none);
	return NULL;
}

static volatile int spin_stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

static void check_thread_waits(void)
{
	pthread_t w, s;

	handle(SIGUSR1, on_suspend_usr1, 0);
	block(SIG_BLOCK, SIGUSR1);           /* every thread made from now on */
	block(SIG_BLOCK, SIGUSR2);           /* blocks both */
	pthread_create(&s, NULL, spinner, NULL);         /* another thread runs meanwhile */
	pthread_create(&w, NULL, sigtimedwaiter, NULL);
	sys_sleep_ms(100);
	kill(getpid(), SIGUSR2);             /* to the process; every thread blocks it */
	pthread_join(w, NULL);
	ok(waited_sig == SIGUSR2, "sigtimedwait in one thread takes a signal sent to the process: %d",
	   waited_sig);

	suspend_usr1_tid = 0;
	pthread_create(&w, NULL, suspender, NULL);
	sys_sleep_ms(100);
	kill(getpid(), SIGUSR1);
	pthread_join(w, NULL);
	ok(suspend_usr1_tid && suspend_usr1_tid == suspender_tid,
	   "sigsuspend in one thread: the process's SIGUSR1 runs its handler there");
	spin_stop = 1;
	pthread_join(s, NULL);
	block(SIG_UNBLOCK, SIGUSR1);
	block(SIG_UNBLOCK, SIGUSR2);
	signal(SIGUSR1, SIG_DFL);
}

static int poll_pipe[2];
static volatile int poll_result = -2, read_result = -2;

static void *poller(void *arg)
{
	struct pollfd pfd = { poll_pipe[0], POLLIN, 0 };

	(void)arg;
	poll_result = poll(&pfd, 1, 3000) == 1 && (pfd.revents & POLLIN);
	return NULL;
}

static void *reader(void *arg)
{
	char c;

	(void)arg;
	read_result = (int)read(poll_pipe[0], &c, 1);
	return NULL;
}

static void on_restart(int sig) { (void)sig; }

static void check_thread_poll_restart(void)
{
	pthread_t w;

	pipe(poll_pipe);
	pthread_create(&w, NULL, poller, NULL);
	sys_sleep_ms(100);
	write(poll_pipe[1], "x", 1);
	pthread_join(w, NULL);
	ok(poll_result == 1, "poll in one thread wakes when another writes the pipe");
	char c;
	read(poll_pipe[0], &c, 1);

	handle(SIGUSR1, on_restart, SA_RESTART);
	pthread_create(&w, NULL, reader, NULL);
	sys_sleep_ms(100);
	pthread_kill(w, SIGUSR1);            /* a handler in the reading thread */
	sys_sleep_ms(100);
	write(poll_pipe[1], "y", 1);
	pthread_join(w, NULL);
	ok(read_result == 1, "SA_RESTART: a thread's read interrupted by a handler goes on: %d",
	   read_result);
	signal(SIGUSR1, SIG_DFL);
	close(poll_pipe[0]), close(poll_pipe[1]);
}

int main(void)
{
	ktap_plan("threadsig", 10);
	signals();
	check_thread_alarm();
	check_thread_waits();
	check_thread_poll_restart();
	return ktap_done();
}
