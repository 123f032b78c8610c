/*
 * The swap cache (swap.h): one radix tree per swap area, slot offset ->
 * struct page. An anonymous page enters it when reclaim gives it a slot
 * (swap-out) or when a fault reads it back (swap-in), and leaves it when
 * reclaim frees the frame or when its slot is no longer needed:
 *
 *   mapped page --reclaim: slot, cache--> in cache, PTEs -> swap entries
 *        ^                                     | written, then dropped
 *        |                                     v
 *   fault maps it <--- in cache <--- read --- on the device only
 *
 * A page in the cache holds one use count of its slot; a fault that maps
 * it drops the count its PTE held. Both counts and the cache's reference
 * on the page go together, under swapcache_lock.
 */
#include <kernel/swap.h>
#include <kernel/mempolicy.h>
#include <kernel/reclaim.h>
#include <kernel/migrate.h>
#include <kernel/radix.h>
#include <kernel/numa.h>
#include <kernel/pmm.h>
#include <kernel/mm.h>
#include <kernel/vmstat.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/spinlock.h>
#include <kernel/trace.h>
#include <kernel/rmap.h>
#include <kernel/proc.h>
#include <kernel/signal.h>

/* swapcache_lock: cache[], PG_swapcache and page->private of cached pages. */
static struct spinlock swapcache_lock = SPINLOCK_INIT("swapcache");
static struct radix_root cache[MAX_SWAPFILES];

static swp_entry_t page_entry(const struct page *p)
{
	return (swp_entry_t){ p->private };
}

struct page *swap_cache_get(swp_entry_t e)
{
	if (swp_type(e) >= MAX_SWAPFILES)
		return NULL;
	spin_lock(&swapcache_lock);
	struct page *p = radix_lookup(&cache[swp_type(e)], swp_offset(e));
	if (p)
		get_page(p);
	spin_unlock(&swapcache_lock);
	return p;
}

/* Insert p for e; the slot count the cache holds is already taken.
 * swapcache_lock held. 0, -EEXIST or -ENOMEM. */
static int cache_insert(struct page *p, swp_entry_t e)
{
	struct radix_root *r = &cache[swp_type(e)];

	if (radix_lookup(r, swp_offset(e)))
		return -EEXIST;
	if (radix_insert(r, swp_offset(e), p))
		return -ENOMEM;
	p->private = e.val;
	page_set_flag(p, PG_swapcache);
	get_page(p);                       /* the cache's reference */
	__atomic_fetch_add(&numa_nodes[p->node].nr_swapcached, 1, __ATOMIC_RELAXED);
	return 0;
}

int swap_cache_add_new(struct page *p)
{
	swp_entry_t e = swap_slot_alloc();  /* count 1: the cache's */

	if (!e.val)
		return -ENOSPC;
	spin_lock(&swapcache_lock);
	int err = cache_insert(p, e);
	spin_unlock(&swapcache_lock);
	if (err)
		swap_slot_free(e);
	return err;
}

/* Take p out of the tree; the caller drops the slot count and the
 * reference. swapcache_lock held. */
static swp_entry_t cache_delete(struct page *p)
{
	swp_entry_t e = page_entry(p);

	radix_delete(&cache[swp_type(e)], swp_offset(e));
	page_clear_flag(p, PG_swapcache | PG_dirty);
	p->private = 0;
	__atomic_fetch_sub(&numa_nodes[p->node].nr_swapcached, 1, __ATOMIC_RELAXED);
	return e;
}

bool swap_cache_remove_if(struct page *p, int refs, int maps)
{
	swp_entry_t e = { 0 };

	spin_lock(&swapcache_lock);
	if ((p->flags & PG_swapcache) && READ_ONCE(p->refcount) == refs &&
	    READ_ONCE(p->mapcount) == maps &&
	    (!maps || swap_slot_count(page_entry(p)) == 1))
		e = cache_delete(p);
	spin_unlock(&swapcache_lock);
	if (!e.val)
		return false;
	swap_slot_free(e);
	put_page(p);                       /* the cache's reference */
	return true;
}

