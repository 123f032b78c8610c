/*
 * Thread groups (kernel/proc/thread.c): what is per thread, what per
 * process, and how a group ends. The _locked functions want proc_lock.
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <kernel/types.h>

struct proc;

void thread_init_locked(struct proc *p);
int thread_join_locked(struct proc *child, struct proc *parent);
bool thread_exit_locked(struct proc *p);
void thread_group_kill_locked(struct proc *p, int status);
void thread_group_exit(int status) __attribute__((noreturn));
int thread_exec_alone(void);

#endif
