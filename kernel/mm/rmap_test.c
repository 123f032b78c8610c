/*
 * Tests of the pte_chain reverse map and of migration (ktest=rmap).
 *
 * One page is mapped at n addresses of a test address space (real PTEs,
 * through page_map), then unmapped in several orders; after every step
 * the chain must be packed as rmap.h draws it and hold exactly the live
 * PTEs. At the end no block may be left (slab counts back to where they
 * were) and rmap_check() must agree with the whole system.
 *
 * rmap_check itself is tested too: it must report a block that is leaked
 * on purpose, and must not report a healthy kernel whose CPUs fill and
 * empty their spare blocks while it counts.
 */
#include <kernel/ktest.h>
#include <kernel/rmap.h>
#include <kernel/migrate.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/slab.h>
#include <kernel/random.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>

#define MAXN 300
#define BASE 0x10000000UL

static pte_t *ptes[MAXN];
static int order[MAXN];

/* Index of the test PTE at pa in ptes[], or -1. */
static int pte_index(pte_addr_t pa)
{
	int k = pa ? (int)((pte_t *)phys_to_virt(pa) - ptes[0]) : -1;

	return k >= 0 && k < MAXN ? k : -1;
}

/* pa is one of the live test PTEs and was not seen before in this map. */
static bool live_once(pte_addr_t pa, const bool *live, bool *seen)
{
	int k = pte_index(pa);

	if (k < 0 || !live[k] || seen[k])
		return false;
	seen[k] = true;
	return true;
}

/* A chain (three mappings or more) is packed as rmap.h draws it and holds
 * each of the n live PTEs once. */
static bool blocks_ok(struct page *p, const bool *live, bool *seen, int n)
{
	int count = 0;

	for (struct pte_chain *pc = p->pte.chain; pc; pc = pte_chain_next(pc)) {
		unsigned idx = pte_chain_idx(pc);
		if ((uint64_t)pc % CACHE_LINE || idx == NRPTE ||
		    (pc != p->pte.chain && idx != 0))
			return false;
		for (unsigned i = 0; i < NRPTE; i++) {
			if (i < idx && pc->ptes[i])
				return false;
			if (i >= idx && !live_once(pc->ptes[i], live, seen))
				return false;
			count += i >= idx;
		}
	}
	return count == n;
}

/* p's reverse map is in the state rmap.h gives for n mappings (none,
 * direct, pair, chain) and holds exactly the n PTEs in ptes[live]. */
static bool chain_ok(struct page *p, const bool *live, int n)
{
	static bool seen[MAXN];
	uint32_t state = p->flags & (PG_direct | PG_pair);

	memset(seen, 0, sizeof(seen));
	if (p->mapcount != n)
		return false;
	if (n == 0)
		return !state && !p->pte.chain;
	if (n == 1)
		return state == PG_direct && live_once(p->pte.direct, live, seen);
	if (n == 2 && rmap_pairs)
		return state == PG_pair && live_once(pair_pte(p, 0), live, seen) &&
		       live_once(pair_pte(p, 1), live, seen);
	return !state && blocks_ok(p, live, seen, n);
}

static struct mm *test_mm(int n)
{
	struct mm *mm = mm_create();

	if (!mm)
		return NULL;
	spin_lock(&mm->lock);
	for (int i = 0; i < n; i++)
		ptes[i] = pgtable_walk(mm, BASE + i * PAGE_SIZE, true);
	spin_unlock(&mm->lock);
	return mm;
}

static void map_at(struct mm *mm, struct page *p, int i)
{
	get_page(p);
	spin_lock(&mm->lock);
	page_map(mm, ptes[i], p, mk_pte(page_to_pfn(p), pte_user_prot(false, false)));
	spin_unlock(&mm->lock);
}

static void unmap_at(struct mm *mm, int i)
{
	spin_lock(&mm->lock);
	page_unmap(mm, ptes[i]);
	spin_unlock(&mm->lock);
}

/* 0: first in, first out; 1: last in, first out; 2: random. */
static void make_order(int n, int how)
{
	static uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < n; i++)
		order[i] = how == 1 ? n - 1 - i : i;
	for (int i = n - 1; how == 2 && i > 0; i--) {
		int j = xorshift64(&seed) % (i + 1), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
}

