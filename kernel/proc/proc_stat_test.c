/* Tests of the accounting (proc_stat.c): the load average's arithmetic,
 * and ticks charged to a process computing in the kernel. */
#include <kernel/ktest.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>

/* One runnable process for a minute (12 samples) from an idle machine:
 * the 1-minute average reaches 1 - 1/e = 0.63, the 5-minute one
 * 1 - e^(-1/5) = 0.18; then a minute idle brings the first to 0.63/e. */
KTEST(acct, loadavg_decay)
{
	unsigned long l1 = 0, l5 = 0;

	for (int i = 0; i < 12; i++) {
		l1 = loadavg_calc(l1, EXP_1, FIXED_1);
		l5 = loadavg_calc(l5, EXP_5, FIXED_1);
	}
	KTEST_EXPECT(t, l1 * 100 / FIXED_1 >= 62 && l1 * 100 / FIXED_1 <= 64);
	KTEST_EXPECT(t, l5 * 100 / FIXED_1 >= 17 && l5 * 100 / FIXED_1 <= 19);
	for (int i = 0; i < 12; i++)
		l1 = loadavg_calc(l1, EXP_1, 0);
	KTEST_EXPECT(t, l1 * 100 / FIXED_1 >= 22 && l1 * 100 / FIXED_1 <= 24);
	/* a steady load converges to itself */
	unsigned long two = 0;
	for (int i = 0; i < 200; i++)
		two = loadavg_calc(two, EXP_1, 2 * FIXED_1);
	KTEST_EXPECT_EQ(t, two, 2 * FIXED_1);
}

/* 200 ms of computing in the kernel are charged to this thread's system
 * time (at least half of the 20 ticks: the host may steal some), none to
 * its user time. */
KTEST(acct, system_ticks)
{
	struct proc *p = current;
	uint64_t stime = p->acct.stime, utime = p->acct.utime;
	uint64_t end = clock_ns() + 200000000ULL;

	while (clock_ns() < end)
		;
	KTEST_EXPECT(t, p->acct.stime >= stime + 10);
	KTEST_EXPECT_EQ(t, p->acct.utime, utime);
}
