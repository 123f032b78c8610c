/*
 * Page replication (replicate.h): a read-only page used from several
 * nodes gets a copy on each, and each node's PTEs point at their local
 * copy. The reverse map splits with it: every replica has its own
 * pte_chain, holding exactly the PTEs that use that replica.
 *
 *   master (node 0)                            replica (node 1)
 *   flags PG_pcache or PG_anon, PG_replicated  flags PG_replica (+ PG_anon)
 *   private -> replica_set { r[1] = --------> private -> master
 *   pte chain: PTEs of processes on node 0    pte chain: PTEs of node 1's
 *   refcount: cache + mappings + 1 per         refcount: its mappings
 *             replica (no cache if anon)
 *
 * Two kinds of page are replicated, both made by a NUMA-hint fault
 * (numa_balancing.c) from a node other than the page's, when another
 * node uses the page too:
 *
 *  - a page-cache page of a read-only file mapping (program text, a file
 *    mapped PROT_READ). Collapsed (every replica's PTEs cleared, as reclaim
 *    clears a clean file page's, and the next access faults the master
 *    back in) before anything writes the master: write(2), a truncation's
 *    zeroing, or a shared mapping that could be written (a MAP_SHARED
 *    mapping of a file opened O_RDWR forbids replicas of that file from
 *    then on).
 *  - an anonymous page that fork left shared copy-on-write and that
 *    nobody has written since (every PTE read-only). Collapsed by the
 *    first write fault on the master or on a replica, before the write
 *    proceeds: every replica PTE is pointed back at the master (an
 *    anonymous PTE cannot just be cleared: it is the only way to the
 *    data), and then the write is an ordinary copy-on-write fault. Such a
 *    page is not swapped while it has replicas (vmscan.c keeps it), and
 *    a replica is never migrated (migrate.c refuses it).
 *
 * A replica leaves its set when its last mapping goes.
 *
 * Writers and replication of a page-cache page exclude each other without
 * a lock shared by both: a writer takes its reference on the master and
 * then looks at PG_replicated; replication sets PG_replicated and then
 * checks that no reference beyond the mappings', the cache's and the
 * replicas' exists. With a full barrier between the two steps on each
 * side, one of them sees the other. An anonymous page has no writer but
 * its faults, which run under the mm->lock of the PTE they write.
 *
 * Locking: the master's pte_chain lock protects master->private (the set)
 * and the set's slots; it is taken under mm->lock (the hint fault), with
 * no lock held (collapse, release), or (anonymous collapse) under a
 * replica's chain lock and a mapping's mm->lock: a replica's chain lock
 * comes before its master's (lock_order.h), and nothing takes a replica's
 * chain lock while holding its master's.
 */
#include <kernel/replicate.h>
#include <kernel/numa_balancing.h>
#include <kernel/numa.h>
#include <kernel/mm.h>
#include <kernel/rmap.h>
#include <kernel/watchdog.h>
#include <kernel/pmm.h>
#include <kernel/pcache.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/vmstat.h>
#include <kernel/migrate.h>
#include <kernel/printk.h>

struct replica_set {
	struct page *r[MAX_NODES];    /* the replica on each node, or NULL */
	int n;                        /* replicas: each holds a master reference */
	bool collapsing;              /* being collapsed: map no replica more */
};

static struct replica_set *set_of(struct page *master)
{
	return (struct replica_set *)master->private;
}

/* May master get a new replica now? Nobody but the mappings, the cache
 * (a page-cache page's) and the replicas holds it: no read() or write()
 * in progress, no migration or reclaim looking at it. */
static bool may_copy(struct page *master, struct replica_set *rs)
{
	if (master->flags & PG_anon)
		return READ_ONCE(master->refcount) == master->mapcount + rs->n;
	struct inode *host = ((struct address_space *)master->mapping)->host;
	return !READ_ONCE(host->mapping.no_replicas) &&
	       READ_ONCE(master->refcount) == master->mapcount + 1 + rs->n;
}

/* A new replica of master on nid (master's chain lock held, the set made).
 * NULL if may_copy says no, or no frame on nid. */
static struct page *make(struct page *master, struct replica_set *rs, int nid)
{
	page_set_flag(master, PG_replicated);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* against replica_before_write */
	if (!may_copy(master, rs))
		return NULL;
	struct page *r = pmm_alloc_pages(nid, 0, PMM_THISNODE);
	if (!r)
		return NULL;
	memcpy(page_address(r), page_address(master), PAGE_SIZE);
	r->flags |= PG_replica | (master->flags & PG_anon);
	r->private = (uint64_t)master;
	r->index = master->index;
	get_page(master);                 /* the replica's hold on the master */
	rs->r[nid] = r;
	rs->n++;
	count_vm_event(REPLICA_MADE);
	return r;
}

