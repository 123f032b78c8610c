/*
 * Allocator micro-benchmarks (ktest=bench_mm, run by `make bench` under
 * QEMU -icount, where the TSC counts guest instructions' time). Each prints
 * `bench: <name> <cycles> cycles/op`. Not part of ktest=all.
 */
#include <kernel/ktest.h>
#include <kernel/pmm.h>
#include <kernel/slab.h>
#include <kernel/printk.h>
#include <arch/io.h>

#define ROUNDS 4096

static struct page *pages[ROUNDS];

/* Allocate ROUNDS frames from `node`, then free them; cycles per pair. */
static uint64_t alloc_free_cycles(int node, unsigned flags)
{
	uint64_t t0 = rdtsc();

	for (int i = 0; i < ROUNDS; i++)
		pages[i] = pmm_alloc_pages(node, 0, flags);
	for (int i = 0; i < ROUNDS; i++)
		if (pages[i])
			pmm_free_pages(pages[i], 0);
	return (rdtsc() - t0) / ROUNDS;
}

KTEST_EXPLICIT(bench_mm, page_alloc_free)
{
	int nid;

	for_each_online_node(nid) {
		if (!numa_nodes[nid].present_pages)
			continue;
		uint64_t c = alloc_free_cycles(nid, PMM_THISNODE);
		printk("bench: page_alloc_free_node%d %lu cycles/op\n", nid, c);
		KTEST_EXPECT(t, c > 0);
	}
}

KTEST_EXPLICIT(bench_mm, kmalloc_kfree)
{
	static void *objs[ROUNDS];
	static const size_t sizes[] = { 32, 256, 2048 };

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		uint64_t t0 = rdtsc();

		for (int i = 0; i < ROUNDS; i++)
			objs[i] = kmalloc(sizes[s]);
		for (int i = 0; i < ROUNDS; i++)
			kfree(objs[i]);
		uint64_t c = (rdtsc() - t0) / ROUNDS;
		printk("bench: kmalloc_kfree_%lu %lu cycles/op\n", sizes[s], c);
		KTEST_EXPECT(t, c > 0);
	}
}
