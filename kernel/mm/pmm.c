/*
 * Physical memory: setting up each node's struct pages and buddy allocator,
 * and allocation with fallback by distance (see pmm.h).
 */
#include <kernel/reclaim.h>
#include <kernel/pmm.h>
#include <kernel/memblock.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/string.h>

/* The span of frames a node covers, holes included. */
static void node_span(struct numa_node *n)
{
	n->start_pfn = n->ranges[0].start >> PAGE_SHIFT;
	n->end_pfn = n->ranges[n->nr_ranges - 1].end >> PAGE_SHIFT;
}

/* mem_map on the node itself; every page starts reserved until freed. */
static void node_alloc_mem_map(struct numa_node *n)
{
	uint64_t count = n->end_pfn - n->start_pfn;

	n->mem_map = memblock_alloc(count * sizeof(struct page), 64, n->id);
	for (uint64_t i = 0; i < count; i++) {
		n->mem_map[i].flags = PG_reserved;
		n->mem_map[i].node = n->id;
	}
}

/* Watermarks, as Linux sizes min_free_kbytes: about 4*sqrt(KiB), split
 * over nodes by size; low and high are 5/4 and 3/2 of min. */
static void node_watermarks(struct numa_node *n, uint64_t total_pages)
{
	uint64_t kib = total_pages * 4, root = 1;

	while ((root + 1) * (root + 1) <= kib * 16)
		root++;
	uint64_t min_pages = root / 4 * n->managed_pages / MAX(total_pages, 1);

	n->wmark_min = min_pages;
	n->wmark_low = min_pages * 5 / 4;
	n->wmark_high = min_pages * 3 / 2;
}

static void free_to_node(uint64_t start, uint64_t end)
{
	int nid = numa_node_of_phys(start);

	BUG_ON(nid == NUMA_NO_NODE);
	buddy_free_range(&numa_nodes[nid], start >> PAGE_SHIFT, end >> PAGE_SHIFT);
}

void pmm_init(void)
{
	int nid;
	uint64_t total = 0;

	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];

		for (int o = 0; o < MAX_ORDER; o++)   /* memoryless nodes too */
			list_init(&n->free_area[o].list);
		lru_init_node(&n->lru);
		if (!n->nr_ranges)
			continue;
		node_span(n);
		node_alloc_mem_map(n);
	}
	memblock_for_each_free(free_to_node);
	memblock_done();
	for_each_online_node(nid)
		total += numa_nodes[nid].managed_pages;
	for_each_online_node(nid)
		node_watermarks(&numa_nodes[nid], total);
}

struct page *pfn_to_page(uint64_t pfn)
{
	int nid;

	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];

		if (pfn >= n->start_pfn && pfn < n->end_pfn && n->mem_map)
			return &n->mem_map[pfn - n->start_pfn];
	}
	return NULL;
}

uint64_t page_to_pfn(const struct page *p)
{
	const struct numa_node *n = &numa_nodes[p->node];

	return n->start_pfn + (uint64_t)(p - n->mem_map);
}

static void bump(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Linux's numastat counters for one allocation wanted on `want` (as
 * Linux's zone_statistics, and interleave_hit as its interleave path). */
static void count_numa(int want, int got, unsigned flags)
{
	struct numa_node *g = &numa_nodes[got];

	if (got == want) {
		bump(&g->numa_hit);
		if (flags & PMM_INTERLEAVE)
			bump(&g->interleave_hit);
	} else {
		bump(&g->numa_miss);
		bump(&numa_nodes[want].numa_foreign);
	}
	bump(got == numa_this_node() ? &g->local_node : &g->other_node);
}

/*
 * The node an allocation on `node` wants, for the numastat counters: the
 * node itself with PMM_THISNODE, else the first of its fallback list,
 * which is the node itself when it has memory and its nearest node with
 * memory when it has none (as Linux's preferred zone, the first zone of
 * the node's zonelist). So a memoryless node's CPU that gets memory from
 * its nearest node counts a hit there, not a miss.
 */
static int wanted_node(const struct numa_node *n, int node, unsigned flags)
{
	return (flags & PMM_THISNODE) || !n->nr_fallback ? node : n->fallback[0];
}

/* May this allocation use node n? User pages leave the min reserve. */
static bool allowed(const struct numa_node *n, unsigned flags)
{
	return !(flags & PMM_USER) || READ_ONCE(n->free_pages) > n->wmark_min;
}

struct page *pmm_alloc_pages(int node, unsigned order, unsigned flags)
{
	struct page *p = NULL;

	if (order >= MAX_ORDER)
		return NULL;
	if (node == NUMA_NO_NODE)
		node = numa_this_node();
	if (node < 0 || node >= MAX_NODES || !numa_nodes[node].online)
		return NULL;
	struct numa_node *n = &numa_nodes[node];

	if (flags & PMM_THISNODE) {
		p = n->mem_map && allowed(n, flags) ? buddy_alloc(n, order) : NULL;
	} else {
		for (int i = 0; i < n->nr_fallback && !p; i++)
			if (allowed(&numa_nodes[n->fallback[i]], flags))
				p = buddy_alloc(&numa_nodes[n->fallback[i]], order);
	}
	if (p) {
		count_numa(wanted_node(n, node, flags), p->node, flags);
		reclaim_note_alloc(p->node);
	}
	if (p && (flags & PMM_ZERO))
		memset(page_address(p), 0, PAGE_SIZE << order);
	return p;
}

void pmm_free_pages(struct page *p, unsigned order)
{
	buddy_free(&numa_nodes[p->node], p, order);
}

uint64_t pmm_free_pages_total(void)
{
	uint64_t total = 0;
	int nid;

	for_each_online_node(nid)
		total += READ_ONCE(numa_nodes[nid].free_pages);
	return total;
}
