/* Ticket spinlocks (see spinlock.h for when to use which form). Each CPU
 * counts the spinlocks it holds (struct cpu.locks_held), so that switching
 * tasks or returning to user mode with one held is caught at once
 * (lock_assert_none_held), and a spin that lasts WATCHDOG_SECS is reported
 * with the lock's name and holder (watchdog.h). */
#include <kernel/spinlock.h>
#include <kernel/percpu.h>
#include <kernel/watchdog.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/sched.h>

void spin_init(struct spinlock *l, const char *name)
{
	l->next = 0;
	l->owner = 0;
	l->cpu = -1;
	l->name = name;
}

/*
 * This CPU's stack of the spinlocks it holds (struct cpu.held, the first
 * four). Locks are nearly always released in the reverse order, so the
 * release usually just pops; otherwise the lock is looked for.
 */
static inline void note_taken(struct spinlock *l)
{
	struct cpu *c = this_cpu();

	l->cpu = c ? c->id : 0;
	if (c && c->locks_held++ < 4)
		c->held[c->locks_held - 1] = l;
}

static inline void note_released(struct spinlock *l)
{
	struct cpu *c = this_cpu();

	if (!c)
		return;
	int top = --c->locks_held;
	if (top < 4 && c->held[top] != l)
		for (int i = 0; i < top; i++)
			if (c->held[i] == l)
				c->held[i] = c->held[top];
}

/* The slow path: spin until our ticket is served, and report a wait of
 * WATCHDOG_SECS (watchdog.h). Out of line, so the fast path stays short. */
static __attribute__((noinline)) void spin_wait(struct spinlock *l, uint16_t ticket)
{
	uint64_t spins = 0, start = 0;
	struct cpu *c = this_cpu();

	if (c)
		c->spinning_on = l;
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
		cpu_relax();
		if (++spins % WATCHDOG_SPIN_CHECK == 0 && watchdog_spun_too_long(&start))
			watchdog_stuck("watchdog: cpu %d waited %d s for spinlock '%s' held by cpu %d "
				       "(its ticket %u, serving %u, next %u)", this_cpu_id(),
				       (int)((clock_ns() - start) / 1000000000),
				       l->name ? l->name : "?", READ_ONCE(l->cpu), ticket,
				       READ_ONCE(l->owner), READ_ONCE(l->next));
	}
	if (c)
		c->spinning_on = NULL;
}

void spin_describe(char *buf, size_t n)
{
	struct cpu *c = this_cpu();
	struct spinlock *w = c ? READ_ONCE(c->spinning_on) : NULL;

	buf[0] = 0;
	if (!c)
		return;
	for (int i = 0; i < c->locks_held && i < 4; i++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s'%s'", i ? " " : "holds ",
			 c->held[i] && c->held[i]->name ? c->held[i]->name : "?");
	if (w)
		snprintf(buf + strlen(buf), n - strlen(buf), "%sspins on '%s' (held by cpu %d, "
			 "serving %u, next %u)", buf[0] ? "; " : "", w->name ? w->name : "?",
			 READ_ONCE(w->cpu), READ_ONCE(w->owner), READ_ONCE(w->next));
}

void spin_lock(struct spinlock *l)
{
	uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		spin_wait(l, ticket);
	note_taken(l);
}

bool spin_trylock(struct spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint16_t expect = owner;

	if (!__atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1),
					 false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	note_taken(l);
	return true;
}

/* An unlock of a free lock would move owner past next, and the next
 * locker would then wait forever for a lock nobody holds (the watchdog
 * says "held by cpu -1"); an unlock on another CPU than the lock's means
 * a lock carried across a task switch. Both are caught here, at the
 * culprit, instead of as a hang somewhere else later. */
static void check_unlock(const struct spinlock *l)
{
	struct cpu *c = this_cpu();
	int me = c ? c->id : 0;

	if (l->next == l->owner)
		panic("spin_unlock: '%s' is not held (released twice?)", l->name ? l->name : "?");
	if (l->cpu != me)
		panic("spin_unlock: '%s' was taken on cpu %d, released on cpu %d",
		      l->name ? l->name : "?", l->cpu, me);
}

void spin_unlock(struct spinlock *l)
{
	check_unlock(l);
	note_released(l);
	l->cpu = -1;
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

bool spin_is_held(const struct spinlock *l)
{
	return l->next != l->owner && l->cpu == this_cpu_id();
}

/* A switch of tasks or a return to user mode with a lock held would leave
 * the lock held by a task that is not running: every other CPU that wants
 * it would spin forever. Panics, naming the locks. */
void lock_assert_none_held(const char *where)
{
	struct cpu *c = this_cpu();
	char names[80] = "";

	if (!c->locks_held && !c->nr_chain_held)
		return;
	for (int i = 0; i < c->locks_held && i < 4; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), " '%s'",
			 c->held[i] && c->held[i]->name ? c->held[i]->name : "?");
	panic("%s with %d spinlocks held (%s) and %d pte_chain locks", where,
	      c->locks_held, names[0] ? names + 1 : "none listed", c->nr_chain_held);
}

void might_sleep(const char *what)
{
	lock_assert_none_held(what);
}
