/*
 * The pte_chain reverse map (see rmap.h for the picture and the lock
 * order). This file keeps the chains: the rmap= mode, the chain lock,
 * adding, removing and moving one mapping. Their blocks come from
 * rmap_blocks.c (spares, fork's reserve); rmap_walk.c walks them (and
 * try_to_unmap); rmap_check.c checks them against the page tables;
 * migrate.c uses them.
 */
#include <kernel/rmap.h>
#include <kernel/mm.h>
#include <kernel/percpu.h>
#include <kernel/vmstat.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/watchdog.h>
#include <kernel/numa.h>
#include "rmap_blocks.h"

enum rmap_mode rmap_mode;
bool rmap_scan_mode;
bool rmap_pairs;

/* Does every PTE's physical address, divided by 8, fit a pair's 32-bit
 * half? Page tables are in RAM, so: does all RAM lie below 32 GiB? */
static bool pairs_fit(void)
{
	int nid;

	for_each_online_node(nid)
		if (numa_nodes[nid].end_pfn > (PAIR_LIMIT >> PAGE_SHIFT))
			return false;
	return true;
}

static const char *const mode_names[] = {
	[RMAP_CHAIN] = "chain", [RMAP_SCAN] = "scan", [RMAP_OBJ] = "obj",
	[RMAP_HYBRID] = "hybrid",
};

static const char *const mode_lines[] = {
	[RMAP_CHAIN] = "pte_chain",
	[RMAP_SCAN] = "scan (no pte_chains; migration walks every page table)",
	[RMAP_OBJ] = "obj (no pte_chains; file pages through i_mmap, anonymous "
		     "pages through anon_vma)",
	[RMAP_HYBRID] = "hybrid (pte_chains for anonymous pages; file pages "
			"through i_mmap)",
};

/* rmap=chain|scan|obj|hybrid; anything else is reported, chains kept. */
static void parse_mode(void)
{
	const char *mode = cmdline_get("rmap");

/* LAB rmap: BEGIN make the pte_chain (yours) the default reverse map again */
	rmap_mode = RMAP_CHAIN;
/* LAB rmap: END */
/* LAB rmap: STUB
	rmap_mode = RMAP_OBJ;
*/
	for (int m = 0; mode && m < (int)ARRAY_SIZE(mode_names); m++)
		if (!strcmp(mode, mode_names[m]))
			rmap_mode = m;
	if (mode && strcmp(mode, mode_names[rmap_mode]))
		printk("rmap: unknown mode '%s', using pte_chains\n", mode);
	rmap_scan_mode = rmap_mode == RMAP_SCAN;
	/* Pairs wherever pages keep chains (rmap_chained). */
	const char *pairs = cmdline_get("rmap_pairs");
	bool chains = rmap_mode == RMAP_CHAIN || rmap_mode == RMAP_HYBRID;
	rmap_pairs = chains && pairs_fit() && !(pairs && !strcmp(pairs, "off"));
	if (rmap_mode != RMAP_CHAIN)
		printk("rmap: %s\n", mode_lines[rmap_mode]);
	else
		printk("rmap: pte_chain (%s)\n", rmap_pairs ? "direct, pair, chain" :
		       pairs_fit() ? "direct, chain: rmap_pairs=off" :
		       "direct, chain: RAM above 32 GiB, no pairs");
}

void rmap_init(void)
{
	rmap_blocks_init();
	parse_mode();
}

/* ---- the chain lock: a bit spinlock in page->lockbits ---- */

/*
 * The bit has no room for an owner, so each CPU lists the chain locks it
 * holds (struct cpu.chain_held, the first four; nr_chain_held counts them
 * all; rmap_add_fast in rmap.h keeps the same list inline). A task switch or a return to user mode with one held panics
 * (lock_assert_none_held), and a CPU that spins WATCHDOG_SECS on one is
 * reported with the CPU that holds it.
 */
static inline void chain_held_add(struct page *p)
{
	struct cpu *c = this_cpu();

	if (c->nr_chain_held++ < 4)
		c->chain_held[c->nr_chain_held - 1] = p;
}

/* Usually the last one taken: pop it; else find it and move the top there. */
static inline void chain_held_del(struct page *p)
{
	struct cpu *c = this_cpu();
	int top = --c->nr_chain_held;

	if (top >= 4)
		return;
	if (c->chain_held[top] != p)
		for (int i = 0; i < top; i++)
			if (c->chain_held[i] == p)
				c->chain_held[i] = c->chain_held[top];
	c->chain_held[top] = NULL;
}

/* The CPU whose list holds p's chain lock, or -1 (not listed). */
static int chain_holder(struct page *p)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		for (int i = 0; i < 4; i++)
			if (READ_ONCE(cpus[cpu].chain_held[i]) == p)
				return cpu;
	return -1;
}

