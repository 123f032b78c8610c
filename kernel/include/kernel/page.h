/*
 * struct page: one per physical 4 KiB frame, at most 64 bytes (one cache
 * line; checked at compile time below). Each node keeps an array of them for
 * the frames it spans (numa_node.mem_map), so page <-> frame number is one
 * subtraction. What the fields mean depends on who owns the frame:
 *
 *   free (PG_buddy)   lru on the node's free_area[order] list, order set
 *   slab (PG_slab)    slab_cache, freelist, private = objects in use (slab.c)
 *   page table        mapping = owning mm, index = first address it maps
 *   user/page cache   mapping/index, refcount, mapcount, pte, lru (the
 *                     node's LRU lists); anonymous pages in the swap cache
 *                     keep their swap entry in private
 */
#ifndef KERNEL_PAGE_H
#define KERNEL_PAGE_H

#include <kernel/types.h>
#include <kernel/list.h>
#include <arch/paging.h>

typedef uint64_t pte_addr_t;       /* physical address of a PTE */
struct pte_chain;
struct kmem_cache;

#define PG_reserved  (1U << 0)     /* not RAM we manage (hole, kernel, firmware) */
#define PG_buddy     (1U << 1)     /* head of a free block in a buddy list */
#define PG_slab      (1U << 2)     /* owned by a kmem_cache */
#define PG_direct    (1U << 3)     /* pte.direct is in use, not pte.chain */
#define PG_head      (1U << 4)     /* first page of an allocated block > order 0 */
#define PG_pgtable   (1U << 5)     /* a page-table page: mapping = mm, index = base va */
#define PG_anon      (1U << 6)     /* anonymous user memory (no file behind it) */
#define PG_pair      (1U << 7)     /* two mappings, both in pte.pair (rmap.h) */
#define PG_pcache    (1U << 8)     /* in the page cache: mapping/index valid */
#define PG_dirty     (1U << 9)     /* page cache or swap cache: newer than the device */
#define PG_lru       (1U << 10)    /* on its node's LRU lists (reclaim.h) */
#define PG_active    (1U << 11)    /* on an active list, not an inactive one */
#define PG_referenced (1U << 12)   /* used once since reclaim last looked */
#define PG_swapcache (1U << 13)    /* in the swap cache: private = swap entry */
#define PG_numa_queued (1U << 14)  /* queued for a kmigrated (numa_balancing.c) */
#define PG_replicated (1U << 15)   /* page-cache page with replicas: private =
				      its struct replica_set (replicate.c) */
#define PG_replica   (1U << 16)    /* a replica: private = the page it copies */
/* Bits 24-31: 1 + the node of the last NUMA-hint fault on the page, 0 if
 * none yet (numa_balancing.c; changed atomically, lost updates harmless). */
#define PG_LAST_NID_SHIFT 24
#define PG_LAST_NID_MASK (0xffU << PG_LAST_NID_SHIFT)

/* Bits of page->lockbits, apart from flags so that the plain read-modify-
 * writes of flags elsewhere can never lose a lock bit (rmap.h). */
#define PL_CHAIN     (1U << 0)     /* the pte_chain lock (a bit spinlock) */
#define PL_LOCKED    (1U << 1)     /* being migrated: faults wait (migrate.h) */

struct page {
	uint32_t flags;            /* PG_* */
	uint16_t node;             /* NUMA node of the frame */
	uint8_t order;             /* block order (PG_buddy, PG_head) */
	uint8_t lockbits;          /* PL_*: bit locks (rmap.h), atomic ops only */
	int32_t refcount;          /* users of the frame; 0 when free */
	int32_t mapcount;          /* PTEs mapping it (reverse map, rmap.h) */
	struct list_head lru;      /* free list, slab list or LRU list */
	union {
		struct {               /* page cache or swap */
			void *mapping;
			uint64_t index;
		};
		struct {               /* slab */
			struct kmem_cache *slab_cache;
			void *freelist;
		};
	};
	union {                    /* reverse map (rmap.h) */
		struct pte_chain *chain;   /* three mappings or more */
		pte_addr_t direct;         /* one (PG_direct) */
		uint32_t pair[2];          /* two (PG_pair): each PTE's address / 8 */
	} pte;
	uint64_t private;          /* slab: objects in use; swap cache: entry */
};

_Static_assert(sizeof(struct page) <= 64, "struct page must fit in 64 bytes");

/* Flags that may change while other CPUs change other flags of the same
 * page (PG_direct and PG_pair under the chain lock, PG_dirty under
 * pcache_lock) are
 * set and cleared atomically. */
static inline void page_set_flag(struct page *p, uint32_t f)
{
	__atomic_fetch_or(&p->flags, f, __ATOMIC_RELAXED);
}

static inline void page_clear_flag(struct page *p, uint32_t f)
{
	__atomic_fetch_and(&p->flags, ~f, __ATOMIC_RELAXED);
}

/* Record nid as the page's last NUMA-hint fault node; the one before
 * (-1: none). */
static inline int page_xchg_last_nid(struct page *p, int nid)
{
	uint32_t old = __atomic_load_n(&p->flags, __ATOMIC_RELAXED), new;

	do {
		new = (old & ((1U << PG_LAST_NID_SHIFT) - 1)) |
		      (uint32_t)(nid + 1) << PG_LAST_NID_SHIFT;
	} while (!__atomic_compare_exchange_n(&p->flags, &old, new, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return (int)(old >> PG_LAST_NID_SHIFT) - 1;
}

/* A reference on p unless its count is already 0 (being freed). */
static inline bool get_page_unless_zero(struct page *p)
{
	int32_t c = __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);

	while (c > 0)
		if (__atomic_compare_exchange_n(&p->refcount, &c, c + 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

struct page *pfn_to_page(uint64_t pfn);   /* NULL if no node spans pfn */
uint64_t page_to_pfn(const struct page *p);

static inline phys_addr_t page_to_phys(const struct page *p)
{
	return page_to_pfn(p) << PAGE_SHIFT;
}

static inline void *page_address(const struct page *p)
{
	return phys_to_virt(page_to_phys(p));
}

static inline struct page *virt_to_page(const void *va)
{
	return pfn_to_page(virt_to_phys(va) >> PAGE_SHIFT);
}

#endif
