/*
 * kmain: the boot CPU's path from the first C instruction to "boot complete".
 * Each step is one subsystem's init, in dependency order; docs/boot.md walks
 * through them.
 */
#include <kernel/reclaim.h>
#include <kernel/numa_balancing.h>
#include <kernel/swap.h>
#include <kernel/shmem.h>
#include <kernel/trace.h>
#include <kernel/printk.h>
#include <kernel/percpu.h>
#include <kernel/bootinfo.h>
#include <kernel/cmdline.h>
#include <kernel/numa.h>
#include <kernel/memblock.h>
#include <kernel/pmm.h>
#include <kernel/slab.h>
#include <kernel/rmap.h>
#include <kernel/ktest.h>
#include <kernel/power.h>
#include <kernel/vfs.h>
#include <arch/serial.h>
#include <arch/irq.h>
#include <arch/io.h>
#include <arch/trap.h>
#include <arch/paging.h>
#include <arch/acpi.h>
#include <arch/lapic.h>
#include <arch/timer.h>
#include <arch/smp.h>
#include <arch/pic.h>
#include <arch/sched.h>
#include <arch/protect.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/init.h>
#include <kernel/syscall.h>

struct cpu cpus[MAX_CPUS];
int nr_cpus = 1;
struct cpumask cpu_online_mask;

/* CPU 0 and the console, the trap table, and the boot loader's data. */
static void early_init(uint32_t magic, uint32_t mbi)
{
	percpu_init_this(&cpus[0]);
	serial_init();
	printk("numbat: booting\n");
	gdt_init_cpu();
	pic_disable();
	idt_init();
	idt_load();
	multiboot2_parse(magic, mbi);
	cmdline_parse(boot_info.cmdline);
}

/* The firmware's view of the machine, then memory on each node. */
static void memory_init(void)
{
	uint64_t start = rdtsc();

	paging_init();
	paging_map_direct(0, ACPI_PHYS_LIMIT); /* ACPI tables, LAPIC: below 4 GiB */
	if (acpi_init()) {
		acpi_parse_madt(acpi_find("APIC"), &topology);
		acpi_parse_srat(acpi_find("SRAT"), &topology);
		acpi_parse_slit(acpi_find("SLIT"), &topology);
		acpi_power_init();
	}
	lapic_init(topology.lapic_phys);
	smp_identify();
	numa_init();
	for (int i = 0; i < boot_info.nr_mem; i++)
		if (boot_info.mem[i].type == BOOT_MEM_USABLE)
			paging_map_direct(boot_info.mem[i].base,
					  boot_info.mem[i].base + boot_info.mem[i].len);
	memblock_init();
	pmm_init();
	kmalloc_init();
	rmap_init();
	boot_info.tsc_mem_cycles = rdtsc() - start;
	numa_print();
}

static void boot_complete(void)
{
	uint64_t ns = tsc_to_ns(rdtsc() - boot_info.tsc_at_entry);
	uint64_t mem = tsc_to_ns(boot_info.tsc_mem_cycles);

	printk("boot: complete in %lu.%03lu ms (memory setup %lu.%03lu ms)\n",
	       ns / 1000000, ns / 1000 % 1000, mem / 1000000, mem / 1000 % 1000);
}

/* Tests run in a kernel thread, so that they may sleep, fork and wait. */
static int ktest_thread(void *arg)
{
	ktest_run_requested();
	machine_poweroff();
}

static void start_first_work(void)
{
	if (cmdline_has("ktest")) {
		if (!kthread_create("ktest", ktest_thread, NULL, numa_this_node()))
			panic("no memory for the test thread");
		return;
	}
	init_start();
}

/* Never returns, so its own stack-protector check (if any) never runs:
 * it may change the guard (stack_guard_init) before anything else. */
void kmain(uint32_t magic, uint32_t mbi)
{
	stack_guard_init();
	boot_info.tsc_at_entry = rdtsc();
	early_init(magic, mbi);
	memory_init();
	lapic_enable_this();
	fpu_init();
	protect_init_cpu();
	syscall_init_cpu();
	sched_init_cpu();
	timer_calibrate();
	timer_start_this_cpu();
	irq_enable();
	smp_boot();
	paging_drop_identity();
	fs_init();
	swap_init();
	shmem_init();
	flush_start();
	reclaim_init();
	numab_init();
	procfs_proc_init();
	rmap_check_init();
	sysfs_node_init();
	trace_init();
	boot_complete();
	syscall_tracing = cmdline_has("strace");
	start_first_work();
	sched_idle_loop();
}