/* The lock and unlock below, inline in this file: fork and exit take a
 * chain lock once per page, and a call each way was a tenth of that. */
static inline bool chain_trylock(struct page *p)
{
	if (__atomic_fetch_or(&p->lockbits, PL_CHAIN, __ATOMIC_ACQUIRE) & PL_CHAIN)
		return false;
	chain_held_add(p);
	return true;
}

bool pte_chain_trylock(struct page *p)
{
	return chain_trylock(p);
}

/* The slow path of pte_chain_lock: spin, and report a wait of
 * WATCHDOG_SECS with the CPU that holds the lock. */
static __attribute__((noinline)) void chain_wait(struct page *p)
{
	uint64_t spins = 0, start = 0;

	while (!pte_chain_trylock(p))
		while (READ_ONCE(p->lockbits) & PL_CHAIN) {
			cpu_relax();
			if (++spins % WATCHDOG_SPIN_CHECK == 0 &&
			    watchdog_spun_too_long(&start))
				watchdog_stuck("watchdog: cpu %d waited %d s for the pte_chain lock "
					       "of pfn %lx held by cpu %d", this_cpu_id(),
					       WATCHDOG_SECS, page_to_pfn(p), chain_holder(p));
		}
}

static inline void chain_lock(struct page *p)
{
	if (!chain_trylock(p))
		chain_wait(p);
}

static inline void chain_unlock(struct page *p)
{
	chain_held_del(p);
	__atomic_fetch_and(&p->lockbits, (uint8_t)~PL_CHAIN, __ATOMIC_RELEASE);
}

void pte_chain_lock(struct page *p)
{
	chain_lock(p);
}

void pte_chain_unlock(struct page *p)
{
	chain_unlock(p);
}

/* ---- add and remove (chain lock held) ---- */

/* count_vm_event, inline: a pair is made at fork and undone at exit for
 * every page, where a call is a noticeable part of the cost. */
static inline void rmap_event(enum vm_event e)
{
	__atomic_fetch_add(&this_cpu()->vmstat[e], 1, __ATOMIC_RELAXED);
}

/* Change p's reverse-map state flags: one atomic step flips each bit of
 * `bits` (PG_direct, PG_pair), since other flags of p change elsewhere. */
static inline void flip_state(struct page *p, uint32_t bits)
{
	__atomic_fetch_xor(&p->flags, bits, __ATOMIC_RELAXED);
}

/* A block for p's chain, its first `unused` slots zeroed (the caller
 * fills the rest and next_and_idx); NULL if there is no memory. While a
 * fork copies, from this CPU's reserve, inline: fork takes thousands. */
static inline struct pte_chain *block_for(struct page *p, unsigned unused)
{
	struct cpu *c = this_cpu();
	struct pte_chain *pc;

	if (!c->rmap_bulk)
		return rmap_block_get(p->node);
	if ((pc = rmap_reserve_take(c, p->node)))
		for (unsigned i = 0; i < unused; i++)
			pc->ptes[i] = 0;
	return pc ? pc : rmap_block_get(p->node);
}

/* A new chain of one block holding the n (<= NRPTE) PTEs of ptes[],
 * packed at the end: ptes[0] in the last slot. 0 or -ENOMEM. */
static inline int chain_new(struct page *p, const pte_addr_t *ptes, unsigned n)
{
/* LAB rmap: BEGIN a one-block chain holding the n PTEs of ptes[], packed at the block's end */
	struct pte_chain *pc = block_for(p, NRPTE - n);

	if (!pc)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		pc->ptes[NRPTE - 1 - i] = ptes[i];
	pc->next_and_idx = pte_chain_encode(NULL, NRPTE - n);
	p->pte.chain = pc;
	rmap_event(RMAP_DIRECT_TO_CHAIN);
	return 0;
/* LAB rmap: END */
/* LAB rmap: STUB
	panic("lab rmap: chain_new() is not written yet (pfn %lx, %u PTEs, docs/labs/rmap.md)",
	      page_to_pfn(p), n);
*/
}

/* The second mapping. With pairs: both PTEs in the page itself, no block
 * (what fork does to every page). Without: a one-block chain. */
static int direct_add(struct page *p, pte_addr_t pa)
{
	pte_addr_t first = p->pte.direct;

	if (!rmap_pairs) {
		pte_addr_t both[2] = { first, pa };
		int err = chain_new(p, both, 2);
		if (!err)
			page_clear_flag(p, PG_direct);
		return err;
	}
	p->pte.pair[0] = pair_half(first);
	p->pte.pair[1] = pair_half(pa);
	flip_state(p, PG_direct | PG_pair);
	rmap_event(RMAP_DIRECT_TO_PAIR);
	return 0;
}

