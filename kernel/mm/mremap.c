/*
 * mremap(2): grow or shrink a mapping in place, or move it elsewhere.
 *
 * A move carries the page-table entries, not the data: every PTE of the
 * old range (present, PROT_NONE, NUMA-hint, migration or swap entry) is
 * taken out of its slot and put in the slot of the same page in the new
 * range, and the VMA itself moves (the same struct vma, with a new start
 * and end). What keeps the reverse map exact, per rmap mode:
 *
 *   chain   a page's pte_chain names PTE addresses: rmap_move rewrites
 *           the old address to the new one in place (direct, pair half
 *           or chain slot), under the page's chain lock;
 *   obj     nothing to rewrite: the VMA keeps pgoff and anon_pgoff and
 *           stays on its i_mmap and anon_vma lists, so the walk computes
 *           the new address from the new start (rmap_obj.c);
 *   hybrid  anonymous pages as chain, file pages as obj;
 *   scan    nothing: the walk reads the page tables.
 *
 * A migration entry moves like any other mapping (the migration finds it
 * at its new place in its remap pass); a swap entry keeps its slot and
 * mm->swapents; a replica PTE keeps pointing at its replica, whose own
 * chain is rewritten as any page's (replicas need no collapse).
 *
 * Everything happens under mm->lock, so no fault, rmap walk or other
 * thread of the process sees a half-moved range; the walks only try
 * mm->lock. The TLBs of every CPU that runs the mm are flushed before the
 * lock is dropped (mm_flush_tlb_all). Destination page tables are made
 * before the first PTE moves, so a move that runs out of memory fails
 * with nothing moved.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/rmap.h>
#include <kernel/slab.h>
#include <kernel/filemap.h>
#include <kernel/errno.h>
#include <kernel/printk.h>

#define MREMAP_MAYMOVE   1
#define MREMAP_FIXED     2
#define MREMAP_DONTUNMAP 4

struct mremap_req {
	uint64_t addr, old_len, new_len, flags, new_addr;
};

/* ---- moving PTEs ---- */

/* The destination's page tables for every used slot of one leaf table. */
static int prepare_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next,
			 void *arg)
{
	uint64_t delta = *(uint64_t *)arg;

	for (; va < next; va += PAGE_SIZE, ptep++)
		if (!pte_none(*ptep) && !pgtable_walk(mm, va + delta, true))
			return -ENOMEM;
	return 0;
}

/* One PTE from src to the empty slot dst, with its reverse-map entry. */
static void move_pte(pte_t *src, pte_t *dst)
{
	pte_t pte = __atomic_exchange_n(src, 0, __ATOMIC_ACQ_REL);

	if (pte_mapped(pte))
		rmap_move(pfn_to_page(pte_pfn(pte)), virt_to_phys(src), virt_to_phys(dst));
	*dst = pte;
}

static int move_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next,
		      void *arg)
{
	uint64_t delta = *(uint64_t *)arg;

	for (; va < next; va += PAGE_SIZE, ptep++) {
		if (pte_none(*ptep))
			continue;
		pte_t *dst = pgtable_walk(mm, va + delta, false);
		if (!dst || !pte_none(*dst))
			panic("mremap: no empty destination PTE for %lx", va + delta);
		move_pte(ptep, dst);
	}
	return 0;
}

/*
 * Move the PTEs of [from, from + len) to the same offsets at to (the two
 * ranges do not overlap; the destination holds no PTE). mm->lock held.
 * 0, or -ENOMEM with nothing moved. The caller flushes the TLBs.
 */
static int move_ptes(struct mm *mm, uint64_t from, uint64_t to, uint64_t len)
{
	uint64_t delta = to - from;      /* wraps for a move down: still exact */
	int err = pgtable_range(mm, from, from + len, prepare_table, &delta);

	if (!err)
		pgtable_range(mm, from, from + len, move_table, &delta);
	return err;
}

/* ---- moving the VMA ---- */

/* A second VMA for the object of v at to (DONTUNMAP keeps the old one,
 * and old_len 0 of a shared mapping makes a second mapping of it): the
 * same file or shmem object and anon_vma, the offsets of addr. */
static struct vma *vma_twin(struct mm *mm, struct vma *v, uint64_t addr,
			    uint64_t to, uint64_t len)
{
	struct vma *n = kmalloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *v;
	n->start = to;
	n->end = to + len;
	n->pgoff += (addr - v->start) >> PAGE_SHIFT;
	n->anon_pgoff += (addr - v->start) >> PAGE_SHIFT;
	if (n->inode)
		filemap_get(n->inode);
	rmap_vma_copy(n, v);
	vma_insert(mm, n);
	return n;
}

/*
 * Move [addr, addr + old_len), inside one VMA, to [to, to + new_len),
 * which is free. keep: the old range stays mapped (empty: it refaults
 * from its object, or zero). mm->lock held. to, or -ENOMEM with the
 * mapping where it was (split at the edges of the range, harmlessly).
 */
static int64_t move_range(struct mm *mm, struct mremap_req *r, uint64_t to, bool keep)
{
	if (r->old_len && vma_split_edges(mm, r->addr, r->addr + r->old_len))
		return -ENOMEM;
	struct vma *v = vma_find(mm, r->addr);
	int err = move_ptes(mm, r->addr, to, r->old_len);

	if (err)
		return err;
	if (keep) {
		if (!vma_twin(mm, v, r->addr, to, r->new_len))
			err = -ENOMEM;          /* the PTEs are back below */
	} else {
		list_del(&v->node);
		mm->nr_vmas--;
		v->start = to;               /* pgoff, anon_pgoff and lists kept */
		v->end = to + r->new_len;
		vma_insert(mm, v);
		pgtable_free_range(mm, r->addr, r->addr + r->old_len);
	}
	if (err)
		move_ptes(mm, to, r->addr, r->old_len);
	mm_flush_tlb_all(mm);
	return err ? err : (int64_t)to;
}

