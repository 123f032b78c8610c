/*
 * NUMA nodes. A node is a set of CPUs and a set of physical memory ranges
 * that are close to each other; the SLIT distance says how close the others
 * are. A node may have memory and no CPUs, or CPUs and no memory.
 *
 * numa_nodes[] is indexed by node id (the SRAT proximity domain). Everything
 * a node owns lives in its struct: its frames' struct pages (mem_map, itself
 * stored on the node), its buddy allocator and its counters.
 */
#ifndef KERNEL_NUMA_H
#define KERNEL_NUMA_H

#include <kernel/types.h>
#include <kernel/topology.h>
#include <kernel/spinlock.h>
#include <kernel/page.h>
#include <kernel/lru.h>
#include <kernel/vmstat.h>

#define MAX_ORDER 11               /* blocks of 2^0 .. 2^10 pages (4 MiB) */
#define MAX_NODE_RANGES 8
#define NUMA_NO_NODE (-1)

struct kmigrated;

struct free_area {
	struct list_head list;     /* head pages of free 2^order blocks */
	uint64_t nr_free;          /* blocks on the list */
};

struct mem_range {
	uint64_t start, end;       /* physical, [start, end) */
};

struct numa_node {
	int id;
	bool online;               /* appears in SRAT (or the one default node) */
	struct cpumask cpus;
	int nr_ranges;
	struct mem_range ranges[MAX_NODE_RANGES];  /* usable RAM on this node */
	uint64_t present_pages;    /* frames in ranges */
	uint8_t distance[MAX_NODES];
	int fallback[MAX_NODES];   /* nodes by increasing distance, self first */
	int nr_fallback;

	/* The frames this node spans: mem_map[pfn - start_pfn]. */
	uint64_t start_pfn, end_pfn;
	struct page *mem_map;

	/* Buddy allocator (kernel/mm/buddy.c). */
	struct spinlock lock;      /* protects free_area, free_pages */
	struct free_area free_area[MAX_ORDER];
	uint64_t managed_pages;    /* frames handed to the buddy allocator */
	uint64_t free_pages;
	uint64_t wmark_min, wmark_low, wmark_high;  /* pages; reclaim uses them */

	/* Reclaim (kernel/mm/vmscan.c): the node's LRU lists, its kswapd,
	 * woken when free_pages falls below wmark_low, and its counters. */
	struct lruvec lru;
	struct proc *kswapd;
	int kswapd_wanted;         /* set by the allocator, atomic: wake it */
	int kswapd_failures;       /* balance runs in a row that freed nothing */
	uint64_t nr_swapcached;    /* of its frames, in the swap cache (atomic) */
	uint64_t events[NR_NODE_EVENTS];  /* vmstat.h: pswpin ... (atomic) */

	/* NUMA balancing: this node's migration daemon and its queue of
	 * pages to bring here (kernel/mm/numa_balancing.c). */
	struct kmigrated *kmigrated;

	/* Allocation counters, Linux's numastat (atomic increments):
	 * numa_hit: wanted here, got here; numa_miss: got here, wanted
	 * elsewhere; numa_foreign: wanted here, got elsewhere; local_node /
	 * other_node: got here, for a CPU on this node / on another node;
	 * interleave_hit: wanted here by an interleave policy (PMM_INTERLEAVE),
	 * got here. */
	uint64_t numa_hit, numa_miss, numa_foreign, local_node, other_node;
	uint64_t interleave_hit;
};

extern struct numa_node numa_nodes[MAX_NODES];

#define for_each_online_node(nid) \
	for (nid = 0; nid < MAX_NODES; nid++) if (numa_nodes[nid].online)

/* Build nodes from the firmware topology and the boot memory map. */
void numa_init(void);
void numa_print(void);
int numa_node_of_phys(uint64_t pa);      /* NUMA_NO_NODE if not RAM */
int numa_this_node(void);                 /* node of the running CPU */

#endif