/* The third mapping: the pair and pa move into a new one-block chain. */
static int pair_add(struct page *p, pte_addr_t pa)
{
	pte_addr_t three[3] = { pair_pte(p, 0), pair_pte(p, 1), pa };
	int err = chain_new(p, three, 3);

	if (!err)
		page_clear_flag(p, PG_pair);
	return err;
}

/* Into the head block's highest free slot, or a new head if it is full. */
static int chain_add(struct page *p, pte_addr_t pa)
{
/* LAB rmap: BEGIN pa into the head block's highest free slot, or into a new head block if it is full */
	struct pte_chain *head = p->pte.chain;
	unsigned idx = pte_chain_idx(head);

	if (idx > 0) {
		head->ptes[idx - 1] = pa;
		head->next_and_idx--;
		return 0;
	}
	struct pte_chain *pc = block_for(p, NRPTE - 1);
	if (!pc)
		return -ENOMEM;
	pc->ptes[NRPTE - 1] = pa;
	pc->next_and_idx = pte_chain_encode(head, NRPTE - 1);
	p->pte.chain = pc;
	return 0;
/* LAB rmap: END */
/* LAB rmap: STUB
	panic("lab rmap: chain_add() is not written yet (pfn %lx, docs/labs/rmap.md)",
	      page_to_pfn(p));
*/
}

/* rmap_add's work on a page that keeps a chain, its chain lock held (the
 * caller took it: rmap_chain_add, or rmap_add_fast in rmap.h). 0 or
 * -ENOMEM. */
int rmap_chain_add_locked(struct page *p, pte_addr_t pa)
{
	int err = 0;

	if (p->mapcount == 0) {
/* LAB rmap: BEGIN the first mapping: direct, no block */
		p->pte.direct = pa;
		page_set_flag(p, PG_direct);
/* LAB rmap: END */
/* LAB rmap: STUB
		panic("lab rmap: rmap_chain_add_locked() does not map a page once yet (pfn %lx, "
		      "docs/labs/rmap.md)", page_to_pfn(p));
*/
	} else if (p->flags & PG_direct) {
		err = direct_add(p, pa);
	} else if (p->flags & PG_pair) {
		err = pair_add(p, pa);
	} else {
		err = chain_add(p, pa);
	}
	if (!err)
		p->mapcount++;
	return err;
}

/* rmap_add (rmap.h) of a page that keeps a chain: takes its chain lock. */
int rmap_chain_add(struct page *p, pte_addr_t pa)
{
	chain_lock(p);
	int err = rmap_chain_add_locked(p, pa);
	chain_unlock(p);
	return err;
}

/* Take pa out of the chain: the head's lowest used entry fills the hole,
 * and the head block is freed when that empties it. */
static bool chain_remove(struct page *p, pte_addr_t pa)
{
/* LAB rmap: BEGIN find pa, fill its slot with the head's lowest entry, free the head if that empties it */
	struct pte_chain *start = p->pte.chain;
	unsigned victim = pte_chain_idx(start);

	for (struct pte_chain *pc = start; pc; pc = pte_chain_next(pc)) {
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++) {
			if (pc->ptes[i] != pa)
				continue;
			pc->ptes[i] = start->ptes[victim];
			start->ptes[victim] = 0;
			if (victim == NRPTE - 1) {
				p->pte.chain = pte_chain_next(start);
				rmap_block_free(start);
			} else {
				start->next_and_idx++;
			}
			return true;
		}
	}
	return false;
/* LAB rmap: END */
/* LAB rmap: STUB
	panic("lab rmap: chain_remove() is not written yet (pfn %lx, docs/labs/rmap.md)",
	      page_to_pfn(p));
*/
}

/* One mapping of a pair goes: the other is direct again. False if pa is
 * in neither half. */
static bool pair_remove(struct page *p, pte_addr_t pa)
{
	pte_addr_t a = pair_pte(p, 0), b = pair_pte(p, 1);

	if (pa != a && pa != b)
		return false;
	p->pte.direct = pa == a ? b : a;
	flip_state(p, PG_direct | PG_pair);
	rmap_event(RMAP_PAIR_TO_DIRECT);
	return true;
}

/* A chain down to two mappings (pairs) or one (no pairs): it is then one
 * block (blocks behind the head are full), used from the end; its entries
 * go back into the page, and the block is freed. */
