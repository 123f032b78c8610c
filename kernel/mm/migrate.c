/*
 * Page migration (migrate.h), on top of the reverse map. To move page old
 * to a new frame:
 *
 *   1. lock old (PL_LOCKED) and a new frame on the target node;
 *   2. unmap: turn every PTE of old into a migration entry (not present,
 *      frame and protection kept) and note the CPUs that have that mm
 *      loaded; then one TLB shootdown (one round of IPIs) for every PTE
 *      of every page in the batch. A fault on an entry waits;
 *   3. copy the contents and the flags (for a page-cache or swap-cache
 *      page, also put it in old's place in that cache); refuse with -EBUSY if anything
 *      but the mappings, the cache and the caller holds the page;
 *   4. remap: with old's chain lock and every mapping mm's lock held at
 *      once, point each entry at the new frame and hand old's whole chain
 *      (and map count and references) to the new page, as the paper does;
 *   5. unlock both; the caller's put frees the old frame.
 *
 * The PTEs of old are found by rmap_walk (rmap.h): through its pte_chain,
 * its object (rmap=obj, and file pages under rmap=hybrid) or, with
 * rmap=scan, by walking every page table of every process (twice: steps
 * 2 and 4). Without a chain, step 4 moves one mapping at a time instead
 * of handing a chain over.
 * migrate_pages_batch does steps 1-2 for up to MIGRATE_BATCH pages, then
 * the one shootdown, then steps 3-5 for each: the copy must wait for the
 * shootdown, since until then a CPU may still write through a stale TLB
 * entry (one whose dirty bit is already set, so the PTE taken in step 2
 * says the page is dirty).
 */
#include <kernel/migrate.h>
#include <kernel/rmap.h>
#include <kernel/watchdog.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/pcache.h>
#include <kernel/vmstat.h>
#include <kernel/sched.h>
#include <kernel/filemap.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/trace.h>
#include <kernel/printk.h>
#include <kernel/swap.h>
#include <kernel/reclaim.h>

bool page_trylock(struct page *p)
{
	return !(__atomic_fetch_or(&p->lockbits, PL_LOCKED, __ATOMIC_ACQUIRE) & PL_LOCKED);
}

void page_unlock(struct page *p)
{
	__atomic_fetch_and(&p->lockbits, (uint8_t)~PL_LOCKED, __ATOMIC_RELEASE);
}

void migrate_wait(struct page *p)
{
	if (!p) {
		sched_yield();
		return;
	}
	while (page_locked(p))
		sched_yield();
}

/* ---- step 2: PTE -> migration entry (mm->lock held) ---- */

/* The PTE at ptep made a migration entry; the CPUs that may still hold
 * it in their TLB are added to *flush (the caller shoots them down). */
static void to_entry(struct page *p, struct mm *mm, pte_t *ptep, uint64_t va,
		     struct cpumask *flush)
{
	pte_t old = __atomic_exchange_n(ptep, 0, __ATOMIC_ACQ_REL);

	if (!pte_present(old) || pte_pfn(old) != page_to_pfn(p))
		panic("migrate: pte %lx at %lx does not map pfn %lx", old, va, page_to_pfn(p));
	__atomic_fetch_or(&flush->bits, READ_ONCE(mm->cpus.bits), __ATOMIC_RELAXED);
	if (pte_dirty(old) && !(p->flags & PG_anon)) {
		filemap_dirty(p);           /* the dirty bit moves to the page */
		old = pte_mkclean(old);
	}
	*ptep = pte_mkmigration(old);
}

/* A PTE of p (its mm->lock held) made a migration entry, unless it is one
 * from an earlier pass. The chain does not change. */
static bool to_entry_one(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va, void *arg)
{
	pte_t *ptep = phys_to_virt(pa);

	if (!pte_migration(READ_ONCE(*ptep)))
		to_entry(p, mm, ptep, va, arg);
	return false;
}

/* Move one mapping's count and reference from old to new. */
static void move_mapping(struct page *old, struct page *new)
{
	__atomic_fetch_sub(&old->mapcount, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&new->mapcount, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&old->refcount, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&new->refcount, 1, __ATOMIC_RELAXED);
}

/* Every PTE of p made a migration entry; *flush gets the CPUs to shoot
 * down before p's contents are read. 0, or -EBUSY when patience runs out
 * (some PTEs may be migration entries then: remap_all puts them back).
 * Patient callers (move_pages) wait as long as an mm->lock is busy; the
 * migration daemon tries MIGRATE_TRIES rounds and leaves the page for a
 * later scan, never retrying in a tight loop. */
