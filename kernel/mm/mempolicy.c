/*
 * Memory policies: which node a user page comes from (mempolicy.h). The
 * policy that applies to a fault at va of VMA v is v's own if it has one
 * (mbind), else the task's (set_mempolicy), else first touch. From it:
 *
 *   PREFERRED n   -> pmm_alloc_pages(n), falling back by distance
 *   BIND mask     -> the nodes of mask nearest the faulting CPU first,
 *                    each with PMM_THISNODE; none free: NULL (reclaim)
 *   INTERLEAVE    -> node number (ilx mod weight) of the mask, where ilx
 *                    is the page's offset in its VMA (a VMA's policy or
 *                    the task's, as Linux); for a page of no VMA (the page
 *                    cache through read or write) the task's counter
 *                    moves on to the next node
 *   LOCAL/DEFAULT -> the faulting CPU's node
 *
 * Locking: see mempolicy.h. Nothing here sleeps or takes a lock other
 * than task_mpol_lock (a leaf) and the allocator's.
 */
#include <kernel/mempolicy.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/proc.h>
#include <kernel/numa.h>
#include <kernel/string.h>
#include <kernel/printk.h>

_Static_assert(MAX_NODES <= 32, "a policy's node mask is 32 bits");

/* Protects every process's mpol against a torn read by another task: the
 * process writes its own under it, others read under it. A leaf. */
static struct spinlock task_mpol_lock = SPINLOCK_INIT("task_mpol");

uint32_t mpol_mems_allowed(void)
{
	uint32_t mask = 0;
	int nid;

	for_each_online_node(nid)
		if (numa_nodes[nid].present_pages)
			mask |= 1U << nid;
	return mask;
}

/* The n-th (from 0) node of mask; mask is not empty. */
static int mask_nth(uint32_t mask, int n)
{
	for (; n > 0; n--)
		mask &= mask - 1;
	return __builtin_ctz(mask);
}

/* The first node of mask after node, wrapping (Linux's next_node_in). */
static int mask_next_in(uint32_t mask, int node)
{
	uint32_t above = node + 1 >= 32 ? 0 : mask & ~((2U << node) - 1);

	return __builtin_ctz(above ? above : mask);
}

/* The policy in force for va of v: v's, else the task's (or none). */
static const struct mempolicy *policy_of(struct vma *v)
{
	static const struct mempolicy none = { MPOL_DEFAULT, 0, 0, 0 };
	struct proc *p = current;

	if (v && v->mpol.mode != MPOL_DEFAULT)
		return &v->mpol;
	return p ? &p->mpol : &none;
}

void mpol_lookup(struct vma *v, uint64_t va, struct mempolicy *pol, uint64_t *ilx)
{
	*pol = *policy_of(v);
	*ilx = MPOL_NO_ILX;
	if (v) {                            /* the task's interleave too, as Linux */
		uint64_t off = (va - v->start) >> PAGE_SHIFT;
		/* Linux: an anonymous private VMA's pgoff is its address */
		*ilx = v->inode ? v->pgoff + off : va >> PAGE_SHIFT;
	}
}

/* The interleave node for ilx, or the task counter's next node. */
static int interleave_node(const struct mempolicy *pol, uint64_t ilx)
{
	struct proc *p = current;

	if (ilx != MPOL_NO_ILX)
		return mask_nth(pol->nodes, (int)(ilx % mpol_weight(pol->nodes)));
	if (!p)
		return mask_nth(pol->nodes, 0);
	p->mpol_il_prev = mask_next_in(pol->nodes, p->mpol_il_prev);
	return p->mpol_il_prev;
}

/* BIND: the allowed nodes nearest the faulting CPU first, each on its own
 * node; remember the nearest one for reclaim when all are full. */
static struct page *bind_alloc(uint32_t mask, unsigned flags)
{
	struct numa_node *here = &numa_nodes[numa_this_node()];
	int want = NUMA_NO_NODE;

	for (int i = 0; i < here->nr_fallback; i++) {
		int nid = here->fallback[i];
		if (!(mask & (1U << nid)))
			continue;
		struct page *p = pmm_alloc_pages(nid, 0, flags | PMM_THISNODE);
		if (p)
			return p;
		if (want == NUMA_NO_NODE)
			want = nid;
	}
	if (current)
		current->mpol_oom_node = want + 1;
	return NULL;
}

struct page *mpol_alloc_with(const struct mempolicy *pol, uint64_t ilx,
			     unsigned pmm_flags)
{
	switch (pol->mode) {
	case MPOL_PREFERRED:
		return pmm_alloc_pages(mask_nth(pol->nodes, 0), 0, pmm_flags);
	case MPOL_BIND:
		return bind_alloc(pol->nodes, pmm_flags);
	case MPOL_INTERLEAVE:
		return pmm_alloc_pages(interleave_node(pol, ilx), 0, pmm_flags | PMM_INTERLEAVE);
	default:                            /* DEFAULT, LOCAL: first touch */
		return pmm_alloc_pages(NUMA_NO_NODE, 0, pmm_flags);
	}
}