static void chain_shrink(struct page *p)
{
/* LAB rmap: BEGIN the chain's last entries go back into the page (pair, or direct), its block is freed */
	struct pte_chain *pc = p->pte.chain;

	if (rmap_pairs) {
		p->pte.pair[0] = pair_half(pc->ptes[NRPTE - 1]);
		p->pte.pair[1] = pair_half(pc->ptes[NRPTE - 2]);
		page_set_flag(p, PG_pair);
	} else {
		p->pte.direct = pc->ptes[NRPTE - 1];
		page_set_flag(p, PG_direct);
	}
	rmap_block_free(pc);
	count_vm_event(RMAP_CHAIN_TO_DIRECT);
/* LAB rmap: END */
/* LAB rmap: STUB
	panic("lab rmap: chain_shrink() is not written yet (pfn %lx, docs/labs/rmap.md)",
	      page_to_pfn(p));
*/
}

/* rmap_remove with p's chain lock already held. Panics if pa does not map
 * p: the reverse map and the page tables disagree. */
static inline void remove_locked(struct page *p, pte_addr_t pa)
{
	if (p->flags & PG_direct) {
/* LAB rmap: BEGIN the only mapping goes: check it is pa, and leave no reverse map */
		if (p->pte.direct != pa)
			panic("rmap_remove: pte %lx is not the direct mapping of pfn %lx",
			      pa, page_to_pfn(p));
		p->pte.direct = 0;
		page_clear_flag(p, PG_direct);
/* LAB rmap: END */
/* LAB rmap: STUB
		panic("lab rmap: remove_locked() does not unmap a direct page yet (pfn %lx, "
		      "docs/labs/rmap.md)", page_to_pfn(p));
*/
	} else if (p->flags & PG_pair) {
		if (!pair_remove(p, pa))
			panic("rmap_remove: pte %lx is not in the pair of pfn %lx",
			      pa, page_to_pfn(p));
	} else if (p->mapcount < 2 || !chain_remove(p, pa)) {
		panic("rmap_remove: pte %lx not in the chain of pfn %lx", pa, page_to_pfn(p));
	}
	if (--p->mapcount == (rmap_pairs ? 2 : 1) && !(p->flags & (PG_direct | PG_pair)))
		chain_shrink(p);
}

void rmap_remove_locked(struct page *p, pte_addr_t pa)
{
	remove_locked(p, pa);
}

/* The PTE at pa no longer maps p. Caller holds the PTE's mm->lock. */
void rmap_remove(struct page *p, pte_addr_t pa)
{
	if (!rmap_chained(p)) {
		__atomic_fetch_sub(&p->mapcount, 1, __ATOMIC_RELAXED);
		return;
	}
	chain_lock(p);
	remove_locked(p, pa);
	chain_unlock(p);
}

/* From a walk's fn (rmap_walk.c): the chain lock is held already (chain
 * walks only). */
void rmap_walk_remove(struct page *p, pte_addr_t pa)
{
	if (rmap_chained(p))
		rmap_remove_locked(p, pa);
	else
		__atomic_fetch_sub(&p->mapcount, 1, __ATOMIC_RELAXED);
}

/* The chain slot that holds pa, or NULL (chain lock held). */
static pte_addr_t *chain_slot(struct page *p, pte_addr_t pa)
{
	for (struct pte_chain *pc = p->pte.chain; pc; pc = pte_chain_next(pc))
		for (unsigned i = pte_chain_idx(pc); i < NRPTE; i++)
			if (pc->ptes[i] == pa)
				return &pc->ptes[i];
	return NULL;
}

/*
 * mremap moved the PTE that maps p from old_pa to new_pa (same mm): the
 * reverse map now names the new address. The entry is rewritten where it
 * is (direct, pair half or chain slot), so the state, the map count and
 * the blocks stay as they were and nothing can fail. Caller holds the
 * mm->lock of the PTE's mm; takes p's chain lock. Pages without a chain
 * (rmap=scan, obj, hybrid file pages) have nothing to rewrite: their walks
 * find the PTE from the page tables or the VMA. Panics if old_pa does not
 * map p (the reverse map and the page tables disagree).
 */
void rmap_move(struct page *p, pte_addr_t old_pa, pte_addr_t new_pa)
{
	pte_addr_t *slot;

	if (!rmap_chained(p))
		return;
	chain_lock(p);
	if (p->flags & PG_direct) {
		if (p->pte.direct != old_pa)
			goto bad;
		p->pte.direct = new_pa;
	} else if (p->flags & PG_pair) {
		int i = pair_pte(p, 0) == old_pa ? 0 : pair_pte(p, 1) == old_pa ? 1 : -1;
		if (i < 0)
			goto bad;
		p->pte.pair[i] = pair_half(new_pa);   /* rmap_pairs: all RAM fits */
	} else if (p->mapcount >= 2 && (slot = chain_slot(p, old_pa))) {
		*slot = new_pa;
	} else {
		goto bad;
	}
	chain_unlock(p);
	return;
bad:
	panic("rmap_move: pte %lx does not map pfn %lx", old_pa, page_to_pfn(p));
}

