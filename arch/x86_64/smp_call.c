/*
 * Cross-CPU function calls (smp.h). One call is in flight at a time: the
 * caller publishes a struct call on its stack in `current_call`, sends the
 * VEC_CALL IPI to the targets, and waits until every target has cleared its
 * bit in call->todo. A CPU that is waiting for call_lock polls for calls
 * addressed to it, so two CPUs calling each other cannot deadlock even with
 * interrupts off.
 */
#include <arch/smp.h>
#include <arch/lapic.h>
#include <arch/trap.h>
#include <kernel/percpu.h>
#include <kernel/spinlock.h>

struct call {
	void (*fn)(void *);
	void *arg;
	struct cpumask todo;       /* targets that have not run fn yet */
};

static struct spinlock call_lock = SPINLOCK_INIT("smp_call"); /* current_call */
static struct call *volatile current_call;

/* Run the current call here if it is addressed to this CPU. */
static void call_poll(void)
{
	struct call *c = READ_ONCE(current_call);
	int me = this_cpu_id();

	if (c && cpumask_test(&c->todo, me)) {
		c->fn(c->arg);
		cpumask_clear(&c->todo, me);
	}
}

static void call_interrupt(struct trap_frame *tf)
{
	call_poll();
}

void smp_call_init(void)
{
	irq_register(VEC_CALL, call_interrupt);
}

void smp_call_function_mask(const struct cpumask *mask, void (*fn)(void *),
			    void *arg)
{
	struct call c = { fn, arg, { mask->bits & cpu_online_mask.bits } };
	int cpu, me = this_cpu_id();

	while (!spin_trylock(&call_lock))
		call_poll();
	WRITE_ONCE(current_call, &c);
	for_each_cpu_in(cpu, &c.todo)
		if (cpu != me)
			lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | VEC_CALL);
	call_poll();                  /* our own share */
	while (READ_ONCE(c.todo.bits))
		cpu_relax();
	WRITE_ONCE(current_call, NULL);
	spin_unlock(&call_lock);
}

void smp_call_function_all(void (*fn)(void *), void *arg)
{
	smp_call_function_mask(&cpu_online_mask, fn, arg);
}
