/*
 * Page migration: move a page's contents to a frame on another node and
 * point every PTE that maps it at the new frame (kernel/mm/migrate.c).
 *
 *   get_page(p);                      // the caller's reference
 *   int err = migrate_page(p, 1, MR_SYSCALL); // 0: p's mappings now use a node-1 frame
 *   page_release(p);                  // frees the old frame after success
 *
 * A page being migrated is locked (PL_LOCKED in page->lockbits): faults
 * that meet it or its migration entries wait with migrate_wait().
 */
#ifndef KERNEL_MIGRATE_H
#define KERNEL_MIGRATE_H

#include <kernel/page.h>

static inline bool page_locked(const struct page *p)
{
	return __atomic_load_n(&p->lockbits, __ATOMIC_ACQUIRE) & PL_LOCKED;
}

bool page_trylock(struct page *p);
void page_unlock(struct page *p);
/* Wait (yielding the CPU) until p is unlocked; p NULL: yield once. Call
 * with no spinlock held. */
void migrate_wait(struct page *p);

/* Why a page moves: Linux's enum migrate_reason numbers and names (the
 * reason= field of migrate:mm_migrate_pages and numbat:migrate_page). */
enum migrate_reason {
	MR_SYSCALL = 3,              /* "syscall_or_cpuset": move_pages */
	MR_MEMPOLICY_MBIND = 4,      /* "mempolicy_mbind": mbind(MPOL_MF_MOVE) */
	MR_NUMA_MISPLACED = 5,       /* "numa_misplaced": the migration daemon */
};

/* Linux's name of a reason ("?" for one Numbat does not use). */
const char *migrate_reason_name(unsigned reason);

/*
 * Move p to a new frame on node, for reason (enum migrate_reason). The caller holds a reference on p and no
 * locks; it may sleep (yield). Returns 0, -ENOMEM (no frame on node),
 * -EBUSY (pinned: references other than mappings and the caller's, e.g.
 * a read() or write() or writeback in progress; or already being
 * migrated), -ENOENT (nothing maps it any more, anonymous).
 */
int migrate_page(struct page *p, int node, enum migrate_reason reason);

/*
 * Move n pages (at most MIGRATE_BATCH; the caller holds a reference on
 * each) to node, with one TLB shootdown for all of them. status[i] gets
 * migrate_page's result for pages[i]. Returns how many moved. For
 * MR_NUMA_MISPLACED (the daemon) a page whose mappings' locks stay busy
 * is given up (-EBUSY) instead of waited for.
 */
#define MIGRATE_BATCH 32
int migrate_pages_batch(struct page **pages, int n, int node, enum migrate_reason reason,
			int *status);

#endif
