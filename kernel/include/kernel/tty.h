/* The console TTY on the serial line (kernel/drivers/tty.c). */
#ifndef KERNEL_TTY_H
#define KERNEL_TTY_H

#include <kernel/vfs.h>

void tty_init(void);             /* boot: before the first open */
struct file *tty_open_console(void);
void tty_input(char c);          /* a byte typed on the console */
void tty_poll(void);             /* move received bytes in (timer tick) */
struct proc;
void tty_console_ctty(int sid, int pgrp);  /* the console controls session sid */
void tty_session_exit(int sid);            /* its leader's process ended */

#endif
