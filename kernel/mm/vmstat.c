/* Memory event counters (vmstat.h). */
#include <kernel/vmstat.h>
#include <kernel/percpu.h>
#include <kernel/numa.h>
#include <kernel/procfs.h>

_Static_assert(NR_VM_EVENTS <= NR_VM_EVENTS_MAX, "struct cpu.vmstat is too small");

const char *const vm_event_names[NR_VM_EVENTS] = {
	[PGFAULT] = "pgfault",
	[PGMAJFAULT] = "pgmajfault",
	[PGALLOC] = "pgalloc_normal",
	[PGFREE] = "pgfree",
	[COW_FAULT] = "numbat_cow_fault",
	[COW_REUSE] = "numbat_cow_reuse",
	[PTE_CHAIN_ALLOC] = "numbat_pte_chain_alloc",
	[PTE_CHAIN_FREE] = "numbat_pte_chain_free",
	[RMAP_DIRECT_TO_CHAIN] = "numbat_rmap_direct_to_chain",
	[RMAP_CHAIN_TO_DIRECT] = "numbat_rmap_chain_to_direct",
	[RMAP_DIRECT_TO_PAIR] = "numbat_rmap_direct_to_pair",
	[RMAP_PAIR_TO_DIRECT] = "numbat_rmap_pair_to_direct",
	[PGMIGRATE_SUCCESS] = "pgmigrate_success",
	[PGMIGRATE_FAIL] = "pgmigrate_fail",
	[RMAP_CHECK] = "numbat_rmap_check",
	[OOM_KILL] = "oom_kill",
	[REPLICA_MADE] = "numbat_replica_made",
	[REPLICA_FREED] = "numbat_replica_freed",
	[REPLICA_COLLAPSED] = "numbat_replica_collapsed",
};

const char *const node_event_names[NR_NODE_EVENTS] = {
	[PSWPIN] = "pswpin",
	[PSWPOUT] = "pswpout",
	[PGSCAN_KSWAPD] = "pgscan_kswapd",
	[PGSCAN_DIRECT] = "pgscan_direct",
	[PGSTEAL_KSWAPD] = "pgsteal_kswapd",
	[PGSTEAL_DIRECT] = "pgsteal_direct",
	[PGACTIVATE] = "pgactivate",
	[PGDEACTIVATE] = "pgdeactivate",
	[PGREFILL] = "pgrefill",
	[NUMA_PTE_UPDATES] = "numa_pte_updates",
	[NUMA_HINT_FAULTS] = "numa_hint_faults",
	[NUMA_HINT_FAULTS_LOCAL] = "numa_hint_faults_local",
	[NUMA_PAGES_MIGRATED] = "numa_pages_migrated",
	[NUMA_TASK_MIGRATED] = "numa_task_migrated",
};

void count_node_event(int nid, enum node_event e, uint64_t n)
{
	__atomic_fetch_add(&numa_nodes[nid].events[e], n, __ATOMIC_RELAXED);
}


void count_vm_event(enum vm_event e)
{
	__atomic_fetch_add(&this_cpu()->vmstat[e], 1, __ATOMIC_RELAXED);
}

uint64_t vm_event_sum(enum vm_event e)
{
	uint64_t n = 0;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		n += READ_ONCE(cpus[cpu].vmstat[e]);
	return n;
}

static const char *const lru_names[NR_LRU_LISTS] = {
	[LRU_INACTIVE_ANON] = "nr_inactive_anon",
	[LRU_ACTIVE_ANON] = "nr_active_anon",
	[LRU_INACTIVE_FILE] = "nr_inactive_file",
	[LRU_ACTIVE_FILE] = "nr_active_file",
};

uint64_t lru_count(int nid, int l)
{
	uint64_t n = 0;
	int i;

	for_each_online_node(i)
		if (nid == NUMA_NO_NODE || i == nid)
			n += READ_ONCE(numa_nodes[i].lru.nr[l]);
	return n;
}

/* Node nid's (or, for NUMA_NO_NODE, every node's) LRU sizes, swap cache
 * and reclaim events, one "name value" line each, as Linux. */
void vmstat_show_reclaim(struct pbuf *b, int nid)
{
	uint64_t ev[NR_NODE_EVENTS] = { 0 }, cached = 0;
	int i;

	for_each_online_node(i) {
		struct numa_node *n = &numa_nodes[i];
		if (nid != NUMA_NO_NODE && i != nid)
			continue;
		for (int e = 0; e < NR_NODE_EVENTS; e++)
			ev[e] += READ_ONCE(n->events[e]);
		cached += READ_ONCE(n->nr_swapcached);
	}
	for (int l = 0; l < NR_LRU_LISTS; l++)
		pbuf_printf(b, "%s %lu\n", lru_names[l], lru_count(nid, l));
	pbuf_printf(b, "nr_swapcached %lu\n", cached);
	for (int e = 0; e < NR_NODE_EVENTS; e++)
		pbuf_printf(b, "%s %lu\n", node_event_names[e], ev[e]);
	if (nid == NUMA_NO_NODE)             /* the memory replication costs */
		pbuf_printf(b, "numbat_nr_replica_pages %lu\n",
			    vm_event_sum(REPLICA_MADE) - vm_event_sum(REPLICA_FREED));
}

/* Node nid's (or, for NUMA_NO_NODE, every node's) allocation counters
 * under the names Linux's /proc/vmstat and node vmstat give them (the
 * numastat file calls the last three interleave_hit, local_node and
 * other_node). */
void vmstat_show_numa(struct pbuf *b, int nid)
{
	uint64_t hit = 0, miss = 0, foreign = 0, inter = 0, local = 0, other = 0;
	int i;

	for_each_online_node(i) {
		struct numa_node *n = &numa_nodes[i];
		if (nid != NUMA_NO_NODE && i != nid)
			continue;
		hit += READ_ONCE(n->numa_hit);
		miss += READ_ONCE(n->numa_miss);
		foreign += READ_ONCE(n->numa_foreign);
		inter += READ_ONCE(n->interleave_hit);
		local += READ_ONCE(n->local_node);
		other += READ_ONCE(n->other_node);
	}
	pbuf_printf(b, "numa_hit %lu\nnuma_miss %lu\nnuma_foreign %lu\nnuma_interleave %lu\n"
		    "numa_local %lu\nnuma_other %lu\n", hit, miss, foreign, inter, local, other);
}
