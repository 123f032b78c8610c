/*
 * sigwait: waiting for signals and timers as Linux has them.
 * rt_sigsuspend (the handler runs under the temporary mask, the old one is
 * back after), rt_sigtimedwait (takes a blocked signal without a handler;
 * EAGAIN on timeout; EINTR for another signal; EINVAL), rt_sigpending,
 * alarm (SIGALRM, the seconds left), setitimer/getitimer with ITIMER_REAL
 * (one shot and periodic, disarming, EINVAL), SIGCHLD at a child's exit,
 * a read interrupted by a handler with and without SA_RESTART, and
 * sigaltstack (SA_ONSTACK handlers on it, EPERM, ENOMEM, EINVAL).
 * Runs on Linux too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

static volatile sig_atomic_t hits[65];
static volatile sig_atomic_t usr2_blocked_in_handler;

static void handler(int sig)
{
	sigset_t now;

	hits[sig]++;
	sigprocmask(SIG_BLOCK, NULL, &now);
	usr2_blocked_in_handler = sigismember(&now, SIGUSR2);
}

static void on(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = flags };

	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

static void check_sigsuspend(void)
{
	sigset_t temp, after;

	on(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	block(SIGUSR2, SIG_BLOCK);
	pid_t c = child_later(50, -1, SIGUSR1);
	sigfillset(&temp);
	sigdelset(&temp, SIGUSR1);           /* wait for USR1 only */
	int r = sigsuspend(&temp);
	ok_errno(r, EINTR, "sigsuspend returns EINTR after a handler");
	ok(hits[SIGUSR1] == 1 && usr2_blocked_in_handler, "the handler ran under the temporary mask");
	sigprocmask(SIG_BLOCK, NULL, &after);
	ok(sigismember(&after, SIGUSR1) && sigismember(&after, SIGUSR2) &&
	   !sigismember(&after, SIGTERM), "the old mask is back after sigsuspend");
	reap_child(c);
	block(SIGUSR1, SIG_UNBLOCK);
	block(SIGUSR2, SIG_UNBLOCK);
	r = syscall(SYS_rt_sigsuspend, &temp, 4);
	ok_errno(r, EINVAL, "rt_sigsuspend with a bad sigsetsize: EINVAL");
}

static void check_sigpending(void)
{
	sigset_t set;

	block(SIGUSR2, SIG_BLOCK);
	on(SIGUSR2, 0);
	hits[SIGUSR2] = 0;
	raise(SIGUSR2);
	sigpending(&set);
	ok(sigismember(&set, SIGUSR2) && !sigismember(&set, SIGUSR1) && hits[SIGUSR2] == 0,
	   "sigpending shows a blocked, pending SIGUSR2");
	block(SIGUSR2, SIG_UNBLOCK);
	sigpending(&set);
	ok(!sigismember(&set, SIGUSR2) && hits[SIGUSR2] == 1, "unblocking delivers it; no longer pending");

	signal(SIGCHLD, SIG_DFL);
	block(SIGCHLD, SIG_BLOCK);
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	reap_child(c);
	sigpending(&set);
	ok(sigismember(&set, SIGCHLD), "a child's exit leaves SIGCHLD pending (blocked, though ignored by default)");
	block(SIGCHLD, SIG_UNBLOCK);
	sigpending(&set);
	ok(!sigismember(&set, SIGCHLD), "unblocked, the default action drops it");
}

static void check_sigtimedwait(void)
{
	sigset_t set;
	siginfo_t info;
	struct timespec ts = { 0, 100000000 };

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hits[SIGUSR1] = 0;
	double t0 = now_ms();
	int r = sigtimedwait(&set, &info, &ts);
	double ms = now_ms() - t0;
	ok(r == -1 && errno == EAGAIN && ms >= 95, "sigtimedwait 100 ms with nothing: EAGAIN after %.0f ms", ms);

	pid_t c = child_later(40, -1, SIGUSR1);
	ts = (struct timespec){ 5, 0 };
	r = sigtimedwait(&set, &info, &ts);
	ok(r == SIGUSR1 && info.si_signo == SIGUSR1 && hits[SIGUSR1] == 0,
	   "sigtimedwait takes SIGUSR1 from another process (handler not run)");
	reap_child(c);
	sigset_t pend;
	sigpending(&pend);
	ok(!sigismember(&pend, SIGUSR1), "and it is no longer pending");

	raise(SIGUSR1);
	ts = (struct timespec){ 0, 0 };
	ok(sigtimedwait(&set, NULL, &ts) == SIGUSR1, "a pending one is taken at once (zero timeout)");

	on(SIGUSR2, 0);
	hits[SIGUSR2] = 0;
	c = child_later(40, -1, SIGUSR2);
	ts = (struct timespec){ 5, 0 };
	r = syscall(SYS_rt_sigtimedwait, &set, &info, &ts, 8);    /* musl's retries EINTR */
	ok(r == -1 && errno == EINTR && hits[SIGUSR2] == 1, "another, unblocked signal interrupts: EINTR");
	reap_child(c);

	ts = (struct timespec){ 0, 1000000000 };
	r = syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8);
	ok_errno(r, EINVAL, "sigtimedwait with tv_nsec 1e9: EINVAL");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void check_alarm(void)
{
	on(SIGALRM, 0);
	hits[SIGALRM] = 0;
	ok(alarm(5) == 0, "alarm(5): no earlier alarm");
	unsigned left = alarm(1);
	ok(left == 5 || left == 4, "alarm(1): the earlier one had %u s left", left);
	double t0 = now_ms();
	pause();
	double ms = now_ms() - t0;
	ok(hits[SIGALRM] == 1 && ms > 800 && ms < 3000, "SIGALRM after about 1 s (%.0f ms)", ms);
	alarm(10);
	ok(alarm(0) >= 9, "alarm(0) cancels and returns what was left");
	usleep(20000);
	ok(hits[SIGALRM] == 1, "a cancelled alarm never fires");
}

