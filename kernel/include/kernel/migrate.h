/*
 * Page migration: move a page's contents to a frame on another node and
 * point every PTE that maps it at the new frame (kernel/mm/migrate.c).
 *
 *   get_page(p);                      // the caller's reference
 *   int err = migrate_page(p, 1);     // 0: p's mappings now use a node-1 frame
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

/*
 * Move p to a new frame on node. The caller holds a reference on p and no
 * locks; it may sleep (yield). Returns 0, -ENOMEM (no frame on node),
 * -EBUSY (pinned: references other than mappings and the caller's, e.g.
 * a read() or write() or writeback in progress; or already being
 * migrated), -ENOENT (nothing maps it any more, anonymous).
 */
int migrate_page(struct page *p, int node);

#endif