/* Map p n times, unmap in order `how`, checking the chain at every step. */
static bool add_remove(struct ktest_ctx *t, int n, int how)
{
	static bool live[MAXN];
	struct mm *mm = test_mm(n);
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);
	bool good = mm && p;

	if (p)
		p->flags |= PG_anon;
	memset(live, 0, sizeof(live));
	for (int i = 0; good && i < n; i++) {
		map_at(mm, p, i);
		live[i] = true;
		good = chain_ok(p, live, i + 1);
	}
	make_order(n, how);
	for (int k = 0; good && k < n; k++) {
		unmap_at(mm, order[k]);
		live[order[k]] = false;
		good = chain_ok(p, live, n - k - 1);
	}
	if (!good)
		ktest_fail(t, __FILE__, __LINE__, "chain wrong for n=%d order %d", n, how);
	if (mm)
		mm_put(mm);
	if (p)
		put_page(p);
	return good;
}

KTEST(rmap, add_remove_every_order)
{
	static const int sizes[] = { 1, 2, 3, 7, 8, 9, 14, 15, 16, 50, 200, MAXN };
	uint64_t blocks = rmap_chain_blocks();

	if (rmap_scan_mode || rmap_anon_obj()) {
		ktest_skip(t, "no chains for anonymous pages in this rmap mode");
		return;
	}
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
		for (int how = 0; how < 3; how++)
			if (!add_remove(t, sizes[s], how))
				return;
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks);   /* no block leaked */
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
}

/*
 * The compact states one by one: a second mapping makes a pair and takes
 * no block; the third moves both into a one-block chain (slots 6, 5, 4 in
 * the order they came); a removal that leaves two goes back to a pair and
 * frees the block, the next to direct.
 */
KTEST(rmap, pair_then_chain_and_back)
{
	static bool live[MAXN];
	struct mm *mm = test_mm(3);
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);
	uint64_t blocks = rmap_chain_blocks();

	if (!rmap_pairs) {
		ktest_skip(t, rmap_scan_mode ? "rmap=scan keeps no chains" : "no pairs (RAM above 32 GiB)");
		goto out;
	}
	KTEST_ASSERT(t, mm && p);
	p->flags |= PG_anon;
	memset(live, 0, sizeof(live));
	map_at(mm, p, 0);
	map_at(mm, p, 1);
	live[0] = live[1] = true;
	KTEST_EXPECT(t, chain_ok(p, live, 2));
	KTEST_EXPECT_EQ(t, pair_pte(p, 0), virt_to_phys(ptes[0]));    /* oldest first */
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks);               /* no block */
	map_at(mm, p, 2);
	live[2] = true;
	KTEST_EXPECT(t, chain_ok(p, live, 3));
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks + 1);
	KTEST_EXPECT_EQ(t, pte_chain_idx(p->pte.chain), NRPTE - 3);
	KTEST_EXPECT_EQ(t, p->pte.chain->ptes[NRPTE - 1], virt_to_phys(ptes[0]));
	KTEST_EXPECT_EQ(t, p->pte.chain->ptes[NRPTE - 3], virt_to_phys(ptes[2]));
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	unmap_at(mm, 0);
	live[0] = false;
	KTEST_EXPECT(t, chain_ok(p, live, 2));
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks);               /* freed */
	unmap_at(mm, 2);
	live[2] = false;
	KTEST_EXPECT(t, chain_ok(p, live, 1));
	KTEST_EXPECT_EQ(t, p->pte.direct, virt_to_phys(ptes[1]));
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	unmap_at(mm, 1);
out:
	if (mm)
		mm_put(mm);
	if (p)
		put_page(p);
}

/*
 * rmap_check knows the states: a pair that names one PTE twice (its other
 * PTE missing) is reported, and so is a page whose two mappings are not
 * kept as a pair.
 */
