/*
 * Robust futex lists (Linux's set_robust_list/get_robust_list): a thread
 * tells the kernel where its list of held locks is, and when it dies
 * holding one, the kernel marks the lock's word FUTEX_OWNER_DIED and wakes
 * a waiter, who then gets EOWNERDEAD from pthread_mutex_lock instead of
 * sleeping forever.
 *
 *   head (user memory, 24 bytes):   struct robust_list_head {
 *       list.next  -> entry -> entry -> ... -> &head (a cycle)
 *       futex_offset  (word = entry + futex_offset)
 *       list_op_pending  (a lock being taken or released, maybe on no list)
 *   }
 *   word: | WAITERS (bit 31) | OWNER_DIED (bit 30) | owner TID (bits 0-29) |
 *
 * The walk runs in the dying (or exec'ing) task itself, from
 * proc_mm_release, with no lock held: every read is a user copy and the
 * word is changed with user_cmpxchg32, each of which may fault. A list
 * that is corrupt (a bad pointer) ends the walk; a cycle that never comes
 * back to the head is cut at ROBUST_LIST_LIMIT entries, as Linux does.
 * Bit 0 of an entry pointer marks a PI futex, which Numbat does not have:
 * the bit is masked off, and such an entry is only marked, never woken.
 */
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/syscalls.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>

#define FUTEX_WAITERS     0x80000000U
#define FUTEX_OWNER_DIED  0x40000000U
#define FUTEX_TID_MASK    0x3fffffffU
#define ROBUST_LIST_LIMIT 2048

struct robust_list_head {
	uint64_t next;             /* the first entry, or the head itself */
	int64_t futex_offset;
	uint64_t list_op_pending;
};

/* set_robust_list(head, len): recorded for this thread; -EINVAL unless
 * len is the size of the head (Linux's only check). */
SYSCALL(set_robust_list)
{
	if (a1 != sizeof(struct robust_list_head))
		return -EINVAL;
	current->robust_list = a0;
	return 0;
}

/* get_robust_list(pid, head_ptr, len_ptr): the head of thread pid (0:
 * the caller) and its size. -ESRCH for no such thread, -EFAULT. */
SYSCALL(get_robust_list)
{
	uint64_t head = current->robust_list, len = sizeof(struct robust_list_head);

	if (a0) {
		uint64_t f = spin_lock_irqsave(&proc_lock);
		struct proc *t = proc_find((int)a0);
		bool found = t && t->pid;
		if (found)
			head = t->robust_list;
		spin_unlock_irqrestore(&proc_lock, f);
		if (!found)
			return -ESRCH;
	}
	if (copy_to_user((void *)a2, &len, sizeof(len)) ||
	    copy_to_user((void *)a1, &head, sizeof(head)))
		return -EFAULT;
	return 0;
}

/*
 * The owner (tid) of the word at uaddr died: if it still holds it, set
 * OWNER_DIED (keeping WAITERS) and wake one waiter. pending: the word of
 * list_op_pending, where a word of 0 (the lock was released before the
 * owner could take it off its list, or taken by nobody) also gets one
 * waiter woken. False if the word cannot be read or written.
 */
static bool futex_death(struct proc *p, uint64_t uaddr, bool pi, bool pending)
{
	uint32_t val, seen;

	if (uaddr & 3)
		return false;
	if (copy_from_user(&val, (void *)uaddr, sizeof(val)))
		return false;
	for (;;) {
		if (pending && !pi && !val) {
			futex_wake(p->mm, uaddr, 1);
			return true;
		}
		if ((val & FUTEX_TID_MASK) != (uint32_t)p->pid)
			return true;            /* not ours: leave it */
		uint32_t mark = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (user_cmpxchg32((uint32_t *)uaddr, val, mark, &seen))
			return false;
		if (seen == val)
			break;
		val = seen;                     /* changed under us: look again */
	}
	if (!pi && (val & FUTEX_WAITERS))
		futex_wake(p->mm, uaddr, 1);
	return true;
}

/* An entry pointer from user memory: the address (bit 0 off) and the PI
 * bit. False on a fault. */
static bool fetch_entry(uint64_t from, uint64_t *entry, bool *pi)
{
	uint64_t v;

	if (copy_from_user(&v, (void *)from, sizeof(v)))
		return false;
	*entry = v & ~1UL;
	*pi = v & 1;
	return true;
}

void futex_exit_robust(struct proc *p)
{
	struct robust_list_head h;
	uint64_t head = p->robust_list, entry, next, pending;
	bool pi, next_pi, pending_pi;

	p->robust_list = 0;            /* exec starts without one, as Linux */
	if (!head || !p->mm || copy_from_user(&h, (void *)head, sizeof(h)) ||
	    !fetch_entry(head, &entry, &pi) ||
	    !fetch_entry(head + offsetof(struct robust_list_head, list_op_pending),
			 &pending, &pending_pi))
		return;
	for (int limit = ROBUST_LIST_LIMIT; entry != head && limit > 0; limit--) {
		/* Read the link before the word changes hands: a woken
		 * waiter may reuse the entry at once. */
		bool more = fetch_entry(entry, &next, &next_pi);
		if (entry != pending)
			futex_death(p, entry + h.futex_offset, pi, false);
		if (!more)
			return;
		entry = next;
		pi = next_pi;
	}
	if (pending)
		futex_death(p, pending + h.futex_offset, pending_pi, true);
}
