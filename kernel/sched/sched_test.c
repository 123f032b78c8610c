/* Tests of the scheduler, kernel threads and wait queues (ktest=sched). */
#include <kernel/ktest.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/errno.h>
#include <kernel/string.h>

struct spread {
	struct waitq done;
	int finished;
	struct cpumask ran_on;
};

static int spread_thread(void *arg)
{
	struct spread *s = arg;

	cpumask_set(&s->ran_on, this_cpu_id());
	for (int i = 0; i < 3; i++) {
		sched_sleep_ns(2000000);
		cpumask_set(&s->ran_on, this_cpu_id());
	}
	__atomic_fetch_add(&s->finished, 1, __ATOMIC_SEQ_CST);
	wake_up_all(&s->done);
	return 0;
}

KTEST(sched, threads_spread_over_cpus)
{
	static struct spread s;
	int n = 2 * nr_cpus, before = proc_count();

	memset(&s, 0, sizeof(s));
	waitq_init(&s.done);
	for (int i = 0; i < n; i++)        /* on every node in turn */
		KTEST_ASSERT(t, kthread_create("spread", spread_thread, &s,
					       cpus[i % nr_cpus].node) != NULL);
	KTEST_EXPECT_EQ(t, wait_event(&s.done, READ_ONCE(s.finished) == n), 0);
	KTEST_EXPECT_EQ(t, s.finished, n);
	if (nr_cpus > 1)
		KTEST_EXPECT(t, cpumask_weight(&s.ran_on) > 1);
	for (int i = 0; i < 100 && proc_count() != before; i++)
		sched_sleep_ns(1000000);            /* the last ones are being reaped */
	KTEST_EXPECT_EQ(t, proc_count(), before);
}

/* Two threads hand a token back and forth; a lost wake-up would hang. */
struct pingpong {
	struct waitq wq;
	volatile int turn;         /* 0: ping's turn, 1: pong's */
	int rounds;
	int done;
};

static int pong_thread(void *arg)
{
	struct pingpong *pp = arg;

	for (int i = 0; i < pp->rounds; i++) {
		wait_event(&pp->wq, pp->turn == 1);
		pp->turn = 0;
		wake_up_all(&pp->wq);
	}
	__atomic_store_n(&pp->done, 1, __ATOMIC_SEQ_CST);
	wake_up_all(&pp->wq);
	return 0;
}

KTEST(sched, wakeups_are_not_lost)
{
	static struct pingpong pp;

	memset(&pp, 0, sizeof(pp));
	waitq_init(&pp.wq);
	pp.rounds = 2000;
	KTEST_ASSERT(t, kthread_create("pong", pong_thread, &pp, 0) != NULL);
	for (int i = 0; i < pp.rounds; i++) {
		pp.turn = 1;
		wake_up_all(&pp.wq);
		wait_event(&pp.wq, pp.turn == 0);
	}
	wait_event(&pp.wq, pp.done);
	KTEST_EXPECT_EQ(t, pp.done, 1);
}

KTEST(sched, sleep_lasts_as_asked)
{
	uint64_t t0 = clock_ns();

	KTEST_EXPECT_EQ(t, sched_sleep_ns(20000000), 0);
	uint64_t slept = clock_ns() - t0;
	KTEST_EXPECT(t, slept >= 20000000);
	KTEST_EXPECT(t, slept < 200000000);
}

KTEST(sched, affinity_moves_the_caller)
{
	struct cpumask all = current->affinity;

	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct cpumask one = { 0 };

		cpumask_set(&one, cpu);
		KTEST_EXPECT_EQ(t, sched_setaffinity(current, &one), 0);
		KTEST_EXPECT_EQ(t, this_cpu_id(), cpu);
		sched_yield();
		KTEST_EXPECT_EQ(t, this_cpu_id(), cpu);
	}
	struct cpumask none = { 0 };
	KTEST_EXPECT_EQ(t, sched_setaffinity(current, &none), -EINVAL);
	sched_setaffinity(current, &all);
}

struct mover {
	volatile int cpu;          /* where the thread last ran */
	volatile bool stop;
};

static int mover_thread(void *arg)
{
	struct mover *m = arg;

	while (!m->stop) {
		m->cpu = this_cpu_id();
		sched_sleep_ns(1000000);
	}
	return 0;
}

/* Another thread's affinity: it must end up running where it is allowed. */
KTEST(sched, affinity_of_another_thread)
{
	static struct mover m;
	struct cpumask one = { 0 };
	int target = nr_cpus - 1, before = proc_count();

	m = (struct mover){ -1, false };
	struct proc *p = kthread_create("mover", mover_thread, &m, 0);
	KTEST_ASSERT(t, p != NULL);
	cpumask_set(&one, target);
	KTEST_EXPECT_EQ(t, sched_setaffinity(p, &one), 0);
	for (int i = 0; i < 200 && m.cpu != target; i++)
		sched_sleep_ns(1000000);
	sched_sleep_ns(5000000);            /* and it stays there */
	KTEST_EXPECT_EQ(t, m.cpu, target);
	m.stop = true;
	for (int i = 0; i < 200 && proc_count() != before; i++)
		sched_sleep_ns(1000000);            /* gone before the next test */
	KTEST_EXPECT_EQ(t, proc_count(), before);
}
