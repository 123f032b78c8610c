/* Memory event counters (vmstat.h). */
#include <kernel/vmstat.h>
#include <kernel/percpu.h>

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
	[PGMIGRATE_SUCCESS] = "pgmigrate_success",
	[PGMIGRATE_FAIL] = "pgmigrate_fail",
	[RMAP_CHECK] = "numbat_rmap_check",
};

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
