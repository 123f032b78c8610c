/*
 * The interrupt descriptor table: 256 gates, all interrupt gates (IF cleared
 * on entry), pointing at the stubs in isr.asm. Shared by every CPU.
 * Double fault runs on IST1, NMI on IST2 (known-good stacks, see gdt.c).
 */
#include <kernel/printk.h>
#include <arch/trap.h>

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __packed;

static struct idt_gate idt[256] __aligned(16);
extern const uint64_t isr_table[256];

static void set_gate(int v, uint64_t handler, int ist)
{
	idt[v].off_lo = handler & 0xFFFF;
	idt[v].sel = KERNEL_CS;
	idt[v].ist = ist;
	idt[v].type = 0x8E;             /* present, DPL 0, interrupt gate */
	idt[v].off_mid = (handler >> 16) & 0xFFFF;
	idt[v].off_hi = handler >> 32;
	idt[v].zero = 0;
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, isr_table[v], v == T_DF ? 1 : v == T_NMI ? 2 : 0);
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}
