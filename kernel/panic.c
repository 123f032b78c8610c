/* panic: report a broken invariant, stop every CPU, and power off or halt. */
#include <kernel/printk.h>
#include <arch/irq.h>

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	printk_emergency();
	printk("\nKERNEL PANIC: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	for (;;)
		cpu_halt();
}
