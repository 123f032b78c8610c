/* panic: report a broken invariant, stop every CPU, then power off or halt. */
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/percpu.h>
#include <kernel/cmdline.h>
#include <kernel/power.h>
#include <arch/irq.h>
#include <arch/trap.h>
#include <arch/smp.h>

static int panic_cpu = -1;   /* the CPU that reports; others stop */

bool panic_in_progress(void)
{
	return READ_ONCE(panic_cpu) >= 0;
}

__noreturn void panic_stop_this_cpu(void)
{
	irq_disable();
	for (;;)
		cpu_halt();
}

void panic_begin(void)
{
	int expect = -1;

	irq_disable();
	if (!__atomic_compare_exchange_n(&panic_cpu, &expect, this_cpu_id(),
					 false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
	    && expect != this_cpu_id())
		panic_stop_this_cpu();  /* another CPU is already reporting */
	smp_stop_others();
	printk_emergency();
}

__noreturn void panic_end(void)
{
	if (cmdline_has("poweroff") || cmdline_has("ktest"))
		machine_poweroff();
	panic_stop_this_cpu();
}

void panic_print(const char *fmt, va_list ap)
{
	printk("\nKERNEL PANIC on cpu %d: ", this_cpu_id());
	vprintk(fmt, ap);
	printk("\n");
	backtrace();
}

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	panic_print(fmt, ap);
	va_end(ap);
	panic_end();
}
