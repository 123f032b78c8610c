/*
 * Local APIC in xAPIC mode: 4 KiB of registers at a physical address the
 * MADT gives (normally 0xFEE00000), reached through the direct map.
 */
#include <arch/lapic.h>
#include <arch/paging.h>
#include <arch/irq.h>
#include <arch/trap.h>

#define LAPIC_ID        0x020
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define ICR_PENDING     (1U << 12)
#define TIMER_PERIODIC  (1U << 17)
#define LVT_MASKED      (1U << 16)

static volatile uint32_t *lapic;   /* same physical page on every CPU */

static uint32_t rd(uint32_t reg)
{
	return lapic[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

void lapic_init(uint64_t phys)
{
	lapic = phys_to_virt(phys ? phys : 0xFEE00000);
}

void lapic_enable_this(void)
{
	wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);    /* software enable */
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
}

uint32_t lapic_id(void)
{
	return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

/* Send an IPI and wait until the APIC has accepted it. */
void lapic_send_ipi(uint32_t apic_id, uint32_t icr)
{
	uint64_t flags = irq_save();

	wr(LAPIC_ICR_HI, apic_id << 24);
	wr(LAPIC_ICR_LO, icr);
	while (rd(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	irq_restore(flags);
}

void lapic_timer_start(uint32_t ticks_per_period, uint8_t vector)
{
	wr(LAPIC_TIMER_DIV, 0x3);               /* divide by 16 */
	wr(LAPIC_LVT_TIMER, TIMER_PERIODIC | vector);
	wr(LAPIC_TIMER_INIT, ticks_per_period);
}

/* For calibration: count down from the maximum, masked. */
void lapic_timer_oneshot_max(void)
{
	wr(LAPIC_TIMER_DIV, 0x3);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	wr(LAPIC_TIMER_INIT, 0xFFFFFFFF);
}

uint32_t lapic_timer_current(void)
{
	return rd(LAPIC_TIMER_CUR);
}
