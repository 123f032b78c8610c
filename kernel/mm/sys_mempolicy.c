/*
 * The memory-policy system calls, as Linux has them (mm/mempolicy.c):
 *
 *   set_mempolicy(mode, nodemask, maxnode)          the task's policy
 *   mbind(addr, len, mode, nodemask, maxnode, flags) the VMAs' of a range
 *   get_mempolicy(&mode, nodemask, maxnode, addr, flags)
 *
 * A node mask is maxnode - 1 bits (Linux reads one bit less than asked),
 * at most a page of them; set bits past Linux's 1024 nodes are -EINVAL,
 * nodes without memory are dropped, and a mask left empty is -EINVAL.
 * mode carries the flags MPOL_F_STATIC_NODES (the mask is kept as given)
 * or MPOL_F_RELATIVE_NODES (bit n means the n-th node with memory), never
 * both, and MPOL_F_NUMA_BALANCING (MPOL_BIND only).
 *
 * mbind's flags: MPOL_MF_MOVE moves the pages of the range that are on a
 * node outside the mask (and mapped once; MPOL_MF_MOVE_ALL: also shared
 * ones) with migrate_page(MR_MEMPOLICY_MBIND); MPOL_MF_STRICT makes the
 * call fail with -EIO when some stay outside it. The policy is set first.
 */
#include <kernel/syscalls.h>
#include <kernel/mempolicy.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/migrate.h>
#include <kernel/numa.h>
#include <kernel/errno.h>
#include <kernel/trace.h>

#define LINUX_MAX_NUMNODES 1024     /* bits Linux accepts in a mask */
#define LINUX_MPOL_MAX 7            /* modes 5 and 6 exist on Linux only */

/* A user's node mask: the nodes Numbat may have, and whether any bit was
 * set at all (a node Numbat cannot have counts as one without memory). */
struct umask {
	uint32_t nodes;
	bool any;
};

/* Split a mode argument into mode and flags; -EINVAL as Linux's checks. */
static int parse_mode(int64_t arg, int *mode, unsigned *flags)
{
	int m = (int)arg;

	*flags = (unsigned)m & MPOL_MODE_FLAGS;
	*mode = m & ~(int)MPOL_MODE_FLAGS;
	if ((unsigned)*mode >= LINUX_MPOL_MAX || *mode >= MPOL_MAX_NUMBAT)
		return -EINVAL;
	if ((*flags & MPOL_F_STATIC_NODES) && (*flags & MPOL_F_RELATIVE_NODES))
		return -EINVAL;
	if ((*flags & MPOL_F_NUMA_BALANCING) && *mode != MPOL_BIND)
		return -EINVAL;
	return 0;
}

/* Read maxnode - 1 bits of node mask from user memory (Linux's
 * get_nodes). 0, -EINVAL (too long, or bits past Linux's limit), -EFAULT. */
static int get_nodes(const uint64_t *umask, uint64_t maxnode, struct umask *out)
{
	*out = (struct umask){ 0, false };
	maxnode--;                          /* wraps for 0: then too long */
	if (maxnode == 0 || !umask)
		return 0;
	if (maxnode > PAGE_SIZE * 8)
		return -EINVAL;
	for (uint64_t i = 0; i < (maxnode + 63) / 64; i++) {
		uint64_t w;
		if (copy_from_user(&w, umask + i, sizeof(w)))
			return -EFAULT;
		uint64_t bits = MIN(maxnode - i * 64, 64);
		if (bits < 64)
			w &= (1ULL << bits) - 1;
		if (w && i * 64 >= LINUX_MAX_NUMNODES)
			return -EINVAL;
		if (i == 0)
			out->nodes = (uint32_t)(w & ((1ULL << MAX_NODES) - 1));
		out->any |= w != 0;
	}
	return 0;
}

/* MPOL_F_RELATIVE_NODES: bit n of rel means the (n mod weight)-th node
 * of allowed (Linux's nodes_fold then nodes_onto). */
