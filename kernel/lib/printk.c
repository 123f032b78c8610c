/* printk: format into a buffer, then write the line to the console. */
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <arch/serial.h>

/* console_lock: serialises whole printk calls on the serial port, so lines
 * from different CPUs do not interleave. */
static struct spinlock console_lock = SPINLOCK_INIT("console");
static bool console_emergency;   /* set by panic: ignore console_lock */

void printk_emergency(void)
{
	console_emergency = true;
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	uint64_t flags = 0;
	bool locked = !READ_ONCE(console_emergency);

	if (locked)
		flags = spin_lock_irqsave(&console_lock);
	serial_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
	return n;
}

/* Bytes to the console (the TTY's output), each \n as \r\n, under the
 * console lock. */
void console_write(const char *s, size_t n)
{
	uint64_t flags = spin_lock_irqsave(&console_lock);

	serial_write(s, n);
	spin_unlock_irqrestore(&console_lock, flags);
}

/* The same, the bytes as they are (a TTY without OPOST or ONLCR). */
void console_write_raw(const char *s, size_t n)
{
	uint64_t flags = spin_lock_irqsave(&console_lock);

	serial_write_raw(s, n);
	spin_unlock_irqrestore(&console_lock, flags);
}

int printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
