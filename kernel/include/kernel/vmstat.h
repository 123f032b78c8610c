/*
 * Memory event counters, with Linux's names (as /proc/vmstat shows them).
 * Each CPU counts its own events (no shared cache line on the fault path);
 * readers add the CPUs up. Numbat-only counters have names Linux lacks.
 */
#ifndef KERNEL_VMSTAT_H
#define KERNEL_VMSTAT_H

#include <kernel/types.h>

enum vm_event {
	PGFAULT,              /* every page fault handled */
	PGMAJFAULT,           /* faults that read from a device */
	PGALLOC,              /* pages allocated (Linux splits by zone) */
	PGFREE,
	COW_FAULT,            /* Numbat: write faults that copied a page */
	COW_REUSE,            /* Numbat: write faults that reused a sole page */
	PTE_CHAIN_ALLOC,      /* Numbat: pte_chain blocks allocated */
	PTE_CHAIN_FREE,       /* Numbat: pte_chain blocks freed */
	RMAP_DIRECT_TO_CHAIN, /* Numbat: a page's mappings moved into a chain block
				 (the third one, from a pair; the second
				 without pairs) */
	RMAP_CHAIN_TO_DIRECT, /* Numbat: a chain went back to a pair (to direct
				 without pairs) and its block was freed */
	RMAP_DIRECT_TO_PAIR,  /* Numbat: a second mapping: direct became a pair */
	RMAP_PAIR_TO_DIRECT,  /* Numbat: a pair lost one mapping: direct again */
	PGMIGRATE_SUCCESS,    /* pages migrated */
	PGMIGRATE_FAIL,       /* pages that could not be migrated */
	RMAP_CHECK,           /* Numbat: rmap_check runs (thread and /proc) */
	OOM_KILL,             /* processes the OOM killer ended */
	REPLICA_MADE,         /* Numbat: page replicas made (replicate.c) */
	REPLICA_FREED,        /* Numbat: replicas freed */
	REPLICA_COLLAPSED,    /* Numbat: pages whose replicas a write collapsed */
	NR_VM_EVENTS
};

/* Reclaim events, counted per node (numa_node.events, the node of the
 * page) and summed for /proc/vmstat. */
enum node_event {
	PSWPIN,               /* pages read from swap */
	PSWPOUT,              /* pages written to swap */
	PGSCAN_KSWAPD,        /* inactive pages looked at by kswapd */
	PGSCAN_DIRECT,        /* ... by direct reclaim */
	PGSTEAL_KSWAPD,       /* pages reclaimed by kswapd */
	PGSTEAL_DIRECT,       /* ... by direct reclaim */
	PGACTIVATE,           /* inactive -> active */
	PGDEACTIVATE,         /* active -> inactive */
	PGREFILL,             /* active pages looked at */
	NUMA_PTE_UPDATES,     /* PTEs made NUMA-hint entries (node of the scanning CPU) */
	NUMA_HINT_FAULTS,     /* NUMA-hint faults (node of the faulting CPU) */
	NUMA_HINT_FAULTS_LOCAL, /* ... on a page of that node */
	NUMA_PAGES_MIGRATED,  /* pages the balancing daemon moved here */
	NUMA_TASK_MIGRATED,   /* processes balancing moved to this node */
	NR_NODE_EVENTS
};

extern const char *const node_event_names[NR_NODE_EVENTS];
void count_node_event(int nid, enum node_event e, uint64_t n);
struct pbuf;
/* Pages on LRU list l (enum lru_list, lru.h) of node nid, or of every
 * node for NUMA_NO_NODE (-1). */
uint64_t lru_count(int nid, int l);
/* /proc/vmstat's and nodeN/vmstat's reclaim lines (nid -1: all nodes). */
void vmstat_show_reclaim(struct pbuf *b, int nid);
/* Linux's numa_hit ... numa_other lines of node nid (NUMA_NO_NODE: all). */
void vmstat_show_numa(struct pbuf *b, int nid);

extern const char *const vm_event_names[NR_VM_EVENTS];

void count_vm_event(enum vm_event e);
uint64_t vm_event_sum(enum vm_event e);

#endif
