/*
 * Page faults in user memory. vm_fault() finds the VMA, checks the access
 * against its protection, and then, by the state of the PTE:
 *
 *   PTE empty, anonymous VMA    -> a zeroed page where the memory policy
 *                                  says (mempolicy.h; none: this CPU's node)
 *   PTE empty, file VMA         -> the page-cache page (private: read-only,
 *                                  so a later write copies it)
 *   PTE present, write, read-only, VMA writable  -> copy-on-write: reuse the
 *                                  page if we are its only user, else copy;
 *                                  a page with replicas (replicate.c) is
 *                                  collapsed first, outside the lock
 *   PTE holds a swap entry       -> the page from the swap cache, or read
 *                                  from the swap device outside the lock
 *   PTE is a NUMA-hint entry     -> made present again; NUMA balancing
 *                                  learns who uses the page (numa_balancing.c)
 *
 * A PTE or page cache page that is being migrated (a migration entry, or a
 * page with PL_LOCKED) makes the fault drop mm->lock, wait for the
 * migration to finish and start again: vm_fault returns 0 only with the
 * page mapped (its comment has the exact contract).
 */
#include <kernel/mm.h>
#include <kernel/replicate.h>
#include <kernel/pmm.h>
#include <kernel/rmap.h>
#include <kernel/watchdog.h>
#include <kernel/migrate.h>
#include <kernel/filemap.h>
#include <kernel/vmstat.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/printk.h>
#include <kernel/trace.h>
#include <kernel/swap.h>
#include <kernel/reclaim.h>
#include <kernel/numa_balancing.h>
#include <kernel/mempolicy.h>
#include <kernel/shmem.h>

static pte_t vma_pte_prot(const struct vma *v, bool writable)
{
	if (v->prot == PROT_NONE)
		return pte_prot_none();     /* swapoff bringing a page back */
	return pte_user_prot(writable && (v->prot & PROT_WRITE), v->prot & PROT_EXEC);
}

/* A new zeroed anonymous page for va of v, where its memory policy says
 * (mempolicy.h; without one, on the node of the faulting CPU). */
static struct page *anon_page(struct vma *v, uint64_t va)
{
	struct page *p = mpol_alloc_page(v, va, PMM_ZERO | PMM_USER);

	if (p) {
		p->flags |= PG_anon;
		rmap_anon_page(p, v, va);
		count_vm_event(PGALLOC);
	}
	return p;
}

/* Copy src into a new anonymous page for va of v (its policy's node). */
static struct page *copy_page(struct vma *v, uint64_t va, struct page *src)
{
	struct page *p = mpol_alloc_page(v, va, PMM_USER);

	if (!p)
		return NULL;
	p->flags |= PG_anon;
	rmap_anon_page(p, v, va);
	count_vm_event(PGALLOC);
	memcpy(page_address(p), page_address(src), PAGE_SIZE);
	return p;
}

/* Map p at ptep, or drop it if the reverse map had no memory. A new
 * anonymous page joins its node's LRU lists once it is mapped. */
static int map_or_put(struct mm *mm, pte_t *ptep, struct page *p, pte_t prot)
{
	if (!page_map(mm, ptep, p, mk_pte(page_to_pfn(p), prot))) {
		if (!(p->flags & PG_lru) && (p->flags & PG_anon))
			lru_add(p);
		return 0;
	}
	page_release(p);
	return -ENOMEM;
}

/*
 * A file page is looked up without mm->lock: the lookup may read the disk
 * and take the file system's mutex, which may sleep, and no one sleeps
 * under a spinlock (spinlock.h). The fault finds it needs the page under
 * the lock, takes an inode reference (the VMA may go once the lock is
 * dropped), returns FAULT_FETCH; vm_fault drops the lock, fetches the page
 * and retries. The retry uses the page if the VMA still maps the same
 * (inode, index), and fetches again otherwise.
 */
#define FAULT_FETCH 1
#define FAULT_PREPARE 2            /* a pte_chain block is needed first */

struct file_fetch {
	struct inode *want;        /* to fetch next, with a reference */
	struct inode *inode;       /* fetched from, with a reference */
	uint64_t index;
	struct page *page;         /* NULL: err says why */
	int err;
	bool major;
	struct mpol_hint hint;     /* shmem: the VMA's policy for a new page */
	bool hinted;
};

