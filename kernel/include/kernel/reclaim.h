/*
 * Page reclaim (kernel/mm/lru.c, vmscan.c, oom.c): taking frames back from
 * processes and the page cache when a node runs short.
 *
 *   free pages of a node
 *     high  ---------------  kswapd stops here
 *     low   ---------------  the allocator wakes the node's kswapd
 *     min   ---------------  a task that faults below this reclaims itself
 *                            ("direct reclaim"); when nothing can be freed
 *                            after retrying, the OOM killer ends the
 *                            process with the most memory
 *
 * Pages to take are chosen from the node's LRU lists (lru.h). Their PTEs
 * are found through the reverse map (rmap.h), or with rmap=scan by walking
 * every page table: page_referenced() tests and clears their accessed bits,
 * and reclaim_unmap() empties them: an anonymous page's PTEs get its swap
 * entry, a file page's are cleared (its dirty bits go to the page first).
 */
#ifndef KERNEL_RECLAIM_H
#define KERNEL_RECLAIM_H

#include <kernel/types.h>
#include <kernel/lru.h>

struct page;

/* A new anonymous or page-cache page, counted on its node's inactive list. */
void lru_add(struct page *p);
/* The last reference of p went (put_page): off its list. */
void lru_del(struct page *p);
/* p was used through read() or write() (no PTE to record it). */
void mark_page_accessed(struct page *p);

/* Number of PTEs of p that were referenced (accessed bit) since the last
 * call; clears the bits. p is locked (PL_LOCKED). */
int page_referenced(struct page *p);

/* kswapd threads, one per node with memory. */
void reclaim_init(void);
/* The allocator took a page from node nid (any context): wake its kswapd
 * when free pages are below low. */
void reclaim_note_alloc(int nid);
/* Wake the kswapd of every node whose allocator asked for it. Process
 * context, no spinlock held (the fault handler calls it). */
void reclaim_kick(void);
/* Free about nr pages of node nid in the calling task (direct reclaim).
 * No spinlock held: may sleep. Returns how many were freed. */
uint64_t reclaim_direct(int nid, uint64_t nr);
/*
 * A fault found no memory (-ENOMEM). Reclaim some in the faulting task;
 * after several rounds without progress, call the OOM killer. Returns 0 if
 * the fault should be tried again, -ENOMEM if the task must give up (it
 * was chosen, or there is no one to kill). *tries counts the rounds.
 */
int reclaim_retry(int *tries);
/* Choose the process with the largest RSS plus swap and kill it, printing
 * Linux's "Out of memory: Killed process" line. false if none could be. */
bool out_of_memory(void);

#endif
