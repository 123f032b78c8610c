/*
 * Address spaces: creating one, copying one for fork (copy-on-write), and
 * tearing one down; and the references that user mappings hold on pages.
 */
#include <kernel/mm.h>
#include <kernel/replicate.h>
#include <kernel/pmm.h>
#include <kernel/slab.h>
#include <kernel/rmap.h>
#include <kernel/percpu.h>
#include <kernel/vmstat.h>
#include <kernel/filemap.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/printk.h>
#include <kernel/signal.h>
#include <kernel/swap.h>
#include <kernel/reclaim.h>

void get_page(struct page *p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

/*
 * Drop a reference; the last one frees the frame. This is the one place a
 * user or page-cache frame is freed, whoever dropped the last reference (an
 * unmap, the page cache, a migration): the frame leaves whatever it
 * belonged to here. A page still in the page cache cannot get here (the
 * cache holds a reference), nor one still mapped (each mapping does).
 */
void put_page(struct page *p)
{
	int left = __atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL);

	BUG_ON(left < 0);
	if (left == 1 && (READ_ONCE(p->flags) & PG_swapcache)) {
		/* Maybe only the swap cache holds it now, with no mapping and
		 * no PTE naming its slot: then it is of no use, and the slot
		 * goes (swap_cache_try_free decides under swapcache_lock).
		 * Every holder's last put comes here, whichever path drops
		 * it, so none can leave such a page in the cache for good. */
		swap_cache_try_free((swp_entry_t){ READ_ONCE(p->private) });
		return;
	}
	if (left)
		return;
	BUG_ON((p->flags & (PG_pcache | PG_swapcache)) || p->mapcount);
	if (p->flags & PG_replica)
		replica_release(p);              /* leaves its master's set */
	if (p->flags & PG_lru)
		lru_del(p);
	if (p->flags & PG_anon)
		count_vm_event(PGFREE);      /* pgalloc/pgfree count user anonymous pages */
	page_clear_flag(p, PG_anon | PG_dirty | PG_active | PG_referenced | PG_LAST_NID_MASK);
	p->mapping = NULL;
	p->index = 0;
	p->private = 0;
	pmm_free_pages(p, 0);
}

/* The node of the last frame looked up (a process's frames are mostly on
 * one node, so pfn_to_page's search of the nodes is rarely needed). */
struct pfn_cache {
	uint64_t start_pfn, end_pfn;   /* the node's frames ... */
	struct page *mem_map;          /* ... and their struct pages */
};

/* The struct page of a managed frame, through the cached node when the
 * frame is there (fork and exit look up every mapped frame). */
static inline struct page *pfn_cache_page(struct pfn_cache *pc, uint64_t pfn)
{
	if (pfn - pc->start_pfn < pc->end_pfn - pc->start_pfn)
		return &pc->mem_map[pfn - pc->start_pfn];
	struct page *p = pfn_to_page(pfn);
	const struct numa_node *n = &numa_nodes[p->node];

	pc->start_pfn = n->start_pfn;
	pc->end_pfn = n->end_pfn;
	pc->mem_map = n->mem_map;
	return p;
}

/*
 * Point *ptep at p; the mapping holds a reference the caller passes in.
 * Caller holds mm->lock. -ENOMEM (PTE untouched) if the reverse map had no
 * memory for a chain block; never after rmap_prepare() for one mapping.
 */
int page_map(struct mm *mm, pte_t *ptep, struct page *p, pte_t pte)
{
	int err = rmap_add(p, virt_to_phys(ptep));

	if (err)
		return err;
	*ptep = pte;
	if (p->flags & PG_anon)
		mm->rss_anon++;
	else
		mm->rss_file++;
	return 0;
}

/* The counters and dirty state of a mapping `old` that was just cleared. */
void page_unmap_account(struct mm *mm, struct page *p, pte_t old)
{
	if (p->flags & PG_anon)
		mm->rss_anon--;
	else
		mm->rss_file--;
	if (pte_dirty(old) && !(p->flags & PG_anon))
		filemap_dirty(p);
}

/* Drop the reference a mapping held (an unmapped swap-cache page may
 * leave the cache with it: put_page_swapcache). */
void page_release(struct page *p)
{
	if (p->flags & PG_anon)
		put_page_swapcache(p);
	else
		filemap_release_page(p);
}

void swap_pte_free(struct mm *mm, pte_t pte)
{
	swp_entry_t e = pte_to_swp_entry(pte);

	mm->swapents--;
	swap_slot_free(e);
	swap_cache_try_free(e);              /* the cached copy may be unused now */
}

/* Clear *ptep and drop its page (the caller flushes the TLB). A migration
 * entry is a mapping too: the reverse map still lists it. A swap entry
 * gives back its use of the slot. */
void page_unmap(struct mm *mm, pte_t *ptep)
{
	pte_t pte = *ptep;

	*ptep = 0;
	if (pte_swap(pte)) {
		swap_pte_free(mm, pte);
		return;
	}
	if (!pte_mapped(pte))
		return;
	struct page *p = pfn_to_page(pte_pfn(pte));

	page_unmap_account(mm, p, pte);
	rmap_remove(p, virt_to_phys(ptep));
	page_release(p);
}