/* ---- the cases of mremap ---- */

/* Can v grow in place by delta bytes: nothing mapped behind it, and
 * (below the stack) no growth into the room kept for the stack, the limit
 * mmap's own placement keeps to (vma_free_area)? */
static bool can_expand(struct mm *mm, struct vma *v, uint64_t delta)
{
	uint64_t end = v->end + delta;
	uint64_t limit = mm->stack_top ? mm->stack_top - STACK_MAX - STACK_GUARD : USER_TOP;

	if (end < v->end || end > USER_TOP || (v->end <= limit && end > limit))
		return false;
	return !vma_find_any(mm, v->end, delta);
}

/* MREMAP_FIXED or MREMAP_DONTUNMAP: a move to new_addr (FIXED, replacing
 * what is there) or to a free range. v: the VMA at addr. */
static int64_t mremap_to(struct mm *mm, struct mremap_req *r, struct vma *v)
{
	uint64_t to = r->new_addr, len = MIN(r->old_len, r->new_len);

	if (r->flags & MREMAP_FIXED) {
		if ((to & (PAGE_SIZE - 1)) || r->new_len > USER_TOP ||
		    to > USER_TOP - r->new_len)
			return -EINVAL;
		if (r->addr + r->old_len > to && to + r->new_len > r->addr)
			return -EINVAL;          /* the ranges overlap */
		if (!to)
			return -ENOMEM;          /* page 0 stays unmapped, as mmap's */
	}
	if (r->addr + len > v->end)
		return -EFAULT;                  /* not one VMA */
	if ((r->flags & MREMAP_FIXED) && vma_unmap(mm, to, r->new_len))
		return -ENOMEM;
	if (r->old_len > r->new_len) {
		if (vma_unmap(mm, r->addr + r->new_len, r->old_len - r->new_len))
			return -ENOMEM;
		r->old_len = r->new_len;
	}
	if (!(r->flags & MREMAP_FIXED) && !(to = vma_free_area(mm, 0, r->new_len)))
		return -ENOMEM;
	return move_range(mm, r, to, (r->flags & MREMAP_DONTUNMAP) || !r->old_len);
}

/* Grow [addr, addr + old_len): in place if it ends its VMA and the space
 * behind is free, else moved (MAYMOVE) or -ENOMEM. */
static int64_t mremap_grow(struct mm *mm, struct mremap_req *r, struct vma *v)
{
	uint64_t delta = r->new_len - r->old_len;

	if (r->addr + r->old_len > v->end)
		return -EFAULT;
	if (r->addr + r->old_len == v->end && can_expand(mm, v, delta)) {
		v->end += delta;                 /* pgoffs stay: the tail faults in */
		return (int64_t)r->addr;
	}
	if (!(r->flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t to = vma_free_area(mm, 0, r->new_len);
	return to ? move_range(mm, r, to, !r->old_len) : -ENOMEM;
}

/* The checks and cases in Linux's order, mm->lock held. */
static int64_t do_mremap(struct mm *mm, struct mremap_req *r)
{
	struct vma *v = vma_find(mm, r->addr);

	if (!v)
		return -EFAULT;
	if (!r->old_len && !(v->flags & MAP_SHARED))
		return -EINVAL;              /* old_len 0 duplicates shared maps only */
	if (r->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return mremap_to(mm, r, v);
	if (r->old_len >= r->new_len) {
		if (r->old_len > r->new_len && (r->addr + r->old_len < r->addr ||
						r->addr + r->old_len > USER_TOP))
			return -EINVAL;
		if (r->old_len > r->new_len &&
		    vma_unmap(mm, r->addr + r->new_len, r->old_len - r->new_len))
			return -ENOMEM;
		return (int64_t)r->addr;
	}
	return mremap_grow(mm, r, v);
}

/*
 * mremap(addr, old_len, new_len, flags, new_addr): the new address, or
 * -EINVAL (bad flags, unaligned addr, new_len 0, FIXED without MAYMOVE,
 * DONTUNMAP with a size change or without MAYMOVE, overlapping ranges),
 * -EFAULT (addr not mapped, or the range not one mapping), -ENOMEM (no
 * room to grow without MAYMOVE, or no memory).
 */
SYSCALL(mremap)
{
	struct mremap_req r = { a0, a1, a2, a3, a4 };
	struct mm *mm = current->mm;

	if ((r.flags & ~7UL) || ((r.flags & MREMAP_FIXED) && !(r.flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if ((r.flags & MREMAP_DONTUNMAP) &&
	    (!(r.flags & MREMAP_MAYMOVE) || r.old_len != r.new_len))
		return -EINVAL;
	if (r.addr & (PAGE_SIZE - 1))
		return -EINVAL;
	r.old_len = ALIGN_UP(r.old_len, PAGE_SIZE);
	r.new_len = ALIGN_UP(r.new_len, PAGE_SIZE);
	if (!r.new_len)
		return -EINVAL;
	spin_lock(&mm->lock);
	int64_t ret = do_mremap(mm, &r);
	mm_unlock(mm);
	return ret;
}
