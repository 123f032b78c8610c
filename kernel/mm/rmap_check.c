/*
 * rmap_check: do the page tables and the reverse map describe the same
 * set of (frame, PTE) pairs?
 *
 * It stops every change first: with mm_list_lock and every mm->lock held
 * no PTE, chain or map count can change (they all change under the lock
 * of the PTE's mm; migration's hand-over holds them all too). Then:
 *
 *   1. every non-empty PTE of every mm (present, or a migration entry)
 *      names a frame we manage, sits in a page table whose struct page
 *      names that mm and address, and is in the frame's chain; PTEs are
 *      counted per frame;
 *   2. every frame's mapcount equals the PTEs counted for it, and (with
 *      chains) its reverse map is in the state rmap.h gives for that
 *      count: direct for one, a pair of two different PTEs for two (if
 *      rmap_pairs), else a chain packed as rmap.h draws it: full blocks
 *      behind a head whose free slots are at the front and zero,
 *      mapcount entries; each entry points at a PTE that maps the frame;
 *   3. the blocks in chains plus the per-CPU spares are all the blocks
 *      the slab cache has handed out (none leaked). Spares are filled and
 *      emptied outside every mm->lock, so this step also holds every
 *      CPU's spare lock (rmap.c): a block is never between the slab and
 *      a spare while we count.
 *
 * 1 and 2 together: each PTE is in its frame's chain, each chain entry is
 * a PTE of that frame, and the counts agree, so the two sets are equal.
 *
 * A page without a chain (rmap=obj; file pages under rmap=hybrid) is
 * checked by its walk instead: in step 2 the walk through its object
 * (rmap_walk_frozen) must report exactly mapcount PTEs, each mapping the
 * frame; they are distinct, so with step 1's count they are every PTE
 * that maps it, and nothing else. A 4th step checks that every VMA
 * names its mm and is linked on its i_mmap and anon_vma lists. Under
 * rmap=scan the walk is the page tables themselves: steps 1-2 compare
 * the counts only.
 *
 * /proc/rmap_check runs it when opened and shows "ok" or the errors; the
 * boot option rmap_check=N runs it every N page faults (and panics on an
 * error, so a stress run cannot miss one): the fault that makes N only
 * notes it, and its CPU runs the check when it next returns to user mode,
 * holding no lock. Never in the fault path itself: see lock_order.h and
 * rmap.h.
 */
#include <kernel/swap.h>
#include <kernel/rmap.h>
#include <kernel/mm.h>
#include <kernel/numa.h>
#include <kernel/slab.h>
#include <kernel/percpu.h>
#include <kernel/procfs.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/sched.h>
#include <kernel/vmstat.h>
#include <kernel/watchdog.h>
#include <stdarg.h>

#define MAX_REPORTS 16

struct check {
	struct pbuf *out;           /* NULL: printk */
	int errors;
	uint64_t blocks;            /* pte_chain blocks seen in chains */
	uint32_t *count[MAX_NODES]; /* PTEs seen per frame, by node */
	bool reserved;              /* count[] is the boot-time reserve */
};

/* With rmap_check=N the count arrays are allocated once at boot, so that
 * the checks still run when memory is short (under reclaim, where they
 * matter most). reserve_busy (atomic): a check is using them. */
static uint32_t *reserve[MAX_NODES];
static int reserve_busy;

static void report(struct check *c, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	if (c->errors++ >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->out)
		pbuf_printf(c->out, "%s\n", line);
	else
		printk("rmap_check: %s\n", line);
}

/* ---- freezing: every mm->lock, or none ---- */

/* Checks that want or hold every mm->lock (atomic; checks on two CPUs
 * take turns in freeze). Reclaim waits while it is non-zero: each page it
 * tries would find every mm->lock busy, and its spinning vCPU would take
 * host time from the one that checks. */
static int checks_running;

bool rmap_check_running(void)
{
	return READ_ONCE(checks_running) != 0;
}

