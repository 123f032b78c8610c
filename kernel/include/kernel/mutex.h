/*
 * Mutexes: sleeping locks owned by a task (a struct proc), not by a CPU.
 *
 * A task that finds a mutex taken sleeps on the mutex's wait queue and
 * gives its CPU away, so the holder may itself sleep, fault, wait for a
 * page being migrated or copy to or from user memory while holding it.
 * The holder may move to another CPU meanwhile; it stays the owner, and
 * only the owner may unlock. Not recursive: mutex_lock on a mutex the
 * caller holds is a bug (BUG_ON).
 *
 * Rules (checked by might_sleep()): a mutex is taken only where sleeping
 * is allowed, that is with no spinlock held and not in an interrupt
 * handler. A spinlock may be taken inside a mutex, never the other way.
 *
 *   mutex_lock(&m);        // may sleep
 *   ... copy_from_user, fault, sleep ...
 *   mutex_unlock(&m);
 */
#ifndef KERNEL_MUTEX_H
#define KERNEL_MUTEX_H

#include <kernel/types.h>
#include <kernel/waitq.h>

struct proc;

struct mutex {
	struct proc *owner;        /* holder, NULL when free; atomic */
	struct waitq wq;           /* tasks sleeping until it is free */
	const char *name;
};

void mutex_init(struct mutex *m, const char *name);
/* Take m, sleeping (not interruptibly) while another task holds it. */
void mutex_lock(struct mutex *m);
/* Take m if it is free; never sleeps. True if taken. */
bool mutex_trylock(struct mutex *m);
/* Release m (the caller must own it) and wake its waiters. */
void mutex_unlock(struct mutex *m);
/* True if the calling task holds m. */
bool mutex_is_held(const struct mutex *m);

#endif
