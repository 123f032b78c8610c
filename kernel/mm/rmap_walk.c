/*
 * Walking the reverse map: rmap_next over one page's chain, the PTE's mm
 * and address (rmap_pte_mm), and the one walk every user goes through
 * (rmap_walk and its variants), however the mode finds the PTEs: a chain
 * (rmap.c keeps them), every page table (rmap=scan, here), or the page's
 * object (rmap_obj.c). try_to_unmap is built on it. Locks as rmap.h
 * says: the walks hold the chain lock and only try each mm->lock.
 */
#include <kernel/rmap.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

/* ---- walking ---- */

pte_addr_t rmap_next(struct rmap_iter *it)
{
	struct page *p = it->page;

	if (!it->started) {
		it->started = true;
		if (!rmap_chained(p) || p->mapcount == 0)
			return 0;
		if (p->flags & PG_direct)
			return p->pte.direct;
		if (p->flags & PG_pair) {
			it->i = 1;              /* a pair, and its second half next */
			return pair_pte(p, 0);
		}
		it->pc = p->pte.chain;
		it->i = pte_chain_idx(it->pc);
	}
	if (!it->pc && it->i == 1) {
		it->i = 0;
		return pair_pte(p, 1);
	}
	while (it->pc) {
		if (it->i < NRPTE)
			return it->pc->ptes[it->i++];
		it->pc = pte_chain_next(it->pc);
		it->i = it->pc ? pte_chain_idx(it->pc) : 0;
	}
	return 0;
}

/* The page-table page holding the PTE knows its mm and base address; the
 * PTE's slot number gives the rest (one slot = one 4 KiB page). */
struct mm *rmap_pte_mm(pte_addr_t pa, uint64_t *va)
{
	struct page *pt = pfn_to_page(pa >> PAGE_SHIFT);

	if (!pt || !(pt->flags & PG_pgtable))
		panic("rmap: pte %lx is not in a page table", pa);
	*va = pt->index + ((pa & (PAGE_SIZE - 1)) / sizeof(pte_t)) * PAGE_SIZE;
	return pt->mapping;
}

/* ---- the chain walk: mm->locks only tried ---- */

int rmap_walk_trylock(struct page *p, rmap_pte_fn fn, void *arg)
{
	int ret = RMAP_SUCCESS;
	pte_addr_t pa;

restart:
	for (struct rmap_iter it = RMAP_ITER_INIT(p); (pa = rmap_next(&it));) {
		uint64_t va;
		struct mm *mm = rmap_pte_mm(pa, &va);

		if (!spin_trylock(&mm->lock)) {
			ret = RMAP_AGAIN;       /* against the lock order: give up */
			continue;
		}
		bool changed = fn(p, mm, pa, va, arg);
		spin_unlock(&mm->lock);
		if (changed)
			goto restart;           /* the chain changed under the iterator */
	}
	return ret;
}

/* ---- the one walk: chain, scan or object ---- */

/* rmap=scan: the PTEs of one leaf table that map w's frame. */
struct scan_walk {
	struct page *page;
	uint64_t pfn;
	rmap_pte_fn fn;
	void *arg;
	bool until_mapped;               /* stop once every mapping was seen */
	int found, removed;              /* PTEs visited; of them, unmapped */
};

static int scan_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next, void *arg)
{
	struct scan_walk *w = arg;

	for (; va < next; va += PAGE_SIZE, ptep++) {
		if (!pte_mapped(*ptep) || pte_pfn(*ptep) != w->pfn)
			continue;
		w->found++;
		w->removed += w->fn(w->page, mm, virt_to_phys(ptep), va, w->arg);
		if (w->until_mapped && w->found - w->removed >= READ_ONCE(w->page->mapcount))
			return 1;                /* every mapping seen: stop */
	}
	return 0;
}

/*
 * rmap=scan: every page table of every process, each under its mm->lock
 * (mm_list_lock first: in the lock order). Migration's walk does not stop
 * when it has seen mapcount PTEs: the baseline is the kernel that knows
 * nothing of a page's mappings, so its cost grows with everything that is
 * mapped (docs/rmap.md measures exactly that). Reclaim's does
 * (until_mapped: rmap_walk_mapped), as before Linux 2.5 a swap-out pass
 * stopped with the page unmapped: a full walk per page made rmap=scan's
 * reclaim too slow to test (kswapd's read-back took minutes). frozen: the
 * caller already holds mm_list_lock and every mm->lock (rmap_check).
 */