static uint32_t relative_nodes(uint32_t rel, uint32_t allowed)
{
	int w = mpol_weight(allowed);
	uint32_t out = 0;

	for (int n = 0; n < 32 && w; n++) {
		if (!(rel & (1U << n)))
			continue;
		uint32_t a = allowed;
		for (int k = n % w; k > 0; k--)
			a &= a - 1;
		out |= 1U << __builtin_ctz(a);
	}
	return out;
}

/* A policy from mode, flags and mask (Linux's mpol_new and
 * mpol_set_nodemask): 0 or -EINVAL. */
static int build_policy(int mode, unsigned flags, const struct umask *m,
			struct mempolicy *pol)
{
	bool relstat = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES);

	*pol = (struct mempolicy){ (uint16_t)mode, (uint16_t)flags, 0, 0 };
	if (mode == MPOL_DEFAULT) {
		pol->flags = 0;
		return m->any ? -EINVAL : 0;
	}
	if (mode == MPOL_PREFERRED && !m->any) {
		if (relstat)
			return -EINVAL;
		pol->mode = MPOL_LOCAL;         /* preferred, no node: local */
		return 0;
	}
	if (mode == MPOL_LOCAL)
		return m->any || relstat ? -EINVAL : 0;
	if (!m->any)
		return -EINVAL;
	uint32_t mems = mpol_mems_allowed();
	uint32_t nodes = flags & MPOL_F_RELATIVE_NODES ? relative_nodes(m->nodes, mems)
						      : m->nodes & mems;
	if (!nodes)
		return -EINVAL;                 /* no node with memory left */
	if (mode == MPOL_PREFERRED)
		nodes &= -nodes;                /* its first node */
	pol->nodes = nodes;
	pol->user_nodes = relstat ? m->nodes : 0;
	return 0;
}

/* Mode argument and mask to a policy: set_mempolicy's and mbind's checks. */
static int user_policy(int64_t mode_arg, const uint64_t *umask, uint64_t maxnode,
		       struct mempolicy *pol, struct umask *m)
{
	unsigned flags;
	int mode, err = parse_mode(mode_arg, &mode, &flags);

	if (!err)
		err = get_nodes(umask, maxnode, m);
	if (!err)
		err = build_policy(mode, flags, m, pol);
	return err;
}

SYSCALL(set_mempolicy)
{
	struct mempolicy pol;
	struct umask m;
	int err = user_policy((int64_t)a0, (const uint64_t *)a1, a2, &pol, &m);

	if (err)
		return err;
	mpol_set_task(&pol);
	return 0;
}

/* ---------------------------------------------------------------- mbind */

#define MBIND_BATCH 32

struct mbind_walk {
	const struct mempolicy *pol;
	struct vma *v;
	uint32_t mask;             /* pages on these nodes stay */
	unsigned flags;            /* MPOL_MF_* */
	int failed;                /* pages left outside mask */
	int moved;
	uint64_t resume;           /* batch full: go on from here */
	int n;
	struct page *pages[MBIND_BATCH];
	int target[MBIND_BATCH];
};

/* Queue one misplaced page p (at va) to move, or count it as failed. */
static void mbind_queue(struct mbind_walk *w, struct page *p, uint64_t va)
{
	struct mempolicy pol;
	uint64_t ilx;

	if (!(w->flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))) {
		w->failed++;                /* MPOL_MF_STRICT alone */
		return;
	}
	if (READ_ONCE(p->mapcount) > 1 && !(w->flags & MPOL_MF_MOVE_ALL))
		return;                     /* shared: left alone, as Linux */
	mpol_lookup(w->v, va, &pol, &ilx);
	int node = mpol_target_node(&pol, ilx);
	if (node == p->node)
		return;
	get_page(p);
	w->pages[w->n] = p;
	w->target[w->n++] = node;
}

/* pgtable_range callback: the misplaced pages of one leaf table. Stops
 * (returns 1) when the batch is full, with w->resume set. */
