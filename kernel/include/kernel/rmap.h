/*
 * The reverse map (Linux 2.5's pte_chains): for each page, the PTEs that
 * map it, so that migration (and later reclaim) can find and change every
 * mapping of a frame without walking every address space.
 *
 *   struct page                    pte_chain (64 bytes, 64-aligned)
 *   +--------------+               +-------------+------------------------+
 *   | PG_direct: 1 |               | next | idx  | ptes[0..6]             |
 *   | pte.direct --+--> one PTE    +-------------+------------------------+
 *   +--------------+
 *   | PG_pair: 1   |
 *   | pte.pair[0] -+--> first PTE / 8   (32 bits each)
 *   | pte.pair[1] -+--> second PTE / 8
 *   +--------------+
 *   | both 0       |    head block                  full block
 *   | pte.chain ---+--> [next|idx=4][0 0 0 0 a b c] -> [NULL|0][d e f g h i j]
 *   +--------------+     free slots first, used from idx up
 *
 * A pte_addr_t is the physical address of a PTE; the page-table page that
 * holds it records its mm (page->mapping) and the first address it maps
 * (page->index), which gives back the mm and the virtual address.
 *
 * The states, by mapcount (the invariants rmap_check tests):
 *   0   no flag, pte.chain NULL;
 *   1   PG_direct: pte.direct is the PTE;
 *   2   PG_pair: the two PTEs' addresses divided by 8 in pte.pair[0..1],
 *       no block (fork makes every page of its parent a pair);
 *   3+  neither flag: a chain, packed as drawn.
 * A pair needs every PTE address below 32 GiB (PAIR_LIMIT): rmap_pairs
 * says all RAM is; on a larger machine (or with the boot option
 * rmap_pairs=off, to compare) there are no pairs and a chain starts at
 * two mappings, as in Linux 2.5. Adding the mapping that
 * outgrows a state converts at once (direct -> pair -> chain); a removal
 * that leaves a chain with two (one without pairs) mappings, which are then
 * alone in one block, goes back to a pair (direct) and frees the block,
 * and a pair that loses one is direct again.
 *
 * The pte_chain lock is bit PL_CHAIN of page->lockbits. It protects
 * pte.direct/pair/chain, PG_direct, PG_pair and page->mapcount.
 *
 * Locks: the whole kernel's order is in lock_order.h. For the reverse
 * map: fork takes the parent's mm->lock and then the child's (nobody else
 * can know the child yet). Code that holds a chain lock and needs an
 * mm->lock (try_to_unmap, migration) goes against the order, so it only
 * tries (spin_trylock) and answers RMAP_AGAIN when the lock is busy; the
 * caller drops everything and retries. rmap_check, which wants every
 * mm->lock at once, never runs in the fault path (a fault in a user copy
 * holds the file system's lock; the checker used to hang there): the fault
 * only notes that a check is due, and the CPU runs it on its next return
 * to user mode, where it holds no lock (asserted), taking mm_list_lock,
 * then each mm->lock with spin_trylock (all or none, retrying after a
 * yield), and last every spare_lock.
 *
 * Allocation: a third mapping (a second one without pairs) needs a
 * pte_chain block. rmap_prepare()
 * fills this CPU's one-block spare before any spinlock is taken (Linux's
 * pte_chain_alloc); rmap_add takes it under the locks; rmap_unprepare()
 * frees it after the unlock if it was not used. The fault handler does
 * this only for file pages: anonymous and COW faults make a page's first
 * mapping, which is direct and needs no block. fork (mm_dup), which may
 * need thousands (every page an earlier child still shares), takes them
 * from this CPU's reserve between rmap_bulk_begin() and rmap_bulk_end():
 * runs of a slab page's worth, taken under its locks as the copy needs
 * them (Numbat's slab never sleeps), the rest freed after the unlock;
 * fork fails with -ENOMEM if a block cannot be had.
 *
 * With the boot option rmap=scan no chains are kept at all (only
 * mapcount), and migration finds a frame's PTEs by walking every page
 * table of every process, as kernels before 2.5 had to. rmap=obj and
 * rmap=hybrid keep no chains for file pages (hybrid) or for any page
 * (obj) either: see rmap_mode below and rmap_obj.c.
 */
#ifndef KERNEL_RMAP_H
#define KERNEL_RMAP_H

#include <kernel/page.h>
#include <kernel/list.h>
#include <kernel/spinlock.h>
#include <kernel/percpu.h>
#include <kernel/vmstat.h>