static void unlock_mms(struct list_head *upto)
{
	for (struct list_head *l = mm_list.next; l != upto; l = l->next)
		spin_unlock(&list_entry(l, struct mm, mm_node)->lock);
}

static void freeze(void)
{
	for (;;) {
		struct list_head *l;
		spin_lock(&mm_list_lock);
		for (l = mm_list.next; l != &mm_list; l = l->next)
			if (!spin_trylock(&list_entry(l, struct mm, mm_node)->lock))
				break;
		if (l == &mm_list) {
			watchdog_hold_world(true);   /* everyone else waits on us */
			return;
		}
		unlock_mms(l);
		spin_unlock(&mm_list_lock);
		sched_yield();
	}
}

static void thaw(void)
{
	watchdog_hold_world(false);
	unlock_mms(&mm_list);
	spin_unlock(&mm_list_lock);
}

/* ---- 1: from the page tables ---- */

static bool in_chain(struct page *p, pte_addr_t pa)
{
	struct rmap_iter it = RMAP_ITER_INIT(p);
	pte_addr_t e;

	while ((e = rmap_next(&it)))
		if (e == pa)
			return true;
	return false;
}

/* rmap=obj/hybrid: what the walk through the page's object reports. */
struct obj_seen {
	int n;                      /* how many PTEs, */
	int wrong;                  /* and how many do not map the page */
};

static bool obj_seen_one(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va,
			 void *arg)
{
	struct obj_seen *s = arg;
	pte_t pte = *(pte_t *)phys_to_virt(pa);
	uint64_t owner_va;

	s->n++;
	s->wrong += !pte_mapped(pte) || pte_pfn(pte) != page_to_pfn(p) ||
		    rmap_pte_mm(pa, &owner_va) != mm || owner_va != va;
	return false;
}

static void check_pte(struct mm *mm, pte_t *ptep, uint64_t va, void *arg)
{
	struct check *c = arg;
	pte_addr_t pa = virt_to_phys(ptep);
	struct page *p = pte_mapped(*ptep) ? pfn_to_page(pte_pfn(*ptep)) : NULL;
	uint64_t owner_va;

	if (pte_swap(*ptep)) {              /* a swapped-out page: its slot is in use */
		if (swap_slot_count(pte_to_swp_entry(*ptep)) < 1)
			report(c, "swap pte %lx (va %lx) = %lx names a free slot", pa, va, *ptep);
		return;
	}
	if (!p) {
		report(c, "pte %lx (va %lx) = %lx maps no managed frame", pa, va, *ptep);
		return;
	}
	if (rmap_pte_mm(pa, &owner_va) != mm || owner_va != va)
		report(c, "page table of pte %lx names the wrong mm or va %lx", pa, owner_va);
	c->count[p->node][page_to_pfn(p) - numa_nodes[p->node].start_pfn]++;
	if (rmap_scan_mode)
		return;                     /* the walk is these page tables */
	if (!rmap_chained(p))
		return;                     /* step 2 walks its object once */
	pte_chain_lock(p);
	if (!in_chain(p, pa))
		report(c, "pte %lx (va %lx) maps pfn %lx but is not in its chain",
		       pa, va, page_to_pfn(p));
	pte_chain_unlock(p);
}

/* ---- 2: from the frames ---- */

static void check_entry(struct check *c, struct page *p, pte_addr_t pa)
{
	pte_t pte = pa ? *(pte_t *)phys_to_virt(pa) : 0;

	if (!pte_mapped(pte) || pte_pfn(pte) != page_to_pfn(p))
		report(c, "pfn %lx: chain entry %lx is pte %lx, not a mapping of it",
		       page_to_pfn(p), pa, pte);
}

