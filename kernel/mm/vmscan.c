/*
 * Page reclaim (reclaim.h): scanning a node's LRU lists, unmapping pages
 * through the reverse map, writing them out, and kswapd.
 *
 * One round on a node (shrink_node) looks at SWAP_CLUSTER_MAX pages at a
 * time:
 *
 *   active list tail  --not referenced--> inactive list head (deactivate)
 *                     --referenced------> active list head   (rotate)
 *   inactive list tail --referenced-----> active list head   (activate)
 *                     --not referenced--> reclaim:
 *       anonymous: a swap slot and the swap cache; every PTE -> swap entry;
 *                  one TLB shootdown for the batch; written to the device
 *                  if dirty; dropped from the swap cache; frame freed
 *       file:      every PTE cleared (dirty bits go to the page); one TLB
 *                  shootdown; written back if dirty; dropped from the page
 *                  cache; frame freed
 *
 * Reclaim holds no spinlock while it works on a page: it holds a reference
 * and the page lock (PL_LOCKED, the lock migration takes), so faults on the
 * page wait, and migration and reclaim never work on one page at once.
 */
#include <kernel/reclaim.h>
#include <kernel/mempolicy.h>
#include <kernel/rmap.h>
#include <kernel/swap.h>
#include <kernel/pcache.h>
#include <kernel/migrate.h>
#include <kernel/numa.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/vmstat.h>
#include <kernel/trace.h>
#include <kernel/printk.h>
#include <kernel/errno.h>

#define SWAP_CLUSTER_MAX 32          /* pages looked at per batch */
#define RMAP_CHECK_WAIT_NS 1000000ULL /* 1 ms: reclaim's naps while rmap_check runs */

struct scan_control {
	bool kswapd;                     /* kswapd, not direct reclaim */
	bool may_swap;                   /* a swap area has free slots */
	uint64_t reclaimed;
	uint64_t scanned;                /* pages looked at, both lists */
	struct cpumask tlb;              /* CPUs owing a TLB flush for the batch */
};

/* ---------------------------------------------------------------- PTE walks */

/* Both go through rmap_walk (rmap.h), whatever the rmap= mode: the page's
 * chain, its object's VMAs, or every page table. */

/* LAB reclaim: BEGIN page_referenced: count the PTEs mapping p whose accessed bit is set, and clear those bits */
static bool referenced_one(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va,
			   void *arg)
{
	pte_t *ptep = phys_to_virt(pa);

	/* x86 needs no flush for this: a stale TLB entry only means the
	 * bit is not set again until the entry is evicted (Linux does so). */
	if (__atomic_fetch_and(ptep, ~PTE_A, __ATOMIC_RELAXED) & PTE_A)
		(*(int *)arg)++;
	return false;
}

int page_referenced(struct page *p)
{
	int refs = 0;

	if (READ_ONCE(p->mapcount) && rmap_walk_mapped(p, referenced_one, &refs) == RMAP_AGAIN)
		refs++;                      /* busy: count it as used, as Linux */
	return refs;
}
/* LAB reclaim: END */
/* LAB reclaim: STUB
int page_referenced(struct page *p)
{
	return 0;
}
*/

/* The PTE at pa stops mapping p: a swap entry for an anonymous page, empty
 * for a file page. The TLB flush is owed (sc->tlb). */
static bool unmap_one(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va, void *arg)
{
	struct scan_control *sc = arg;
	pte_t *ptep = phys_to_virt(pa), new = 0;

/* LAB reclaim: BEGIN an anonymous page's PTE becomes its swap entry (p->private): the PTE takes a use of the slot */
	if (p->flags & PG_anon) {
		swp_entry_t e = { p->private };
		if (swap_slot_dup(e))
			return false;            /* slot count full: stays mapped */
		new = swp_entry_to_pte(e);
		mm->swapents++;
	}
/* LAB reclaim: END */
/* LAB reclaim: STUB
	if (p->flags & PG_anon)
		panic("lab reclaim: unmap_one() does not swap out yet (pfn 0x%lx, docs/labs/reclaim.md)",
		      page_to_pfn(p));
*/
	pte_t old = __atomic_exchange_n(ptep, new, __ATOMIC_ACQ_REL);
	sc->tlb.bits |= READ_ONCE(mm->cpus.bits);
	if ((p->flags & PG_anon) && pte_dirty(old))
		page_set_flag(p, PG_dirty);
	page_unmap_account(mm, p, old);
	rmap_walk_remove(p, pa);
	put_page(p);                         /* the mapping's; ours keeps p */
	return true;
}