KTEST(rmap, check_reports_a_broken_pair)
{
	struct mm *mm = test_mm(2);
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);

	if (!rmap_pairs) {
		ktest_skip(t, "no pairs");
		goto out;
	}
	KTEST_ASSERT(t, mm && p);
	p->flags |= PG_anon;
	map_at(mm, p, 0);
	map_at(mm, p, 1);
	spin_lock(&mm->lock);                   /* nobody walks p meanwhile */
	pte_chain_lock(p);
	uint32_t second = p->pte.pair[1];
	p->pte.pair[1] = p->pte.pair[0];
	pte_chain_unlock(p);
	spin_unlock(&mm->lock);
	KTEST_EXPECT(t, rmap_check(NULL) >= 2);  /* twice; pte 1 not in it */
	spin_lock(&mm->lock);
	pte_chain_lock(p);
	p->pte.pair[1] = second;
	page_clear_flag(p, PG_pair);
	page_set_flag(p, PG_direct);
	pte_chain_unlock(p);
	spin_unlock(&mm->lock);
	KTEST_EXPECT(t, rmap_check(NULL) >= 1);  /* two mappings, flagged direct */
	spin_lock(&mm->lock);
	pte_chain_lock(p);
	page_clear_flag(p, PG_direct);
	page_set_flag(p, PG_pair);
	pte_chain_unlock(p);
	spin_unlock(&mm->lock);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	unmap_at(mm, 0);
	unmap_at(mm, 1);
out:
	if (mm)
		mm_put(mm);
	if (p)
		put_page(p);
}

KTEST(rmap, pte_to_mm_and_va)
{
	struct mm *mm = test_mm(3);
	uint64_t va;

	KTEST_ASSERT(t, mm != NULL);
	for (int i = 0; i < 3; i++) {
		KTEST_EXPECT(t, rmap_pte_mm(virt_to_phys(ptes[i]), &va) == mm);
		KTEST_EXPECT_EQ(t, va, BASE + i * PAGE_SIZE);
	}
	mm_put(mm);
}

KTEST(rmap, try_to_unmap_success_and_again)
{
	struct mm *a = test_mm(4), *b = mm_create();
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);

	KTEST_ASSERT(t, a && b && p);
	if (rmap_anon_obj()) {                  /* rmap_walk tests cover it */
		ktest_skip(t, "rmap=obj: PTEs outside any VMA are out of its reach");
		mm_put(a);
		mm_put(b);
		put_page(p);
		return;
	}
	p->flags |= PG_anon;
	for (int i = 0; i < 4; i++)
		map_at(a, p, i);
	if (rmap_scan_mode) {
		KTEST_EXPECT_EQ(t, try_to_unmap(p), RMAP_FAIL);
		for (int i = 0; i < 4; i++)     /* no VMA: mm_put would not */
			unmap_at(a, i);
	} else {
		spin_lock(&a->lock);                /* busy: against the lock order */
		KTEST_EXPECT_EQ(t, try_to_unmap(p), RMAP_AGAIN);
		spin_unlock(&a->lock);
		KTEST_EXPECT_EQ(t, p->mapcount, 4);
		KTEST_EXPECT_EQ(t, try_to_unmap(p), RMAP_SUCCESS);
		KTEST_EXPECT_EQ(t, p->mapcount, 0);
		KTEST_EXPECT_EQ(t, p->refcount, 1);
		for (int i = 0; i < 4; i++)
			KTEST_EXPECT(t, pte_none(*ptes[i]));
	}
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	mm_put(a);
	mm_put(b);
	put_page(p);
}

/* A node other than this CPU's that has memory, or -1. */
static int other_node(void)
{
	int nid;

	for_each_online_node(nid)
		if (nid != numa_this_node() && numa_nodes[nid].free_pages)
			return nid;
	return -1;
}