static void check_itimer(void)
{
	struct itimerval v = { { 0, 0 }, { 0, 50000 } }, old;

	on(SIGALRM, 0);
	hits[SIGALRM] = 0;
	ok(setitimer(ITIMER_REAL, &v, &old) == 0 && old.it_value.tv_sec == 0 &&
	   old.it_value.tv_usec == 0, "setitimer one shot 50 ms; none before");
	getitimer(ITIMER_REAL, &old);
	ok(old.it_value.tv_usec > 0 && old.it_value.tv_usec <= 50000 && old.it_interval.tv_usec == 0,
	   "getitimer: %ld us left, no interval", (long)old.it_value.tv_usec);
	usleep(200000);
	ok(hits[SIGALRM] == 1, "one SIGALRM for a one shot timer (%d)", hits[SIGALRM]);
	getitimer(ITIMER_REAL, &old);
	ok(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0, "then it is disarmed");

	v = (struct itimerval){ { 0, 20000 }, { 0, 20000 } };
	hits[SIGALRM] = 0;
	setitimer(ITIMER_REAL, &v, NULL);
	double t0 = now_ms();
	while (hits[SIGALRM] < 5 && now_ms() - t0 < 3000)
		pause();
	double ms = now_ms() - t0;
	v = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &v, &old);
	ok(hits[SIGALRM] >= 5 && ms >= 90, "periodic 20 ms: 5 SIGALRMs in %.0f ms", ms);
	ok(old.it_interval.tv_usec == 20000, "the old setting had its interval (%ld us)",
	   (long)old.it_interval.tv_usec);
	int n = hits[SIGALRM];
	usleep(60000);
	ok(hits[SIGALRM] == n, "disarmed: no more SIGALRM");

	v = (struct itimerval){ { 0, 0 }, { 0, 1000000 } };
	ok_errno(setitimer(ITIMER_REAL, &v, NULL), EINVAL, "setitimer with tv_usec 1000000: EINVAL");
	ok_errno(syscall(SYS_setitimer, ITIMER_REAL, (void *)8, NULL), EFAULT, "setitimer bad pointer: EFAULT");
}

/* A handler interrupts a blocking read: EINTR without SA_RESTART; with
 * SA_RESTART the read goes on and gets the data written later. */
static void check_restart(void)
{
	int p[2];
	char c;

	pipe(p);
	on(SIGUSR1, 0);
	pid_t k = child_later(40, -1, SIGUSR1);
	ok_errno(read(p[0], &c, 1), EINTR, "read interrupted by a handler without SA_RESTART: EINTR");
	reap_child(k);

	on(SIGUSR1, SA_RESTART);
	hits[SIGUSR1] = 0;
	pid_t parent = getpid();
	k = fork();
	if (k == 0) {
		usleep(40000);
		kill(parent, SIGUSR1);
		usleep(40000);
		write(p[1], "z", 1);
		_exit(0);
	}
	ssize_t n = read(p[0], &c, 1);
	ok(n == 1 && c == 'z' && hits[SIGUSR1] == 1, "with SA_RESTART the read restarts and gets the byte");
	reap_child(k);
	close(p[0]), close(p[1]);
}

static char *alt_base;
static size_t alt_size;
static volatile sig_atomic_t on_alt, alt_flags, alt_eperm;

static void on_alt_handler(int sig)
{
	char here;
	stack_t now, ss = { .ss_sp = alt_base, .ss_size = alt_size };

	(void)sig;
	on_alt = &here >= alt_base && &here < alt_base + alt_size;
	sigaltstack(NULL, &now);
	alt_flags = now.ss_flags;
	alt_eperm = sigaltstack(&ss, NULL) == -1 && errno == EPERM;
}

static void check_sigaltstack(void)
{
	static char stack[64 * 1024];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) }, old;
	struct sigaction sa = { .sa_handler = on_alt_handler, .sa_flags = SA_ONSTACK };

	alt_base = stack, alt_size = sizeof(stack);
	sigaltstack(NULL, &old);
	ok(old.ss_flags == SS_DISABLE, "no sigaltstack at first (SS_DISABLE)");
	ok(sigaltstack(&ss, NULL) == 0, "sigaltstack sets a 64 KiB stack");
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	ok(on_alt && alt_flags == SS_ONSTACK, "an SA_ONSTACK handler runs on it (SS_ONSTACK inside)");
	ok(alt_eperm, "changing it while on it: EPERM");
	sa.sa_flags = 0;
	on_alt = 1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	ok(!on_alt && alt_flags == 0, "a handler without SA_ONSTACK runs on the normal stack");
	ss.ss_size = 1024;
	ok_errno(sigaltstack(&ss, NULL), ENOMEM, "a stack under MINSIGSTKSZ: ENOMEM");
	ss.ss_size = sizeof(stack), ss.ss_flags = 0x1234;
	ok_errno(sigaltstack(&ss, NULL), EINVAL, "unknown ss_flags: EINVAL");
	ss.ss_flags = SS_DISABLE;
	ok(sigaltstack(&ss, &old) == 0 && old.ss_sp == stack && old.ss_size == sizeof(stack) &&
	   sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE,
	   "the old setting comes back; SS_DISABLE turns it off");
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	ktap_plan("sigwait", 38);
	check_sigsuspend();
	check_sigpending();
	check_sigtimedwait();
	check_alarm();
	check_itimer();
	check_restart();
	check_sigaltstack();
	return ktap_done();
}
