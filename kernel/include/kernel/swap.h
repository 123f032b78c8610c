/*
 * Swap areas: block devices that hold pages of anonymous memory while the
 * pages' frames are used for something else. Linux's format and calls:
 *
 *   page 0 of the device (the swap header, written by mkswap):
 *   | boot bits (1024) | version=1 | last_page | nr_badpages | uuid | label |
 *   | ... | badpages[nr_badpages] ... |                 "SWAPSPACE2" at 4086 |
 *   pages 1 .. last_page: slots, one page each (bad pages are never used)
 *
 * A slot is named by a swap entry: (type = which area, offset = which
 * page of it). Each slot has a use count: the number of page-table entries
 * (and the swap cache) that hold its entry, so a page shared by a fork
 * parent and child keeps one slot referenced twice. Slots are handed out
 * in clusters of SWAP_CLUSTER consecutive pages, so pages swapped out
 * together lie together on the device.
 *
 * Locking: swap_lock (swapfile.c) protects the area table and every
 * area's map and counters. It is a spinlock taken for short map updates;
 * no I/O and no user copy happens under it.
 */
#ifndef KERNEL_SWAP_H
#define KERNEL_SWAP_H

#include <kernel/types.h>
#include <arch/pte.h>

#define MAX_SWAPFILES   8            /* areas at once (type is 3 bits) */
#define SWAP_CLUSTER    256          /* slots claimed at a time */
#define SWAP_MAGIC      "SWAPSPACE2"
#define SWAP_MAX_BADPAGES 637        /* what fits in the header page (Linux's) */

/* swapon(2) flags (Linux's). */
#define SWAP_FLAG_PREFER    0x8000
#define SWAP_FLAG_PRIO_MASK 0x7fff
#define SWAP_FLAG_DISCARD   0x10000
#define SWAP_FLAG_DISCARD_ONCE  0x20000
#define SWAP_FLAG_DISCARD_PAGES 0x40000
#define SWAP_FLAGS_VALID (SWAP_FLAG_PRIO_MASK | SWAP_FLAG_PREFER | SWAP_FLAG_DISCARD | \
			  SWAP_FLAG_DISCARD_ONCE | SWAP_FLAG_DISCARD_PAGES)

/* The header's fields after the 1024 boot bytes (Linux's union swap_header). */
struct swap_header_info {
	uint32_t version;
	uint32_t last_page;
	uint32_t nr_badpages;
	uint8_t uuid[16];
	char volume_name[16];
	uint32_t padding[117];
	uint32_t badpages[];
};

/* A swap entry: type in the top bits, offset below. 0 is "no entry". */
typedef struct { uint64_t val; } swp_entry_t;
#define SWP_TYPE_SHIFT 58

static inline swp_entry_t swp_entry(unsigned type, uint64_t offset)
{
	return (swp_entry_t){ (uint64_t)type << SWP_TYPE_SHIFT | offset };
}
static inline unsigned swp_type(swp_entry_t e) { return (unsigned)(e.val >> SWP_TYPE_SHIFT); }
static inline uint64_t swp_offset(swp_entry_t e) { return e.val & ((1ULL << SWP_TYPE_SHIFT) - 1); }

/* The PTE of a swapped-out page holds its entry (arch/pte.h). */
static inline swp_entry_t pte_to_swp_entry(pte_t p)
{
	return swp_entry(pte_swp_type(p), pte_swp_offset(p));
}
static inline pte_t swp_entry_to_pte(swp_entry_t e)
{
	return pte_mkswap(swp_type(e), swp_offset(e));
}

struct blkdev;

/*
 * Check a swap header (the first page of a device of dev_pages pages):
 * the magic, version 1, a bad-page list inside the area. Returns the
 * number of pages of the area (last_page + 1, cut to the device), or
 * -EINVAL. Reads nothing outside page[0 .. PAGE_SIZE).
 */
int64_t swap_header_check(const void *page, uint64_t dev_pages);
/* Write a header for an area of `pages` pages (version 1, no bad pages). */
void swap_header_make(void *page, uint64_t pages, const char *label);

