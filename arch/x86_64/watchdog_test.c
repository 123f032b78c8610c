/*
 * Deliberate hangs for the watchdog (ktest=watchdog_irq, ktest=watchdog_lock).
 * They never return: after WATCHDOG_SECS the watchdog reports the hang,
 * prints every CPU's backtrace and stops the machine. The host harness
 * checks that the report names the right CPU and, in that CPU's NMI
 * backtrace, the function that hangs. ktest=watchdog_held yields with a
 * spinlock held, which schedule()'s lock check must stop at once. None is
 * part of ktest=all.
 */
#include <kernel/ktest.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/spinlock.h>
#include <arch/irq.h>

/* Spin with interrupts off: this CPU takes no timer tick any more. */
__attribute__((noinline)) void ktest_wd_irqoff_fn(void)
{
	irq_disable();
	for (;;)
		cpu_relax();
}

KTEST_EXPLICIT(watchdog_irq, spin_with_interrupts_off)
{
	if (nr_cpus < 2) {
		ktest_skip(t, "one CPU cannot be watched by another");
		return;
	}
	ktest_wd_irqoff_fn();
	ktest_fail(t, __FILE__, __LINE__, "the spin ended");
}

static struct spinlock wd_lock = SPINLOCK_INIT("watchdog_test");
static volatile bool wd_held;

/* A kernel thread that takes wd_lock and never lets it go (it spins with
 * interrupts on: its CPU still ticks, only the lock is stuck). */
__attribute__((noinline)) int ktest_wd_hold_fn(void *unused)
{
	spin_lock(&wd_lock);
	wd_held = true;
	for (;;)
		cpu_relax();
	return 0;
}

/* The holder on one CPU, this test waiting for the lock on another. */
KTEST_EXPLICIT(watchdog_lock, wait_for_a_lock_held_forever)
{
	struct cpumask here = { 0 }, there = { 0 };
	int other = (this_cpu_id() + 1) % nr_cpus;

	if (nr_cpus < 2) {
		ktest_skip(t, "one CPU");
		return;
	}
	cpumask_set(&here, this_cpu_id());
	cpumask_set(&there, other);
	sched_setaffinity(current, &here);
	struct proc *p = kthread_create("wd_hold", ktest_wd_hold_fn, NULL, cpus[other].node);
	KTEST_ASSERT(t, p != NULL);
	sched_setaffinity(p, &there);
	while (!wd_held)
		sched_sleep_ns(1000000);
	spin_lock(&wd_lock);
	ktest_fail(t, __FILE__, __LINE__, "got a lock that is never released");
}

/* Yield with a spinlock held: the lock check in schedule() must stop it
 * (a task that sleeps holding a lock leaves other CPUs spinning on it). */
__attribute__((noinline)) void ktest_wd_yield_locked_fn(void)
{
	static struct spinlock held = SPINLOCK_INIT("held_across_yield");

	spin_lock(&held);
	sched_yield();
	spin_unlock(&held);
}

KTEST_EXPLICIT(watchdog_held, yield_holding_a_spinlock)
{
	ktest_wd_yield_locked_fn();
	ktest_fail(t, __FILE__, __LINE__, "schedule() let a task go with a lock held");
}
