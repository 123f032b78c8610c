/*
 * fork's address-space copy: copy-on-write (mm_dup), with direct reclaim
 * and a retry when memory runs short. The rest of fork is clone's
 * (clone.c): fork is clone(SIGCHLD).
 */
#include <kernel/clone.h>
#include <kernel/mm.h>
#include <kernel/numa.h>
#include <kernel/errno.h>
#include <kernel/reclaim.h>

#define FORK_RECLAIM_PAGES 1024      /* freed per retry of a fork short of memory */

/* See clone.h. Takes old->lock (mm_dup); may sleep. */
struct mm *fork_mm(struct mm *old, int *err)
{
	struct mm *mm = mm_dup(old, err);

	/* Short of memory (page tables, pte_chain blocks): reclaim some and
	 * try again, as Linux's allocator would before failing the fork. */
	for (int tries = 0; !mm && *err == -ENOMEM && tries < 8 &&
	     reclaim_direct(numa_this_node(), FORK_RECLAIM_PAGES); tries++)
		mm = mm_dup(old, err);
	return mm;
}