/* The blocks of a chain: packed, aligned; returns the entries. */
static int check_blocks(struct check *c, struct page *p)
{
/* LAB rmap: BEGIN check p's blocks as rmap.h draws them (aligned, packed, free slots zero, entries map p); count blocks and entries */
	int n = 0;

	for (struct pte_chain *pc = p->pte.chain; pc; pc = pte_chain_next(pc)) {
		unsigned idx = pte_chain_idx(pc);
		c->blocks++;
		if ((uint64_t)pc % CACHE_LINE)
			report(c, "pfn %lx: block %p not aligned", page_to_pfn(p), pc);
		if (pc != p->pte.chain && idx != 0)
			report(c, "pfn %lx: block %p behind the head has free slots",
			       page_to_pfn(p), pc);
		if (idx == NRPTE)
			report(c, "pfn %lx: empty head block", page_to_pfn(p));
		for (unsigned i = 0; i < NRPTE; i++) {
			if (i < idx && pc->ptes[i])
				report(c, "pfn %lx: free slot %u not zero", page_to_pfn(p), i);
			if (i >= idx) {
				check_entry(c, p, pc->ptes[i]);
				n++;
			}
		}
		if (n > 100000)
			break;                  /* a loop: the count check reports it */
	}
	return n;
/* LAB rmap: END */
/* LAB rmap: STUB
	report(c, "lab rmap: check_blocks() is not written yet (pfn %lx, docs/labs/rmap.md)",
	       page_to_pfn(p));
	return -1;
*/
}

/* Two mappings with pairs: both halves name PTEs of p, and differ. */
static void check_pair(struct check *c, struct page *p)
{
	if (p->pte.pair[0] == p->pte.pair[1])
		report(c, "pfn %lx: pair holds pte %lx twice", page_to_pfn(p), pair_pte(p, 0));
	check_entry(c, p, pair_pte(p, 0));
	check_entry(c, p, pair_pte(p, 1));
}

/* The state mapcount calls for (rmap.h): none, direct, pair, chain. */
static void check_chain(struct check *c, struct page *p)
{
	int maps = p->mapcount;
	uint32_t state = p->flags & (PG_direct | PG_pair);
	uint32_t want = maps == 1 ? PG_direct : maps == 2 && rmap_pairs ? PG_pair : 0;

	if (state != want) {
		report(c, "pfn %lx: %d mappings but flags %s%s", page_to_pfn(p), maps,
		       state & PG_direct ? "direct" : "", state & PG_pair ? "pair" : "");
	} else if (maps == 0) {
		if (p->pte.chain)
			report(c, "pfn %lx: unmapped but has a reverse map", page_to_pfn(p));
	} else if (maps == 1) {
		check_entry(c, p, p->pte.direct);
	} else if (state == PG_pair) {
		check_pair(c, p);
	} else if (check_blocks(c, p) != maps) {
		report(c, "pfn %lx: chain length differs from mapcount %d", page_to_pfn(p), maps);
	}
}

/*
 * rmap=obj/hybrid, a page without a chain: no chain fields, and its
 * object's walk reports mapcount PTEs, each one mapping it. A walk
 * reports one PTE per VMA on a list at most, and a VMA is on a list once
 * (a list node has one place), so the PTEs reported are distinct: as
 * many as mapcount, which step 1 found equal to the PTEs that map the
 * frame, so they are all of them. One walk per frame, not one per PTE:
 * a page mapped by 500 forks would cost 500 x 500 lookups.
 */
static void check_obj(struct check *c, struct page *p)
{
	struct obj_seen s = { 0 };

	if ((p->flags & PG_direct) || p->pte.chain)
		report(c, "pfn %lx: no chain in this mode, but has one", page_to_pfn(p));
	if (!p->mapcount)
		return;
	rmap_walk_frozen(p, obj_seen_one, &s);
	if (s.wrong)
		report(c, "pfn %lx: its object's walk reports %d PTEs that do not map it",
		       page_to_pfn(p), s.wrong);
	if (s.n != p->mapcount)
		report(c, "pfn %lx: mapcount %d but its object's walk reports %d PTEs",
		       page_to_pfn(p), p->mapcount, s.n);
}

