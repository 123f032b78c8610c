/*
 * System calls: Linux x86-64 numbers and calling convention. Each handler
 * takes up to six integer arguments and returns a value or a negative
 * errno. Unknown numbers return -ENOSYS. The table is in kernel/syscall.c.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <kernel/types.h>

struct trap_frame;

typedef int64_t (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t,
			      uint64_t, uint64_t);

#define SYSCALL(name) \
	int64_t sys_##name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, \
			   uint64_t a4, uint64_t a5)

extern bool syscall_tracing;       /* `strace` on the command line */

/* Run system call nr with arguments a[6]: its result, -ENOSYS if unknown. */
int64_t syscall_invoke(uint64_t nr, const uint64_t *a);
/* Its name ("openat"), or NULL for a number Numbat lacks. */
const char *syscall_name(uint64_t nr);

/* On the way back to user mode: pending kill, preemption. */
void user_return_work(void);
/* A user-mode exception became signal sig: report and end the process. */
__attribute__((noreturn)) void user_fault_kill(int sig, uint64_t addr);

#endif
