/*
 * Cross-CPU function calls (smp.h). One call is in flight at a time: the
 * caller, holding call_lock, fills in the one static struct call (function
 * and argument first, then the targets' bits in todo), sends the VEC_CALL
 * IPI to the targets, and waits until every target has cleared its bit. A
 * CPU that is waiting for call_lock polls for calls addressed to it, so two
 * CPUs calling each other cannot deadlock even with interrupts off.
 *
 * The call is static, not on the caller's stack: a CPU that is slow to
 * poll may look at it after the caller has gone on (it then finds no bit
 * of its own, or the next call's bit with that call's function: both
 * right). A struct on the stack was read after its frame was reused and
 * its garbage "function" run.
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

static struct spinlock call_lock = SPINLOCK_INIT("smp_call"); /* the_call's fn, arg */
static struct call the_call;

/* Run the current call here if it is addressed to this CPU: the todo bit
 * is read first (acquire), so fn and arg are the ones written before it. */
static void call_poll(void)
{
	struct call *c = &the_call;
	int me = this_cpu_id();

	if (__atomic_load_n(&c->todo.bits, __ATOMIC_ACQUIRE) & (1UL << me)) {
		c->fn(c->arg);
		__atomic_fetch_and(&c->todo.bits, ~(1UL << me), __ATOMIC_RELEASE);
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
	struct cpumask todo = { mask->bits & cpu_online_mask.bits };
	int cpu, me = this_cpu_id();

	while (!spin_trylock(&call_lock))
		call_poll();
	the_call.fn = fn;
	the_call.arg = arg;
	__atomic_store_n(&the_call.todo.bits, todo.bits, __ATOMIC_RELEASE);
	for_each_cpu_in(cpu, &todo)
		if (cpu != me)
			lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | VEC_CALL);
	call_poll();                  /* our own share */
	while (__atomic_load_n(&the_call.todo.bits, __ATOMIC_ACQUIRE))
		cpu_relax();
	spin_unlock(&call_lock);
}

void smp_call_function_all(void (*fn)(void *), void *arg)
{
	smp_call_function_mask(&cpu_online_mask, fn, arg);
}