/* Enable the swap area on d, known by path (for /proc/swaps); prio < 0
 * means the default (decreasing from -2, as Linux). 0 or -errno: -EBUSY
 * if d is in use, -EINVAL for a bad header, -EPERM if every slot is taken. */
int swap_area_on(struct blkdev *d, const char *path, int prio);
/* Disable the area on d: -EINVAL if d is not a swap area. */
int swap_area_off(struct blkdev *d);

/* A free slot (use count 1), preferring the area of highest priority;
 * {0} when swap is full or off. */
swp_entry_t swap_slot_alloc(void);
/* One more user of the slot (a PTE copied by fork): 0, or -EINVAL. */
int swap_slot_dup(swp_entry_t e);
/* One user fewer; the slot is free at 0. */
void swap_slot_free(swp_entry_t e);
/* The slot's use count (0 if free or not a valid entry). */
int swap_slot_count(swp_entry_t e);

struct page;
/* Read or write one page of e's slot (the caller holds a use count on
 * it). Synchronous; may sleep; call with no spinlock held. 0, -EIO, or
 * -EINVAL if e names no slot in use. */
int swap_readpage(swp_entry_t e, struct page *p);
int swap_writepage(swp_entry_t e, struct page *p);

struct swap_totals {
	uint64_t pages;            /* usable slots in all areas */
	uint64_t free;             /* of them, free */
};
struct swap_totals swap_get_totals(void);

void swap_init(void);

/*
 * The swap cache (swap_state.c): anonymous pages by swap entry, so that a
 * page being written out or just read in is found by every fault on its
 * entry and never read twice. A page in it has PG_swapcache, its entry in
 * page->private, one reference held by the cache, and one use count of its
 * slot held by the cache (the PTEs that hold the entry have theirs).
 * swapcache_lock protects the trees, PG_swapcache and page->private of
 * pages in them; lock order: inside mm->lock, beside pcache_lock.
 */
struct page;
/* The page cached for e with a reference held, or NULL. */
struct page *swap_cache_get(swp_entry_t e);
/* Put anonymous page p (locked, not yet in the cache) in the cache on a
 * new slot: 0, or -ENOSPC when swap is full or off, -ENOMEM. */
int swap_cache_add_new(struct page *p);
/* Drop p from the cache if refs is its refcount and maps its map count
 * (with maps > 0, also only if no PTE holds its entry any more: the page
 * is then its mappings' alone). The slot's cache count and the cache's
 * reference go. true if dropped. */
bool swap_cache_remove_if(struct page *p, int refs, int maps);
/* A PTE's use of e just ended: if only the cache still uses the slot and
 * nobody uses the cached page, free both (the slot would leak until
 * reclaim otherwise). Any context that may take swapcache_lock. */
void swap_cache_try_free(swp_entry_t e);
/* put_page for a reference taken while p may have been in the swap
 * cache: if, after the put, nothing maps or holds p but the cache and no
 * PTE needs its slot, it also leaves the cache (so that a reference held
 * at the wrong moment, by reclaim or a swap-in, never strands a slot). */
void put_page_swapcache(struct page *p);
/* Migration: new takes old's place in the cache if old's refcount is
 * refs (as pcache_migrate). 0 or -EBUSY. */
int swap_cache_migrate(struct page *old, struct page *new, int refs);
/*
 * The page of entry e for a swap-in fault: from the cache (minor), or a
 * new page on this CPU's node read from the device (major: *major set,
 * pswpin counted). Returns it with a reference, not locked; NULL with
 * *err: 0 if e is no longer in use (the PTE changed: fault again),
 * -ENOMEM, or -EIO for a read error. No spinlock held: may sleep.
 */
struct page *swapin_page(swp_entry_t e, bool *major, int *err);
/* swapoff: bring every page on area type back into memory (through the
 * fault path, for every address space) and empty its part of the swap
 * cache. 0, or -ENOMEM / -EINTR / -EIO. No spinlock held: sleeps. */
int swap_unuse(unsigned type);
/* Pages in the swap cache, for SwapCached. */
uint64_t swap_cache_pages(void);          /* boot: /proc/swaps, swap=SIZE[@NODE] */

#endif
