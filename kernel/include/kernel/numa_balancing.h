/*
 * Automatic NUMA balancing (kernel/mm/numa_balancing.c): pages used from
 * a remote node move there by themselves, as Linux's CONFIG_NUMA_BALANCING.
 *
 *   scanner (each process, at its return to user mode, every scan period):
 *       present PTEs of a window of its address space -> NUMA-hint entries
 *   hint fault (the next access):
 *       the PTE is restored; the page's node and the faulting CPU's node
 *       are compared; a page used from one other node twice in a row is
 *       queued for that node's kmigrated
 *   kmigrated/N (one kernel thread per node with memory):
 *       migrates its queued pages to node N in batches, rate-limited
 *
 * Controls: the boot option numa_balancing=enable|disable and the files
 * /proc/sys/kernel/numa_balancing* (Linux's names).
 */
#ifndef KERNEL_NUMA_BALANCING_H
#define KERNEL_NUMA_BALANCING_H

#include <kernel/types.h>
#include <arch/pte.h>

struct mm;
struct vma;

/* The settings, system-wide (/proc/sys/kernel/numa_balancing*). */
struct numab_settings {
	uint32_t enabled;               /* numa_balancing: 0 or 1 */
	uint32_t scan_delay_ms;         /* a new process's first window */
	uint32_t scan_period_min_ms;    /* windows come at least this far apart */
	uint32_t scan_period_max_ms;    /* ... and at most this far */
	uint32_t scan_size_mb;          /* PTEs marked per window */
	uint32_t rate_limit_mbps;       /* numa_balancing_promote_rate_limit_MBps:
					   pages queued per target node, MB/s */
	uint32_t replicate;             /* numa_replication: 0 or 1 (replicate.c) */
};
extern struct numab_settings numab;

/* Boot: read numa_balancing=, start kmigrated on each node with memory,
 * make the /proc/sys/kernel files. */
void numab_init(void);

/* At every return to user mode, no lock held: the scanner's turn. */
void numab_user_return(void);

/* A NUMA-hint entry at ptep (va in v) was touched: restore it, count
 * the fault, maybe queue the page. mm->lock held. */
void numab_hint_fault(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep);

/* After a fault, no lock held: wake the daemons with pages queued. */
void numab_kick(void);

#endif
