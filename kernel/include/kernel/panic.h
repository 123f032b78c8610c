/*
 * Stopping the machine when something is broken. panic() (printk.h) and the
 * kernel trap report both: panic_begin() (first CPU wins; the others are
 * stopped by NMI and the console lock is bypassed), print, panic_end()
 * (power off if the command line says `poweroff`, else halt).
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <kernel/types.h>

void panic_begin(void);
__noreturn void panic_end(void);
/* Between the two: the "KERNEL PANIC on cpu N: ..." line and this CPU's
 * backtrace (panic() and the watchdog's report). */
void panic_print(const char *fmt, va_list ap);
bool panic_in_progress(void);
__noreturn void panic_stop_this_cpu(void);

#endif
