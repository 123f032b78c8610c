/*
 * Page replication (replicate.h): a read-only page-cache page used from
 * several nodes gets a copy on each, and each node's PTEs point at their
 * local copy. The reverse map splits with it: every replica has its own
 * pte_chain, holding exactly the PTEs that use that replica.
 *
 *   master (node 0, in the page cache)        replica (node 1)
 *   flags PG_pcache|PG_replicated             flags PG_replica
 *   private -> replica_set { r[1] = --------> private -> master
 *   pte chain: PTEs of processes on node 0    pte chain: PTEs of node 1's
 *   refcount: cache + mappings + 1 per         refcount: its mappings
 *             replica
 *
 * Made by a NUMA-hint fault (numa_balancing.c) on a page of a read-only
 * file mapping that another node uses too. Collapsed (every replica's
 * PTEs cleared, as reclaim clears a clean file page's, and the next access
 * faults the master back in) before anything writes the master: write(2),
 * a truncation's zeroing, or a shared mapping that could be written
 * (a MAP_SHARED mapping of a file opened O_RDWR forbids replicas of that
 * file from then on). A replica leaves its set when its last mapping goes.
 *
 * Writers and replication exclude each other without a lock shared by
 * both: a writer takes its reference on the master and then looks at
 * PG_replicated; replication sets PG_replicated and then checks that no
 * reference beyond the mappings', the cache's and the replicas' exists.
 * With a full barrier between the two steps on each side, one of them
 * sees the other.
 *
 * Locking: the master's pte_chain lock protects master->private (the set)
 * and the set's slots; it is taken under mm->lock (the hint fault) or with
 * no lock held (collapse, release), never with a replica's chain lock.
 */
#include <kernel/replicate.h>
#include <kernel/numa_balancing.h>
#include <kernel/numa.h>
#include <kernel/mm.h>
#include <kernel/rmap.h>
#include <kernel/pmm.h>
#include <kernel/pcache.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/vmstat.h>

struct replica_set {
	struct page *r[MAX_NODES];    /* the replica on each node, or NULL */
	int n;                        /* replicas: each holds a master reference */
};

static struct replica_set *set_of(struct page *master)
{
	return (struct replica_set *)master->private;
}

/* A new replica of master on nid (master's chain lock held, the set made).
 * NULL if anyone but the mappings, the cache and the replicas holds the
 * master (a read() or write() in progress), or no frame on nid. */
static struct page *make(struct page *master, struct replica_set *rs, int nid)
{
	page_set_flag(master, PG_replicated);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* against replica_before_write */
	struct inode *host = ((struct address_space *)master->mapping)->host;
	if (READ_ONCE(host->mapping.no_replicas) ||
	    READ_ONCE(master->refcount) != master->mapcount + 1 + rs->n)
		return NULL;
	struct page *r = pmm_alloc_pages(nid, 0, PMM_THISNODE);
	if (!r)
		return NULL;
	memcpy(page_address(r), page_address(master), PAGE_SIZE);
	r->flags |= PG_replica;
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
	if (rs && !(rs->r[nid] && get_page_unless_zero(rs->r[nid])))
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

bool replica_map(struct mm *mm, pte_t *ptep, struct page *master, int nid)
{
	if (rmap_scan_mode || !(master->flags & PG_pcache) || (master->flags & PG_replica))
		return false;
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

/* Clear every PTE of replica r (a reference held, no lock held). */
static void unmap_replica(struct page *r)
{
	while (try_to_unmap(r) == RMAP_AGAIN)
		sched_yield();                /* some mm->lock was busy */
}

void replica_collapse(struct page *master)
{
	struct page *got[MAX_NODES];
	int n = 0;

	pte_chain_lock(master);
	struct replica_set *rs = (master->flags & PG_replicated) ? set_of(master) : NULL;
	for (int nid = 0; rs && nid < MAX_NODES; nid++)
		if (rs->r[nid] && get_page_unless_zero(rs->r[nid]))
			got[n++] = rs->r[nid];
	pte_chain_unlock(master);
	for (int i = 0; i < n; i++) {
		unmap_replica(got[i]);
		put_page(got[i]);             /* its last: it leaves the set */
	}
	if (n)
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
