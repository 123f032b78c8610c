/*
 * Each CPU has its own GDT, because each needs its own TSS (the TSS holds the
 * stack the CPU switches to on an interrupt from user mode and the IST stacks).
 * Selector order (trap.h) is what syscall/sysret expect:
 *   0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user code,
 *   0x28 TSS (a 16-byte descriptor).
 */
#include <kernel/percpu.h>
#include <kernel/string.h>
#include <arch/trap.h>
#include <arch/paging.h>
#include <arch/stack_guard.h>

#define IST_STACK_SIZE 8192

/* Known-good stacks, per CPU: double faults on IST1 (so that a kernel stack
 * overflow still gets a report), NMIs on IST2 (an NMI may come at any
 * instruction, even one that is just switching stacks). Each has an
 * unmapped guard page under it. Static: they are needed before pmm. */
struct ist_stack {
	uint8_t guard[PAGE_SIZE];
	uint8_t stack[IST_STACK_SIZE];
};
static struct ist_stack df_stacks[MAX_CPUS] __aligned(PAGE_SIZE);
static struct ist_stack nmi_stacks[MAX_CPUS] __aligned(PAGE_SIZE);
STACK_GUARDS(df_stacks);
STACK_GUARDS(nmi_stacks);

static void set_tss_desc(uint64_t *gdt, struct tss *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
		 (0x89UL << 40) | (((limit >> 16) & 0xF) << 48) |
		 (((base >> 24) & 0xFF) << 56);
	gdt[6] = base >> 32;
}

void gdt_init_cpu(void)
{
	struct cpu *c = this_cpu();
	uint64_t *gdt = c->arch.gdt;
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed ptr = { sizeof(c->arch.gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFF;    /* kernel code, 64-bit */
	gdt[2] = 0x00CF92000000FFFF;    /* kernel data */
	gdt[3] = 0x00CFF2000000FFFF;    /* user data, DPL 3 */
	gdt[4] = 0x00AFFA000000FFFF;    /* user code, 64-bit, DPL 3 */
	memset(&c->arch.tss, 0, sizeof(c->arch.tss));
	c->arch.ist_stack = df_stacks[c->id].stack;
	c->arch.tss.ist[0] = (uint64_t)df_stacks[c->id].stack + IST_STACK_SIZE;
	c->arch.tss.ist[1] = (uint64_t)nmi_stacks[c->id].stack + IST_STACK_SIZE;
	c->arch.tss.iomap_base = sizeof(struct tss);
	set_tss_desc(gdt, &c->arch.tss);

	__asm__ volatile("lgdt %0" : : "m"(ptr));
	__asm__ volatile(
		"mov %0, %%ds; mov %0, %%es; mov %0, %%ss\n"
		"pushq %1; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
		: : "r"((uint64_t)KERNEL_DS), "i"(KERNEL_CS) : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}
