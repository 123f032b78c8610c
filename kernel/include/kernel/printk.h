#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/types.h>

/*
 * printk formats: %d %i %u %x %X %o %c %s %p %% with flags '-', '0', width,
 * and length modifiers l, ll, z. Output goes to every console (serial).
 * One call prints atomically with respect to other CPUs.
 */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

void console_write(const char *s, size_t n);      /* \n as \r\n */
void console_write_raw(const char *s, size_t n);  /* as they are */

/* Used by panic: print without taking the console lock. */
void printk_emergency(void);

__noreturn void panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#define BUG_ON(cond)                                                       \
	do {                                                               \
		if (unlikely(cond))                                        \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__,      \
			      __LINE__);                                   \
	} while (0)

#endif
