/*
 * Mutexes (see mutex.h), built on wait queues: the owner field is the
 * lock itself (compare-and-swap NULL -> current); waiters sleep on m->wq
 * and every unlock wakes them all to retry. A fair hand-over is not
 * needed for the file-system lock; simplicity is.
 */
#include <kernel/mutex.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>

void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	waitq_init(&m->wq);
	m->name = name;
}

bool mutex_trylock(struct mutex *m)
{
	struct proc *none = NULL;

	BUG_ON(!current);
	return __atomic_compare_exchange_n(&m->owner, &none, current, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * The waiter joins the queue and becomes SLEEPING before it retries, so an
 * unlock between the retry and schedule() wakes it (see waitq.h): no
 * wake-up is lost. Not interruptible: a signal does not stop the wait.
 */
void mutex_lock(struct mutex *m)
{
	might_sleep(m->name);
	BUG_ON(READ_ONCE(m->owner) == current);     /* not recursive */
	if (mutex_trylock(m))
		return;
	struct waiter w = { 0 };
	for (;;) {
		waitq_prepare(&m->wq, &w);
		if (mutex_trylock(m))
			break;
		schedule();
	}
	waitq_finish(&m->wq, &w);
}

/*
 * A waiter puts itself on the queue, then retries (a full barrier between:
 * the compare-and-swap); we clear the owner, then look at the queue (the
 * fence between). So either it sees the mutex free, or we see it queued:
 * an empty queue needs no wake-up, and the common uncontended unlock
 * takes no lock at all.
 */
void mutex_unlock(struct mutex *m)
{
	BUG_ON(READ_ONCE(m->owner) != current);
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(m->wq.waiters.next) != &m->wq.waiters)
		wake_up_all(&m->wq);
}

bool mutex_is_held(const struct mutex *m)
{
	return READ_ONCE(m->owner) == current;
}
