/* Ticket spinlocks (see spinlock.h for when to use which form). */
#include <kernel/spinlock.h>
#include <kernel/percpu.h>

void spin_init(struct spinlock *l, const char *name)
{
	l->next = 0;
	l->owner = 0;
	l->cpu = -1;
	l->name = name;
}

void spin_lock(struct spinlock *l)
{
	uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		cpu_relax();
	l->cpu = this_cpu_id();
}

bool spin_trylock(struct spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint16_t expect = owner;

	if (!__atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1),
					 false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	l->cpu = this_cpu_id();
	return true;
}

void spin_unlock(struct spinlock *l)
{
	l->cpu = -1;
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

bool spin_is_held(const struct spinlock *l)
{
	return l->next != l->owner && l->cpu == this_cpu_id();
}
