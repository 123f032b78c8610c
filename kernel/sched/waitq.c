/* Wait queues (see waitq.h). */
#include <kernel/waitq.h>
#include <kernel/proc.h>
#include <kernel/sched.h>

void waitq_init(struct waitq *wq)
{
	spin_init(&wq->lock, "waitq");
	list_init(&wq->waiters);
}

/* Join the queue (once) without changing state: poll joins many queues
 * first and only then becomes SLEEPING (kernel/fs/poll.c). */
void waitq_add(struct waitq *wq, struct waiter *w)
{
	uint64_t flags = spin_lock_irqsave(&wq->lock);

	if (w->proc != current) {
		w->proc = current;
		list_add_tail(&w->node, &wq->waiters);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Join the queue (once) and become SLEEPING. */
void waitq_prepare(struct waitq *wq, struct waiter *w)
{
	waitq_add(wq, w);
	sched_set_state_sleeping();
}

/* Leave the queue and be RUNNING again. */
void waitq_finish(struct waitq *wq, struct waiter *w)
{
	uint64_t flags = spin_lock_irqsave(&wq->lock);

	if (w->proc == current)
		list_del(&w->node);
	w->proc = NULL;
	spin_unlock_irqrestore(&wq->lock, flags);
	sched_wakeup(current);      /* SLEEPING -> RUNNING if we broke out */
}

void wake_up_all(struct waitq *wq)
{
	uint64_t flags = spin_lock_irqsave(&wq->lock);
	struct list_head *l;

	list_for_each(l, &wq->waiters)
		sched_wakeup(list_entry(l, struct waiter, node)->proc);
	spin_unlock_irqrestore(&wq->lock, flags);
}