/* The page fetched for (inode, index), or FAULT_FETCH after asking for it.
 * mm->lock held. */
static int fetched_page(struct file_fetch *ff, struct inode *inode,
			uint64_t index, struct page **out)
{
	if (ff->inode != inode || ff->index != index || (!ff->page && !ff->err)) {
		BUG_ON(ff->want);
		ff->want = inode;
		ff->index = index;
		filemap_get(inode);
		return FAULT_FETCH;
	}
	int err = ff->err;
	*out = ff->page;
	ff->page = NULL;                    /* the caller owns it now */
	ff->err = 0;
	return err == -ENOMEM ? -ENOMEM : err == -EFAULT ? -ENXIO : err ? -EIO : 0;
}

/* Drop what ff holds. No spinlock held: the inode put may sleep. */
static void fetch_release(struct file_fetch *ff)
{
	if (ff->page)
		filemap_release_page(ff->page);
	if (ff->inode)
		filemap_put(ff->inode);
	ff->page = NULL;
	ff->inode = NULL;
	ff->err = 0;
}

/* Look up the page fault_file asked for. No spinlock held: may sleep. */
static void fetch(struct file_fetch *ff)
{
	struct inode *inode = ff->want;
	uint64_t index = ff->index;

	fetch_release(ff);
	ff->want = NULL;
	ff->inode = inode;
	ff->index = index;
	current->mpol_hint = ff->hinted ? &ff->hint : NULL;
	ff->page = filemap_page(inode, index, &ff->major, &ff->err);
	current->mpol_hint = NULL;
}

static int fault_file(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep,
		      bool write, struct file_fetch *ff)
{
	uint64_t index = v->pgoff + ((va - v->start) >> PAGE_SHIFT);
	bool shared = v->flags & MAP_SHARED;
	struct page *p;

	/* A shmem page follows the VMA's policy (Linux: the object's shared
	 * policy); a file's page cache the task's, as Linux's. */
	ff->hinted = shmem_inode(v->inode);
	if (ff->hinted)
		mpol_lookup(v, va, &ff->hint.pol, &ff->hint.ilx);
	int err = fetched_page(ff, v->inode, index, &p);

	if (err)
		return err;
	if (page_locked(p)) {                /* being migrated: wait, retry */
		filemap_release_page(p);
		return -EAGAIN;
	}
	if (ff->major)
		count_vm_event(PGMAJFAULT);
/* LAB filemap: BEGIN map the page-cache page p: a private write copies it at once, a shared write dirties it, only a shared mapping is writable */
	if (write && !shared) {             /* private write: copy at once */
		struct page *copy = copy_page(v, va, p);
		filemap_release_page(p);
		if (!copy)
			return -ENOMEM;
		count_vm_event(COW_FAULT);
		return map_or_put(mm, ptep, copy, vma_pte_prot(v, true));
	}
	if (write)
		filemap_dirty(p);
	return map_or_put(mm, ptep, p, vma_pte_prot(v, shared));
/* LAB filemap: END */
/* LAB filemap: STUB
	if (write && shared)
		panic("lab filemap: fault_file() is not written yet (write to 0x%lx, pid %d, docs/labs/filemap.md)",
		      va, current->pid);
	return map_or_put(mm, ptep, p, vma_pte_prot(v, false));
*/
}

static int fault_missing(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep,
			 bool write, struct file_fetch *ff)
{
	if (v->inode)
		return fault_file(mm, v, va, ptep, write, ff);
	struct page *p = anon_page(v, va);
	if (!p)
		return -ENOMEM;
	return map_or_put(mm, ptep, p, vma_pte_prot(v, true));
}

static int fault_cow(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep);

/*
 * A swap entry is read in outside mm->lock (the read may sleep): the fault
 * asks for it (FAULT_SWAPIN), vm_fault reads it into the swap cache,
 * holding a reference, and the retry maps it from the cache.
 */
#define FAULT_SWAPIN 3
/* A write to an anonymous page with replicas, or to a replica: vm_fault
 * collapses them (replicate.c) with no lock held, then faults again. */
#define FAULT_COLLAPSE 4

struct swap_fetch {
	swp_entry_t want;          /* to read next */
	swp_entry_t entry;         /* read: page or err is its result */
	struct page *page;         /* with a reference, or NULL */
	int err;
	bool major;
	struct mpol_hint hint;     /* the policy at the faulting address */
};