static void flush_batch(struct scan_control *sc)
{
	if (sc->tlb.bits) {
		tlb_flush_cpus(&sc->tlb);
		sc->tlb.bits = 0;
	}
}

/* ---------------------------------------------------------------- one page */

enum verdict { KEEP, ACTIVATE, RECLAIM };

/* Linux's page_check_references, simplified: a referenced anonymous page
 * is activated; a file page is activated on its second reference (two
 * looks in a row, or two mappings); a page not referenced is reclaimed. */
static enum verdict check_references(struct page *p)
{
/* LAB reclaim: BEGIN the verdict on a page at the inactive tail: activate it, keep it for one more round, or reclaim it */
	int ptes = page_referenced(p);
	bool was = p->flags & PG_referenced;

	page_clear_flag(p, PG_referenced);
	if (ptes && ((p->flags & PG_anon) || was || ptes > 1))
		return ACTIVATE;
	if (ptes) {
		page_set_flag(p, PG_referenced);   /* activated if used once more */
		return KEEP;
	}
	/* Used through read() or write() since the last look: one more
	 * round on the list (the flag is clear now). */
	return was ? KEEP : RECLAIM;
/* LAB reclaim: END */
/* LAB reclaim: STUB
	return RECLAIM;
*/
}

/*
 * First half of reclaiming p (locked, isolated): a swap slot for an
 * anonymous page, then every PTE emptied. false if p must stay (no swap,
 * or a PTE could not be reached now).
 */
static bool unmap_page(struct page *p, struct scan_control *sc)
{
	if (p->flags & PG_anon) {
		if (p->flags & PG_replicated)
			return false;        /* its set lives in private (replicate.c) */
		if (!(p->flags & PG_swapcache)) {
			/* Unmapped and uncached: its last holder frees it;
			 * writing it to swap would only make an orphan. */
			if (!READ_ONCE(p->mapcount) || !sc->may_swap || swap_cache_add_new(p))
				return false;
			page_set_flag(p, PG_dirty);  /* no copy on the device yet */
		}
	} else if (!(p->flags & PG_pcache)) {
		return false;                /* truncated: its holder frees it */
	}
	if (READ_ONCE(p->mapcount))
		rmap_walk_mapped(p, unmap_one, sc);
	return READ_ONCE(p->mapcount) == 0;
}

/* Second half, after the TLB flush: write it out if dirty and free it
 * from its cache. true if only our reference is left. */
static bool free_page_out(struct page *p, struct scan_control *sc)
{
	if (!(p->flags & PG_anon))
		return pcache_reclaim_page(p, 2) == 0;
/* LAB reclaim: BEGIN an anonymous page: write it to its slot if dirty (count it), then take it out of the swap cache */
	swp_entry_t e = { p->private };
	if (p->flags & PG_dirty) {
		page_clear_flag(p, PG_dirty);
		if (swap_writepage(e, p)) {
			page_set_flag(p, PG_dirty);
			return false;
		}
		count_node_event(p->node, PSWPOUT, 1);
		trace_event(TRACE_SWAP_OUT, page_to_pfn(p), e.val, p->node);
	}
	return swap_cache_remove_if(p, 2, 0);   /* the cache's and ours */
/* LAB reclaim: END */
/* LAB reclaim: STUB
	panic("lab reclaim: free_page_out() does not write to swap yet (pfn 0x%lx, docs/labs/reclaim.md)",
	      page_to_pfn(p));
*/
}

/* ---------------------------------------------------------------- the lists */

/* Reclaim from the tail of inactive list l; returns pages freed. */
static uint64_t shrink_inactive(struct numa_node *n, enum lru_list l, struct scan_control *sc)
{
	struct list_head pages = LIST_HEAD_INIT(pages), out = LIST_HEAD_INIT(out);
	uint64_t scanned = lru_isolate_tail(&n->lru, l, SWAP_CLUSTER_MAX, &pages);
	uint64_t freed = 0, activated = 0;

	count_node_event(n->id, sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, scanned);
	sc->scanned += scanned;
	for (struct list_head *i = pages.next, *next; i != &pages; i = next) {
		struct page *p = list_entry(i, struct page, lru);
		next = i->next;
		if (!page_trylock(p))
			continue;                /* being migrated */
		enum verdict v = check_references(p);
		if (v == ACTIVATE) {
			page_set_flag(p, PG_active);
			activated++;
		}
		if (v != RECLAIM || !unmap_page(p, sc)) {
			page_unlock(p);
			continue;
		}
		list_del(i);
		list_add_tail(i, &out);
	}
	flush_batch(sc);                     /* one shootdown for the batch */
	while (!list_empty(&out)) {
		struct page *p = list_first_entry(&out, struct page, lru);
		list_del(&p->lru);
		bool ok = free_page_out(p, sc);
		page_unlock(p);
		if (ok) {
			put_page(p);             /* ours, the last: frees it */
			freed++;
		} else {
			list_add_tail(&p->lru, &pages);
		}
	}
	lru_putback_list(&pages);
	count_node_event(n->id, PGACTIVATE, activated);
	count_node_event(n->id, sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, freed);
	return freed;
}