/* master's replica on nid with a reference for the caller, made if need
 * be; NULL if there is none and none can be made. mm->lock held. */
static struct page *replica_for(struct page *master, int nid)
{
	struct page *r = NULL;

	pte_chain_lock(master);
	struct replica_set *rs = (master->flags & PG_replicated) ? set_of(master) : NULL;
	if (!rs) {
		rs = kzalloc(sizeof(*rs));
		master->private = (uint64_t)rs;
	}
	if (rs && rs->collapsing)
		r = NULL;
	else if (rs && !(rs->r[nid] && get_page_unless_zero(rs->r[nid])))
		r = make(master, rs, nid);    /* none, or the last one is going */
	else if (rs)
		r = rs->r[nid];
	if (rs && !rs->n) {               /* nothing made: no set */
		page_clear_flag(master, PG_replicated);
		master->private = 0;
		kfree(rs);
	}
	pte_chain_unlock(master);
	return r;
}

/* Is master a page that may be replicated (see the top of this file)?
 * An anonymous one: shared copy-on-write, not in the swap cache (whose
 * entry would share master->private with the set), mapped read-only. */
static bool replicable(struct page *master, pte_t pte)
{
	uint32_t f = READ_ONCE(master->flags);

	if (f & PG_replica)
		return false;
	/* A replica needs a chain of its own: with rmap=obj and rmap=hybrid
	 * file pages have none (a file replica found through its master's
	 * i_mmap once outlived its last mapping there: not replicated). */
	if (f & PG_pcache)
		return !rmap_file_obj();
	/* rmap=obj finds an anonymous page's PTEs through its anon_vma,
	 * which a replica has none of: only a chain can split. */
	return (f & PG_anon) && !rmap_anon_obj() && !(f & PG_swapcache) && !pte_write(pte) &&
	       READ_ONCE(master->mapcount) > 1;
}

/* Point the PTE at master's replica on nid; false if it stays. */
static bool map_replica(struct mm *mm, pte_t *ptep, struct page *master, int nid)
{
	struct page *r = replica_for(master, nid);
	if (!r)
		return false;
	pte_t pte = (*ptep & ~PTE_ADDR) | ((pte_t)page_to_pfn(r) << PAGE_SHIFT);
	page_unmap(mm, ptep);             /* off the master's chain */
	if (page_map(mm, ptep, r, pte)) { /* onto the replica's (a spare is ready) */
		put_page(r);                  /* empty PTE: the next touch faults */
		return false;
	}
	return true;
}

/*
 * An anonymous master is replicated under its page lock: reclaim, which
 * would put it in the swap cache (whose entry lives in master->private,
 * like the set), and migration hold that lock too, so neither runs while
 * the set is made, and both see PG_replicated after.
 */
bool replica_map(struct mm *mm, pte_t *ptep, struct page *master, int nid)
{
	bool anon = READ_ONCE(master->flags) & PG_anon;

	if (rmap_scan_mode || (anon && !page_trylock(master)))
		return false;
	bool done = replicable(master, *ptep) && map_replica(mm, ptep, master, nid);
	if (anon)
		page_unlock(master);
	return done;
}

void replica_release(struct page *r)
{
	struct page *master = (struct page *)r->private;

	pte_chain_lock(master);
	struct replica_set *rs = set_of(master);
	if (rs->r[r->node] == r)
		rs->r[r->node] = NULL;
	bool last = --rs->n == 0;
	if (last) {
		page_clear_flag(master, PG_replicated);
		master->private = 0;
	}
	pte_chain_unlock(master);
	if (last)
		kfree(rs);
	count_vm_event(REPLICA_FREED);
	page_clear_flag(r, PG_replica);
	r->private = 0;
	put_page(master);
}

struct to_master {
	struct page *master;
	bool more;                        /* a PTE was left: no spare block */
};

/* Point one PTE of anonymous replica r (r's chain lock and the PTE's
 * mm->lock held) at the master instead: the PTE moves from r's chain to
 * the master's, and its reference with it. A hint entry stays one. */
