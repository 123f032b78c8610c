/* Consistency of the NUMA nodes built at boot (ktest=numa). */
#include <kernel/ktest.h>
#include <kernel/numa.h>
#include <kernel/percpu.h>
#include <kernel/bootinfo.h>

KTEST(numa, every_cpu_in_one_node)
{
	int nid;

	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		int homes = 0;

		for_each_online_node(nid)
			homes += cpumask_test(&numa_nodes[nid].cpus, cpu);
		KTEST_EXPECT_EQ(t, homes, 1);
		KTEST_EXPECT(t, cpumask_test(&numa_nodes[cpus[cpu].node].cpus, cpu));
	}
}

KTEST(numa, usable_ram_all_assigned)
{
	uint64_t usable = 0, present = 0;
	int nid;

	for (int i = 0; i < boot_info.nr_mem; i++) {
		const struct boot_mem_range *r = &boot_info.mem[i];
		uint64_t s = ALIGN_UP(r->base, PAGE_SIZE);
		uint64_t e = ALIGN_DOWN(r->base + r->len, PAGE_SIZE);

		if (r->type == BOOT_MEM_USABLE && e > s)
			usable += (e - s) >> PAGE_SHIFT;
	}
	for_each_online_node(nid)
		present += numa_nodes[nid].present_pages;
	KTEST_EXPECT_EQ(t, present, usable);
}

KTEST(numa, distances_and_fallback)
{
	int a, b;

	for_each_online_node(a) {
		struct numa_node *n = &numa_nodes[a];

		KTEST_EXPECT_EQ(t, n->distance[a], LOCAL_DISTANCE);
		for_each_online_node(b)
			if (a != b)
				KTEST_EXPECT(t, n->distance[b] > LOCAL_DISTANCE);
		if (n->present_pages)
			KTEST_EXPECT_EQ(t, n->fallback[0], a);
		for (int i = 1; i < n->nr_fallback; i++)
			KTEST_EXPECT(t, n->distance[n->fallback[i - 1]] <=
					n->distance[n->fallback[i]]);
	}
}

KTEST(numa, node_of_phys)
{
	int nid;

	for_each_online_node(nid)
		for (int i = 0; i < numa_nodes[nid].nr_ranges; i++) {
			const struct mem_range *r = &numa_nodes[nid].ranges[i];
			KTEST_EXPECT_EQ(t, numa_node_of_phys(r->start), nid);
			KTEST_EXPECT_EQ(t, numa_node_of_phys(r->end - 1), nid);
		}
	KTEST_EXPECT_EQ(t, numa_node_of_phys(1ULL << 52), NUMA_NO_NODE);
}
