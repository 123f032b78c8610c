/* Tests of mutexes (ktest=mutex): exclusion while the holder sleeps and
 * moves between CPUs, and ownership by a task, not a CPU. */
#include <kernel/ktest.h>
#include <kernel/mutex.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/string.h>
#include <kernel/errno.h>

#define ROUNDS 100

/* Let the exited threads be reaped, so the next suite counts processes
 * from a quiet start. */
static void wait_reaped(int before)
{
	for (int i = 0; i < 200 && proc_count() != before; i++)
		sched_sleep_ns(1000000);
}

struct contend {
	struct mutex m;
	struct waitq done;
	int finished;
	int counter;               /* m: a lost update shows a broken lock */
	int inside;                /* m: tasks between lock and unlock */
	int overlaps;              /* times inside was not 0 on entry */
	int moved;                 /* unlocks on another CPU than the lock */
};

/* Take the lock, then sleep or hop to another CPU before releasing it. */
static int contend_thread(void *arg)
{
	struct contend *c = arg;
	struct cpumask all = current->affinity;

	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&c->m);
		int cpu = this_cpu_id(), v = c->counter;
		if (c->inside++)
			c->overlaps++;
		if (i % 2) {
			sched_yield();
		} else {
			struct cpumask one = { 0 };
			cpumask_set(&one, (cpu + 1) % nr_cpus);
			sched_setaffinity(current, &one);
			sched_setaffinity(current, &all);
		}
		c->counter = v + 1;
		c->inside--;
		c->moved += this_cpu_id() != cpu;
		mutex_unlock(&c->m);
	}
	__atomic_fetch_add(&c->finished, 1, __ATOMIC_SEQ_CST);
	wake_up_all(&c->done);
	return 0;
}

KTEST(mutex, excludes_while_holder_sleeps_and_moves)
{
	static struct contend c;
	int n = 2 * nr_cpus, before = proc_count();

	memset(&c, 0, sizeof(c));
	mutex_init(&c.m, "ktest");
	waitq_init(&c.done);
	for (int i = 0; i < n; i++)
		KTEST_ASSERT(t, kthread_create("contend", contend_thread, &c,
					       cpus[i % nr_cpus].node) != NULL);
	KTEST_EXPECT_EQ(t, wait_event(&c.done, READ_ONCE(c.finished) == n), 0);
	KTEST_EXPECT_EQ(t, c.counter, n * ROUNDS);
	KTEST_EXPECT_EQ(t, c.overlaps, 0);
	if (nr_cpus > 1)
		KTEST_EXPECT(t, c.moved > 0);
	KTEST_EXPECT(t, !mutex_is_held(&c.m) && READ_ONCE(c.m.owner) == NULL);
	wait_reaped(before);
}

struct other {
	struct mutex *m;
	struct waitq wq;
	int state;                 /* 1: tried, 2: got it and released it */
	bool tried_ok;
};

/* Runs on the CPU of the holder: must not get the mutex. */
static int other_thread(void *arg)
{
	struct other *o = arg;

	o->tried_ok = mutex_trylock(o->m);
	__atomic_store_n(&o->state, 1, __ATOMIC_SEQ_CST);
	wake_up_all(&o->wq);
	mutex_lock(o->m);                   /* sleeps until the test unlocks */
	mutex_unlock(o->m);
	__atomic_store_n(&o->state, 2, __ATOMIC_SEQ_CST);
	wake_up_all(&o->wq);
	return 0;
}

KTEST(mutex, owned_by_a_task_not_a_cpu)
{
	static struct mutex m;
	static struct other o;
	struct cpumask all = current->affinity, one = { 0 };
	int before = proc_count();

	mutex_init(&m, "ktest");
	o = (struct other){ .m = &m };
	waitq_init(&o.wq);
	cpumask_set(&one, this_cpu_id());
	sched_setaffinity(current, &one);
	mutex_lock(&m);
	KTEST_EXPECT(t, mutex_is_held(&m));
	struct proc *p = kthread_create("other", other_thread, &o, this_cpu()->node);
	KTEST_ASSERT(t, p != NULL);
	sched_setaffinity(p, &one);         /* the same CPU as the holder */
	KTEST_EXPECT_EQ(t, wait_event(&o.wq, READ_ONCE(o.state) >= 1), 0);
	KTEST_EXPECT(t, !o.tried_ok);
	sched_sleep_ns(2000000);
	KTEST_EXPECT_EQ(t, READ_ONCE(o.state), 1);   /* still waiting */
	mutex_unlock(&m);
	KTEST_EXPECT_EQ(t, wait_event(&o.wq, READ_ONCE(o.state) == 2), 0);
	sched_setaffinity(current, &all);
	wait_reaped(before);
}