static bool to_master_one(struct page *r, struct mm *mm, pte_addr_t pa, uint64_t va, void *arg)
{
	struct to_master *t = arg;
	pte_t *ptep = phys_to_virt(pa);
	pte_t pte = READ_ONCE(*ptep);

	if (!rmap_ready()) {
		t->more = true;               /* no block for the master's chain */
		return false;
	}
	if (pte_migration(pte) || pte_pfn(pte) != page_to_pfn(r) || pte_write(pte))
		panic("replica: pte %lx at %lx is not a read-only mapping of pfn %lx",
		      pte, va, page_to_pfn(r));
	get_page(t->master);
	rmap_add(t->master, pa);          /* a spare is ready: cannot fail */
	*ptep = (pte & ~PTE_ADDR) | ((pte_t)page_to_pfn(t->master) << PAGE_SHIFT);
	mm_flush_tlb(mm, va);             /* no CPU reads r through it now */
	rmap_remove_locked(r, pa);
	put_page(r);                      /* the caller's reference keeps r */
	return true;
}

/* Empty every PTE of replica r (a reference held, no lock held): a
 * page-cache replica's are cleared, an anonymous one's pointed at the
 * master. Migration never holds a replica (migrate.c), so none of its
 * PTEs is a migration entry. */
static void unmap_replica(struct page *master, struct page *r)
{
	uint64_t since = 0;

	if (!(r->flags & PG_anon)) {
		while (try_to_unmap(r) == RMAP_AGAIN) {
			watchdog_retry(&since, "a replica's unmap", page_to_pfn(r));
			sched_yield();            /* some mm->lock was busy */
		}
		return;
	}
	for (;;) {
		struct to_master t = { master, false };
		int ret = RMAP_AGAIN;
		/* The master's page lock keeps a migration of it (whose
		 * remap expects only its own entries) from seeing us. */
		if (!rmap_prepare() && page_trylock(master)) {
			pte_chain_lock(r);
			ret = rmap_walk_trylock(r, to_master_one, &t);
			pte_chain_unlock(r);
			page_unlock(master);
		}
		if (ret == RMAP_SUCCESS && !t.more)
			break;
		watchdog_retry(&since, "a replica's unmap", page_to_pfn(r));
		sched_yield();    /* a lock was busy, or no block: again */
	}
	rmap_unprepare();
}

void replica_collapse(struct page *master)
{
	struct page *got[MAX_NODES];
	int n = 0;

	pte_chain_lock(master);
	struct replica_set *rs = (master->flags & PG_replicated) ? set_of(master) : NULL;
	if (rs)
		rs->collapsing = true;        /* until the last replica leaves */
	for (int nid = 0; rs && nid < MAX_NODES; nid++)
		if (rs->r[nid] && get_page_unless_zero(rs->r[nid]))
			got[n++] = rs->r[nid];
	pte_chain_unlock(master);
	bool mapped = false;
	for (int i = 0; i < n; i++) {
		mapped |= READ_ONCE(got[i]->mapcount) > 0;
		unmap_replica(master, got[i]);
		put_page(got[i]);             /* its last, unless someone else
						 holds it for a moment */
	}
	if (mapped)
		count_vm_event(REPLICA_COLLAPSED);
}

void replica_before_write(struct page *p)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* our reference, then the flag */
	while (READ_ONCE(p->flags) & PG_replicated) {
		replica_collapse(p);
		sched_yield();                /* a replica still going: let it */
	}
}

void replica_forbid(struct inode *inode)
{
	struct page *pages[16];
	uint64_t from = 0;
	int n;

	WRITE_ONCE(inode->mapping.no_replicas, true);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* against make() */
	while ((n = pcache_gang_get(inode, from, pages, 16)) > 0) {
		for (int i = 0; i < n; i++) {
			from = pages[i]->index + 1;
			replica_before_write(pages[i]);
			pcache_put_page(pages[i]);
		}
	}
}

void replica_collapse_of(struct page *p)
{
	replica_collapse(p->flags & PG_replica ? (struct page *)p->private : p);
}

bool replica_write_collapses(struct page *p)
{
	bool mapped = false;

	if (p->flags & PG_replica)
		return true;                  /* written in place, it would differ */
	pte_chain_lock(p);
	struct replica_set *rs = (p->flags & PG_replicated) ? set_of(p) : NULL;
	for (int nid = 0; rs && nid < MAX_NODES; nid++)
		mapped |= rs->r[nid] && READ_ONCE(rs->r[nid]->mapcount) > 0;
	pte_chain_unlock(p);
	return mapped;
}
