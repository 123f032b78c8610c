/*
 * Building the NUMA nodes (numa.h) from what the firmware said (topology.h)
 * and the boot loader's memory map (bootinfo.h). A node's memory is the
 * usable RAM of the memory map that falls inside its SRAT ranges. Without
 * a usable SRAT there is one node, 0, with every CPU and all memory; without
 * a valid SLIT, distances are 10 to itself and 20 to every other node.
 */
#include <kernel/numa.h>
#include <kernel/bootinfo.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/string.h>

struct numa_node numa_nodes[MAX_NODES];

static void node_add_range(struct numa_node *n, uint64_t start, uint64_t end)
{
	start = ALIGN_UP(start, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (start >= end)
		return;
	if (n->nr_ranges && n->ranges[n->nr_ranges - 1].end == start) {
		n->ranges[n->nr_ranges - 1].end = end;   /* merge */
	} else if (n->nr_ranges == MAX_NODE_RANGES) {
		printk("numa: node %d: too many ranges, %lx-%lx unused\n", n->id,
		       start, end);
		return;
	} else {
		n->ranges[n->nr_ranges++] = (struct mem_range){ start, end };
	}
	n->present_pages += (end - start) >> PAGE_SHIFT;
}

/* Give one usable range of the memory map to the nodes SRAT says own it. */
static void assign_range(uint64_t start, uint64_t end)
{
	if (end > DIRECT_MAP_MAX) {
		printk("numa: RAM above %lu GiB is not used\n", DIRECT_MAP_MAX >> 30);
		end = DIRECT_MAP_MAX;
		if (start >= end)
			return;
	}
	if (!topology.has_srat) {
		node_add_range(&numa_nodes[0], start, end);
		return;
	}
	uint64_t covered = 0;

	for (int i = 0; i < topology.nr_mem; i++) {
		const struct topo_mem *m = &topology.mem[i];
		uint64_t s = MAX(start, m->base), e = MIN(end, m->base + m->len);

		if (s < e) {
			node_add_range(&numa_nodes[m->node], s, e);
			covered += e - s;
		}
	}
	if (covered < end - start)
		printk("numa: part of RAM %lx-%lx is in no SRAT range, unused\n",
		       start, end);
}

/* The memory map may list ranges out of order; nodes want them sorted. */
static void sort_boot_ranges(void)
{
	for (int i = 1; i < boot_info.nr_mem; i++)
		for (int j = i; j > 0 && boot_info.mem[j].base < boot_info.mem[j - 1].base; j--) {
			struct boot_mem_range t = boot_info.mem[j];
			boot_info.mem[j] = boot_info.mem[j - 1];
			boot_info.mem[j - 1] = t;
		}
}

static bool slit_valid(void)
{
	int a, b;

	if (!topology.has_slit)
		return false;
	for_each_online_node(a) {
		for_each_online_node(b) {
			uint8_t d = topology.distance[a][b];
			if (a == b ? d != LOCAL_DISTANCE : d <= LOCAL_DISTANCE || d == 255) {
				printk("numa: SLIT distance %d->%d = %u is invalid, SLIT ignored\n",
				       a, b, d);
				return false;
			}
		}
	}
	return true;
}

static void set_distances(void)
{
	bool slit = slit_valid();
	int a, b;

	for_each_online_node(a)
		for_each_online_node(b)
			numa_nodes[a].distance[b] = slit ? topology.distance[a][b] :
				a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

/* fallback[]: the nodes with memory, nearest first (ties by id). */
static void build_fallback(struct numa_node *n)
{
	int nid;

	n->nr_fallback = 0;
	for_each_online_node(nid) {
		if (!numa_nodes[nid].present_pages)
			continue;
		int i = n->nr_fallback++;
		while (i > 0 && n->distance[n->fallback[i - 1]] > n->distance[nid]) {
			n->fallback[i] = n->fallback[i - 1];
			i--;
		}
		n->fallback[i] = nid;
	}
}

static int first_online_node(void)
{
	int nid;

	for_each_online_node(nid)
		return nid;
	return 0;
}

static void assign_cpus(void)
{
	for (int cpu = 0; cpu < topology.nr_cpus; cpu++) {
		int node = topology.has_srat ? topology.cpu_node[cpu] : 0;

		if (node < 0 || !numa_nodes[node].online) {
			node = first_online_node();
			printk("numa: cpu %d (APIC %u) has no SRAT node, using node %d\n",
			       cpu, topology.apic_id[cpu], node);
		}
		cpus[cpu].node = node;
		cpumask_set(&numa_nodes[node].cpus, cpu);
	}
}

void numa_init(void)
{
	int nid;

	for (nid = 0; nid < MAX_NODES; nid++) {
		numa_nodes[nid].id = nid;
		numa_nodes[nid].online = topology.has_srat ? topology.node_present[nid] : nid == 0;
		spin_init(&numa_nodes[nid].lock, "node");
	}
	sort_boot_ranges();
	for (int i = 0; i < boot_info.nr_mem; i++)
		if (boot_info.mem[i].type == BOOT_MEM_USABLE)
			assign_range(boot_info.mem[i].base,
				     boot_info.mem[i].base + boot_info.mem[i].len);
	set_distances();
	for_each_online_node(nid)
		build_fallback(&numa_nodes[nid]);
	assign_cpus();
}

/* One line per node, in the format the test harness checks (docs/design.md, section 6). */
void numa_print(void)
{
	int nid, other;

	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];
		char cpulist[128], dist[4 * MAX_NODES + 1];
		size_t len = 0;

		cpumask_format(cpulist, sizeof(cpulist), &n->cpus);
		for_each_online_node(other)
			len += snprintf(dist + len, sizeof(dist) - len, " %u", n->distance[other]);
		printk("numa: node %d cpus %s mem %lu MiB distances%s\n", nid, cpulist,
		       (n->present_pages + 128) >> 8, dist);
	}
}

int numa_node_of_phys(uint64_t pa)
{
	int nid;

	for_each_online_node(nid)
		for (int i = 0; i < numa_nodes[nid].nr_ranges; i++)
			if (pa >= numa_nodes[nid].ranges[i].start &&
			    pa < numa_nodes[nid].ranges[i].end)
				return nid;
	return NUMA_NO_NODE;
}

int numa_this_node(void)
{
	return this_cpu()->node;
}
