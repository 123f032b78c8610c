/*
 * SMP start-up and cross-CPU calls.
 *
 * Start-up: for each CPU in the MADT, smp_boot() gives it a stack on its own
 * node, fills in the trampoline's parameters and sends INIT, then two
 * STARTUP IPIs (Intel SDM's sequence). The AP runs trampoline.asm, then
 * ap_main(), and marks itself online. APs start one at a time, since they
 * share the trampoline.
 */
#include <arch/smp.h>
#include <arch/lapic.h>
#include <arch/timer.h>
#include <arch/trap.h>
#include <arch/paging.h>
#include <arch/io.h>
#include <arch/sched.h>
#include <arch/protect.h>
#include <kernel/sched.h>
#include <kernel/proc.h>
#include <kernel/percpu.h>
#include <kernel/topology.h>
#include <kernel/pmm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#define TRAMP_BASE 0x8000
#define AP_START_TIMEOUT_US 2000000

extern const char trampoline_start[], trampoline_end[];
extern uint64_t tramp_cr3, tramp_efer, tramp_stack, tramp_cpu, tramp_entry;
extern uint64_t boot_pml4[];

static bool cpu_is_online(int cpu)
{
	return cpumask_test(&cpu_online_mask, cpu);
}

/* Where a trampoline parameter sits in the copy at TRAMP_BASE. */
static uint64_t *tramp_param(uint64_t *sym)
{
	return phys_to_virt(TRAMP_BASE + ((const char *)sym - trampoline_start));
}

static __noreturn void ap_main(struct cpu *c)
{
	percpu_init_this(c);
	gdt_init_cpu();
	idt_load();
	lapic_enable_this();
	fpu_init();
	protect_init_cpu();
	syscall_init_cpu();
	sched_init_cpu();
	timer_start_this_cpu();
	cpumask_set(&cpu_online_mask, c->id);       /* the boot CPU waits for this */
	sched_idle_loop();
}

static bool start_ap(struct cpu *c)
{
	void *stack = kstack_alloc(c->node);   /* with a guard page under it */

	if (!stack)
		return false;
	c->stack_top = (char *)stack + (PAGE_SIZE << KSTACK_ORDER);
	*tramp_param(&tramp_cr3) = (uint64_t)boot_pml4;
	*tramp_param(&tramp_efer) = rdmsr(MSR_EFER);
	*tramp_param(&tramp_stack) = (uint64_t)c->stack_top;
	*tramp_param(&tramp_cpu) = (uint64_t)c;
	*tramp_param(&tramp_entry) = (uint64_t)ap_main;

	lapic_send_ipi(c->apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	udelay(10000);
	for (int i = 0; i < 2 && !cpu_is_online(c->id); i++) {
		lapic_send_ipi(c->apic_id, ICR_STARTUP | (TRAMP_BASE >> 12));
		udelay(200);
	}
	for (int us = 0; us < AP_START_TIMEOUT_US && !cpu_is_online(c->id); us += 100)
		udelay(100);
	if (!cpu_is_online(c->id))
		kstack_free(stack);
	return cpu_is_online(c->id);
}

/* The boot CPU becomes cpu 0 even if the MADT lists it elsewhere. */
static void bsp_first(void)
{
	uint32_t me = lapic_id();

	for (int i = 1; i < topology.nr_cpus; i++) {
		if (topology.apic_id[i] != me)
			continue;
		topology.apic_id[i] = topology.apic_id[0];
		topology.apic_id[0] = me;
		int t = topology.cpu_node[i];
		topology.cpu_node[i] = topology.cpu_node[0];
		topology.cpu_node[0] = t;
	}
	if (topology.nr_cpus == 0) {
		topology.nr_cpus = 1;
		topology.apic_id[0] = me;
		topology.cpu_node[0] = -1;
	}
}

/* Called before numa_init(): fixes the logical CPU ids. */
void smp_identify(void)
{
	bsp_first();
	nr_cpus = topology.nr_cpus;
	for (int i = 0; i < nr_cpus; i++) {
		cpus[i].id = i;
		cpus[i].apic_id = topology.apic_id[i];
	}
}

void smp_boot(void)
{
	memcpy(phys_to_virt(TRAMP_BASE), trampoline_start,
	       trampoline_end - trampoline_start);
	smp_call_init();
	cpumask_set(&cpu_online_mask, 0);
	for (int i = 1; i < nr_cpus; i++)
		if (!start_ap(&cpus[i]))
			printk("smp: cpu %d (APIC %u) did not start\n", i, cpus[i].apic_id);
	printk("smp: %d cpus online\n", cpumask_weight(&cpu_online_mask));
}

void smp_stop_others(void)
{
	int cpu;

	for_each_cpu_in(cpu, &cpu_online_mask)
		if (cpu != this_cpu_id())
			lapic_send_ipi(cpus[cpu].apic_id, ICR_NMI);
}
