/*
 * /sys/devices/system/node and /sys/devices/system/cpu, in Linux's
 * formats, so that numactl-style tools and the user tests can read the
 * topology Numbat found:
 *   node/online, node/possible, node/nodeN/{cpulist,distance,meminfo,numastat}
 *   cpu/online, cpu/possible
 */
#include <kernel/procfs.h>
#include <kernel/numa.h>
#include <kernel/percpu.h>
#include <kernel/string.h>
#include <kernel/printk.h>

static int show_node_online(struct pbuf *b, void *unused)
{
	struct cpumask nodes = { 0 };   /* node ids fit: MAX_NODES <= 64 */
	char list[128];
	int nid;

	for_each_online_node(nid)
		cpumask_set(&nodes, nid);
	cpumask_format(list, sizeof(list), &nodes);
	pbuf_printf(b, "%s\n", list);
	return 0;
}

static int show_cpu_online(struct pbuf *b, void *unused)
{
	char list[128];

	cpumask_format(list, sizeof(list), &cpu_online_mask);
	pbuf_printf(b, "%s\n", list);
	return 0;
}

static struct numa_node *node_of(void *data)
{
	return &numa_nodes[(int)(uint64_t)data];
}

static int show_cpulist(struct pbuf *b, void *data)
{
	char list[128];

	cpumask_format(list, sizeof(list), &node_of(data)->cpus);
	pbuf_printf(b, "%s\n", strcmp(list, "none") ? list : "");
	return 0;
}

static int show_distance(struct pbuf *b, void *data)
{
	struct numa_node *n = node_of(data);
	int other;
	bool first = true;

	for_each_online_node(other) {
		pbuf_printf(b, first ? "%u" : " %u", n->distance[other]);
		first = false;
	}
	pbuf_printf(b, "\n");
	return 0;
}

static int show_meminfo(struct pbuf *b, void *data)
{
	struct numa_node *n = node_of(data);
	uint64_t total = n->managed_pages * 4, free = READ_ONCE(n->free_pages) * 4;

	pbuf_printf(b, "Node %d MemTotal:       %8lu kB\n", n->id, total);
	pbuf_printf(b, "Node %d MemFree:        %8lu kB\n", n->id, free);
	pbuf_printf(b, "Node %d MemUsed:        %8lu kB\n", n->id, total - free);
	return 0;
}

static int show_numastat(struct pbuf *b, void *data)
{
	struct numa_node *n = node_of(data);

	pbuf_printf(b, "numa_hit %lu\nnuma_miss %lu\nnuma_foreign %lu\n"
		    "interleave_hit %lu\nlocal_node %lu\nother_node %lu\n",
		    READ_ONCE(n->numa_hit), READ_ONCE(n->numa_miss), READ_ONCE(n->numa_foreign),
		    READ_ONCE(n->interleave_hit), READ_ONCE(n->local_node),
		    READ_ONCE(n->other_node));
	return 0;
}

/* Linux's node vmstat: the node's counters, "name value" lines. */
static int show_vmstat(struct pbuf *b, void *data)
{
	struct numa_node *n = node_of(data);

	pbuf_printf(b, "nr_free_pages %lu\n", READ_ONCE(n->free_pages));
	vmstat_show_reclaim(b, n->id);
	vmstat_show_numa(b, n->id);
	return 0;
}

/* /proc/zoneinfo: one "Normal" zone per node with memory, in Linux's
 * layout (the lines Numbat has). */
static int show_zoneinfo(struct pbuf *b, void *unused)
{
	int nid;

	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];
		if (!n->managed_pages)
			continue;
		pbuf_printf(b, "Node %d, zone   Normal\n  pages free     %lu\n"
			    "        min      %lu\n        low      %lu\n        high     %lu\n"
			    "        spanned  %lu\n        present  %lu\n        managed  %lu\n",
			    nid, READ_ONCE(n->free_pages), n->wmark_min, n->wmark_low, n->wmark_high,
			    n->end_pfn - n->start_pfn, n->present_pages, n->managed_pages);
	}
	return 0;
}

void sysfs_node_init(void)
{
	struct procfs_entry *devices = procfs_mkdir(sysfs_root(), "devices");
	struct procfs_entry *system = devices ? procfs_mkdir(devices, "system") : NULL;
	struct procfs_entry *nodes = system ? procfs_mkdir(system, "node") : NULL;
	struct procfs_entry *cpu = system ? procfs_mkdir(system, "cpu") : NULL;
	int nid;

	procfs_create_file(procfs_root(), "zoneinfo", show_zoneinfo, NULL);
	if (!nodes || !cpu)
		return;
	procfs_create_file(cpu, "online", show_cpu_online, NULL);
	procfs_create_file(cpu, "possible", show_cpu_online, NULL);
	procfs_create_file(nodes, "online", show_node_online, NULL);
	procfs_create_file(nodes, "possible", show_node_online, NULL);
	for_each_online_node(nid) {
		char name[16];

		snprintf(name, sizeof(name), "node%d", nid);
		struct procfs_entry *d = procfs_mkdir(nodes, name);
		void *id = (void *)(uint64_t)nid;
		if (!d)
			continue;
		procfs_create_file(d, "cpulist", show_cpulist, id);
		procfs_create_file(d, "distance", show_distance, id);
		procfs_create_file(d, "meminfo", show_meminfo, id);
		procfs_create_file(d, "numastat", show_numastat, id);
		procfs_create_file(d, "vmstat", show_vmstat, id);
	}
}
