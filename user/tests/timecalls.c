/*
 * timecalls: time, gettimeofday, clock_getres, nanosleep and
 * clock_nanosleep as raw system calls (musl would use a vDSO where there
 * is one). The clocks agree with clock_gettime; a sleep lasts at least
 * what was asked; a signal interrupts one with EINTR and the time left;
 * TIMER_ABSTIME sleeps until the clock reaches the time; the errors are
 * Linux's.
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

#define BADP ((void *)1)
#define MS   1000000L
/* Bounds loose enough for a loaded host running QEMU without KVM: a
 * sleep may end this much late, and the time left may be read this much
 * before the sleeper runs again. Too short or no time left still fails. */
#define SLACK 5.0
#define LAG   0.5

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long real_sec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec;
}

static void check_wall_clock(void)
{
	long t = 0, before = real_sec();
	long r = syscall(SYS_time, &t);
	long after = real_sec();
	struct timeval tv;
	struct { int minuteswest, dsttime; } tz = { 1, 1 };

	ok(r >= before && r <= after && t == r, "time(&t) = %ld, stored too, within [%ld, %ld]",
	   r, before, after);
	ok(syscall(SYS_time, NULL) >= before, "time(NULL)");
	ok_errno(syscall(SYS_time, BADP), EFAULT, "time(bad pointer): EFAULT");
	before = real_sec();
	r = syscall(SYS_gettimeofday, &tv, &tz);
	after = real_sec();
	ok(r == 0 && tv.tv_sec >= before && tv.tv_sec <= after && tv.tv_usec >= 0 &&
	   tv.tv_usec < 1000000, "gettimeofday: %ld.%06ld within [%ld, %ld]",
	   (long)tv.tv_sec, (long)tv.tv_usec, before, after);
	ok(tz.minuteswest == 0 && tz.dsttime == 0, "gettimeofday's timezone: UTC, no DST");
	ok(syscall(SYS_gettimeofday, NULL, NULL) == 0, "gettimeofday(NULL, NULL)");
	ok_errno(syscall(SYS_gettimeofday, BADP, NULL), EFAULT, "gettimeofday(bad): EFAULT");
}

/* clock_getres(clock): 0 and the resolution in *ns, or -1. */
static long res_ns(clockid_t clock, long *ns)
{
	struct timespec r = { 99, 99 };

	if (syscall(SYS_clock_getres, clock, &r))
		return -1;
	*ns = r.tv_sec ? -1 : r.tv_nsec;
	return 0;
}

static void check_getres(void)
{
	struct timespec r;
	long ns = 0;
	long err = res_ns(CLOCK_MONOTONIC, &ns);

	ok(!err && ns > 0 && ns <= 1000, "CLOCK_MONOTONIC: %ld ns", ns);
	err = res_ns(CLOCK_REALTIME, &ns);
	ok(!err && ns > 0 && ns <= 1000, "CLOCK_REALTIME: %ld ns", ns);
	err = res_ns(CLOCK_MONOTONIC_COARSE, &ns);
	ok(!err && ns >= MS && ns <= 10 * MS, "CLOCK_MONOTONIC_COARSE: a tick, %ld ns", ns);
	ok(syscall(SYS_clock_getres, CLOCK_BOOTTIME, NULL) == 0, "clock_getres(.., NULL)");
	ok_errno(syscall(SYS_clock_getres, 100, &r), EINVAL, "clock 100: EINVAL");
	ok_errno(syscall(SYS_clock_getres, CLOCK_MONOTONIC, BADP), EFAULT, "bad pointer: EFAULT");
}