/*
 * page_unmap for the n slots of one leaf table from ptep (exit, munmap):
 * a present PTE takes a short path, with the node lookup cached, the
 * reverse map inline (rmap_remove_fast) and the reference of an
 * anonymous page dropped with put_page_swapcache (which looks at the swap
 * cache after the put: reclaim may add the page meanwhile); the other
 * non-empty entries go through page_unmap. Caller holds mm->lock and
 * flushes the TLB after.
 */
void page_unmap_table(struct mm *mm, pte_t *ptep, unsigned n)
{
	struct pfn_cache pc = { 0 };

	for (unsigned i = 0; i < n; i++) {
		pte_t pte = ptep[i];

		if (pte_none(pte))
			continue;
		if (!(pte & PTE_P)) {
			page_unmap(mm, &ptep[i]);
			continue;
		}
		struct page *p = pfn_cache_page(&pc, pte_pfn(pte));

		ptep[i] = 0;
		page_unmap_account(mm, p, pte);
		rmap_remove_fast(p, virt_to_phys(&ptep[i]));
		page_release(p);
	}
}

struct list_head mm_list = LIST_HEAD_INIT(mm_list);
struct spinlock mm_list_lock = SPINLOCK_INIT("mm_list");

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));
	struct page *pml4 = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);

	if (!mm || !pml4) {
		kfree(mm);
		if (pml4)
			pmm_free_pages(pml4, 0);
		return NULL;
	}
	pml4->flags |= PG_pgtable;
	pml4->mapping = mm;
	pml4->index = 0;
	mm->pml4 = page_address(pml4);
	mm->pml4_phys = page_to_phys(pml4);
	/* The kernel half is shared: same PDPTs in every address space. */
	memcpy(mm->pml4 + 256, (uint64_t *)phys_to_virt(kernel_pml4_phys()) + 256,
	       256 * sizeof(uint64_t));
	spin_init(&mm->lock, "mm");
	list_init(&mm->vmas);
	list_init(&mm->dead_vmas);
	mm->users = 1;
	mm->node = numa_this_node();
	mm->numa_home = NUMA_NO_NODE;
	spin_lock(&mm_list_lock);
	list_add_tail(&mm->mm_node, &mm_list);
	spin_unlock(&mm_list_lock);
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_fetch_add(&mm->users, 1, __ATOMIC_RELAXED);
}

/* The last user is gone: unmap everything, free the tables. */
void mm_put(struct mm *mm)
{
	if (__atomic_sub_fetch(&mm->users, 1, __ATOMIC_ACQ_REL))
		return;
	/* The lock keeps rmap walkers (migration, rmap_check) off the
	 * tables while they go. */
	spin_lock(&mm->lock);
	vma_unmap(mm, 0, USER_SPACE_END);
	pgtable_free_all(mm);
	mm_unlock(mm);
	spin_lock(&mm_list_lock);
	list_del(&mm->mm_node);
	spin_unlock(&mm_list_lock);
	if (mm->exe_inode)
		filemap_put(mm->exe_inode);
	struct page *pml4 = virt_to_page(mm->pml4);
	pml4->flags &= ~PG_pgtable;
	pml4->mapping = NULL;
	pmm_free_pages(pml4, 0);
	kfree(mm);
}

/* Share one PTE with the child (read-only if private: copy-on-write).
 * A migration entry is copied as it is: the migration that made it will
 * find the child's copy through the reverse map too. A swap entry is
 * copied with one more use of its slot. */
static int dup_pte(struct mm *dst, pte_t *d, pte_t *s, bool cow)
{
	if (pte_swap(*s)) {
		if (swap_slot_dup(pte_to_swp_entry(*s)))
			return -ENOMEM;
		*d = *s;
		dst->swapents++;
		return 0;
	}
/* LAB cow: BEGIN share the page with the child: a reference and a mapping, read-only if cow */
	if (cow && pte_write(*s))
		*s = pte_wrprotect(*s);
	struct page *p = pfn_to_page(pte_pfn(*s));
	get_page(p);
	if (page_map(dst, d, p, *s)) {
		page_release(p);
		return -ENOMEM;
	}
	return 0;
/* LAB cow: END */
/* LAB cow: STUB
	return -ENOSYS;
*/
}

/* What fork's walk of the parent's tables carries from table to table:
 * the child, whether private pages go copy-on-write, the last node. */
struct dup {
	struct mm *dst;
	bool cow;
	struct pfn_cache pc;
};

/* Share the frame of a present PTE with the child, copy-on-write if
 * private: dup_pte's common case (get_page, then page_map's steps), with
 * no call at all for a page without a chain or made a pair or a chain
 * (rmap_add_fast). 0 or -ENOMEM. */
