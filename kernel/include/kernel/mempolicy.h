/*
 * Memory policies (kernel/mm/mempolicy.c): on which node a process's
 * pages are allocated, as Linux's set_mempolicy(2) and mbind(2) set it.
 *
 *   MPOL_DEFAULT     no policy here: a VMA's falls back to the task's, the
 *                    task's to first touch (the faulting CPU's node)
 *   MPOL_PREFERRED   one node first, the others by distance when it is full
 *   MPOL_BIND        only the nodes of the mask, nearest first; never
 *                    another node: reclaim, then the OOM killer
 *   MPOL_INTERLEAVE  the nodes of the mask in turn: by page offset in the
 *                    VMA for a page of a VMA (whether the VMA's or the
 *                    task's policy, as Linux), by a per-task counter for
 *                    others (the page cache through read and write)
 *   MPOL_LOCAL       the faulting CPU's node (falls back like DEFAULT)
 *
 * A policy is a small value: each VMA holds one (mbind), each process one
 * (set_mempolicy, copied by fork). VMA splits and fork copy it with the
 * VMA. Locking: a VMA's policy is protected by mm->lock, like the rest of
 * the VMA. A process's policy is written only by the process itself, under
 * a leaf spinlock (task_mpol_lock, mempolicy.c); it reads it without a
 * lock, other tasks under that lock (mpol_format_proc).
 */
#ifndef KERNEL_MEMPOLICY_H
#define KERNEL_MEMPOLICY_H

#include <kernel/types.h>

/* Linux's mode numbers (uapi/linux/mempolicy.h). */
enum {
	MPOL_DEFAULT,
	MPOL_PREFERRED,
	MPOL_BIND,
	MPOL_INTERLEAVE,
	MPOL_LOCAL,
	MPOL_MAX_NUMBAT,           /* Linux has 5 and 6 too; Numbat does not */
};

/* Mode flags, or-ed into the mode argument. */
#define MPOL_F_STATIC_NODES   (1U << 15)
#define MPOL_F_RELATIVE_NODES (1U << 14)
#define MPOL_F_NUMA_BALANCING (1U << 13)
#define MPOL_MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | \
			 MPOL_F_NUMA_BALANCING)

/* get_mempolicy flags. */
#define MPOL_F_NODE         (1UL << 0)
#define MPOL_F_ADDR         (1UL << 1)
#define MPOL_F_MEMS_ALLOWED (1UL << 2)

/* mbind flags (MPOL_MF_MOVE and _MOVE_ALL are move_pages' too). */
#define MPOL_MF_STRICT   (1UL << 0)
#define MPOL_MF_MOVE     (1UL << 1)
#define MPOL_MF_MOVE_ALL (1UL << 2)

struct mempolicy {
	uint16_t mode;             /* MPOL_* */
	uint16_t flags;            /* MPOL_F_STATIC_NODES ... as given */
	uint32_t nodes;            /* the nodes it uses (bit n: node n) */
	uint32_t user_nodes;       /* the mask as given (STATIC/RELATIVE) */
};

/* A policy captured under mm->lock for an allocation made after it is
 * dropped (swap-in, a shmem page): the fault points current->mpol_hint at
 * it for the duration, and mpol_alloc_page(NULL, ...) uses it. */
struct mpol_hint {
	struct mempolicy pol;
	uint64_t ilx;
};

/* How many nodes a mask names (no libgcc: no __builtin_popcount). */
static inline int mpol_weight(uint32_t mask)
{
	int n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

struct vma;
struct proc;
struct page;

/*
 * A page for user address va of v (or, v NULL, for the current task),
 * allocated as the policy says: v's policy, else the current task's, else
 * the faulting CPU's node. pmm_flags are pmm_alloc_pages' (PMM_USER,
 * PMM_ZERO). Never sleeps (callable under mm->lock). NULL when no allowed
 * node has a free frame; for MPOL_BIND the task remembers the node it
 * wanted, and vm_fault reclaims there (mpol_reclaim_node).
 */
struct page *mpol_alloc_page(struct vma *v, uint64_t va, unsigned pmm_flags);

/* The policy that applies at va of v (v NULL: the task's) and the
 * interleave index of va, for an allocation made later, outside mm->lock
 * (swap-in, shmem): mpol_alloc_with(&pol, ilx, flags). */
#define MPOL_NO_ILX (~0ULL)        /* interleave by the task's counter */
void mpol_lookup(struct vma *v, uint64_t va, struct mempolicy *pol, uint64_t *ilx);
/* mpol_alloc_page(NULL, ...) with a hint set: the hint's policy. */
struct page *mpol_alloc_with(const struct mempolicy *pol, uint64_t ilx,
			     unsigned pmm_flags);

/* The node a page following pol belongs on (mbind's move target). */
int mpol_target_node(const struct mempolicy *pol, uint64_t ilx);

/* The node the last failed MPOL_BIND allocation of this task wanted
 * (cleared by the call), or NUMA_NO_NODE: where reclaim should look. */
int mpol_reclaim_node(void);

/*
 * May a page of v (v NULL: the current task's policy) be moved to node by
 * the NUMA-balancing daemon? false for BIND outside its mask, PREFERRED
 * other than its node, and INTERLEAVE; true for DEFAULT and LOCAL. With v
 * whose policy is MPOL_DEFAULT, the current task's policy decides: call it
 * in the context of the task that owns v (its hint fault); from a kernel
 * thread only v's own policy counts. Caller holds v's mm->lock.
 */
bool mpol_allows_node(struct vma *v, int node);

/*
 * Linux's policy string for v's policy ("default", "local", "prefer:1",
 * "bind:0-1", "interleave:0-1", with "=static" or "=relative" after the
 * mode when set), as /proc/PID/numa_maps shows it. v NULL: the current
 * task's policy. Caller holds v's mm->lock. Returns the length (without
 * the NUL; buf is always terminated when size > 0).
 */
int mpol_format(struct vma *v, char *buf, size_t size);
/* The same for a VMA of process p: where v has no policy, p's own (as
 * numa_maps prints it). Takes a leaf spinlock; the caller may hold v's
 * mm->lock. */
int mpol_format_proc(struct proc *p, struct vma *v, char *buf, size_t size);
/* p's own policy, copied under the leaf lock (for /proc readers). */
void mpol_task_get(struct proc *p, struct mempolicy *out);
/* v's policy, or task (a copy of its process's) where v has none. */
int mpol_format_for(const struct mempolicy *task, struct vma *v, char *buf, size_t size);

/* set_mempolicy: make pol the current process's policy (an interleave
 * starts at its first node). Takes a leaf spinlock. */
void mpol_set_task(const struct mempolicy *pol);

/* The nodes with memory, as a mask (MPOL_F_MEMS_ALLOWED). */
uint32_t mpol_mems_allowed(void);

#endif
