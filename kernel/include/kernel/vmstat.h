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
	RMAP_DIRECT_TO_CHAIN, /* Numbat: a second mapping turned direct into a chain */
	RMAP_CHAIN_TO_DIRECT, /* Numbat: a chain went back to one direct mapping */
	PGMIGRATE_SUCCESS,    /* pages migrated */
	PGMIGRATE_FAIL,       /* pages that could not be migrated */
	RMAP_CHECK,           /* Numbat: rmap_check runs (thread and /proc) */
	NR_VM_EVENTS
};

extern const char *const vm_event_names[NR_VM_EVENTS];

void count_vm_event(enum vm_event e);
uint64_t vm_event_sum(enum vm_event e);

#endif