static void check_frames(struct check *c, int nid)
{
	struct numa_node *n = &numa_nodes[nid];

	for (uint64_t i = 0; i < n->end_pfn - n->start_pfn; i++) {
		struct page *p = &n->mem_map[i];

		if ((int)c->count[nid][i] != p->mapcount)
			report(c, "pfn %lx: mapcount %d but %u PTEs map it",
			       n->start_pfn + i, p->mapcount, c->count[nid][i]);
		if (rmap_scan_mode || (p->flags & (PG_slab | PG_buddy | PG_pgtable)))
			continue;
		if (!p->mapcount && !c->count[nid][i] && !p->pte.chain &&
		    !(p->flags & (PG_direct | PG_pair)))
			continue;               /* the common case, quickly */
		if (!rmap_chained(p)) {
			check_obj(c, p);
			continue;
		}
		pte_chain_lock(p);
		check_chain(c, p);
		pte_chain_unlock(p);
	}
}

/* ---- 4 (rmap=obj/hybrid): every VMA is on the lists it belongs on ---- */

/* n is linked into a well-formed list (its neighbours point back). */
static bool linked(const struct list_head *n)
{
	return n->next && n->prev && n->next->prev == n && n->prev->next == n;
}

/* rmap_obj_lock held (rmap_check). */
static void check_vmas(struct check *c, struct mm *mm)
{
	struct list_head *l;

	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);
		if (v->mm != mm)
			report(c, "vma %lx-%lx names another mm", v->start, v->end);
		if (v->inode && !linked(&v->i_mmap_node))
			report(c, "vma %lx-%lx is not on its file's i_mmap", v->start, v->end);
		if (rmap_anon_obj() && !(v->flags & MAP_SHARED) &&
		    (!v->anon_vma || !linked(&v->anon_node)))
			report(c, "private vma %lx-%lx is on no anon_vma", v->start, v->end);
	}
}

/* ---- 3 and the whole ---- */

/* Every mm->lock held: chains stand still. The spare locks stop the rest. */
static void check_blocks_total(struct check *c)
{
	rmap_lock_spares();
	uint64_t spares = rmap_spares(), allocated = rmap_chain_blocks();
	rmap_unlock_spares();
	if (c->blocks + spares != allocated)
		report(c, "%lu blocks in chains and %lu spare, but %lu allocated",
		       c->blocks, spares, allocated);
}

static uint64_t node_frames(const struct numa_node *n)
{
	return n->mem_map ? n->end_pfn - n->start_pfn : 0;
}

static bool reserve_busy_possible(void)
{
	for (int nid = 0; nid < MAX_NODES; nid++)
		if (reserve[nid])
			return true;
	return false;
}

/* Boot, rmap_check=N: the arrays every check will use. */
static void reserve_counts(void)
{
	int nid;

	for_each_online_node(nid)
		if (node_frames(&numa_nodes[nid]) &&
		    !(reserve[nid] = kzalloc(node_frames(&numa_nodes[nid]) * sizeof(uint32_t))))
			goto fail;
	return;
fail:                                   /* all or nothing: checks allocate then */
	for (nid = 0; nid < MAX_NODES; nid++) {
		kfree(reserve[nid]);
		reserve[nid] = NULL;
	}
}

static bool take_reserve(struct check *c)
{
	int nid;

	if (!reserve_busy_possible() || __atomic_exchange_n(&reserve_busy, 1, __ATOMIC_ACQUIRE))
		return false;
	for_each_online_node(nid)
		if (reserve[nid]) {
			memset(reserve[nid], 0, node_frames(&numa_nodes[nid]) * sizeof(uint32_t));
			c->count[nid] = reserve[nid];
		}
	c->reserved = true;
	return true;
}

static void free_counts(struct check *c)
{
	if (c->reserved) {
		__atomic_store_n(&reserve_busy, 0, __ATOMIC_RELEASE);
		return;
	}
	for (int nid = 0; nid < MAX_NODES; nid++)
		kfree(c->count[nid]);
}

