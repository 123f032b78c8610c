/*
 * NUMA memory system calls, as Linux has them (mm/migrate.c, mm/mempolicy.c):
 *
 *   move_pages(pid, count, pages[], nodes[], status[], flags)
 *     nodes == NULL: status[i] = the node of the page at pages[i];
 *     else move pages[i] to nodes[i] (migrate_page), status[i] = the node
 *     it is on now, or a negative errno for that page:
 *       -EFAULT no VMA there, -ENOENT nothing mapped there,
 *       -EACCES mapped by several processes without MPOL_MF_MOVE_ALL,
 *       -EBUSY  pinned or in I/O (or being moved by someone else),
 *       -ENOMEM no free frame on the target node.
 *     Returns 0, or the number of pages that could not be moved; -EINVAL
 *     for unknown flags, -ENODEV for a node that is not online with
 *     memory, -ESRCH for no such pid, -EFAULT for unreadable arrays.
 *
 * The memory-policy calls (set_mempolicy, mbind, get_mempolicy) are in
 * sys_mempolicy.c.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/migrate.h>
#include <kernel/numa.h>
#include <kernel/errno.h>
#include <kernel/trace.h>
#include <kernel/sched.h>

#include <kernel/mempolicy.h>

/* The mm of pid (0: ours) with a reference, or NULL with *err set. */
static struct mm *target_mm(int pid, int *err)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = pid ? proc_find(pid) : current;
	struct mm *mm = p ? p->mm : NULL;

	if (mm)
		mm_get(mm);
	spin_unlock_irqrestore(&proc_lock, flags);
	*err = !p ? -ESRCH : -EINVAL;          /* a kernel thread has no mm */
	return mm;
}

/* The page mapped at addr, with a reference: 0, -EFAULT (no VMA) or
 * -ENOENT (nothing mapped). */
static int page_at(struct mm *mm, uint64_t addr, struct page **out)
{
	int err = -EFAULT;

	spin_lock(&mm->lock);
	if (vma_find(mm, addr)) {
		pte_t *ptep = pgtable_walk(mm, ALIGN_DOWN(addr, PAGE_SIZE), false);
		err = -ENOENT;
		if (ptep && pte_mapped(*ptep)) {
			*out = pfn_to_page(pte_pfn(*ptep));
			get_page(*out);
			err = 0;
		}
	}
	spin_unlock(&mm->lock);
	return err;
}

static bool node_has_memory(int node)
{
	return node >= 0 && node < MAX_NODES && numa_nodes[node].online &&
	       numa_nodes[node].present_pages;
}

/* One try at moving the page at addr: its node, or a negative errno;
 * *moved or *failed says whether migrate_page was tried, and how it went. */
static int move_try(struct mm *mm, uint64_t addr, int node, bool all, bool *moved,
		    bool *failed)
{
	struct page *p;
	int err = page_at(mm, addr, &p);

	if (err)
		return err;
	if (p->node == node)
		err = node;
	else if (READ_ONCE(p->mapcount) > 1 && !all)
		err = -EACCES;
	else if (!(err = migrate_page(p, node, MR_SYSCALL)))
		err = node, *moved = true;
	else
		*failed = true;
	page_release(p);
	return err;
}

/*
 * Move one page; the status to report for it. count[0]: pages moved,
 * count[1]: pages that could not be. -EBUSY is often brief (another
 * mover, reclaim or writeback holds the page for a moment): try again,
 * up to MOVE_TRIES times, as Linux's synchronous migration passes do
 * (the page is looked up again each time: it may have changed).
 */
#define MOVE_TRIES 10
static int move_one(struct mm *mm, uint64_t addr, int node, bool all, int *count)
{
	bool moved = false, failed = false;
	int err = -EBUSY;

	for (int i = 0; i < MOVE_TRIES && err == -EBUSY; i++) {
		if (i < 3 && i)
			sched_yield();
		else if (i)
			sched_sleep_ns(1000000);   /* 1 ms */
		failed = false;
		err = move_try(mm, addr, node, all, &moved, &failed);
	}
	if (moved)
		count[0]++;
	else if (failed)
		count[1]++;
	return err;
}

static int put_status(int *status, uint64_t i, int v)
{
	return copy_to_user(status + i, &v, sizeof(v)) ? -EFAULT : 0;
}

static int64_t pages_stat(struct mm *mm, uint64_t n, void **pages, int *status)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t addr;
		struct page *p;

		if (copy_from_user(&addr, pages + i, sizeof(addr)))
			return -EFAULT;
		int st = page_at(mm, addr, &p);
		if (!st) {
			st = p->node;
			page_release(p);
		}
		if (put_status(status, i, st))
			return -EFAULT;
	}
	return 0;
}

static int64_t pages_move(struct mm *mm, uint64_t n, void **pages, const int *nodes,
			  int *status, bool all)
{
	int count[2] = { 0, 0 };             /* moved, failed */
	int64_t ret = 0;

	for (uint64_t i = 0; i < n && !ret; i++) {
		uint64_t addr;
		int node;

		if (copy_from_user(&addr, pages + i, sizeof(addr)) ||
		    copy_from_user(&node, nodes + i, sizeof(node)))
			ret = -EFAULT;
		else if (!node_has_memory(node))
			ret = -ENODEV;
		else if (put_status(status, i, move_one(mm, addr, node, all, count)))
			ret = -EFAULT;
	}
	trace_event(TRACE_MIGRATE_PAGES, count[0], count[1], MR_SYSCALL);
	return ret ? ret : count[1];
}

SYSCALL(move_pages)
{
	uint64_t n = a1, flags = a5;
	int err;

	if (flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return -EINVAL;
	struct mm *mm = target_mm((int)a0, &err);
	if (!mm)
		return err;
	int64_t ret = a3 ? pages_move(mm, n, (void **)a2, (const int *)a3, (int *)a4,
				      flags & MPOL_MF_MOVE_ALL)
			 : pages_stat(mm, n, (void **)a2, (int *)a4);
	mm_put(mm);
	return ret;
}