#define CACHE_LINE 64
#define NRPTE ((CACHE_LINE - sizeof(unsigned long)) / sizeof(pte_addr_t))

struct pte_chain {
	unsigned long next_and_idx;   /* next block | index of first used slot */
	pte_addr_t ptes[NRPTE];
} __attribute__((aligned(CACHE_LINE)));

_Static_assert(sizeof(struct pte_chain) == CACHE_LINE, "a pte_chain is one cache line");
_Static_assert((NRPTE & (NRPTE + 1)) == 0, "NRPTE + 1 must be a power of two");

static inline struct pte_chain *pte_chain_next(const struct pte_chain *pc)
{
	return (struct pte_chain *)(pc->next_and_idx & ~(unsigned long)NRPTE);
}

static inline unsigned pte_chain_idx(const struct pte_chain *pc)
{
	return pc->next_and_idx & NRPTE;
}

static inline unsigned long pte_chain_encode(struct pte_chain *next, unsigned idx)
{
	return (unsigned long)next | idx;
}

/* Try-results of try_to_unmap (Linux 2.5's SWAP_*). */
enum { RMAP_SUCCESS, RMAP_AGAIN, RMAP_FAIL };

struct mm;

/*
 * Visit the PTEs of p (its chain lock held) whose mm->lock can be taken
 * now: the lock is only tried, since it comes before the chain lock in the
 * lock order. fn runs with that mm->lock held and returns true if it
 * changed p's chain (the walk then starts over). RMAP_SUCCESS, or
 * RMAP_AGAIN if some mm->lock was busy (the caller drops its locks and
 * retries). try_to_unmap and migration's unmap pass are built on it.
 */
typedef bool (*rmap_pte_fn)(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va,
			    void *arg);
int rmap_walk_trylock(struct page *p, rmap_pte_fn fn, void *arg);

/*
 * How the kernel finds the PTEs of a page (boot option rmap=):
 *   chain   (default) every page keeps its pte_chain (above);
 *   scan    no reverse map: walk every page table of every process;
 *   obj     no per-page chain: a file page's address_space lists the VMAs
 *           that map the file (i_mmap), an anonymous page's anon_vma the
 *           VMAs that may map it (rmap_obj.c); each VMA's page table then
 *           says whether it does;
 *   hybrid  pte_chains for anonymous pages, objects for file pages.
 */
enum rmap_mode { RMAP_CHAIN, RMAP_SCAN, RMAP_OBJ, RMAP_HYBRID };
extern enum rmap_mode rmap_mode;
extern bool rmap_scan_mode;       /* rmap=scan: no chains */
extern bool rmap_pairs;           /* two mappings as a pair (not rmap=scan or
				     rmap_pairs=off, RAM < 32 GiB) */

/* A pair half: a PTE's physical address / 8 (PTEs are 8-byte aligned), so
 * 32 bits reach PTEs below PAIR_LIMIT. */
#define PAIR_LIMIT (1UL << 35)

static inline uint32_t pair_half(pte_addr_t pa)
{
	return (uint32_t)(pa >> 3);
}

static inline pte_addr_t pair_pte(const struct page *p, int i)
{
	return (pte_addr_t)p->pte.pair[i] << 3;
}

/* Does p keep a pte_chain (rmap_add/rmap_remove maintain it)? PG_anon
 * never changes while a page is mapped, so neither does the answer. */
static inline bool rmap_chained(const struct page *p)
{
	return rmap_mode == RMAP_CHAIN || (rmap_mode == RMAP_HYBRID && (p->flags & PG_anon));
}
/* Does any page keep a pte_chain in this mode? */
static inline bool rmap_keeps_chains(void)
{
	return rmap_mode == RMAP_CHAIN || rmap_mode == RMAP_HYBRID;
}

/*
 * Would one more mapping of p take a block (pair -> chain, or a full head
 * block)? Read without the chain lock, so only an estimate: fork counts
 * with it the blocks to reserve. The chain is packed, so its head is full
 * when mapcount is a multiple of NRPTE.
 */
static inline bool rmap_add_needs_block(const struct page *p)
{
	int32_t m = __atomic_load_n(&p->mapcount, __ATOMIC_RELAXED);

	if (!rmap_chained(p))
		return false;
	if (m == (rmap_pairs ? 2 : 1))
		return true;
	return m > 2 && m % NRPTE == 0;
}

