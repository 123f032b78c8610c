/*
 * Job control (kernel/proc/jobctl.c): process groups, sessions, stopping
 * and continuing processes, and what wait4 reports of them.
 */
#ifndef KERNEL_JOBCTL_H
#define KERNEL_JOBCTL_H

#include <kernel/types.h>

struct proc;

/* p->wait_report: what the parent's wait4 has not yet been told. */
#define WREPORT_STOP 1
#define WREPORT_CONT 2

/* The current thread stops with sig (its default action), and with it
 * every thread of its process; returns once continued or killed. No lock
 * held. */
void jobctl_stop(int sig);
/* SIGCONT was sent to p: drop its pending stops and, if stopped, resume
 * it and tell its parent. proc_lock held. */
void jobctl_continue_locked(struct proc *p);
/* p was killed: a stopped p runs again to die. proc_lock held. */
void jobctl_wake_stopped_locked(struct proc *p);
/* A stop signal was sent to p's process: drop its pending SIGCONTs. */
void jobctl_cancel_cont_locked(struct proc *p);
/* p left its thread group (thread_exit_locked): the group stop may now
 * be complete. proc_lock held. */
void jobctl_thread_exit_locked(struct proc *p);
/* Send sig to every process of group pgid (-ESRCH if none) or, for
 * proc_kill_all, to every user process but init and the caller (as
 * kill(-1, sig)). Take proc_lock; callable from interrupts. */
int proc_kill_pgrp(int pgid, int sig);
int proc_kill_all(int sig);
/* The same from the TTY's keys: init is spared unless it has a handler. */
int tty_kill_pgrp(int pgid, int sig);
bool pgrp_orphaned(int pgid);            /* takes proc_lock */
/* Background access to the controlling TTY: 0 (allowed), -EIO, or
 * -ERESTARTSYS after sending sig to the caller's group. No lock held. */
int jobctl_tty_background(int sig);
/* Is there a process in group pgid and session sid? proc_lock held. */
bool pgrp_in_session(int pgid, int sid);

#endif