void swap_cache_try_free(swp_entry_t e)
{
	struct page *p = NULL;

	if (swp_type(e) >= MAX_SWAPFILES)
		return;
	/* Only the cache holds the page (refcount 1: nobody isolating,
	 * faulting or moving it, and under swapcache_lock nobody can look it
	 * up), nothing maps it, and no PTE holds its entry. */
	spin_lock(&swapcache_lock);
	struct page *c = radix_lookup(&cache[swp_type(e)], swp_offset(e));
	if (c && READ_ONCE(c->refcount) == 1 && !READ_ONCE(c->mapcount) &&
	    swap_slot_count(e) == 1) {
		cache_delete(c);
		p = c;
	}
	spin_unlock(&swapcache_lock);
	if (!p)
		return;
	swap_slot_free(e);
	put_page(p);                         /* the cache's, the last */
}

/*
 * The put of a reference to an anonymous page that may be in the swap
 * cache. put_page itself now frees a page that only the cache holds (it
 * calls swap_cache_try_free when a put leaves one reference on a
 * swap-cache page, whichever path the put came from), so this is that
 * put; the name stays for the callers that say what they drop.
 */
void put_page_swapcache(struct page *p)
{
	put_page(p);
}

int swap_cache_migrate(struct page *old, struct page *new, int refs)
{
	spin_lock(&swapcache_lock);
	if (!(old->flags & PG_swapcache) || READ_ONCE(old->refcount) != refs) {
		spin_unlock(&swapcache_lock);
		return -EBUSY;
	}
	swp_entry_t e = page_entry(old);
	memcpy(page_address(new), page_address(old), PAGE_SIZE);
	radix_replace(&cache[swp_type(e)], swp_offset(e), new);
	new->private = e.val;
	page_set_flag(new, PG_anon | PG_swapcache | (old->flags & PG_dirty));
	page_clear_flag(old, PG_swapcache | PG_dirty);
	old->private = 0;
	get_page(new);                     /* the cache's reference moves */
	__atomic_fetch_sub(&old->refcount, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_sub(&numa_nodes[old->node].nr_swapcached, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&numa_nodes[new->node].nr_swapcached, 1, __ATOMIC_RELAXED);
	spin_unlock(&swapcache_lock);
	return 0;
}

/* A new locked page for e in the cache, or NULL: *err -EEXIST (someone
 * was faster: look again), 0 (e is free now), -ENOMEM. */
static struct page *cache_new(swp_entry_t e, int *err)
{
	struct page *p = mpol_alloc_page(NULL, 0, PMM_USER);  /* the fault's policy */

	*err = -ENOMEM;
	if (!p)
		return NULL;
	p->flags |= PG_anon;
	page_trylock(p);                   /* fresh: nobody else knows it */
	spin_lock(&swapcache_lock);
	*err = swap_slot_dup(e) ? 0 : cache_insert(p, e);
	if (*err == -EEXIST || *err == -ENOMEM)
		swap_slot_free(e);
	spin_unlock(&swapcache_lock);
	if (*err || !(p->flags & PG_swapcache)) {
		page_unlock(p);
		put_page(p);
		return NULL;
	}
	return p;                          /* ours and the cache's references */
}

/* A read of p failed: it leaves the cache, and the fault gets -EIO. */
static void read_failed(struct page *p)
{
	spin_lock(&swapcache_lock);
	swp_entry_t e = cache_delete(p);
	spin_unlock(&swapcache_lock);
	swap_slot_free(e);
	page_unlock(p);
	put_page(p);                       /* the cache's */
	put_page(p);                       /* ours: frees it */
}

struct page *swapin_page(swp_entry_t e, bool *major, int *err)
{
	for (;;) {
		struct page *p = swap_cache_get(e);
		if (p)
			return p;
		p = cache_new(e, err);
		if (!p && *err == -EEXIST)
			continue;
		if (!p)
			return NULL;
		*major = true;
		if (swap_readpage(e, p)) {
			read_failed(p);
			*err = -EIO;
			return NULL;
		}
		count_node_event(p->node, PSWPIN, 1);
		trace_event(TRACE_SWAP_IN, page_to_pfn(p), e.val, p->node);
		lru_add(p);
		page_unlock(p);
		return p;
	}
}

uint64_t swap_cache_pages(void)
{
	uint64_t n = 0;
	int nid;

	for_each_online_node(nid)
		n += READ_ONCE(numa_nodes[nid].nr_swapcached);
	return n;
}

/* ---------------------------------------------------------------- swapoff */

#define UNUSE_BATCH 64

struct unuse {
	unsigned type;
	int n;
	uint64_t va[UNUSE_BATCH];
};

/* Note the swap entries of area u->type in one leaf table; stop when the
 * batch is full. mm->lock held. */
static int find_entries(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next, void *arg)
{
	struct unuse *u = arg;

	for (; va < next; va += PAGE_SIZE, ptep++)
		if (pte_swap(*ptep) && pte_swp_type(*ptep) == u->type) {
			u->va[u->n++] = va;
			if (u->n == UNUSE_BATCH)
				return 1;
		}
	return 0;
}

/* Bring every page of mm that is on area type back in, a batch at a time
 * (the fault path does the reading). 0 or the fault's error. */
static int unuse_mm(struct mm *mm, unsigned type)
{
	for (;;) {
		struct unuse u = { .type = type };
		spin_lock(&mm->lock);
		pgtable_range(mm, 0, USER_SPACE_END, find_entries, &u);
		spin_unlock(&mm->lock);
		if (!u.n)
			return 0;
		for (int i = 0; i < u.n; i++) {
			int err = vm_fault(mm, u.va[i], FAULT_UNUSE);
			if (err && err != -EFAULT)   /* -EFAULT: unmapped meanwhile */
				return err;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
	}
}

/* The k-th address space, with a user reference; NULL past the end, and
 * *dying set (no reference) if it is being torn down: its entries go away
 * by themselves. */
static struct mm *nth_mm(int k, bool *dying)
{
	struct list_head *l;
	struct mm *found = NULL;

	*dying = false;
	spin_lock(&mm_list_lock);
	list_for_each(l, &mm_list) {
		if (k-- > 0)
			continue;
		found = list_entry(l, struct mm, mm_node);
		int users = READ_ONCE(found->users);
		while (users > 0 && !__atomic_compare_exchange_n(&found->users, &users, users + 1,
								 false, __ATOMIC_ACQUIRE,
								 __ATOMIC_RELAXED))
			;
		*dying = users == 0;
		break;
	}
	spin_unlock(&mm_list_lock);
	return found;
}

/* Drop the cached pages of area type that no PTE needs any more (the
 * pages stay mapped, as plain anonymous pages). */
static void drop_area_cache(unsigned type)
{
	void *items[16];
	uint64_t idx[16], next = 0;
	int n;

	for (;;) {
		spin_lock(&swapcache_lock);
		n = radix_gang_lookup(&cache[type], next, items, idx, 16);
		for (int i = 0; i < n; i++)
			get_page(items[i]);
		spin_unlock(&swapcache_lock);
		if (n <= 0)
			return;
		next = idx[n - 1] + 1;
		for (int i = 0; i < n; i++) {
			struct page *p = items[i];
			if (page_trylock(p)) {
				swap_cache_remove_if(p, READ_ONCE(p->refcount), READ_ONCE(p->mapcount));
				page_unlock(p);
			}
			put_page(p);
		}
	}
}

int swap_unuse(unsigned type)
{
	struct mm *mm;
	bool dying;

	for (int k = 0; (mm = nth_mm(k, &dying)); k++) {
		if (dying)
			continue;
		int err = unuse_mm(mm, type);
		mm_put(mm);
		if (err)
			return err;
	}
	drop_area_cache(type);
	return 0;
}