static void swapin(struct swap_fetch *sf)
{
	if (sf->page)
		put_page_swapcache(sf->page);
	sf->entry = sf->want;
	sf->want.val = 0;
	sf->major = false;
	current->mpol_hint = &sf->hint;     /* a new page follows the policy */
	sf->page = swapin_page(sf->entry, &sf->major, &sf->err);
	current->mpol_hint = NULL;
}

/* Free a slot eagerly once half of swap is used (Linux's vm_swap_full). */
/* LAB reclaim: BEGIN is more than half of swap in use? (swap_get_totals) */
static bool swap_half_full(void)
{
	struct swap_totals t = swap_get_totals();

	return t.free * 2 < t.pages;
}
/* LAB reclaim: END */
/* LAB reclaim: STUB */

/* Map the swap-cache page p (our reference becomes the mapping's) at the
 * PTE that held entry e. */
static int map_swapped(struct mm *mm, struct vma *v, pte_t *ptep, struct page *p,
		       swp_entry_t e, bool write, bool unuse, uint64_t va)
{
/* LAB reclaim: BEGIN map the swap-cache page, give back this PTE's use of the slot; leave the cache when it is ours alone and swap fills up (or on a write) */
	if (!READ_ONCE(p->mapcount))        /* its first mapping: v's anon_vma */
		rmap_anon_page(p, v, va);
	if (page_map(mm, ptep, p, mk_pte(page_to_pfn(p), vma_pte_prot(v, false)))) {
		put_page_swapcache(p);
		return -ENOMEM;
	}
	mm->swapents--;
	swap_slot_free(e);                  /* the PTE's use of the slot */
	if (!write && !unuse && !swap_half_full())
		return 0;                   /* stays cached: clean if evicted again */
	/* Ours alone: out of the cache, so the slot is free again; the
	 * write (or a later one) then needs no copy. */
	if (swap_cache_remove_if(p, 2, 1) && !write && (v->prot & PROT_WRITE))
		*ptep = pte_mkwrite(*ptep);
	return 0;
/* LAB reclaim: END */
/* LAB reclaim: STUB
	panic("lab reclaim: map_swapped() is not written yet (pid %d, docs/labs/reclaim.md)",
	      current->pid);
*/
}

static int fault_swap(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep,
		      unsigned flags, struct page **busy, struct swap_fetch *sf)
{
	bool write = flags & FAULT_WRITE;
	swp_entry_t e = pte_to_swp_entry(*ptep);
	struct page *p = swap_cache_get(e);

	if (!p && sf->entry.val == e.val && sf->err) {
		int err = sf->err;          /* the read failed */
		sf->err = 0;
		return err;
	}
	if (!p) {
		sf->want = e;
		mpol_lookup(v, va, &sf->hint.pol, &sf->hint.ilx);
		return FAULT_SWAPIN;
	}
	if (page_locked(p)) {               /* being written or moved: wait */
		put_page_swapcache(p);
		*busy = p;
		return 0;
	}
	if (READ_ONCE(p->mapcount) && !rmap_ready()) {
		put_page_swapcache(p);
		return FAULT_PREPARE;
	}
	if (sf->entry.val == e.val && sf->major)
		count_vm_event(PGMAJFAULT);
	if (sf->page == p) {                /* the read's reference: ours is enough */
		put_page(p);
		sf->page = NULL;
	}
	int err = map_swapped(mm, v, ptep, p, e, write, flags & FAULT_UNUSE, va);
	if (!err && write && !pte_write(*ptep))
		err = fault_cow(mm, v, va, ptep);
	return err;
}