KTEST(rmap, migrate_anon_shared_and_pinned)
{
	int to = other_node();

	if (to < 0 || rmap_anon_obj()) {        /* rmap_walk tests cover obj */
		ktest_skip(t, to < 0 ? "one node with memory" :
			   "rmap=obj: PTEs outside any VMA are out of its reach");
		return;
	}
	struct mm *mm = test_mm(20);
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, 0);
	KTEST_ASSERT(t, mm && p);
	p->flags |= PG_anon;
	memset(page_address(p), 0x5a, PAGE_SIZE);
	for (int i = 0; i < 20; i++)
		map_at(mm, p, i);
	get_page(p);            /* an extra pin (the allocation's reference
				 * is the migrator's own) */
	KTEST_EXPECT_EQ(t, migrate_page(p, to, MR_SYSCALL), -EBUSY);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	KTEST_EXPECT_EQ(t, pte_pfn(*ptes[7]), page_to_pfn(p));
	KTEST_EXPECT(t, pte_present(*ptes[7]));
	put_page(p);                            /* unpinned */
	KTEST_EXPECT_EQ(t, migrate_page(p, to, MR_SYSCALL), 0);
	struct page *n = pfn_to_page(pte_pfn(*ptes[0]));
	KTEST_EXPECT(t, n != p && n->node == to && n->mapcount == 20);
	KTEST_EXPECT_EQ(t, p->mapcount, 0);
	for (int i = 0; i < 20; i++)
		KTEST_EXPECT(t, pte_present(*ptes[i]) && pte_pfn(*ptes[i]) == page_to_pfn(n));
	KTEST_EXPECT_EQ(t, *(uint8_t *)page_address(n), 0x5a);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	put_page(p);                            /* frees the old frame */
	for (int i = 0; i < 20; i++)            /* no VMA: mm_put would not */
		unmap_at(mm, i);
	mm_put(mm);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
}

/* Pin the calling test to the CPU it is on (the spare is per CPU). */
static struct cpumask pin_here(void)
{
	struct cpumask all = current->affinity, one = { 0 };

	cpumask_set(&one, this_cpu_id());
	sched_setaffinity(current, &one);
	return all;
}

/*
 * A block that is neither in a chain nor a CPU's spare is a leak, and the
 * check must say so: take this CPU's spare out of sight (as a path that
 * forgot to give it back would), check, put it back.
 */
KTEST(rmap, check_reports_a_leaked_block)
{
	if (rmap_scan_mode || rmap_anon_obj()) {
		ktest_skip(t, "no pte_chain blocks in this rmap mode");
		return;
	}
	struct cpumask all = pin_here();
	struct cpu *c = this_cpu();

	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	KTEST_ASSERT(t, rmap_prepare() == 0 && c->rmap_spare);
	void *leaked = c->rmap_spare;
	c->rmap_spare = NULL;                   /* allocated, held by nobody */
	int errors = rmap_check(NULL);
	c->rmap_spare = leaked;
	rmap_unprepare();
	sched_setaffinity(current, &all);
	KTEST_EXPECT_EQ(t, errors, 1);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
}

struct churn {
	volatile bool stop;
	volatile bool done;
	uint64_t rounds;
};

/* Fill and empty this CPU's spare block, as file faults do, until told. */
static int churn_thread(void *arg)
{
	struct churn *ch = arg;

	while (!ch->stop) {
		if (rmap_prepare() == 0)
			rmap_unprepare();
		if (++ch->rounds % 64 == 0)
			sched_yield();
	}
	ch->done = true;
	return 0;
}

/*
 * While another CPU fills and frees its spare block again and again, every
 * check must still add up: a block between the slab and the spare is
 * counted exactly once (it used to be reported as a leak, or as missing).
 */
KTEST(rmap, check_exact_while_spares_churn)
{
	static struct churn ch;
	int other = (this_cpu_id() + 1) % nr_cpus, errors = 0;

	if (nr_cpus < 2) {
		ktest_skip(t, "one CPU");
		return;
	}
	memset(&ch, 0, sizeof(ch));
	struct cpumask all = pin_here(), one = { 0 };
	struct proc *p = kthread_create("churn", churn_thread, &ch, cpus[other].node);
	KTEST_ASSERT(t, p != NULL);
	cpumask_set(&one, other);
	sched_setaffinity(p, &one);
	for (int i = 0; i < 200 && ch.rounds < 100; i++)
		sched_sleep_ns(1000000);            /* let it start */
	for (int i = 0; i < 60; i++)
		errors += rmap_check(NULL) != 0;
	ch.stop = true;
	while (!ch.done)
		sched_sleep_ns(1000000);
	sched_setaffinity(current, &all);
	KTEST_EXPECT(t, ch.rounds >= 100);
	KTEST_EXPECT_EQ(t, errors, 0);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
}

