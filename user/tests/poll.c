/*
 * poll: poll(2), ppoll(2), select(2) and pselect(2) as Linux has them.
 * Pipes (not ready, ready, hung up, broken), timeouts, a wake-up from
 * another process, POLLNVAL, EINVAL/EFAULT/EBADF/EINTR, select's fd_set
 * semantics (only ready bits stay set), and the temporary signal mask of
 * ppoll and pselect (a signal it unblocks interrupts the wait and its
 * handler runs; the old mask is back afterwards). Runs on Linux too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

static volatile sig_atomic_t got_usr1;
static volatile sig_atomic_t usr2_blocked_in_handler;

static void on_usr1(int sig)
{
	(void)sig;
	sigset_t now;

	got_usr1++;
	sigprocmask(SIG_BLOCK, NULL, &now);
	usr2_blocked_in_handler = sigismember(&now, SIGUSR2);
}

static short revents_of(int fd, short events, int timeout)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, timeout) < 0 ? -1 : p.revents;
}

static void check_pipes(void)
{
	int p[2];
	char c;

	pipe(p);
	ok(revents_of(p[0], POLLIN, 0) == 0, "empty pipe: read end not ready");
	ok(revents_of(p[1], POLLOUT, 0) == POLLOUT, "empty pipe: write end POLLOUT");
	write(p[1], "ab", 2);
	ok(revents_of(p[0], POLLIN | POLLOUT, 0) == POLLIN,
	   "pipe with data: POLLIN (and not POLLOUT on the read end)");
	close(p[1]);
	ok(revents_of(p[0], POLLIN, 0) == (POLLIN | POLLHUP), "writer gone, data left: POLLIN|POLLHUP");
	read(p[0], &c, 1), read(p[0], &c, 1);
	ok(revents_of(p[0], POLLIN, 0) == POLLHUP, "writer gone, drained: POLLHUP only");
	ok(revents_of(p[0], 0, 0) == POLLHUP, "POLLHUP reported even if not asked for");
	close(p[0]);

	pipe(p);
	close(p[0]);
	ok(revents_of(p[1], POLLOUT, 0) & POLLERR, "reader gone: write end POLLERR");
	close(p[1]);
}

static void check_full_pipe(void)
{
	int p[2];
	char buf[4096] = { 0 };

	pipe2(p, O_NONBLOCK);
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	ok(revents_of(p[1], POLLOUT, 0) == 0, "full pipe: write end not ready");
	close(p[0]);
	close(p[1]);
}

static double elapsed_ms(struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void check_timeouts(void)
{
	int p[2];
	struct pollfd pfd;
	struct timespec t0;

	pipe(p);
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = poll(&pfd, 1, 100);
	double ms = elapsed_ms(&t0);
	ok(r == 0 && ms >= 95 && ms < 2000, "poll 100 ms on an empty pipe: 0 after %.0f ms", ms);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = poll(NULL, 0, 50);
	ms = elapsed_ms(&t0);
	ok(r == 0 && ms >= 45, "poll(NULL, 0, 50) sleeps (%.0f ms)", ms);

	pid_t c = child_later(50, p[1], 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = poll(&pfd, 1, -1);
	ms = elapsed_ms(&t0);
	ok(r == 1 && pfd.revents == POLLIN && ms >= 40,
	   "poll -1 wakes when another process writes (%.0f ms)", ms);
	reap_child(c);

	int q[2];
	pipe(q);
	struct pollfd two[2] = { { p[0], POLLIN, 0 }, { q[0], POLLIN, 0 } };
	char ch;
	read(p[0], &ch, 1);
	c = child_later(30, q[1], 0);
	r = poll(two, 2, 5000);
	ok(r == 1 && two[0].revents == 0 && two[1].revents == POLLIN,
	   "two pipes: only the second is reported (r %d, %#x %#x)", r, two[0].revents, two[1].revents);
	reap_child(c);
	close(q[0]), close(q[1]), close(p[0]), close(p[1]);
}

static void check_errors(void)
{
	int p[2];
	struct rlimit rl;

	pipe(p);
	close(p[1]);
	struct pollfd pf[3] = { { p[1], POLLIN, 0 }, { -1, POLLIN, 0 }, { p[0], POLLIN, 0 } };
	int r = poll(pf, 3, 0);
	ok(r == 2 && pf[0].revents == POLLNVAL && pf[1].revents == 0 && pf[2].revents == POLLHUP,
	   "closed fd: POLLNVAL; negative fd: ignored (r %d, %#x %#x %#x)", r, pf[0].revents,
	   pf[1].revents, pf[2].revents);
	getrlimit(RLIMIT_NOFILE, &rl);
	r = syscall(SYS_poll, pf, (unsigned long)rl.rlim_cur + 1, 0);
	ok_errno(r, EINVAL, "poll with nfds over RLIMIT_NOFILE: EINVAL");
	r = syscall(SYS_poll, (void *)8, 1, 0);
	ok_errno(r, EFAULT, "poll with a bad array: EFAULT");

	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[1], &rs);
	struct timeval tv = { 0, 0 };
	r = select(p[1] + 1, &rs, NULL, NULL, &tv);
	ok_errno(r, EBADF, "select naming a closed fd: EBADF");
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	tv = (struct timeval){ -1, 0 };
	r = syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv);
	ok_errno(r, EINVAL, "select with a negative timeout: EINVAL");
	r = syscall(SYS_select, -1, NULL, NULL, NULL, NULL);
	ok_errno(r, EINVAL, "select with nfds -1: EINVAL");
	tv = (struct timeval){ 0, 0 };
	r = syscall(SYS_select, p[0] + 1, (void *)8, NULL, NULL, &tv);
	ok_errno(r, EFAULT, "select with a bad fd_set: EFAULT");
	close(p[0]);
}

static void check_select(void)
{
	int p[2], q[2];
	fd_set rs, ws;
	struct timeval tv = { 0, 0 };

	pipe(p), pipe(q);
	write(q[1], "y", 1);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(p[0], &rs), FD_SET(q[0], &rs), FD_SET(p[1], &ws);
	int r = select(q[1] + 1, &rs, &ws, NULL, &tv);
	ok(r == 2 && !FD_ISSET(p[0], &rs) && FD_ISSET(q[0], &rs) && FD_ISSET(p[1], &ws) &&
	   !FD_ISSET(q[1], &ws), "select: returns 2 bits; the empty pipe's bit is cleared");

	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	tv = (struct timeval){ 0, 80000 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv);   /* musl's copies tv */
	double ms = elapsed_ms(&t0);
	ok(r == 0 && !FD_ISSET(p[0], &rs) && ms >= 75,
	   "select timeout 80 ms: 0, set cleared (%.0f ms)", ms);
	ok(tv.tv_sec == 0 && tv.tv_usec == 0, "select writes back the time left (0)");

	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	pid_t c = child_later(40, p[1], 0);
	r = select(p[0] + 1, &rs, NULL, NULL, NULL);
	ok(r == 1 && FD_ISSET(p[0], &rs), "select without timeout wakes on a write");
	reap_child(c);

	int fd = open("/dev/null", O_RDWR);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(fd, &rs), FD_SET(fd, &ws);
	tv = (struct timeval){ 0, 0 };
	r = select(fd + 1, &rs, &ws, NULL, &tv);
	ok(r == 2, "/dev/null is readable and writable at once");
	close(fd);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static void check_files(void)
{
	int fd = open("poll.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);

	ok(revents_of(fd, POLLIN | POLLOUT, 0) == (POLLIN | POLLOUT),
	   "a regular file is always ready (even empty)");
	close(fd);
	unlink("poll.tmp");
	ok(revents_of(1, POLLOUT, 0) == POLLOUT, "stdout (the console on Numbat) is writable");
}

static void check_intr(void)
{
	int p[2];
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigaction(SIGUSR1, &sa, NULL);
	pipe(p);
	got_usr1 = 0;
	pid_t c = child_later(50, -1, SIGUSR1);
	struct pollfd pf = { p[0], POLLIN, 0 };
	int r = poll(&pf, 1, 5000);
	ok_errno(r, EINTR, "a signal interrupts poll: EINTR");
	ok(got_usr1 == 1, "and its handler ran");
	reap_child(c);
	close(p[0]), close(p[1]);
}

/* ppoll/pselect with a temporary mask: block USR1 and USR2, make USR1
 * pending, wait with a mask that unblocks USR1 only. */
static void check_sigmask(int use_pselect)
{
	const char *name = use_pselect ? "pselect" : "ppoll";
	int p[2];
	sigset_t block, temp, after;
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec ts = { 2, 0 };

	sigaction(SIGUSR1, &sa, NULL);
	pipe(p);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	got_usr1 = 0;
	usr2_blocked_in_handler = 0;
	raise(SIGUSR1);
	ok(got_usr1 == 0, "%s: USR1 blocked, pending", name);
	sigemptyset(&temp);
	sigaddset(&temp, SIGUSR2);
	int r;
	if (use_pselect) {
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(p[0], &rs);
		r = pselect(p[0] + 1, &rs, NULL, NULL, &ts, &temp);
	} else {
		struct pollfd pf = { p[0], POLLIN, 0 };
		r = ppoll(&pf, 1, &ts, &temp);
	}
	ok_errno(r, EINTR, "%s: the temporarily unblocked signal interrupts: EINTR", name);
	ok(got_usr1 == 1 && usr2_blocked_in_handler, "%s: handler ran under the temporary mask", name);
	sigprocmask(SIG_BLOCK, NULL, &after);
	ok(sigismember(&after, SIGUSR1) && sigismember(&after, SIGUSR2),
	   "%s: the old mask is back afterwards", name);

	raise(SIGUSR1);                     /* pending again; the mask keeps it blocked */
	struct pollfd pf = { p[0], POLLIN, 0 };
	ts = (struct timespec){ 0, 30000000 };
	r = ppoll(&pf, 1, &ts, &block);
	ok(r == 0 && got_usr1 == 1, "%s: a mask that blocks it: timeout, no handler", name);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	ok(got_usr1 == 2, "%s: delivered once unblocked", name);
	close(p[0]), close(p[1]);
}

int main(void)
{
	ktap_plan("poll", 40);
	check_pipes();
	check_full_pipe();
	check_timeouts();
	check_errors();
	check_select();
	check_files();
	check_intr();
	check_sigmask(0);
	check_sigmask(1);
	return ktap_done();
}