#define MIGRATE_TRIES 3
static int unmap_all(struct page *p, struct cpumask *flush, bool patient)
{
	uint64_t since = 0;

	for (int tries = 1; rmap_walk(p, to_entry_one, flush) == RMAP_AGAIN; tries++) {
		if (!patient && tries >= MIGRATE_TRIES)
			return -EBUSY;
		watchdog_retry(&since, "migration's unmap", page_to_pfn(p));
		migrate_wait(NULL);               /* mm->locks are held briefly */
	}
	return 0;
}

/* ---- step 4: entries -> the new frame, chain handed over ---- */

static void unlock_chain_mms(struct page *p)
{
	struct rmap_iter it = RMAP_ITER_INIT(p);
	pte_addr_t pa;
	uint64_t va;

	while ((pa = rmap_next(&it))) {
		struct mm *mm = rmap_pte_mm(pa, &va);
		if (spin_is_held(&mm->lock))
			spin_unlock(&mm->lock);
	}
}

/* Take the mm->lock of every mapping of p (chain lock held), or none. */
static bool lock_chain_mms(struct page *p)
{
	struct rmap_iter it = RMAP_ITER_INIT(p);
	pte_addr_t pa;
	uint64_t va;

	while ((pa = rmap_next(&it))) {
		struct mm *mm = rmap_pte_mm(pa, &va);
		if (spin_is_held(&mm->lock))
			continue;               /* two mappings in one mm */
		if (!spin_trylock(&mm->lock)) {
			unlock_chain_mms(p);
			return false;
		}
	}
	return true;
}

/* The paper's hand-over: new takes old's chain, map count and the
 * mappings' references, all at once. */
static void hand_over(struct page *old, struct page *new)
{
	int n = old->mapcount;

	new->pte = old->pte;
	new->mapcount = n;
	page_set_flag(new, old->flags & (PG_direct | PG_pair));   /* direct, pair or chain */
	page_clear_flag(old, PG_direct | PG_pair);
	old->pte.chain = NULL;
	old->mapcount = 0;
	__atomic_fetch_add(&new->refcount, n, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&old->refcount, n, __ATOMIC_RELAXED);
}

static void remap_chain(struct page *old, struct page *new)
{
	pte_addr_t pa;

	for (;;) {
		pte_chain_lock(old);
		if (new != old)
			pte_chain_lock(new);
		if (lock_chain_mms(old))
			break;
		if (new != old)
			pte_chain_unlock(new);
		pte_chain_unlock(old);
		migrate_wait(NULL);
	}
	for (struct rmap_iter it = RMAP_ITER_INIT(old); (pa = rmap_next(&it));) {
		pte_t *ptep = phys_to_virt(pa);
		if (new == old && pte_present(*ptep))
			continue;               /* undoing a partial unmap */
		if (!pte_migration(*ptep) || pte_pfn(*ptep) != page_to_pfn(old))
			panic("migrate: pte %lx of pfn %lx is no migration entry",
			      *ptep, page_to_pfn(old));
		*ptep = pte_from_migration(*ptep, page_to_pfn(new));
	}
	if (new != old)
		hand_over(old, new);
	unlock_chain_mms(new);
	if (new != old)
		pte_chain_unlock(new);
	pte_chain_unlock(old);
}

/* Without a chain to hand over: one entry of old (its mm->lock held) at
 * a time points at new, and its mapping moves; when undoing (new == old)
 * a PTE the unmap pass did not reach is still present and stays. */
static bool remap_one(struct page *old, struct mm *mm, pte_addr_t pa, uint64_t va,
		      void *arg)
{
	struct page *new = arg;
	pte_t *ptep = phys_to_virt(pa);

	if (new == old && pte_present(*ptep))
		return false;
	if (!pte_migration(*ptep))
		panic("migrate: pte %lx of pfn %lx at %lx is no migration entry",
		      *ptep, page_to_pfn(old), va);
	*ptep = pte_from_migration(*ptep, page_to_pfn(new));
	if (new == old)
		return false;
	move_mapping(old, new);
	return true;
}

/* Every entry of old back to a PTE of new: through the chain's hand-over
 * where old has one, else one mapping at a time through rmap_walk (which
 * must reach them all: busy mm->locks are waited for). */