/* A fault path that must allocate outside mm->lock (swap-in, a shmem page)
 * captured the policy under it: current->mpol_hint. */
struct page *mpol_alloc_page(struct vma *v, uint64_t va, unsigned pmm_flags)
{
	struct proc *p = current;
	struct mempolicy pol;
	uint64_t ilx;

	if (!v && p && p->mpol_hint)
		return mpol_alloc_with(&p->mpol_hint->pol, p->mpol_hint->ilx, pmm_flags);
	mpol_lookup(v, va, &pol, &ilx);
	return mpol_alloc_with(&pol, ilx, pmm_flags);
}

int mpol_reclaim_node(void)
{
	struct proc *p = current;
	int nid = p ? p->mpol_oom_node - 1 : NUMA_NO_NODE;

	if (p)
		p->mpol_oom_node = 0;
	return nid;
}

/* The node a page following pol should be on (mbind's move target). */
int mpol_target_node(const struct mempolicy *pol, uint64_t ilx)
{
	int here = numa_this_node();

	switch (pol->mode) {
	case MPOL_PREFERRED:
		return mask_nth(pol->nodes, 0);
	case MPOL_BIND:
		if (pol->nodes & (1U << here))
			return here;
		for (int i = 0; i < numa_nodes[here].nr_fallback; i++)
			if (pol->nodes & (1U << numa_nodes[here].fallback[i]))
				return numa_nodes[here].fallback[i];
		return mask_nth(pol->nodes, 0);
	case MPOL_INTERLEAVE:
		return interleave_node(pol, ilx == MPOL_NO_ILX ? 0 : ilx);
	default:
		return here;
	}
}

bool mpol_allows_node(struct vma *v, int node)
{
	const struct mempolicy *pol = policy_of(v);

	if (node < 0 || node >= MAX_NODES)
		return false;
	switch (pol->mode) {
	case MPOL_BIND:
		return pol->nodes & (1U << node);
	case MPOL_PREFERRED:
		return mask_nth(pol->nodes, 0) == node;
	case MPOL_INTERLEAVE:
		return false;
	default:
		return true;
	}
}

/* Append a node list in Linux's %pbl form ("0-1", "0,2-3") to buf. */
static size_t format_nodes(uint32_t mask, char *buf, size_t size, size_t at)
{
	bool first = true;

	for (int n = 0; n < 32; n++) {
		if (!(mask & (1U << n)) || (n > 0 && (mask & (1U << (n - 1)))))
			continue;                   /* not the start of a run */
		int last = n;
		while (last + 1 < 32 && (mask & (1U << (last + 1))))
			last++;
		at += snprintf(buf + MIN(at, size), size - MIN(at, size), "%s%d",
			       first ? "" : ",", n);
		if (last > n)
			at += snprintf(buf + MIN(at, size), size - MIN(at, size), "-%d", last);
		first = false;
	}
	return at;
}

static int format_policy(const struct mempolicy *pol, char *buf, size_t size)
{
	static const char *const names[] = {
		"default", "prefer", "bind", "interleave", "local",
	};
	size_t at = snprintf(buf, size, "%s", names[pol->mode]);

	if (pol->flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES))
		at += snprintf(buf + MIN(at, size), size - MIN(at, size), "=%s",
			       pol->flags & MPOL_F_STATIC_NODES ? "static" : "relative");
	if (pol->flags & MPOL_F_NUMA_BALANCING)
		at += snprintf(buf + MIN(at, size), size - MIN(at, size), "%sbalancing",
			       pol->flags & ~MPOL_F_NUMA_BALANCING ? "|" : "=");
	if (pol->nodes && pol->mode != MPOL_LOCAL) {
		at += snprintf(buf + MIN(at, size), size - MIN(at, size), ":");
		at = format_nodes(pol->nodes, buf, size, at);
	}
	return (int)MIN(at, size ? size - 1 : 0);
}

int mpol_format(struct vma *v, char *buf, size_t size)
{
	return format_policy(v ? &v->mpol : policy_of(NULL), buf, size);
}

void mpol_task_get(struct proc *p, struct mempolicy *out)
{
	spin_lock(&task_mpol_lock);
	*out = p->mpol;
	spin_unlock(&task_mpol_lock);
}

int mpol_format_for(const struct mempolicy *task, struct vma *v, char *buf, size_t size)
{
	return format_policy(v && v->mpol.mode != MPOL_DEFAULT ? &v->mpol : task, buf, size);
}

int mpol_format_proc(struct proc *p, struct vma *v, char *buf, size_t size)
{
	struct mempolicy pol;

	mpol_task_get(p, &pol);
	return mpol_format_for(&pol, v, buf, size);
}

void mpol_set_task(const struct mempolicy *pol)
{
	struct proc *p = current;

	spin_lock(&task_mpol_lock);
	p->mpol = *pol;
	if (pol->mode == MPOL_INTERLEAVE)
		p->mpol_il_prev = 31;           /* the next one is its first node */
	spin_unlock(&task_mpol_lock);
}
