/* Ticket spinlocks (see spinlock.h for when to use which form, and for the
 * rule that might_sleep() checks). */
#include <kernel/spinlock.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>

void spin_init(struct spinlock *l, const char *name)
{
	l->next = 0;
	l->owner = 0;
	l->cpu = -1;
	l->name = name;
}

/* Count a lock taken or dropped by this CPU. Before per-CPU data exists
 * (very early boot) there is nothing to count in. An interrupt handler
 * that locks and unlocks between our load and store leaves the count as
 * it was, so a plain increment is enough. */
static void count_held(int delta)
{
	struct cpu *c = this_cpu();

	if (c)
		c->spin_held += delta;
}

void spin_lock(struct spinlock *l)
{
	uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		cpu_relax();
	l->cpu = this_cpu_id();
	count_held(1);
}

bool spin_trylock(struct spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint16_t expect = owner;

	if (!__atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1),
					 false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	l->cpu = this_cpu_id();
	count_held(1);
	return true;
}

void spin_unlock(struct spinlock *l)
{
	count_held(-1);
	l->cpu = -1;
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

bool spin_is_held(const struct spinlock *l)
{
	return l->next != l->owner && l->cpu == this_cpu_id();
}

int spin_held_count(void)
{
	struct cpu *c = this_cpu();

	return c ? c->spin_held : 0;
}

void might_sleep(const char *what)
{
	int n = spin_held_count();

	if (n)
		panic("might_sleep: %s with %d spinlock(s) held on cpu %d",
		      what, n, this_cpu_id());
}