static int scan_walk(struct page *p, rmap_pte_fn fn, void *arg, bool frozen, bool until_mapped)
{
	struct scan_walk w = { p, page_to_pfn(p), fn, arg, until_mapped, 0, 0 };
	struct list_head *l;
	int done = 0;

	if (!READ_ONCE(p->mapcount))
		return RMAP_SUCCESS;
	if (!frozen)
		spin_lock(&mm_list_lock);
	list_for_each(l, &mm_list) {
		struct mm *mm = list_entry(l, struct mm, mm_node);
		if (!frozen)
			spin_lock(&mm->lock);
		done = pgtable_range(mm, 0, USER_SPACE_END, scan_table, &w);
		if (!frozen)
			spin_unlock(&mm->lock);
		if (done)
			break;
	}
	if (!frozen)
		spin_unlock(&mm_list_lock);
	return RMAP_SUCCESS;
}

int rmap_walk(struct page *p, rmap_pte_fn fn, void *arg)
{
	if (rmap_mode == RMAP_SCAN)
		return scan_walk(p, fn, arg, false, false);
	if (!rmap_chained(p))
		return rmap_obj_walk(p, fn, arg, NULL, 0);
	pte_chain_lock(p);
	int ret = rmap_walk_trylock(p, fn, arg);
	pte_chain_unlock(p);
	return ret;
}

int rmap_walk_mapped(struct page *p, rmap_pte_fn fn, void *arg)
{
	if (rmap_mode == RMAP_SCAN)
		return scan_walk(p, fn, arg, false, true);
	return rmap_walk(p, fn, arg);
}

/* The chain's PTEs, fn called with no mm->lock (chain lock held). */
static void chain_peek(struct page *p, rmap_pte_fn fn, void *arg)
{
	struct rmap_iter it = RMAP_ITER_INIT(p);
	pte_addr_t pa;
	uint64_t va;

	pte_chain_lock(p);
	while ((pa = rmap_next(&it)))
		fn(p, rmap_pte_mm(pa, &va), pa, va, arg);
	pte_chain_unlock(p);
}

int rmap_walk_peek(struct page *p, struct mm *held, rmap_pte_fn fn, void *arg)
{
	if (rmap_mode == RMAP_SCAN)
		return RMAP_FAIL;
	if (!rmap_chained(p))
		return rmap_obj_walk(p, fn, arg, held, 0);
	chain_peek(p, fn, arg);
	return RMAP_SUCCESS;
}

/* rmap_check holds mm_list_lock, every mm->lock and rmap_obj_lock: the
 * walk takes none. */
int rmap_walk_frozen(struct page *p, rmap_pte_fn fn, void *arg)
{
	if (rmap_mode == RMAP_SCAN)
		return scan_walk(p, fn, arg, true, false);
	if (!rmap_chained(p))
		return rmap_obj_walk(p, fn, arg, NULL, RMAP_WALK_FROZEN);
	chain_peek(p, fn, arg);
	return RMAP_SUCCESS;
}

/* ---- try_to_unmap ---- */

/* Clear the PTE at pa (its mm->lock held) and drop its mapping of p. */
static bool unmap_one(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va, void *arg)
{
	pte_t *ptep = phys_to_virt(pa);
	pte_t pte = __atomic_exchange_n(ptep, 0, __ATOMIC_ACQ_REL);

	mm_flush_tlb(mm, va);
	page_unmap_account(mm, p, pte);
	rmap_walk_remove(p, pa);
	page_release(p);                    /* the caller's reference keeps p */
	return true;
}

/*
 * Unmap every PTE of p through rmap_walk (see rmap.h for the contract;
 * rmap=scan has no try_to_unmap: RMAP_FAIL).
 * The caller holds a reference on p, so dropping the mappings' references
 * never frees it under us.
 */
int try_to_unmap(struct page *p)
{
	if (p->flags & (PG_pgtable | PG_slab | PG_reserved) || rmap_scan_mode)
		return RMAP_FAIL;
	int ret = rmap_walk(p, unmap_one, NULL);
	return READ_ONCE(p->mapcount) ? ret : RMAP_SUCCESS;
}
