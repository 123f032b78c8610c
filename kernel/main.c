/*
 * kmain: the boot CPU's path from the first C instruction to "boot complete".
 * Each step is one subsystem's init; the order is the dependency order.
 */
#include <kernel/printk.h>
#include <kernel/percpu.h>
#include <arch/serial.h>
#include <arch/irq.h>

struct cpu cpus[MAX_CPUS];
int nr_cpus = 1;
struct cpumask cpu_online_mask;

void kmain(uint32_t magic, uint32_t mbi_phys)
{
	percpu_init_this(&cpus[0]);
	serial_init();
	printk("numbat: booting (magic %x, info at %x)\n", magic, mbi_phys);
	for (;;)
		cpu_idle_wait();
}