/* Deactivate from the tail of active list l: unreferenced pages go to the
 * inactive list, referenced ones back to the active head. */
static void shrink_active(struct numa_node *n, enum lru_list l, struct scan_control *sc)
{
	struct list_head pages = LIST_HEAD_INIT(pages);
	uint64_t scanned = lru_isolate_tail(&n->lru, l, SWAP_CLUSTER_MAX, &pages);
	uint64_t deactivated = 0;

	sc->scanned += scanned;
	count_node_event(n->id, PGREFILL, scanned);
	for (struct list_head *i = pages.next; i != &pages; i = i->next) {
		struct page *p = list_entry(i, struct page, lru);
		if (!page_trylock(p))
			continue;
		if (!page_referenced(p)) {
			page_clear_flag(p, PG_active | PG_referenced);
			deactivated++;
		}
		page_unlock(p);
	}
	lru_putback_list(&pages);
	count_node_event(n->id, PGDEACTIVATE, deactivated);
}

/* Keep the inactive list at least as long as the active one. */
static bool inactive_is_low(struct numa_node *n, enum lru_list inactive)
{
	return READ_ONCE(n->lru.nr[inactive]) < READ_ONCE(n->lru.nr[inactive + 1]);
}

/*
 * While an rmap_check holds every mm->lock, no mapped page can be unmapped
 * or even looked at: wait for it to end (the caller sleeps, holding no
 * lock), rather than spin through the lists meanwhile.
 */
static void wait_for_rmap_check(void)
{
	while (rmap_check_running())
		sched_sleep_ns(RMAP_CHECK_WAIT_NS);
}

/* One round over node n's lists: anonymous ones only while swap has room. */
static uint64_t shrink_node(struct numa_node *n, struct scan_control *sc)
{
	wait_for_rmap_check();
	struct swap_totals st = swap_get_totals();
	uint64_t freed = 0;

	/* New slots only while swap has room; with swap full, anonymous pages
	 * already in the swap cache can still go (their copy is there). */
	sc->may_swap = st.free > 0;
	bool scan_anon = sc->may_swap || READ_ONCE(n->nr_swapcached);
	for (enum lru_list l = LRU_INACTIVE_ANON; l <= LRU_INACTIVE_FILE; l += 2) {
		if (l == LRU_INACTIVE_ANON && !scan_anon)
			continue;
		if (inactive_is_low(n, l))
			shrink_active(n, l + 1, sc);
		freed += shrink_inactive(n, l, sc);
	}
	sc->reclaimed += freed;
	return freed;
}

/* Pages of node n that reclaim could still take (any list). */
static uint64_t lru_pages(struct numa_node *n)
{
	uint64_t t = 0;

	for (int l = 0; l < NR_LRU_LISTS; l++)
		t += READ_ONCE(n->lru.nr[l]);
	return t;
}

uint64_t reclaim_direct(int nid, uint64_t nr)
{
	struct numa_node *n = &numa_nodes[nid];
	struct scan_control sc = { 0 };

	might_sleep("reclaim_direct");
	/* Give up after looking at every page of the node twice. */
	while (sc.reclaimed < nr && sc.scanned <= 2 * lru_pages(n) + SWAP_CLUSTER_MAX) {
		uint64_t before = sc.scanned;
		shrink_node(n, &sc);
		if (sc.scanned == before)
			break;                   /* empty lists */
	}
	if (sc.reclaimed)
		WRITE_ONCE(n->kswapd_failures, 0);   /* there is something to take again */
	return sc.reclaimed;
}

/* ---------------------------------------------------------------- kswapd */

static bool below(struct numa_node *n, uint64_t mark)
{
	return READ_ONCE(n->free_pages) < mark;
}

static int kick_pending;             /* some node's kswapd_wanted is set */

void reclaim_note_alloc(int nid)
{
	struct numa_node *n = &numa_nodes[nid];

	if (below(n, n->wmark_low) && n->kswapd && !READ_ONCE(n->kswapd_wanted)) {
		__atomic_store_n(&n->kswapd_wanted, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&kick_pending, 1, __ATOMIC_RELEASE);
	}
}

