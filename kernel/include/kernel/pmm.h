/*
 * The physical memory manager: pages from a chosen node, falling back to
 * the nearest node that has some (numa_node.fallback).
 *
 *   struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, 0);   // this CPU's node
 *   void *va = page_address(p);
 *   pmm_free_pages(p, 0);
 *
 * Allocation never sleeps; it returns NULL when no allowed node has a free
 * block of the order. Safe from any CPU and from interrupt handlers.
 */
#ifndef KERNEL_PMM_H
#define KERNEL_PMM_H

#include <kernel/numa.h>

#define PMM_THISNODE (1U << 0)     /* no fallback to other nodes */
#define PMM_ZERO     (1U << 1)     /* zero the block */
#define PMM_USER     (1U << 2)     /* for user memory or the page cache: never
				      from a node at or below its min watermark
				      (the rest is kept for the kernel) */
#define PMM_INTERLEAVE (1U << 3)   /* node chosen by an interleave policy:
				      counted as interleave_hit when it is
				      the node the block comes from */

void pmm_init(void);
struct page *pmm_alloc_pages(int node, unsigned order, unsigned flags);
void pmm_free_pages(struct page *p, unsigned order);

/* Per-node buddy allocator (kernel/mm/buddy.c). */
struct page *buddy_alloc(struct numa_node *n, unsigned order);
void buddy_free(struct numa_node *n, struct page *p, unsigned order);
void buddy_free_range(struct numa_node *n, uint64_t start_pfn, uint64_t end_pfn);

uint64_t pmm_free_pages_total(void);
int buddy_check(struct numa_node *n);      /* 0 if the invariants hold */

#endif
