/*
 * Spinlocks: ticket locks, so waiting CPUs get the lock in arrival order.
 *
 * spin_lock_irqsave() is the form to use for any lock that an interrupt
 * handler (IPI, timer) may also take: it disables interrupts on this CPU
 * before spinning, so the handler can never spin on a lock its own CPU holds.
 * Plain spin_lock() is for locks that are never taken in interrupts.
 * A lock records the CPU that holds it, for spin_is_held() checks and GDB.
 *
 * The rule: while a CPU holds a spinlock it must not sleep, yield, wait,
 * take a mutex, or touch user memory (a user copy may fault, and the fault
 * may wait for a page being migrated or read from disk). Each CPU keeps a
 * stack of the spinlocks it holds (struct cpu's locks_held and held[]);
 * might_sleep(), called by schedule(), mutex_lock(), vm_fault() and the
 * user copy routines, panics naming them when it is not empty
 * (lock_assert_none_held, watchdog.h), so a broken rule shows at once,
 * not as a rare hang.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <kernel/types.h>
#include <arch/irq.h>

struct spinlock {
	volatile uint16_t next;      /* ticket of the next arrival */
	volatile uint16_t owner;     /* ticket now being served */
	int cpu;                     /* holder's CPU id, -1 when free */
	const char *name;
};

#define SPINLOCK_INIT(n) { 0, 0, -1, n }

void spin_init(struct spinlock *l, const char *name);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_trylock(struct spinlock *l);

/* For a hang report: which spinlocks this CPU holds and which one it is
 * spinning on, with the lock's ticket counters, as one line in buf. */
void spin_describe(char *buf, size_t n);
bool spin_is_held(const struct spinlock *l);  /* by this CPU */
/* Panic (naming `what`) if this CPU holds a spinlock: the caller is about
 * to sleep or fault, which is allowed only with none held. */
void might_sleep(const char *what);

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

#endif