static inline int dup_present(struct dup *dp, pte_t *d, pte_t *s)
{
/* LAB cow: BEGIN fork's fast path for a present PTE; the lab's tree sends it to dup_pte */
	pte_t pte = *s;

	if (dp->cow && pte_write(pte))
		*s = pte = pte_wrprotect(pte);
	struct page *p = pfn_cache_page(&dp->pc, pte_pfn(pte));

	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);     /* get_page */
	if (rmap_add_fast(p, virt_to_phys(d))) {
		page_release(p);
		return -ENOMEM;
	}
	*d = pte;
	if (p->flags & PG_anon)
		dp->dst->rss_anon++;
	else
		dp->dst->rss_file++;
	return 0;
/* LAB cow: END */
/* LAB cow: STUB
	return dup_pte(dp->dst, d, s, dp->cow);
*/
}

/* The child's slots for the leaf table whose slot i maps va + i pages,
 * its tables made as needed; NULL if memory ran out. */
static pte_t *dup_slots(struct mm *dst, uint64_t va, unsigned i)
{
	pte_t *d = pgtable_walk(dst, va + (uint64_t)i * PAGE_SIZE, true);

	return d ? d - i : NULL;
}

/*
 * Copy one leaf table's worth of PTEs into the child, in one loop under
 * the locks mm_dup holds; the child's table is made at the first PTE that
 * needs one. Present PTEs take the short path, the others (swap,
 * migration, NUMA-hint, PROT_NONE entries) dup_pte. -ENOMEM, or -EINTR if
 * the parent got a fatal signal.
 */
static int dup_table(struct mm *src, pte_t *s, uint64_t va, uint64_t next, void *arg)
{
	struct dup *dp = arg;
	unsigned n = (next - va) / PAGE_SIZE;
	pte_t *d = NULL;

	(void)src;
	if (fatal_signal_pending(current))
		return -EINTR;
	for (unsigned i = 0; i < n; i++) {
		pte_t pte = s[i];

		if (!(pte & PTE_P) && !pte_mapped(pte) && !pte_swap(pte))
			continue;               /* empty: nothing to share */
		if (!d && !(d = dup_slots(dp->dst, va, i)))
			return -ENOMEM;
		int err = pte & PTE_P ? dup_present(dp, &d[i], &s[i])
				      : dup_pte(dp->dst, &d[i], &s[i], dp->cow);
		if (err)
			return err;
	}
	return 0;
}

/* Copy one VMA's PTEs into the child: only the source's page tables that
 * exist are visited (pgtable_range). */
static int dup_range(struct mm *dst, struct mm *src, struct vma *v)
{
	struct dup dp = { .dst = dst, .cow = !(v->flags & MAP_SHARED), .pc = { 0 } };

	return pgtable_range(src, v->start, v->end, dup_table, &dp);
}

/* The child's copy of v: on v's i_mmap and anon_vma lists (rmap_obj.c),
 * so the reverse map finds the PTEs fork is about to share. */
static struct vma *vma_copy(struct mm *mm, struct vma *v)
{
	struct vma *n = kmalloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *v;
	n->mm = mm;
	if (n->inode)
		filemap_get(n->inode);
	rmap_vma_copy(n, v);
	return n;
}

/* The child's copies of old's VMAs and PTEs (both locks held). */
static int dup_vmas(struct mm *mm, struct mm *old)
{
	struct list_head *l;

	list_for_each(l, &old->vmas) {
		struct vma *v = vma_copy(mm, list_entry(l, struct vma, node));

		if (!v)
			return -ENOMEM;
		list_add_tail(&v->node, &mm->vmas);
		mm->nr_vmas++;
		int err = dup_range(mm, old, v);
		if (err)
			return err;
	}
	return 0;
}

/*
 * fork: a new mm with the same VMAs; private pages shared copy-on-write.
 * Takes old->lock, then the new mm's; the chain blocks the copy needs
 * come in runs from this CPU's reserve (rmap_bulk_begin), the rest freed
 * after the unlock. Returns the new mm, or NULL with *err -ENOMEM, or
 * -EINTR when the caller got a fatal signal meanwhile: the partial copy
 * is torn down again either way.
 */
struct mm *mm_dup(struct mm *old, int *err)
{
	struct mm *mm = mm_create();

	*err = -ENOMEM;
	if (!mm)
		return NULL;
	rmap_bulk_begin();
	spin_lock(&old->lock);
	spin_lock(&mm->lock);           /* parent, then child: rmap.h */
	mm->brk_start = old->brk_start;
	mm->exe_inode = old->exe_inode;
	if (mm->exe_inode)
		filemap_get(mm->exe_inode);
	memcpy(mm->exe_path, old->exe_path, sizeof(mm->exe_path));
	mm->brk = old->brk;
	mm->stack_top = old->stack_top;
	mm->arg_start = old->arg_start, mm->arg_end = old->arg_end;
	mm->env_start = old->env_start, mm->env_end = old->env_end;
	mm->start_stack = old->start_stack;
	*err = dup_vmas(mm, old);
	mm_flush_tlb_all(old);          /* the parent's PTEs are read-only now */
	spin_unlock(&mm->lock);
	spin_unlock(&old->lock);
	rmap_bulk_end();
	if (*err) {
		mm_put(mm);
		return NULL;
	}
	return mm;
}
