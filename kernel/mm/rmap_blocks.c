/*
 * The pte_chain blocks (see rmap.h): the slab cache they come from, each
 * CPU's one spare (rmap_prepare before the locks, rmap_unprepare after),
 * and fork's per-CPU reserve, taken in runs between rmap_bulk_begin and
 * rmap_bulk_end. rmap.c's chains take and free blocks through
 * rmap_blocks.h; rmap_check counts them here (rmap_spares,
 * rmap_chain_blocks) under every spare_lock.
 */
#include <kernel/rmap.h>
#include <kernel/slab.h>
#include <kernel/percpu.h>
#include <kernel/vmstat.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/numa.h>
#include "rmap_blocks.h"

static struct kmem_cache pte_chain_cache;
/* spare_lock[cpu]: cpus[cpu].rmap_spare. Filling the spare (allocate and
 * store) and emptying it (free and clear, or hand it to a chain) are each
 * one step under it, so rmap_check, holding every spare lock and every
 * mm->lock, sees each allocated block either in a chain or in a spare. */
static struct spinlock spare_lock[MAX_CPUS];

/* rmap_init: the cache, and every CPU's spare lock. */
void rmap_blocks_init(void)
{
	kmem_cache_init(&pte_chain_cache, "pte_chain", sizeof(struct pte_chain),
			CACHE_LINE);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		spin_init(&spare_lock[cpu], "rmap_spare");
}

/* Blocks the slab has handed out: in chains, spares and reserves. */
uint64_t rmap_chain_blocks(void)
{
	return kmem_cache_inuse(&pte_chain_cache);
}

/* ---- blocks: a slab cache, one spare per CPU, fork's reserve ---- */

static struct pte_chain *block_new(int node)
{
	struct pte_chain *pc = kmem_cache_alloc(&pte_chain_cache, node);

	if (pc) {
		memset(pc, 0, sizeof(*pc));
		count_vm_event(PTE_CHAIN_ALLOC);
	}
	return pc;
}

void rmap_block_free(struct pte_chain *pc)
{
	kmem_cache_free(&pte_chain_cache, pc);
	count_vm_event(PTE_CHAIN_FREE);
}

/* Does this CPU hold what rmap_add may need (a spare block)? */
bool rmap_ready(void)
{
	return !rmap_keeps_chains() || this_cpu()->rmap_spare;
}

/*
 * Fill this CPU's spare block. Call before taking mm->lock on a path that
 * may add a mapping: then rmap_add cannot fail for want of memory. (Numbat's
 * allocators never sleep, but the discipline is Linux's: allocate first,
 * lock second.) The kernel is not preemptive, so the spare is still this
 * CPU's when the locked code runs. rmap_unprepare() after the unlock
 * returns an unused spare to the slab, so nothing stays allocated.
 */
int rmap_prepare(void)
{
	struct cpu *c = this_cpu();
	int err = 0;

	if (!rmap_keeps_chains() || c->rmap_spare)
		return 0;
	spin_lock(&spare_lock[c->id]);
	c->rmap_spare = block_new(NUMA_NO_NODE);
	if (!c->rmap_spare)
		err = -ENOMEM;
	spin_unlock(&spare_lock[c->id]);
	return err;
}

void rmap_unprepare(void)
{
	struct cpu *c = this_cpu();

	if (!c->rmap_spare)
		return;
	spin_lock(&spare_lock[c->id]);
	rmap_block_free(c->rmap_spare);
	c->rmap_spare = NULL;
	spin_unlock(&spare_lock[c->id]);
}

/* Blocks held as spares: one per CPU at most, and a fork's reserve. The
 * caller holds every spare lock (rmap_lock_spares), so none is being
 * filled or drained; a fork taking reserved blocks holds the mm->locks
 * rmap_check holds, so none is being taken either. */
uint64_t rmap_spares(void)
{
	uint64_t n = 0;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		n += (cpus[cpu].rmap_spare != NULL) + cpus[cpu].rmap_reserved;
	return n;
}

/* count_vm_event n times, inline. */
static inline void rmap_events(enum vm_event e, uint64_t n)
{
	__atomic_fetch_add(&this_cpu()->vmstat[e], n, __ATOMIC_RELAXED);
}

#define RESERVE_RUN 64            /* blocks a reserve takes at a time: one slab */

/*
 * Blocks in bulk: when block_for (rmap.c) finds this CPU's reserve for
 * `node` empty, it takes a run of RESERVE_RUN blocks there from the slab
 * at once (kmem_cache_alloc_bulk: a few instructions a block, instead of a
 * slab lock round trip and a zeroing call each), while fork runs
 * (rmap_bulk_begin); rmap_bulk_end() after its unlock frees the rest.
 * fork makes most of the blocks a process ever needs (every page it
 * shares that another child already shares), thousands under one lock.
 * Callers hold an mm->lock (rmap_add), as rmap_check does all of them,
 * and this CPU's spare_lock is taken too, so the check counts each block
 * once: in a chain, in a spare or reserve, or free in the slab. 0 or
 * -ENOMEM.
 */
int rmap_reserve_fill(struct cpu *c, int node)
{
	unsigned got;

	spin_lock(&spare_lock[c->id]);
	got = kmem_cache_alloc_bulk(&pte_chain_cache, node, RESERVE_RUN,
				    &c->rmap_reserve[node]);
	c->rmap_reserved += got;
	spin_unlock(&spare_lock[c->id]);
	rmap_events(PTE_CHAIN_ALLOC, got);
	return got ? 0 : -ENOMEM;
}

/* fork, before its locks: blocks on this CPU come from its reserve, in
 * runs, until rmap_bulk_end(). */
void rmap_bulk_begin(void)
{
	this_cpu()->rmap_bulk = true;
}

/* fork, after its unlock (no spinlock held): back to one block at a time,
 * and the reserve's unused blocks are freed. */
void rmap_bulk_end(void)
{
	struct cpu *c = this_cpu();
	uint64_t freed = c->rmap_reserved;

	c->rmap_bulk = false;
	if (!freed)
		return;
	spin_lock(&spare_lock[c->id]);
	for (int nid = 0; nid < MAX_NODES; nid++)
		while (c->rmap_reserve[nid]) {
			void *pc = c->rmap_reserve[nid];
			c->rmap_reserve[nid] = *(void **)pc;
			kmem_cache_free(&pte_chain_cache, pc);
		}
	c->rmap_reserved = 0;
	spin_unlock(&spare_lock[c->id]);
	rmap_events(PTE_CHAIN_FREE, freed);
}

/* Every CPU's spare lock, in CPU order (rmap.h: after any mm->lock). */
void rmap_lock_spares(void)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		spin_lock(&spare_lock[cpu]);
}

void rmap_unlock_spares(void)
{
	for (int cpu = nr_cpus - 1; cpu >= 0; cpu--)
		spin_unlock(&spare_lock[cpu]);
}

/* A block for a chain of a page on `node`: a new one there if possible,
 * else the spare. Zeroed. */
struct pte_chain *rmap_block_get(int node)
{
	struct cpu *c = this_cpu();
	struct pte_chain *pc = c->rmap_spare;

	if (!pc || virt_to_page(pc)->node != node) {
		struct pte_chain *fresh = block_new(node);
		if (fresh)
			return fresh;
	}
	if (pc) {
		spin_lock(&spare_lock[c->id]);
		c->rmap_spare = NULL;
		spin_unlock(&spare_lock[c->id]);
	}
	return pc;
}
