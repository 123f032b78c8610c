/*
 * The LRU lists of one node: every anonymous and page-cache page of the
 * node's frames is on exactly one of them while it is in use (PG_lru),
 * unless reclaim or migration has taken it off for a moment ("isolated").
 *
 *   lists[LRU_INACTIVE_ANON]  head: newest ... tail: oldest -> reclaimed
 *   lists[LRU_ACTIVE_ANON]    head: newest ... tail: oldest -> deactivated
 *   lists[LRU_INACTIVE_FILE]  (the same for page-cache pages)
 *   lists[LRU_ACTIVE_FILE]
 *
 * New pages go to the head of an inactive list. Reclaim takes pages from
 * the tails: an inactive page whose PTEs were referenced since it last
 * looked is activated (moved to the active list), an unreferenced one is
 * reclaimed; an active page that was not referenced is deactivated. This
 * is Linux 2.6's two-list algorithm (kernel/mm/vmscan.c).
 *
 * The lists hold no reference on their pages: the last put_page takes a
 * page off its list. Reclaim isolates a page only while its refcount is
 * not zero, and takes a reference for as long as it is off the list.
 */
#ifndef KERNEL_LRU_H
#define KERNEL_LRU_H

#include <kernel/list.h>
#include <kernel/spinlock.h>

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	NR_LRU_LISTS
};

struct lruvec {
	struct spinlock lock;              /* lists, nr, and PG_lru/PG_active of
					      every page on them */
	struct list_head lists[NR_LRU_LISTS];
	uint64_t nr[NR_LRU_LISTS];         /* pages on each list */
};

/* Move up to max pages from the tail of list l to out, each with a
 * reference; returns how many were looked at (lru.c). */
uint64_t lru_isolate_tail(struct lruvec *lv, enum lru_list l, uint64_t max,
			  struct list_head *out);
/* Put isolated pages back on their lists, dropping those references. */
void lru_putback_list(struct list_head *pages);
void lru_init_node(struct lruvec *lv);

#endif
