/*
 * Wait queues: a process sleeps on one until some condition holds.
 *
 *   for (;;) {
 *       waitq_prepare(&wq, &w);           // now SLEEPING, on the queue
 *       if (condition || signal_pending()) break;
 *       schedule();                        // really sleeps, unless woken
 *   }
 *   waitq_finish(&wq, &w);
 *
 * Because the state is set before the condition is tested, a wake-up that
 * comes between the test and schedule() just makes schedule() return: no
 * wake-up is lost. wait_event() wraps the loop.
 */
#ifndef KERNEL_WAITQ_H
#define KERNEL_WAITQ_H

#include <kernel/list.h>
#include <kernel/spinlock.h>
#include <kernel/signal.h>

struct proc;

struct waitq {
	struct spinlock lock;      /* protects waiters */
	struct list_head waiters;
};

struct waiter {
	struct proc *proc;
	struct list_head node;
};

void waitq_init(struct waitq *wq);
void waitq_add(struct waitq *wq, struct waiter *w);      /* join, stay RUNNING */
void waitq_prepare(struct waitq *wq, struct waiter *w);
void waitq_finish(struct waitq *wq, struct waiter *w);
void wake_up_all(struct waitq *wq);

/* Sleep until cond or a signal; returns 0, or -EINTR if a signal came. */
#define wait_event(wq, cond)                                               \
	({                                                                  \
		struct waiter w_ = { 0 };                                           \
		int r_ = 0;                                                 \
		for (;;) {                                                  \
			waitq_prepare(wq, &w_);                             \
			if (cond)                                           \
				break;                                      \
			if (signal_pending(current)) {                      \
				r_ = -EINTR;                                \
				break;                                      \
			}                                                   \
			schedule();                                         \
		}                                                           \
		waitq_finish(wq, &w_);                                      \
		r_;                                                         \
	})

#endif
