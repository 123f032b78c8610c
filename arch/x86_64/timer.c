/*
 * Calibrating the TSC and the LAPIC timer against the PIT, whose input clock
 * is a known 1.193182 MHz. PIT channel 2 counts down 10 ms (its output is
 * readable on port 0x61 bit 5); we read how far the TSC and the LAPIC timer
 * went meanwhile. Under QEMU -icount, both follow the virtual clock.
 */
#include <arch/timer.h>
#include <arch/lapic.h>
#include <arch/io.h>
#include <arch/irq.h>
#include <arch/trap.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/proc_stat.h>
#include <kernel/bootinfo.h>
#include <kernel/tty.h>
#include <kernel/itimer.h>
#include <kernel/watchdog.h>

#define PIT_HZ 1193182
#define CALIBRATE_MS 10

uint64_t tsc_khz;
static uint32_t lapic_ticks_per_ms;  /* at divide-by-16 */

static void timer_tick(struct trap_frame *tf)
{
	this_cpu()->ticks++;
	acct_tick(tf->cs & 3);          /* charged to what it interrupted */
	watchdog_tick();                /* is the next CPU still ticking? */
	if (this_cpu()->id == 0) {
		tty_poll();                 /* console input (kernel/drivers/tty.c) */
		itimer_tick();              /* SIGALRM (kernel/proc/itimer.c) */
	}
	if (this_cpu()->rq.idle)
		sched_tick();
}

static void resched_ipi(struct trap_frame *tf)
{
	/* Nothing to do: the sender set need_resched; returning from this
	 * interrupt (or leaving hlt) lets the CPU notice. */
}

/* Monotonic nanoseconds since boot, from the TSC. */
uint64_t clock_ns(void)
{
	return tsc_to_ns(rdtsc() - boot_info.tsc_at_entry);
}

void timer_calibrate(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);  /* gate on, speaker off */
	outb(0x43, 0xB0);                        /* ch2, lo/hi, mode 0 */
	outb(0x42, count & 0xFF);
	outb(0x42, count >> 8);
	lapic_timer_oneshot_max();
	uint64_t t0 = rdtsc();
	for (uint64_t spins = 0; !(inb(0x61) & 0x20); spins++)
		if (spins > 100000000) {        /* no PIT: give up, assume below */
			printk("timer: the PIT does not count\n");
			break;
		}
	uint64_t t1 = rdtsc();
	uint32_t lapic_elapsed = 0xFFFFFFFF - lapic_timer_current();

	tsc_khz = (t1 - t0) / CALIBRATE_MS;
	lapic_ticks_per_ms = lapic_elapsed / CALIBRATE_MS;
	if (!(inb(0x61) & 0x20) || !tsc_khz)
		tsc_khz = 1000000;                   /* PIT absent: assume 1 GHz */
	if (!lapic_ticks_per_ms)
		lapic_ticks_per_ms = 1000;
	irq_register(VEC_TIMER, timer_tick);
	irq_register(VEC_RESCHED, resched_ipi);
	printk("timer: tsc %lu kHz, lapic timer %u ticks/ms\n", tsc_khz,
	       lapic_ticks_per_ms);
}

void timer_start_this_cpu(void)
{
	lapic_timer_start(lapic_ticks_per_ms * (1000 / HZ), VEC_TIMER);
}

void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_khz / 1000;

	while (rdtsc() < end)
		cpu_relax();
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	/* cycles * 10^6 / kHz, split so that it cannot overflow for years */
	return cycles / tsc_khz * 1000000 + cycles % tsc_khz * 1000000 / tsc_khz;
}