static void remap_all(struct page *old, struct page *new)
{
	if (rmap_chained(old)) {
		remap_chain(old, new);
		return;
	}
	uint64_t since = 0;

	while (rmap_walk(old, remap_one, new) == RMAP_AGAIN) {
		watchdog_retry(&since, "migration's remap", page_to_pfn(old));
		migrate_wait(NULL);
	}
}

/* ---- step 3: contents ---- */

/* Copy an anonymous page if only its mappings and the caller hold it. */
static int copy_anon(struct page *old, struct page *new)
{
	pte_chain_lock(old);              /* mapcount stands still */
	int maps = READ_ONCE(old->mapcount), refs = READ_ONCE(old->refcount);
	pte_chain_unlock(old);
	if (maps == 0)
		return -ENOENT;
	if (old->flags & PG_swapcache)       /* the cache's reference too */
		return swap_cache_migrate(old, new, maps + 2);
	if (refs != maps + 1)
		return -EBUSY;
	memcpy(page_address(new), page_address(old), PAGE_SIZE);
	page_set_flag(new, PG_anon);
	return 0;
}

static int copy_contents(struct page *old, struct page *new)
{
	if (old->flags & PG_anon)
		return copy_anon(old, new);
	if (!(old->flags & PG_pcache))
		return -EBUSY;
	/* refs: the cache's, the caller's, one per mapping */
	return pcache_migrate(old, new, READ_ONCE(old->mapcount) + 2);
}

const char *migrate_reason_name(unsigned reason)
{
	switch (reason) {
	case MR_SYSCALL: return "syscall_or_cpuset";
	case MR_MEMPOLICY_MBIND: return "mempolicy_mbind";
	case MR_NUMA_MISPLACED: return "numa_misplaced";
	}
	return "?";
}

/* Step 1 for one page: locked, and a locked new frame on node; 0 or
 * -EBUSY / -ENOMEM (nothing held then). */
static int prepare(struct page *old, int node, struct page **newp)
{
	if (old->flags & (PG_pgtable | PG_slab | PG_reserved | PG_buddy | PG_replica))
		return -EBUSY;              /* a replica goes only by collapsing */
	if (!page_trylock(old))
		return -EBUSY;              /* someone else is moving it */
	struct page *new = pmm_alloc_pages(node, 0, PMM_THISNODE);
	if (!new) {
		page_unlock(old);
		return -ENOMEM;
	}
	page_trylock(new);                /* fresh: nobody else knows it */
	*newp = new;
	return 0;
}

/* Steps 3-5 for one page whose unmap ended with err (0: every PTE is a
 * migration entry, and the TLBs were shot down). */
static int finish(struct page *old, struct page *new, int node, enum migrate_reason reason,
		  int err)
{
	if (!err)
		err = copy_contents(old, new);
	if (!err && (old->flags & PG_anon)) {
		new->mapping = old->mapping;  /* its anon_vma (rmap=obj) */
		new->index = old->index;
	}

	remap_all(old, err ? old : new);
	if (!err) {
		lru_add(new);                 /* old leaves its list when freed */
		trace_event(TRACE_MIGRATE_PAGE, page_to_pfn(old), page_to_pfn(new),
			    TRACE_MIGRATE_WHERE(old->node, node, reason));
	}
	page_unlock(new);
	page_unlock(old);
	page_release(new);                /* our reference: frees it on failure */
	return err;
}

int migrate_pages_batch(struct page **pages, int n, int node, enum migrate_reason reason,
			int *status)
{
	struct page *new[MIGRATE_BATCH];
	bool locked[MIGRATE_BATCH];
	struct cpumask flush = { 0 };
	bool patient = reason != MR_NUMA_MISPLACED;
	int moved = 0;

	if (n > MIGRATE_BATCH)
		n = MIGRATE_BATCH;
	for (int i = 0; i < n; i++) {
		status[i] = prepare(pages[i], node, &new[i]);
		locked[i] = !status[i];
		if (locked[i])
			status[i] = unmap_all(pages[i], &flush, patient);
	}
	if (flush.bits)
		tlb_flush_cpus(&flush);       /* one round for the whole batch */
	for (int i = 0; i < n; i++) {
		if (locked[i])
			status[i] = finish(pages[i], new[i], node, reason, status[i]);
		count_vm_event(status[i] ? PGMIGRATE_FAIL : PGMIGRATE_SUCCESS);
		moved += !status[i];
	}
	return moved;
}

int migrate_page(struct page *old, int node, enum migrate_reason reason)
{
	int err;

	migrate_pages_batch(&old, 1, node, reason, &err);
	return err;
}