/* The chain lock is listed as held by this CPU while it is (watchdog.h). */
KTEST(rmap, chain_lock_tracked_per_cpu)
{
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, 0);
	struct cpumask all = pin_here();
	struct cpu *c = this_cpu();
	int before = c->nr_chain_held;

	KTEST_ASSERT(t, p != NULL);
	pte_chain_lock(p);
	bool listed = c->nr_chain_held == before + 1 && c->chain_held[before] == p;
	pte_chain_unlock(p);
	KTEST_EXPECT(t, listed);
	KTEST_EXPECT_EQ(t, c->nr_chain_held, before);
	KTEST_EXPECT_EQ(t, before, 0);
	KTEST_EXPECT_EQ(t, c->locks_held, 0);
	sched_setaffinity(current, &all);
	pmm_free_pages(p, 0);
}

/* The PTE of mm at va (it must exist). */
static pte_addr_t pte_pa(struct mm *mm, uint64_t va)
{
	spin_lock(&mm->lock);
	pte_t *ptep = pgtable_walk(mm, va, false);
	spin_unlock(&mm->lock);
	return ptep ? virt_to_phys(ptep) : 0;
}

#define FORK_PAGES 600          /* two leaf tables, several runs of blocks */
#define FORK_BASE 0x20000000UL

/*
 * A fork of pages that already have two mappings (pairs): fork takes
 * their blocks in runs onto this CPU's reserve and makes each page a
 * chain of three, parent's PTE first; after it, the reserve is empty and
 * exactly one block per page is in use; the second child's exit gives
 * them all back.
 */
KTEST(rmap, fork_of_pairs_takes_blocks_in_runs)
{
	struct mm *mms[3] = { mm_create(), NULL, NULL };
	uint64_t blocks = rmap_chain_blocks();
	int err = -ENOMEM;

	if (!rmap_pairs || rmap_anon_obj()) {
		ktest_skip(t, "no pairs for anonymous pages in this rmap mode");
		goto out;
	}
	KTEST_ASSERT(t, mms[0] != NULL);
	spin_lock(&mms[0]->lock);
	err = vma_map(mms[0], FORK_BASE, FORK_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE, NULL, 0);
	spin_unlock(&mms[0]->lock);
	for (int i = 0; i < FORK_PAGES && !err; i++)
		err = vm_fault(mms[0], FORK_BASE + i * PAGE_SIZE, FAULT_WRITE);
	KTEST_ASSERT(t, !err && (mms[1] = mm_dup(mms[0], &err)) != NULL);
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks);               /* pairs */
	KTEST_ASSERT(t, (mms[2] = mm_dup(mms[0], &err)) != NULL);
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks + FORK_PAGES);  /* one each */
	KTEST_EXPECT_EQ(t, this_cpu()->rmap_reserved, 0);
	KTEST_EXPECT(t, !this_cpu()->rmap_bulk);
	for (int i = 0; i < FORK_PAGES; i += 97) {
		uint64_t va = FORK_BASE + i * PAGE_SIZE;
		pte_addr_t pa = pte_pa(mms[0], va);
		struct page *p = pa ? pfn_to_page(pte_pfn(*(pte_t *)phys_to_virt(pa))) : NULL;

		KTEST_ASSERT(t, p && p->mapcount == 3 && !(p->flags & (PG_direct | PG_pair)));
		KTEST_EXPECT_EQ(t, pte_chain_idx(p->pte.chain), NRPTE - 3);
		for (int m = 0; m < 3; m++)
			KTEST_EXPECT_EQ(t, p->pte.chain->ptes[NRPTE - 1 - m], pte_pa(mms[m], va));
		for (unsigned k = 0; k < NRPTE - 3; k++)
			KTEST_EXPECT_EQ(t, p->pte.chain->ptes[k], 0);
	}
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	mm_put(mms[2]);
	mms[2] = NULL;
	KTEST_EXPECT_EQ(t, rmap_chain_blocks(), blocks);               /* pairs again */
out:
	for (int m = 2; m >= 0; m--)
		if (mms[m])
			mm_put(mms[m]);
}