/* Write to a present read-only PTE of a writable VMA. */
static int fault_cow(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep)
{
	struct page *old = pfn_to_page(pte_pfn(*ptep));

	if (v->flags & MAP_SHARED) {        /* shared file page: just dirty it */
		filemap_dirty(old);
		*ptep = pte_mkwrite(*ptep);
		return 0;
	}
	if (old->flags & PG_swapcache)
		swap_cache_remove_if(old, 2, 1);  /* ours alone: the slot goes */
/* LAB cow: BEGIN reuse the page when this PTE is its only user, else give this PTE a copy */
	if ((old->flags & PG_anon) && READ_ONCE(old->refcount) == 1) {
		*ptep = pte_mkwrite(*ptep);     /* we are its only user */
		count_vm_event(COW_REUSE);
		return 0;
	}
	struct page *copy = copy_page(v, va, old);
	if (!copy)
		return -ENOMEM;
	count_vm_event(COW_FAULT);
	page_unmap(mm, ptep);
	return map_or_put(mm, ptep, copy, vma_pte_prot(v, true));
/* LAB cow: END */
/* LAB cow: STUB
	if (old->flags & PG_anon)
		panic("lab cow: fault_cow() is not written yet (write to 0x%lx, pid %d, docs/labs/cow.md)",
		      va, current->pid);
	struct page *copy = copy_page(v, va, old);
	if (!copy)
		return -ENOMEM;
	count_vm_event(COW_FAULT);
	page_unmap(mm, ptep);
	return map_or_put(mm, ptep, copy, vma_pte_prot(v, true));
*/
}

/* The VMA for addr, growing the stack down to it if that is allowed. */
static struct vma *find_or_grow(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr);

	if (v)
		return v;
	v = vma_above(mm, addr);
	if (!v || !(v->flags & VM_GROWSDOWN) || v->end - addr > STACK_MAX)
		return NULL;
	uint64_t start = ALIGN_DOWN(addr, PAGE_SIZE);
	struct vma *below = vma_find(mm, start - STACK_GUARD);
	if (below || start < STACK_GUARD)
		return NULL;                /* would eat the guard gap */
	v->anon_pgoff -= (v->start - start) >> PAGE_SHIFT;  /* indices stay */
	v->start = start;
	return v;
}