void reclaim_kick(void)
{
	int nid;

	if (!READ_ONCE(kick_pending) || !__atomic_exchange_n(&kick_pending, 0, __ATOMIC_ACQ_REL))
		return;
	for_each_online_node(nid)
		if (READ_ONCE(numa_nodes[nid].kswapd_wanted) && numa_nodes[nid].kswapd)
			sched_wakeup(numa_nodes[nid].kswapd);
}

/*
 * Reclaim node n up to its high watermark. Freshly used pages are only
 * activated on the first look, so "nothing to take" is decided only after
 * every page of the node's lists has been looked at twice without any
 * progress (swap full, everything pinned or in use), as Linux's priority
 * loop does.
 */
static void balance_node(struct numa_node *n)
{
/* LAB reclaim: BEGIN kswapd's run: shrink_node rounds until the node is above its high watermark, or nothing more can be taken */
	struct scan_control sc = { .kswapd = true };
	uint64_t since_progress = 0;       /* pages scanned since the last free */

	while (below(n, n->wmark_high) && since_progress <= 2 * lru_pages(n) + SWAP_CLUSTER_MAX) {
		uint64_t before = sc.scanned;
		if (shrink_node(n, &sc))
			since_progress = 0;
		else
			since_progress += sc.scanned - before + 1;
		if (fatal_signal_pending(current))
			break;
	}
	WRITE_ONCE(n->kswapd_failures, sc.reclaimed ? 0 : n->kswapd_failures + 1);
/* LAB reclaim: END */
/* LAB reclaim: STUB */
}

#define KSWAPD_POLL_NS 10000000ULL   /* 10 ms: how often the flag is looked at */
#define KSWAPD_MAX_FAILURES 16       /* fruitless runs before kswapd gives up */

/*
 * One per node with memory. The allocator cannot wake a thread (it runs
 * in any context, interrupts included, maybe under a run-queue lock), so
 * it sets kswapd_wanted; the fault handler, in process context, wakes the
 * thread (reclaim_kick), and kswapd also looks at the flag every
 * KSWAPD_POLL_NS for allocations made elsewhere.
 */
static int kswapd(void *arg)
{
	struct numa_node *n = arg;

	for (;;) {
		sched_sleep_ns(KSWAPD_POLL_NS);
		if (!__atomic_exchange_n(&n->kswapd_wanted, 0, __ATOMIC_ACQ_REL) &&
		    !below(n, n->wmark_low))
			continue;
		/* A node where nothing can be taken (everything pinned, or its
		 * memory is a RAM disk) is left alone until a direct reclaim
		 * frees something there, as Linux's kswapd_failures. */
		if (READ_ONCE(n->kswapd_failures) >= KSWAPD_MAX_FAILURES)
			continue;
		trace_event(TRACE_KSWAPD_WAKE, n->id, n->free_pages, n->wmark_low);
		balance_node(n);
	}
	return 0;
}

void reclaim_init(void)
{
	int nid;

	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];
		char name[16] = "kswapd";

		if (!n->managed_pages)
			continue;
		name[6] = (char)('0' + nid % 10);
		name[7] = 0;
		n->kswapd = kthread_create(name, kswapd, n, nid);
		if (!n->kswapd)
			printk("reclaim: no memory for kswapd on node %d\n", nid);
	}
}

/* ---------------------------------------------------------------- faults */

#define RECLAIM_RETRIES 16           /* rounds without progress before OOM */

int reclaim_retry(int *tries)
{
	int bind = mpol_reclaim_node();     /* MPOL_BIND: only its node helps */
	int nid = bind == NUMA_NO_NODE ? numa_this_node() : bind;
	struct numa_node *n = &numa_nodes[nid];

	if (fatal_signal_pending(current))
		return -ENOMEM;              /* it is going: let it */
	uint64_t got = 0;
	for (int i = 0; i < n->nr_fallback && !got; i++)
		if (bind == NUMA_NO_NODE || n->fallback[i] == bind)
			got = reclaim_direct(n->fallback[i], SWAP_CLUSTER_MAX);
	if (got) {
		*tries = 0;
		return 0;
	}
	if (++*tries < RECLAIM_RETRIES) {
		/* Let the writers and kswapd run. After a few rounds wait a
		 * millisecond instead: pages skipped because another CPU held
		 * their mm->lock (RMAP_AGAIN) come free once that CPU runs, and
		 * a host that has not scheduled it for a while must not turn
		 * 16 quick rounds into an OOM kill while swap has room. */
		if (*tries < RECLAIM_RETRIES / 4)
			sched_yield();
		else
			sched_sleep_ns(1000000);
		return 0;
	}
	*tries = 0;
	if (!out_of_memory())
		return -ENOMEM;
	return fatal_signal_pending(current) ? -ENOMEM : 0;
}