static int mbind_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next,
		       void *arg)
{
	struct mbind_walk *w = arg;

	(void)mm;
	for (; va < next; va += PAGE_SIZE, ptep++) {
		if (w->n == MBIND_BATCH) {
			w->resume = va;
			return 1;
		}
		if (!pte_present(*ptep))
			continue;
		struct page *p = pfn_to_page(pte_pfn(*ptep));
		if (p && !(w->mask & (1U << p->node)))
			mbind_queue(w, p, va);
	}
	return 0;
}

/* Move the batch's pages (no lock held); failures count. */
static void mbind_move(struct mbind_walk *w)
{
	for (int i = 0; i < w->n; i++) {
		if (migrate_page(w->pages[i], w->target[i], MR_MEMPOLICY_MBIND))
			w->failed++;
		else
			w->moved++;
		page_release(w->pages[i]);
	}
	w->n = 0;
}

/* Walk [start, end) in batches: check or move its misplaced pages. */
static void mbind_pages(struct mm *mm, uint64_t start, uint64_t end,
			struct mbind_walk *w)
{
	uint64_t va = start;

	while (va < end) {
		spin_lock(&mm->lock);
		w->v = vma_find(mm, va);
		if (!w->v)
			w->v = vma_above(mm, va);
		if (!w->v || w->v->start >= end) {
			spin_unlock(&mm->lock);
			break;
		}
		uint64_t from = MAX(va, w->v->start), to = MIN(end, w->v->end);
		w->resume = 0;
		pgtable_range(mm, from, to, mbind_table, w);
		spin_unlock(&mm->lock);
		mbind_move(w);
		va = w->resume ? w->resume : to;
	}
}

/* The VMAs of [start, end) with no hole (or, policy MPOL_DEFAULT, some
 * VMA at all): Linux's -EFAULT otherwise. mm->lock held. */
static bool range_ok(struct mm *mm, uint64_t start, uint64_t end, bool dflt)
{
	if (dflt)
		return vma_find_any(mm, start, end - start);
	return vma_range_mapped(mm, start, end);
}

/* Set the policy of [start, end), then check or move its pages. */
static int64_t do_mbind(uint64_t start, uint64_t end, const struct mempolicy *pol,
			uint32_t mask, unsigned flags)
{
	struct mm *mm = current->mm;

	spin_lock(&mm->lock);
	int err = range_ok(mm, start, end, pol->mode == MPOL_DEFAULT) ? 0 : -EFAULT;
	if (!err)
		err = vma_set_policy(mm, start, end, pol);
	spin_unlock(&mm->lock);
	if (err || !(flags & (MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)))
		return err;
	struct mbind_walk w = { .pol = pol, .mask = mask, .flags = flags };
	mbind_pages(mm, start, end, &w);
	if (flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))   /* migrate:mm_migrate_pages */
		trace_event(TRACE_MIGRATE_PAGES, w.moved, w.failed, MR_MEMPOLICY_MBIND);
	return w.failed && (flags & MPOL_MF_STRICT) ? -EIO : 0;
}