static bool alloc_counts(struct check *c)
{
	int nid;

	if (take_reserve(c))
		return true;
	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];
		if (!n->mem_map)
			continue;
		c->count[nid] = kzalloc((n->end_pfn - n->start_pfn) * sizeof(uint32_t));
		if (!c->count[nid])
			return false;
	}
	return true;
}

int rmap_check(struct pbuf *out)
{
	struct check c = { .out = out };
	struct list_head *l;
	int nid;

	if (!alloc_counts(&c)) {
		report(&c, "no memory for the check");
		c.errors = -ENOMEM;             /* could not look: not a disagreement */
		goto out;
	}
	__atomic_add_fetch(&checks_running, 1, __ATOMIC_SEQ_CST);
	freeze();
	uint64_t t0 = clock_ns();
	list_for_each(l, &mm_list)
		pgtable_for_each_pte(list_entry(l, struct mm, mm_node), check_pte, &c);
	/* One take of rmap_obj_lock for every object walk and the lists:
	 * taken per page, it met kswapd's walks (which take it and then
	 * find every mm->lock busy) at each page, and a vCPU the host had
	 * preempted in the middle made one check last 100 s. */
	spin_lock(&rmap_obj_lock);
	for_each_online_node(nid)
		if (c.count[nid])
			check_frames(&c, nid);
	if (rmap_file_obj())
		list_for_each(l, &mm_list)
			check_vmas(&c, list_entry(l, struct mm, mm_node));
	spin_unlock(&rmap_obj_lock);
	if (!rmap_scan_mode)
		check_blocks_total(&c);
	uint64_t ms = (clock_ns() - t0) / 1000000;
	thaw();
	__atomic_sub_fetch(&checks_running, 1, __ATOMIC_SEQ_CST);
	if (ms >= WATCHDOG_SECS * 1000)  /* the spin watchdog's usual limit */
		printk("rmap_check: one check held the machine still for %lu ms\n", ms);
	count_vm_event(RMAP_CHECK);
out:
	free_counts(&c);
	if (c.errors > MAX_REPORTS)
		report(&c, "... %d errors in all", c.errors - 1);
	return c.errors;
}

static uint64_t check_every;        /* rmap_check=N */
static uint64_t faults_seen;        /* page faults since boot (atomic) */
static bool check_owed[MAX_CPUS];   /* a check is due on this CPU */

/*
 * From vm_fault, where locks may be held (a user copy faults with the
 * file-system lock held): only count, and every N faults note that this
 * CPU owes a check. Never waits.
 */
void rmap_check_fault_tick(void)
{
	if (!check_every ||
	    __atomic_add_fetch(&faults_seen, 1, __ATOMIC_RELAXED) % check_every)
		return;
	WRITE_ONCE(check_owed[this_cpu_id()], true);
}

/*
 * From user_return_work, on every return to user mode: pay an owed check.
 * This CPU holds no lock there (lock_assert_none_held), so waiting for
 * every mm->lock cannot close a cycle. Panics on a disagreement.
 */
void rmap_check_user_return(void)
{
	bool *owed = &check_owed[this_cpu_id()];

	if (!READ_ONCE(*owed))
		return;
	WRITE_ONCE(*owed, false);
	if (rmap_check(NULL) > 0)        /* -ENOMEM: no memory to look; skip it */
		panic("rmap_check: the reverse map and the page tables disagree");
}

static int show_rmap_check(struct pbuf *b, void *unused)
{
	if (!rmap_check(b))
		pbuf_printf(b, "ok\n");
	return 0;
}

void rmap_check_init(void)
{
	const char *every = cmdline_get("rmap_check");

	for (; every && *every >= '0' && *every <= '9'; every++)
		check_every = check_every * 10 + (*every - '0');
	if (check_every) {
		printk("rmap_check: every %lu page faults\n", check_every);
		reserve_counts();
	}
	procfs_create_file(procfs_root(), "rmap_check", show_rmap_check, NULL);
}