static void check_sleeps(void)
{
	struct timespec req = { 0, 50 * MS }, rem = { 9, 9 };
	double t0 = mono();
	long r = syscall(SYS_nanosleep, &req, &rem);
	double dt = mono() - t0;

	ok(r == 0 && dt >= 0.050 && dt < SLACK, "nanosleep(50 ms) slept %.1f ms", dt * 1e3);
	t0 = mono();
	r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL);
	dt = mono() - t0;
	ok(r == 0 && dt >= 0.050 && dt < SLACK, "clock_nanosleep(MONOTONIC, 50 ms) slept %.1f ms",
	   dt * 1e3);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 80 * MS;
	if (until.tv_nsec >= 1000000000)
		until.tv_sec++, until.tv_nsec -= 1000000000;
	r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
	double target = until.tv_sec + until.tv_nsec / 1e9, now = mono();
	ok(r == 0 && now >= target && now < target + SLACK,
	   "TIMER_ABSTIME on MONOTONIC: woke %.1f ms after the time", (now - target) * 1e3);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	r = syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL);
	clock_gettime(CLOCK_REALTIME, &rem);
	ok(r == 0 && (rem.tv_sec > until.tv_sec ||
		      (rem.tv_sec == until.tv_sec && rem.tv_nsec >= until.tv_nsec)),
	   "TIMER_ABSTIME on REALTIME: woke at or after the time");
	until.tv_sec = 0;                  /* boot time: always past */
	until.tv_nsec = 1;
	t0 = mono();
	r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
	ok(r == 0 && mono() - t0 < SLACK, "TIMER_ABSTIME in the past returns at once");
}

static void on_usr1(int sig) { (void)sig; }

/* A child signals us after 100 ms while we sleep for 2 s. */
static long interrupted(int use_clock, struct timespec *rem, double *slept)
{
	struct timespec req = { 2, 0 };
	pid_t parent = getpid();

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec d = { 0, 100 * MS };
		nanosleep(&d, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	double t0 = mono();
	long r = use_clock ? syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, rem) :
			     syscall(SYS_nanosleep, &req, rem);
	int e = errno;
	*slept = mono() - t0;
	waitpid(pid, NULL, 0);
	errno = e;
	return r;
}

static void check_eintr(void)
{
	struct sigaction sa;
	struct timespec rem = { 0, 0 };
	double slept;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	long r = interrupted(0, &rem, &slept);
	double left = rem.tv_sec + rem.tv_nsec / 1e9;
	ok(r == -1 && errno == EINTR && slept < 1.9, "a signal ends nanosleep: EINTR after %.0f ms",
	   slept * 1e3);
	ok(left > 2.0 - slept - 0.05 && left <= 2.0 - slept + LAG,
	   "the time left %.3f s = 2 s - %.3f s slept", left, slept);
	rem.tv_sec = rem.tv_nsec = 0;
	r = interrupted(1, &rem, &slept);
	left = rem.tv_sec + rem.tv_nsec / 1e9;
	ok(r == -1 && errno == EINTR && left > 2.0 - slept - 0.05 && left <= 2.0 - slept + LAG,
	   "clock_nanosleep too: EINTR, %.3f s left", left);
}

static void check_errors(void)
{
	struct timespec bad = { 0, 1000000000 }, neg = { -1, 0 }, z = { 0, 0 };

	ok_errno(syscall(SYS_nanosleep, &bad, NULL), EINVAL, "nanosleep 1e9 ns: EINVAL");
	ok_errno(syscall(SYS_nanosleep, &neg, NULL), EINVAL, "nanosleep -1 s: EINVAL");
	ok_errno(syscall(SYS_nanosleep, BADP, NULL), EFAULT, "nanosleep(bad): EFAULT");
	ok(syscall(SYS_nanosleep, &z, NULL) == 0, "nanosleep(0)");
	ok_errno(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL,
		 "clock_nanosleep 1e9 ns: EINVAL");
	ok_errno(syscall(SYS_clock_nanosleep, 100, 0, &z, NULL), EINVAL, "clock 100: EINVAL");
	ok_errno(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &z, NULL), EOPNOTSUPP,
		 "CLOCK_THREAD_CPUTIME_ID: EOPNOTSUPP");
	ok_errno(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, BADP, NULL), EFAULT,
		 "clock_nanosleep(bad): EFAULT");
}

int main(void)
{
	ktap_plan("timecalls", 7 + 6 + 5 + 3 + 8);
	check_wall_clock();
	check_getres();
	check_sleeps();
	check_eintr();
	check_errors();
	return ktap_done();
}
