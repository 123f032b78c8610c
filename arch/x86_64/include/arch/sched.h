/* The x86 part of switching processes (arch/x86_64/sched.c). */
#ifndef ARCH_SCHED_H
#define ARCH_SCHED_H

#include <kernel/types.h>

struct proc;

/* Lay out a new process's kernel stack so that its first switch-in
 * calls fn(arg) (kernel threads) or fn = a user-mode return path. */
void arch_proc_init_stack(struct proc *p, void (*fn)(void *), void *arg);
void arch_proc_set_start_arg(struct proc *p, void *arg);
void arch_prepare_switch(struct proc *prev, struct proc *next);
struct proc *arch_context_switch(struct proc *prev, struct proc *next);
void arch_switch_mm(struct proc *next);
void fpu_init(void);                  /* each CPU: enable SSE for user code */
void fpu_init_state(void *area);      /* a clean FXSAVE image */

#endif