static bool access_ok(const struct vma *v, unsigned flags)
{
	if (flags & FAULT_WRITE)
		return v->prot & PROT_WRITE;
	if (flags & FAULT_EXEC)
		return v->prot & PROT_EXEC;
	return v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* Does the present PTE map an anonymous page with replicas, or a replica
 * of one? Such a page is collapsed before it is written. */
static bool replicated_anon(pte_t pte)
{
	struct page *p = pfn_to_page(pte_pfn(pte));

	return p && (READ_ONCE(p->flags) & PG_anon) &&
	       (READ_ONCE(p->flags) & (PG_replicated | PG_replica)) &&
	       replica_write_collapses(p);
}

/* The fault proper, with mm->lock held; *busy is set to a page being
 * migrated. Returns 0, -errno, -EAGAIN (wait and retry), FAULT_FETCH,
 * FAULT_SWAPIN, FAULT_PREPARE or FAULT_COLLAPSE (*busy then holds a
 * reference on the page) (drop the lock, do that, call again). */
static int fault_locked(struct mm *mm, uint64_t addr, unsigned flags,
			struct page **busy, struct file_fetch *ff, struct swap_fetch *sf)
{
	bool write = flags & FAULT_WRITE;
	struct vma *v = find_or_grow(mm, addr);
	int err = 0;

	if (!v || (!(flags & FAULT_UNUSE) && !access_ok(v, flags)))
		return -EFAULT;
	if (v->inode && !rmap_ready())
		return FAULT_PREPARE;
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
	pte_t *ptep = pgtable_walk(mm, va, true);
	int kind = -1;                      /* for the trace: what was done */
	if (ptep && (flags & FAULT_UNUSE) && !pte_swap(*ptep))
		return 0;                   /* swapoff: only swap entries */
	if (!ptep) {
		err = -ENOMEM;
	} else if (pte_migration(*ptep)) {
		*busy = pfn_to_page(pte_pfn(*ptep));
		kind = TRACE_FAULT_MIGRATION_WAIT;
	} else if (pte_swap(*ptep)) {
		err = fault_swap(mm, v, va, ptep, flags, busy, sf);
		kind = *busy ? -1 : TRACE_FAULT_SWAP;
	} else if (pte_numa(*ptep)) {
		numab_hint_fault(mm, v, va, ptep);  /* present again; a write to a
						       read-only page faults once more */
		kind = TRACE_FAULT_NUMA;
	} else if (!pte_present(*ptep)) {
		err = fault_missing(mm, v, va, ptep, write, ff);
		kind = v->inode ? TRACE_FAULT_FILE : TRACE_FAULT_ANON;
	} else if (write && !pte_write(*ptep) && replicated_anon(*ptep)) {
		*busy = pfn_to_page(pte_pfn(*ptep));
		get_page(*busy);            /* keeps a replica in its set */
		return FAULT_COLLAPSE;
	} else if (write && !pte_write(*ptep)) {
		uint64_t old = pte_pfn(*ptep);
		err = fault_cow(mm, v, va, ptep);
		kind = pte_pfn(*ptep) == old ? TRACE_FAULT_REUSE : TRACE_FAULT_COW;
	}
	/* else: another CPU or an earlier fault already fixed it */
	if (!err)
		flush_tlb_page(va);
	if (!err && kind >= 0)
		trace_event(TRACE_MM_FAULT, addr, kind, pte_pfn(*ptep));
	return err;
}

/*
 * Resolve a fault at user address addr of mm (FAULT_* flags). Takes and
 * drops mm->lock; may sleep (waits for migrations, reads files): called
 * with no spinlock held.
 *
 * Anonymous and COW faults make a page's first mapping (direct, no chain
 * block). A file page may be mapped already: its chain may need a block,
 * allocated before the lock (rmap.h). A file page itself is looked up
 * before the lock too (see struct file_fetch).
 *
 * Contract: 0 means the access can now succeed: when mm->lock was last
 * dropped, the PTE of addr was present and allowed the access (writable
 * for FAULT_WRITE). A PTE or page-cache page under migration never ends
 * the call with 0 unmapped: vm_fault waits for the migration and tries
 * again until the page is mapped or an error comes. A caller that touches
 * the page itself instead of retrying a user instruction (exec's
 * zero_partial_page) must still look at the PTE again under mm->lock:
 * the page may be migrated or unmapped as soon as the lock is dropped.
 *
 * Errors: -EFAULT for a bad access (the caller sends SIGSEGV or fails the
 * user copy), -ENXIO for a file page past the end of the file and -EIO
 * when it cannot be read (SIGBUS), -ENOMEM when out of memory.
 */
int vm_fault(struct mm *mm, uint64_t addr, unsigned flags)
{
	struct file_fetch ff = { 0 };
	struct swap_fetch sf = { 0 };
	int err, tries = 0;
	uint64_t waiting = 0;       /* since when it waits for busy pages */

	if (!mm || addr >= USER_SPACE_END)
		return -EFAULT;
	might_sleep("vm_fault");
	count_vm_event(PGFAULT);
	for (;;) {
		struct page *busy = NULL;   /* being migrated: wait, then again */

		spin_lock(&mm->lock);
		err = fault_locked(mm, addr, flags, &busy, &ff, &sf);
		spin_unlock(&mm->lock);
		if (!busy && err != -EAGAIN)
			waiting = 0;            /* the watchdog counts waits in a row */
		if (err == FAULT_FETCH) {
			fetch(&ff);
		} else if (err == FAULT_SWAPIN) {
			swapin(&sf);
		} else if (err == FAULT_COLLAPSE) {
			replica_collapse_of(busy);
			put_page(busy);
		} else if (err == -ENOMEM && !reclaim_retry(&tries)) {
			continue;               /* reclaimed some: again */
		} else if (err == FAULT_PREPARE) {
			if (rmap_prepare()) {
				err = -ENOMEM;
				break;
			}
		} else if (busy || err == -EAGAIN) {
			watchdog_retry(&waiting, "a fault waiting for a busy page",
				       busy ? page_to_pfn(busy) : 0);
			migrate_wait(busy);
		} else {
			break;
		}
	}
	rmap_unprepare();
	if (!err && mm == current->mm)         /* its own fault: charged to it */
		acct_fault(ff.major || sf.major);
	fetch_release(&ff);
	if (sf.page)
		put_page_swapcache(sf.page);
	reclaim_kick();
	numab_kick();
	rmap_check_fault_tick();
	return err;
}

/* Fault in every page of [start, end) (MAP_POPULATE, exec's stack): 0,
 * vm_fault's error, or -EINTR if a fatal signal came first (a huge
 * MAP_POPULATE ends early: nobody will use its pages). */
int vm_populate(struct mm *mm, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		if (fatal_signal_pending(current))
			return -EINTR;
		int err = vm_fault(mm, va, FAULT_WRITE);
		if (err)
			return err;
	}
	return 0;
}