/* Are file pages / anonymous pages found through their objects? */
static inline bool rmap_file_obj(void)
{
	return rmap_mode == RMAP_OBJ || rmap_mode == RMAP_HYBRID;
}
static inline bool rmap_anon_obj(void)
{
	return rmap_mode == RMAP_OBJ;
}

/*
 * The one walk every user of the reverse map goes through (try_to_unmap,
 * migration's unmap and remap passes, reclaim's page_referenced and
 * unmap, replication, rmap_check): visit every PTE that maps p, however
 * the mode finds them (a chain, every page table, or the page's object).
 *
 * The caller holds a reference on p and no spinlock; to change the PTEs
 * it also holds p's page lock (PL_LOCKED), so no fault maps p meanwhile.
 * fn runs with the PTE's mm->lock held and returns true if the PTE no
 * longer maps p (it dropped p's mapcount: rmap_walk_remove, or migration
 * moving the mapping to the new frame). mm->locks are only tried
 * (chain and object walks run under a lock that comes after mm->lock):
 * RMAP_AGAIN if one was busy and its PTEs were skipped (drop everything,
 * yield, try again), else RMAP_SUCCESS. rmap=scan takes every mm->lock
 * in turn and never answers RMAP_AGAIN.
 */
int rmap_walk(struct page *p, rmap_pte_fn fn, void *arg);
/* The same, but rmap=scan stops once it has seen as many PTEs as p's map
 * count (reclaim's page_referenced and unmap). */
int rmap_walk_mapped(struct page *p, rmap_pte_fn fn, void *arg);
/*
 * The same, for a caller that only reads (the NUMA-hint fault asking who
 * else maps p) and may hold one mm->lock, held's: its PTEs are visited
 * under that lock. With chains fn runs with no mm->lock at all, so it may
 * read only what needs none (mm->numa_home). rmap=scan cannot do this
 * (it would take mm_list_lock under an mm->lock): RMAP_FAIL.
 */
int rmap_walk_peek(struct page *p, struct mm *held, rmap_pte_fn fn, void *arg);
/* From inside a walk's fn: the PTE at pa (just cleared) no longer maps p. */
void rmap_walk_remove(struct page *p, pte_addr_t pa);

#define RMAP_WALK_FROZEN 1U       /* the caller holds every mm->lock and
				     rmap_obj_lock (rmap_check) */
/* rmap_obj.c: the object walk (rmap_walk for a page without a chain). */
int rmap_obj_walk(struct page *p, rmap_pte_fn fn, void *arg, struct mm *held,
		  unsigned flags);
/* rmap_check: the mode's walk with every mm->lock, and rmap_obj_lock,
 * already held. */
int rmap_walk_frozen(struct page *p, rmap_pte_fn fn, void *arg);

/*
 * Keeping the objects (rmap_obj.c), called wherever a VMA is made, copied
 * or destroyed, with its mm->lock held (vma.c, fork; mremap too):
 *   rmap_vma_new(v)      a new VMA (mm, start, inode, flags set): joins
 *                        its file's i_mmap and gets an anon_vma (rmap=obj,
 *                        private); sets anon_pgoff. 0 or -ENOMEM;
 *   rmap_vma_copy(n, v)  n = *v with its own mm/start/pgoffs: a split
 *                        half or a fork copy; joins v's lists;
 *   rmap_vma_unlink(v)   v is going (its PTEs already emptied);
 *   rmap_anon_page(p, v, va)  a new anonymous page of v at va: its
 *                        anon_vma and linear index.
 * A VMA that moves (mremap) keeps anon_pgoff and pgoff and its lists.
 */
struct vma;
extern struct spinlock rmap_obj_lock;
int rmap_vma_new(struct vma *v);
void rmap_vma_copy(struct vma *n, struct vma *v);
void rmap_vma_unlink(struct vma *v);
void rmap_anon_page(struct page *p, struct vma *v, uint64_t va);

void rmap_init(void);
bool rmap_ready(void);            /* a spare is at hand (or not needed) */
int rmap_prepare(void);           /* before locks: 0 or -ENOMEM */
void rmap_unprepare(void);        /* after them: free an unused spare */
/* fork: chain blocks in runs of a slab's worth from this CPU's reserve
 * between begin (before the locks) and end (after: frees the rest). */
