/*
 * The `strace` boot option (kernel/strace.c): run one system call and
 * print it as strace(1) would, paths and buffers included.
 */
#ifndef KERNEL_STRACE_H
#define KERNEL_STRACE_H

#include <kernel/types.h>

/* Run system call nr with arguments a[6] (syscall_invoke) and print it
 * with its result. No lock held: it copies from user space. */
int64_t strace_syscall(uint64_t nr, const uint64_t *a);

#endif
