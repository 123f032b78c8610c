/* The console TTY on the serial line (kernel/tty.c). */
#ifndef KERNEL_TTY_H
#define KERNEL_TTY_H

#include <kernel/vfs.h>

struct file *tty_open_console(void);
bool tty_is(const struct file *f);
int64_t tty_ioctl(struct file *f, uint64_t cmd, void *arg);
void tty_input(char c);          /* a byte typed on the console */
void tty_poll(void);             /* move received bytes in (timer tick) */

#endif
