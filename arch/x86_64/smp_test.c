/* Tests of SMP start-up, per-CPU data and cross-CPU calls (ktest=smp). */
#include <kernel/ktest.h>
#include <kernel/percpu.h>
#include <kernel/topology.h>
#include <kernel/pmm.h>
#include <kernel/proc.h>
#include <arch/smp.h>
#include <arch/lapic.h>
#include <arch/timer.h>
#include <arch/irq.h>

KTEST(smp, every_madt_cpu_is_online)
{
	KTEST_EXPECT_EQ(t, cpumask_weight(&cpu_online_mask), topology.nr_cpus);
	KTEST_EXPECT_EQ(t, nr_cpus, topology.nr_cpus);
	for (int i = 0; i < nr_cpus; i++)
		KTEST_EXPECT(t, cpumask_test(&cpu_online_mask, i));
}

struct ran_record {
	struct cpumask ran;
	uint32_t apic[MAX_CPUS];
	int node[MAX_CPUS];
};

static void record_cpu(void *arg)
{
	struct ran_record *r = arg;
	int me = this_cpu_id();

	r->apic[me] = lapic_id();
	r->node[me] = this_cpu()->node;
	cpumask_set(&r->ran, me);
}

/* Each CPU records, from an IPI, that it ran and who it is. */
KTEST(smp, every_cpu_runs_call_function)
{
	static struct ran_record r;

	r = (struct ran_record){ 0 };
	smp_call_function_all(record_cpu, &r);
	KTEST_EXPECT_EQ(t, r.ran.bits, cpu_online_mask.bits);
	for (int i = 0; i < nr_cpus; i++) {
		KTEST_EXPECT_EQ(t, r.apic[i], cpus[i].apic_id);
		KTEST_EXPECT_EQ(t, r.node[i], cpus[i].node);
	}
}

KTEST(smp, call_function_with_irqs_off)
{
	static struct ran_record r;
	uint64_t flags = irq_save();

	r = (struct ran_record){ 0 };
	smp_call_function_all(record_cpu, &r);
	irq_restore(flags);
	KTEST_EXPECT_EQ(t, r.ran.bits, cpu_online_mask.bits);
}

KTEST(smp, call_function_subset)
{
	static struct ran_record r;
	struct cpumask odd = { 0 };

	for (int i = 1; i < nr_cpus; i += 2)
		cpumask_set(&odd, i);
	r = (struct ran_record){ 0 };
	smp_call_function_mask(&odd, record_cpu, &r);
	KTEST_EXPECT_EQ(t, r.ran.bits, odd.bits);
}

KTEST(smp, timer_ticks_on_every_cpu)
{
	uint64_t before[MAX_CPUS];

	for (int i = 0; i < nr_cpus; i++)
		before[i] = cpus[i].ticks;
	udelay(3 * 1000000 / HZ);
	for (int i = 0; i < nr_cpus; i++)
		KTEST_EXPECT(t, cpus[i].ticks > before[i]);
}

KTEST(smp, stacks_on_own_node)
{
	for (int i = 1; i < nr_cpus; i++) {
		int want = cpus[i].node;

		if (!numa_nodes[want].present_pages)
			want = numa_nodes[want].fallback[0];
		KTEST_EXPECT_EQ(t, kstack_page((char *)cpus[i].stack_top - 1)->node, want);
	}
}
