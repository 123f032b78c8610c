/*
 * Futexes (kernel/proc/futex.c): sleep on a user address until another
 * task wakes it. See docs/processes.md for how the key is made.
 */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <kernel/types.h>

struct mm;

/* Wake up to n waiters on the private futex (mm, uaddr) or, when uaddr is
 * in a shared mapping, on its shared key. Returns how many were woken,
 * or a negative errno. No lock held; does not sleep. */
int futex_wake(struct mm *mm, uint64_t uaddr, int n);

struct proc;
/* p (the caller) lets go of its mm: walk its robust list, mark the
 * futexes it owns FUTEX_OWNER_DIED and wake a waiter of each
 * (futex_robust.c). No lock held; may fault and sleep. */
void futex_exit_robust(struct proc *p);

#endif
