/*
 * Tests of the physical memory manager (ktest=pmm). They check placement
 * against the firmware's own tables (topology.h: SRAT and SLIT), not against
 * what numa.c derived from them, so a bug in either shows.
 */
#include <kernel/ktest.h>
#include <kernel/pmm.h>
#include <kernel/bootinfo.h>
#include <kernel/percpu.h>
#include <kernel/random.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/sched.h>

/* Free state of every node: pages and blocks per order. */
struct free_snapshot {
	uint64_t pages[MAX_NODES];
	uint64_t blocks[MAX_NODES][MAX_ORDER];
};

static void snapshot(struct free_snapshot *s)
{
	int nid;

	memset(s, 0, sizeof(*s));
	for_each_online_node(nid) {
		s->pages[nid] = numa_nodes[nid].free_pages;
		for (int o = 0; o < MAX_ORDER; o++)
			s->blocks[nid][o] = numa_nodes[nid].free_area[o].nr_free;
	}
}

static bool same_snapshot(const struct free_snapshot *a, const struct free_snapshot *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * The counts are the whole machine's: other threads (the flush thread
 * writing back what an earlier file-system test dirtied, a reaper freeing
 * an exited thread's stack) allocate and free meanwhile. Start from counts
 * that held still for SETTLE_MS, and give theirs back the same time at the
 * end: a leak of ours never comes back, theirs do.
 */
#define SETTLE_MS 50
#define SETTLE_TRIES 40

static void settled_snapshot(struct free_snapshot *s)
{
	struct free_snapshot again;

	snapshot(s);
	for (int i = 0; i < SETTLE_TRIES; i++) {
		sched_sleep_ns(SETTLE_MS * 1000000ULL);
		snapshot(&again);
		if (same_snapshot(s, &again))
			return;
		*s = again;
	}
}

static bool back_to(const struct free_snapshot *before)
{
	struct free_snapshot now;

	for (int i = 0; i < SETTLE_TRIES; i++) {
		snapshot(&now);
		if (same_snapshot(before, &now))
			return true;
		sched_sleep_ns(SETTLE_MS * 1000000ULL);
	}
	return false;
}

/* Does [pa, pa+len) lie in RAM the firmware assigns to `node`? */
static bool firmware_says_node(uint64_t pa, uint64_t len, int node)
{
	if (!topology.has_srat) {
		for (int i = 0; i < boot_info.nr_mem; i++) {
			const struct boot_mem_range *r = &boot_info.mem[i];
			if (r->type == BOOT_MEM_USABLE && pa >= r->base &&
			    pa + len <= r->base + r->len)
				return node == 0;
		}
		return false;
	}
	for (int i = 0; i < topology.nr_mem; i++) {
		const struct topo_mem *m = &topology.mem[i];
		if (m->node == node && pa >= m->base && pa + len <= m->base + m->len)
			return true;
	}
	return false;
}

static int firmware_distance(int a, int b)
{
	if (topology.has_slit)
		return topology.distance[a][b];
	return a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

static void free_blocks(struct list_head *blocks)
{
	while (!list_empty(blocks)) {
		struct page *p = list_first_entry(blocks, struct page, lru);

		list_del(&p->lru);
		pmm_free_pages(p, p->order);
	}
}

/* Take every free block of node nid; returns the number of pages taken. */
static uint64_t exhaust_node(int nid, struct list_head *blocks)
{
	uint64_t taken = 0;

	for (int o = MAX_ORDER - 1; o >= 0; o--) {
		struct page *p;

		while ((p = pmm_alloc_pages(nid, o, PMM_THISNODE))) {
			list_add(&p->lru, blocks);
			taken += 1UL << o;
		}
	}
	return taken;
}

KTEST(pmm, struct_page_is_64_bytes)
{
	KTEST_EXPECT_EQ(t, sizeof(struct page), 64);
}

KTEST(pmm, alloc_from_requested_node)
{
	int nid;

	for_each_online_node(nid) {
		if (!numa_nodes[nid].present_pages)
			continue;
		for (unsigned i = 0; i < 64; i++) {
			unsigned order = i % 5;
			struct page *p = pmm_alloc_pages(nid, order, PMM_THISNODE);

			KTEST_ASSERT(t, p != NULL);
			KTEST_EXPECT_EQ(t, p->node, nid);
			KTEST_EXPECT(t, firmware_says_node(page_to_phys(p), PAGE_SIZE << order, nid));
			pmm_free_pages(p, order);
		}
	}
}

KTEST(pmm, default_is_this_cpus_node)
{
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, 0);
	int want = this_cpu()->node;

	KTEST_ASSERT(t, p != NULL);
	if (numa_nodes[want].present_pages)
		KTEST_EXPECT_EQ(t, p->node, want);
	pmm_free_pages(p, 0);
}

KTEST(pmm, pfn_page_round_trip)
{
	int nid;

	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];

		for (uint64_t pfn = n->start_pfn; pfn < n->end_pfn; pfn += 4099) {
			struct page *p = pfn_to_page(pfn);
			KTEST_ASSERT(t, p != NULL);
			KTEST_EXPECT_EQ(t, page_to_pfn(p), pfn);
			KTEST_EXPECT_EQ(t, p->node, nid);
		}
	}
}