SYSCALL(mbind)
{
	uint64_t start = a0, len = a1, flags = a5;
	struct mempolicy pol;
	struct umask m;
	int err = user_policy((int64_t)a2, (const uint64_t *)a3, a4, &pol, &m);

	if (err)
		return err;
	if (flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (pol.mode == MPOL_DEFAULT)
		flags &= ~MPOL_MF_STRICT;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (start + len < start)
		return -EINVAL;
	if (!len)
		return 0;
	/* Linux checks pages against the mask as given (empty for DEFAULT
	 * and LOCAL: every page is outside it). */
	return do_mbind(start, start + len, &pol, m.nodes, (unsigned)flags);
}

/* --------------------------------------------------------- get_mempolicy */

/* Linux's nr_node_ids: the highest possible node id + 1. */
static uint64_t nr_node_ids(void)
{
	int nid, n = 1;

	for_each_online_node(nid)
		n = nid + 1;
	return n;
}

/* The node of the page at addr, faulting it in (read) first. */
static int node_of_addr(uint64_t addr)
{
	struct mm *mm = current->mm;
	int node = -EFAULT;

	if (vm_fault(mm, addr, 0))
		return -EFAULT;
	spin_lock(&mm->lock);
	pte_t *ptep = pgtable_walk(mm, ALIGN_DOWN(addr, PAGE_SIZE), false);
	if (ptep && pte_mapped(*ptep))
		node = pfn_to_page(pte_pfn(*ptep))->node;
	spin_unlock(&mm->lock);
	return node;
}

/* Write nodes as maxnode - 1 bits (Linux's copy_nodes_to_user): 0,
 * -EINVAL for more than a page of them, -EFAULT. */
static int put_nodes(uint64_t *umask, uint64_t maxnode, uint32_t nodes)
{
	uint64_t bytes = ALIGN_UP(maxnode - 1, 64) / 8, zero = 0, w = nodes;

	if (bytes > 8 && bytes > PAGE_SIZE)
		return -EINVAL;
	for (uint64_t i = 1; i < bytes / 8; i++)
		if (copy_to_user(umask + i, &zero, sizeof(zero)))
			return -EFAULT;
	return bytes && copy_to_user(umask, &w, sizeof(w)) ? -EFAULT : 0;
}

/* The policy get_mempolicy reports: the VMA's at addr (MPOL_F_ADDR; none:
 * default, not the task's) or the task's. 0, -EFAULT, -EINVAL. */
static int policy_for(uint64_t addr, uint64_t flags, struct mempolicy *pol)
{
	if (!(flags & MPOL_F_ADDR)) {
		*pol = current->mpol;
		return addr ? -EINVAL : 0;
	}
	struct mm *mm = current->mm;
	spin_lock(&mm->lock);
	struct vma *v = vma_find(mm, addr);
	if (v)
		*pol = v->mpol;
	spin_unlock(&mm->lock);
	return v ? 0 : -EFAULT;
}

/* The mode word, or (MPOL_F_NODE) a node: of addr's page, or the node the
 * task's interleave policy uses next. */
static int mode_value(const struct mempolicy *pol, uint64_t addr, uint64_t flags)
{
	if (!(flags & MPOL_F_NODE))
		return pol->mode | (pol->flags & MPOL_MODE_FLAGS);   /* as Linux 6.1-6.18 */
	if (flags & MPOL_F_ADDR)
		return node_of_addr(addr);
	if (pol->mode != MPOL_INTERLEAVE)
		return -EINVAL;
	uint32_t n = pol->nodes, above = current->mpol_il_prev >= 31 ? 0 :
		     n & ~((2U << current->mpol_il_prev) - 1);
	return __builtin_ctz(above ? above : n);
}

SYSCALL(get_mempolicy)
{
	int *mode = (int *)a0;
	uint64_t *mask = (uint64_t *)a1, maxnode = a2, addr = a3, flags = a4;
	struct mempolicy pol = { MPOL_DEFAULT, 0, 0, 0 };
	int val = 0;

	if (mask && maxnode < nr_node_ids())
		return -EINVAL;
	if (flags & ~(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	if (flags & MPOL_F_MEMS_ALLOWED) {
		if (flags & (MPOL_F_NODE | MPOL_F_ADDR))
			return -EINVAL;
		pol.nodes = mpol_mems_allowed();
	} else {
		int err = policy_for(addr, flags, &pol);
		if (!err)
			err = val = mode_value(&pol, addr, flags);
		if (err < 0)
			return err;
		if (pol.flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES))
			pol.nodes = pol.user_nodes;
	}
	if (mode && copy_to_user(mode, &val, sizeof(val)))
		return -EFAULT;
	return mask ? put_nodes(mask, maxnode, pol.nodes) : 0;
}
