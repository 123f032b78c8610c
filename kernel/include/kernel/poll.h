/*
 * poll, select and their sigmask forms (kernel/fs/poll.c). A driver tells
 * how ready a file is through its file_ops->poll, which returns POLL*
 * bits and, when given a poll table, calls poll_wait() for each wait
 * queue a change of readiness is announced on.
 */
#ifndef KERNEL_POLL_H
#define KERNEL_POLL_H

#include <kernel/waitq.h>

/* Linux's poll bits (asm-generic/poll.h). */
#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200

/* A file without a poll operation (regular files, /dev/null ...) is
 * always ready, as Linux's DEFAULT_POLLMASK says. */
#define POLL_DEFAULT_MASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct poll_entry {
	struct waitq *wq;
	struct waiter w;
};

/* The wait queues one poll/select call sits on. */
struct poll_table {
	struct poll_entry *e;
	int n, max;
	bool overflow;             /* some queue was not joined: re-poll often */
};

/* Called by a driver's poll op: join wq (pt NULL: a re-check, no-op). */
void poll_wait(struct poll_table *pt, struct waitq *wq);

#endif