KTEST(pmm, bad_requests_fail)
{
	int nid;

	KTEST_EXPECT(t, pmm_alloc_pages(0, MAX_ORDER, 0) == NULL);
	KTEST_EXPECT(t, pmm_alloc_pages(MAX_NODES + 3, 0, 0) == NULL);
	KTEST_EXPECT(t, pmm_alloc_pages(-7, 0, 0) == NULL);
	for_each_online_node(nid)
		if (!numa_nodes[nid].present_pages)
			KTEST_EXPECT(t, pmm_alloc_pages(nid, 0, PMM_THISNODE) == NULL);
}

/* Exhaust node nid, then check where a fallback allocation lands. */
static void check_fallback(struct ktest_ctx *t, int nid)
{
	struct free_snapshot before;
	struct list_head blocks;
	int best = 255, other;

	list_init(&blocks);
	settled_snapshot(&before);
	exhaust_node(nid, &blocks);
	KTEST_EXPECT_EQ(t, numa_nodes[nid].free_pages, 0);
	KTEST_EXPECT(t, pmm_alloc_pages(nid, 0, PMM_THISNODE) == NULL);
	for_each_online_node(other)
		if (other != nid && numa_nodes[other].free_pages)
			best = MIN(best, firmware_distance(nid, other));

	struct page *p = pmm_alloc_pages(nid, 0, 0);
	KTEST_EXPECT(t, p != NULL);
	if (p) {
		KTEST_EXPECT(t, p->node != nid);
		KTEST_EXPECT_EQ(t, firmware_distance(nid, p->node), best);
		pmm_free_pages(p, 0);
	}
	free_blocks(&blocks);
	KTEST_EXPECT(t, back_to(&before));
}

KTEST(pmm, fallback_to_nearest_node)
{
	int nid, with_mem = 0;

	for_each_online_node(nid)
		with_mem += numa_nodes[nid].present_pages != 0;
	if (with_mem < 2) {
		ktest_skip(t, "needs two nodes with memory");
		return;
	}
	for_each_online_node(nid)
		if (numa_nodes[nid].present_pages)
			check_fallback(t, nid);
}

KTEST(pmm, memoryless_node_uses_nearest)
{
	int nid, other, tested = 0;

	for_each_online_node(nid) {
		if (numa_nodes[nid].present_pages)
			continue;
		int best = 255;
		for_each_online_node(other)
			if (numa_nodes[other].free_pages)
				best = MIN(best, firmware_distance(nid, other));
		struct page *p = pmm_alloc_pages(nid, 0, 0);
		KTEST_ASSERT(t, p != NULL);
		KTEST_EXPECT_EQ(t, firmware_distance(nid, p->node), best);
		pmm_free_pages(p, 0);
		tested++;
	}
	if (!tested)
		ktest_skip(t, "no node without memory");
}

/* Free an order-1 block one frame at a time: the halves must merge back. */
KTEST(pmm, buddies_coalesce)
{
	struct free_snapshot before, mid;
	int nid = this_cpu()->node;

	if (!numa_nodes[nid].present_pages)
		nid = numa_nodes[nid].fallback[0];
	settled_snapshot(&before);
	struct page *p = pmm_alloc_pages(nid, 1, PMM_THISNODE);
	KTEST_ASSERT(t, p != NULL);
	snapshot(&mid);
	pmm_free_pages(p, 0);
	KTEST_EXPECT_EQ(t, numa_nodes[nid].free_area[0].nr_free, mid.blocks[nid][0] + 1);
	pmm_free_pages(p + 1, 0);        /* its buddy: both merge, and upwards */
	KTEST_EXPECT(t, back_to(&before));
	KTEST_EXPECT_EQ(t, buddy_check(&numa_nodes[nid]), 0);
}

struct live_block {
	struct page *page;
	unsigned order;
};

static void fill(struct page *p, unsigned order, uint64_t tag)
{
	uint64_t *w = page_address(p);
	uint64_t n = (PAGE_SIZE << order) / 8;

	w[0] = tag;
	w[n - 1] = ~tag;
}

static bool intact(struct page *p, unsigned order, uint64_t tag)
{
	uint64_t *w = page_address(p);
	uint64_t n = (PAGE_SIZE << order) / 8;

	return w[0] == tag && w[n - 1] == ~tag;
}