void rmap_bulk_begin(void);
void rmap_bulk_end(void);
void rmap_lock_spares(void);      /* rmap_check: every CPU's spare lock */
void rmap_unlock_spares(void);
uint64_t rmap_spares(void);       /* spare and reserved blocks; spares locked */
/* rmap_add of a page with a chain (rmap.c): taking its chain lock, or
 * with it held (the inline paths below take it themselves). */
int rmap_chain_add(struct page *p, pte_addr_t pa);
int rmap_chain_add_locked(struct page *p, pte_addr_t pa);

/*
 * Record that the PTE at physical address pa maps p. The caller holds the
 * PTE's mm->lock (not p's chain lock). 0, or -ENOMEM when no block could
 * be had (only the third mapping and later need one; never after
 * rmap_prepare on this path); the PTE must not be set then. Inline: a
 * page without a chain needs only its count, and fork does this for
 * every page it shares.
 */
static inline int rmap_add(struct page *p, pte_addr_t pa)
{
	if (!rmap_chained(p)) {             /* the count is all there is */
		__atomic_fetch_add(&p->mapcount, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return rmap_chain_add(p, pa);
}

/* rmap_add_fast's steps, p's chain lock held (c is this CPU). A direct
 * page's second mapping: the pair (rmap.c's direct_add). */
static inline void rmap_pair_new(struct cpu *c, struct page *p, pte_addr_t pa)
{
	pte_addr_t first = p->pte.direct;

	p->pte.pair[0] = pair_half(first);
	p->pte.pair[1] = pair_half(pa);
	__atomic_fetch_xor(&p->flags, PG_direct | PG_pair, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->vmstat[RMAP_DIRECT_TO_PAIR], 1, __ATOMIC_RELAXED);
	p->mapcount++;
}

/* The PTE at pa of a pair goes: the other one is direct again (rmap.c's
 * pair_remove). False if pa is in neither half. */
static inline bool rmap_pair_drop(struct cpu *c, struct page *p, pte_addr_t pa)
{
	pte_addr_t a = pair_pte(p, 0), b = pair_pte(p, 1);

	if (pa != a && pa != b)
		return false;
	p->pte.direct = pa == a ? b : a;
	__atomic_fetch_xor(&p->flags, PG_direct | PG_pair, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->vmstat[RMAP_PAIR_TO_DIRECT], 1, __ATOMIC_RELAXED);
	p->mapcount--;
	return true;
}

/* A pair's third mapping, with a block from this CPU's non-empty reserve
 * on p's node (a fork is copying: rmap_blocks.h's rmap_reserve_take and rmap.c's
 * pair_add):
 * the three PTEs packed at the end of the block, the rest zero. */
static inline void rmap_pair_to_chain(struct cpu *c, struct page *p, pte_addr_t pa)
{
	struct pte_chain *pc = c->rmap_reserve[p->node];

	c->rmap_reserve[p->node] = *(void **)pc;
	c->rmap_reserved--;
	for (unsigned i = 0; i < NRPTE - 3; i++)
		pc->ptes[i] = 0;
	pc->ptes[NRPTE - 3] = pa;
	pc->ptes[NRPTE - 2] = pair_pte(p, 1);
	pc->ptes[NRPTE - 1] = pair_pte(p, 0);
	pc->next_and_idx = pte_chain_encode(NULL, NRPTE - 3);
	p->pte.chain = pc;
	__atomic_fetch_and(&p->flags, ~(uint32_t)PG_pair, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->vmstat[RMAP_DIRECT_TO_CHAIN], 1, __ATOMIC_RELAXED);
	p->mapcount++;
}

/*
 * rmap_add for fork, which shares thousands of pages under one lock: the
 * common case of a page with a chain inline, with no call at all. The
 * chain lock is taken at the first try and listed in this CPU's
 * chain_held, as rmap.c's chain_lock does; a page's second mapping makes
 * it a pair, and its third a chain with a block from fork's reserve
 * (rmap_bulk_begin); anything else goes to rmap_chain_add_locked under
 * the lock, and a busy lock (or a fifth held) to rmap_chain_add, which
 * waits.
 * Same contract as rmap_add.
 */
static inline int rmap_add_fast(struct page *p, pte_addr_t pa)
{
	if (!rmap_chained(p))
		return rmap_add(p, pa);
	struct cpu *c = this_cpu();
	int top = c->nr_chain_held, err = 0;

	if (top >= 4 || (__atomic_fetch_or(&p->lockbits, PL_CHAIN, __ATOMIC_ACQUIRE) & PL_CHAIN))
		return rmap_chain_add(p, pa);
	c->chain_held[top] = p;
	c->nr_chain_held = top + 1;
	if ((p->flags & PG_direct) && rmap_pairs)
		rmap_pair_new(c, p, pa);
	else if ((p->flags & PG_pair) && c->rmap_bulk && c->rmap_reserve[p->node])
		rmap_pair_to_chain(c, p, pa);
	else
		err = rmap_chain_add_locked(p, pa);
	c->chain_held[top] = NULL;
	c->nr_chain_held = top;
	__atomic_fetch_and(&p->lockbits, (uint8_t)~PL_CHAIN, __ATOMIC_RELEASE);
	return err;
}
void rmap_remove(struct page *p, pte_addr_t pte);
void rmap_remove_locked(struct page *p, pte_addr_t pte);  /* chain lock held */
/* mremap moved a PTE of p within its mm: the map names the new address
 * (rmap.c; caller holds that mm->lock; cannot fail). */
void rmap_move(struct page *p, pte_addr_t old_pa, pte_addr_t new_pa);

void pte_chain_lock(struct page *p);
void pte_chain_unlock(struct page *p);
bool pte_chain_trylock(struct page *p);

/* The PTEs of a page, in chain order; caller holds the chain lock.
 *   struct rmap_iter it = RMAP_ITER_INIT(p);  while ((pa = rmap_next(&it))) ... */
struct rmap_iter {
	struct page *page;
	struct pte_chain *pc;
	unsigned i;
	bool started;
};
#define RMAP_ITER_INIT(p) { (p), NULL, 0, false }
pte_addr_t rmap_next(struct rmap_iter *it);

/* From a PTE's physical address: its mm and the virtual address it maps. */
struct mm *rmap_pte_mm(pte_addr_t pte, uint64_t *va);

/* Unmap every PTE of p (clear it, drop the mapping). Caller holds p's page
 * lock, no spinlocks. RMAP_SUCCESS: no mappings left; RMAP_AGAIN: some
 * mm->lock was busy, try again; RMAP_FAIL: not allowed (a page-table page
 * or kernel page). */
int try_to_unmap(struct page *p);

/* Chain statistics: blocks in use (all nodes). */
uint64_t rmap_chain_blocks(void);

/* Check that every page table and the reverse map agree (rmap_check.c).
 * Returns the number of errors, reporting each (up to a limit) to out, or
 * -ENOMEM if there was no memory to make the check. */
struct pbuf;
int rmap_check(struct pbuf *out);
void rmap_check_fault_tick(void); /* rmap_check=N: a check is owed every N faults */
void rmap_check_user_return(void);/* pay it, at return to user mode */
void rmap_check_init(void);
bool rmap_check_running(void);    /* a check wants or holds every mm->lock */

/* Every address space, for rmap_check and rmap=scan (mm.c). Lock order:
 * mm_list_lock before any mm->lock. */
extern struct list_head mm_list;
extern struct spinlock mm_list_lock;

/*
 * rmap_remove for exit and munmap, which unmap thousands of pages under one
 * lock: a page without a chain, or a pair losing one of its two PTEs (what
 * the exit of a fork child does to every page), inline, with the chain
 * lock taken as rmap_add_fast takes it; anything else rmap_remove_locked
 * (which panics if pa does not map p), or rmap_remove when the lock is
 * busy. Same contract as rmap_remove.
 */
static inline void rmap_remove_fast(struct page *p, pte_addr_t pa)
{
	if (!rmap_chained(p)) {
		__atomic_fetch_sub(&p->mapcount, 1, __ATOMIC_RELAXED);
		return;
	}
	struct cpu *c = this_cpu();
	int top = c->nr_chain_held;

	if (top >= 4 || (__atomic_fetch_or(&p->lockbits, PL_CHAIN, __ATOMIC_ACQUIRE) & PL_CHAIN)) {
		rmap_remove(p, pa);
		return;
	}
	c->chain_held[top] = p;
	c->nr_chain_held = top + 1;
	if (!(p->flags & PG_pair) || !rmap_pair_drop(c, p, pa))
		rmap_remove_locked(p, pa);
	c->chain_held[top] = NULL;
	c->nr_chain_held = top;
	__atomic_fetch_and(&p->lockbits, (uint8_t)~PL_CHAIN, __ATOMIC_RELEASE);
}

#endif
