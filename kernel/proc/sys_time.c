/*
 * Time system calls: time, gettimeofday, clock_getres, nanosleep and
 * clock_nanosleep. (clock_gettime is in sys_proc.c.) The clock is the
 * TSC (clock_ns, nanoseconds since boot); the wall clock adds the offset
 * read from the CMOS clock at boot. There is no vDSO: C libraries fall
 * back to the system calls.
 *
 * A sleep is a timed sleep on the run queue (sched_sleep_ns), woken by the
 * timer tick, so it lasts at least what was asked and up to a tick more.
 * A signal ends it early with -EINTR; nanosleep then reports the time
 * that was left.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/time.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <arch/timer.h>

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define TIMER_ABSTIME            1

static uint64_t realtime_ns(void) { return clock_ns() + clock_realtime_offset_ns(); }

/* time(2): seconds since 1970, also stored at *tloc when it is given. */
SYSCALL(time)
{
	int64_t t = (int64_t)(realtime_ns() / NSEC_PER_SEC);

	if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
		return -EFAULT;
	return t;
}

/* gettimeofday(2): the wall clock in microseconds; the obsolete timezone,
 * when asked for, is UTC (all zeros), as Linux's default. */
SYSCALL(gettimeofday)
{
	uint64_t ns = realtime_ns();
	struct kernel_timeval tv = { (int64_t)(ns / NSEC_PER_SEC),
				     (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC) };
	int tz[2] = { 0, 0 };

	if (a0 && copy_to_user((void *)a0, &tv, sizeof(tv)))
		return -EFAULT;
	if (a1 && copy_to_user((void *)a1, tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

/* clock_getres(2): 1 ns for the TSC clocks, a tick for the coarse ones
 * (as Linux). -EINVAL for an unknown clock. */
SYSCALL(clock_getres)
{
	struct kernel_timespec res = { 0, 1 };

	if (a0 > CLOCK_BOOTTIME)
		return -EINVAL;
	if (a0 == CLOCK_REALTIME_COARSE || a0 == CLOCK_MONOTONIC_COARSE)
		res.nsec = NSEC_PER_SEC / HZ;
	if (a1 && copy_to_user((void *)a1, &res, sizeof(res)))
		return -EFAULT;
	return 0;
}

/* A user timespec as nanoseconds: -EFAULT, or -EINVAL if out of range. */
static int get_ts(const void *uts, uint64_t *ns)
{
	struct kernel_timespec ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || (uint64_t)ts.nsec >= NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec;
	return 0;
}

/*
 * Sleep until clock_ns() reaches `until` (or a signal). On -EINTR the time
 * left goes to *urem when urem is given (-EFAULT if it cannot be written,
 * as Linux).
 */
static int sleep_until(uint64_t until, void *urem)
{
	uint64_t now = clock_ns();

	if (now >= until)
		return 0;
	int err = sched_sleep_ns(until - now);
	if (err != -EINTR || !urem)
		return err;
	now = clock_ns();
	uint64_t left = until > now ? until - now : 0;
	struct kernel_timespec rem = { (int64_t)(left / NSEC_PER_SEC),
				       (int64_t)(left % NSEC_PER_SEC) };
	return copy_to_user(urem, &rem, sizeof(rem)) ? -EFAULT : -EINTR;
}

SYSCALL(nanosleep)
{
	uint64_t ns;
	int err = get_ts((const void *)a0, &ns);

	return err ? err : sleep_until(clock_ns() + ns, (void *)a1);
}

/* clock_nanosleep(clock, flags, request, remain): relative, or with
 * TIMER_ABSTIME until the clock shows `request` (no remaining time is
 * written then). -EOPNOTSUPP for the clocks Linux cannot sleep on (the
 * raw, coarse and thread CPU clocks) and for the process CPU clock,
 * which Linux can. */
SYSCALL(clock_nanosleep)
{
	uint64_t clock = a0, ns;

	if (clock > CLOCK_BOOTTIME)
		return -EINVAL;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EOPNOTSUPP;        /* Linux too, but for the process CPU clock */
	int err = get_ts((const void *)a2, &ns);
	if (err)
		return err;
	if (!(a1 & TIMER_ABSTIME))
		return sleep_until(clock_ns() + ns, (void *)a3);
	uint64_t offset = clock == CLOCK_REALTIME ? clock_realtime_offset_ns() : 0;
	return sleep_until(ns > offset ? ns - offset : 0, NULL);
}