/* Random allocations and frees on random nodes; everything comes back. */
KTEST(pmm, random_alloc_free_no_leak)
{
	static struct live_block live[256];
	struct free_snapshot before;
	uint64_t rng = 12345;
	int nid, bad = 0;

	settled_snapshot(&before);
	memset(live, 0, sizeof(live));
	for (int i = 0; i < 4000; i++) {
		struct live_block *b = &live[xorshift64(&rng) % ARRAY_SIZE(live)];

		if (b->page) {
			bad += !intact(b->page, b->order, (uint64_t)b);
			pmm_free_pages(b->page, b->order);
			b->page = NULL;
			continue;
		}
		int node = (int)(xorshift64(&rng) % (MAX_NODES + 1)) - 1;
		b->order = xorshift64(&rng) % 6;
		if (node >= 0 && !numa_nodes[node].online)
			node = NUMA_NO_NODE;
		b->page = pmm_alloc_pages(node, b->order, 0);
		if (b->page)
			fill(b->page, b->order, (uint64_t)b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(live); i++) {
		if (!live[i].page)
			continue;
		bad += !intact(live[i].page, live[i].order, (uint64_t)&live[i]);
		pmm_free_pages(live[i].page, live[i].order);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT(t, back_to(&before));
	for_each_online_node(nid)
		KTEST_EXPECT_EQ(t, buddy_check(&numa_nodes[nid]), 0);
}

KTEST(pmm, free_counts_add_up)
{
	int nid;
	uint64_t managed = 0, present = 0;

	for_each_online_node(nid) {
		KTEST_EXPECT_EQ(t, buddy_check(&numa_nodes[nid]), 0);
		KTEST_EXPECT(t, numa_nodes[nid].free_pages <= numa_nodes[nid].managed_pages);
		KTEST_EXPECT(t, numa_nodes[nid].managed_pages <= numa_nodes[nid].present_pages);
		managed += numa_nodes[nid].managed_pages;
		present += numa_nodes[nid].present_pages;
	}
	/* Only the kernel image, the first MiB and mem_map are not managed. */
	KTEST_EXPECT(t, managed > present - present / 16 - 1024);
}

/*
 * numastat, as Linux counts it: an allocation for a CPU of a node without
 * memory wants that node's nearest node with memory (Linux's preferred
 * zone is the first zone of the node's zonelist), so one served there is
 * a numa_hit there and other_node (not this CPU's node), never a
 * numa_miss there and a numa_foreign on the memoryless node.
 */
KTEST(pmm, memoryless_node_counts_a_hit)
{
	int nid, tested = 0;

	for_each_online_node(nid) {
		if (numa_nodes[nid].present_pages)
			continue;
		int near = numa_nodes[nid].fallback[0];
		struct numa_node *g = &numa_nodes[near], *m = &numa_nodes[nid];
		uint64_t hit = READ_ONCE(g->numa_hit), miss = READ_ONCE(g->numa_miss);
		uint64_t foreign = READ_ONCE(m->numa_foreign), other = READ_ONCE(g->other_node);
		struct page *p = pmm_alloc_pages(nid, 0, 0);

		KTEST_ASSERT(t, p != NULL);
		KTEST_EXPECT_EQ(t, p->node, near);
		KTEST_EXPECT(t, READ_ONCE(g->numa_hit) > hit);
		KTEST_EXPECT_EQ(t, READ_ONCE(g->numa_miss), miss);
		KTEST_EXPECT_EQ(t, READ_ONCE(m->numa_foreign), foreign);
		if (this_cpu()->node != near)
			KTEST_EXPECT(t, READ_ONCE(g->other_node) > other);
		pmm_free_pages(p, 0);
		tested++;
	}
	if (!tested)
		ktest_skip(t, "no node without memory");
}

/* A block taken from a node's fallback (the wanted node at its min
 * watermark, for user memory) is a numa_miss where it came from and a
 * numa_foreign on the node wanted, as Linux's zone_statistics(). */
KTEST(pmm, fallback_counts_miss_and_foreign)
{
	int nid, want = -1;

	for_each_online_node(nid)
		if (numa_nodes[nid].present_pages && numa_nodes[nid].nr_fallback > 1 &&
		    numa_nodes[numa_nodes[nid].fallback[1]].present_pages)
			want = nid;
	if (want < 0) {
		ktest_skip(t, "needs two nodes with memory");
		return;
	}
	struct numa_node *w = &numa_nodes[want];
	struct list_head blocks;
	list_init(&blocks);
	exhaust_node(want, &blocks);
	uint64_t foreign = READ_ONCE(w->numa_foreign), miss[MAX_NODES];
	for_each_online_node(nid)
		miss[nid] = READ_ONCE(numa_nodes[nid].numa_miss);
	struct page *p = pmm_alloc_pages(want, 0, PMM_USER);
	KTEST_ASSERT(t, p != NULL);
	KTEST_EXPECT(t, p->node != want);
	KTEST_EXPECT(t, READ_ONCE(w->numa_foreign) > foreign);
	KTEST_EXPECT(t, READ_ONCE(numa_nodes[p->node].numa_miss) > miss[p->node]);
	pmm_free_pages(p, 0);
	free_blocks(&blocks);
}
