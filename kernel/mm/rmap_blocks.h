/*
 * What rmap.c's chains take from rmap_blocks.c: a block for a chain, and
 * its return to the slab. Local to kernel/mm/ (rmap.c and rmap_blocks.c);
 * the rest of the kernel sees only rmap.h. The locks are rmap.h's: the
 * callers hold an mm->lock and p's chain lock; a spare_lock is taken
 * inside, after both.
 */
#ifndef MM_RMAP_BLOCKS_H
#define MM_RMAP_BLOCKS_H

#include <kernel/rmap.h>
#include <kernel/percpu.h>

void rmap_blocks_init(void);
/* A zeroed block on `node` if it has one, else this CPU's spare (taken
 * from it); NULL if neither. */
struct pte_chain *rmap_block_get(int node);
void rmap_block_free(struct pte_chain *pc);
/* A run of blocks on `node` onto this CPU's reserve: 0 or -ENOMEM. */
int rmap_reserve_fill(struct cpu *c, int node);

/* A block from this CPU's reserve on `node` (a new run if it is empty),
 * not zeroed; NULL if the node has no memory for one. The caller holds
 * an mm->lock, which rmap_check also holds: it never sees a block half
 * taken, so no spare_lock here. */
static inline struct pte_chain *rmap_reserve_take(struct cpu *c, int node)
{
	struct pte_chain *pc = c->rmap_reserve[node];

	if (!pc && (rmap_reserve_fill(c, node) || !(pc = c->rmap_reserve[node])))
		return NULL;
	c->rmap_reserve[node] = *(void **)pc;
	c->rmap_reserved--;
	return pc;
}

#endif
