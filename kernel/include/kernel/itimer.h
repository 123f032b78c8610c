/*
 * Interval timers (kernel/proc/itimer.c): alarm(2), setitimer(2) and
 * getitimer(2) with ITIMER_REAL, which sends SIGALRM in real time.
 */
#ifndef KERNEL_ITIMER_H
#define KERNEL_ITIMER_H

struct proc;

void itimer_tick(void);           /* CPU 0's timer interrupt: fire due timers */
void itimer_exit(struct proc *p); /* p's process ends: disarm (proc_lock may be held) */
void itimer_move(struct proc *to, struct proc *from);   /* exec's new leader */

#endif
