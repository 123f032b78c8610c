/*
 * The system calls Numbat implements: X(Linux number, name). Adding one
 * means a line here and a SYSCALL(name) function (syscall.h).
 */
#ifndef KERNEL_SYSCALLS_H
#define KERNEL_SYSCALLS_H

#include <kernel/syscall.h>

#define SYSCALL_LIST_PROC(X)                                                  \
	X(9, mmap) X(10, mprotect) X(11, munmap) X(12, brk)                   \
	X(13, rt_sigaction) X(14, rt_sigprocmask) X(24, sched_yield)          \
	X(26, msync) X(28, madvise) X(35, nanosleep) X(39, getpid)            \
	X(57, fork) X(58, vfork) X(60, exit) X(61, wait4) X(62, kill)         \
	X(63, uname) X(102, getuid) X(104, getgid) X(107, geteuid)            \
	X(108, getegid) X(110, getppid) X(158, arch_prctl) X(186, gettid)     \
	X(203, sched_setaffinity) X(204, sched_getaffinity)                   \
	X(218, set_tid_address) X(228, clock_gettime) X(231, exit_group)      \
	X(309, getcpu)

#define SYSCALL_LIST(X) SYSCALL_LIST_PROC(X)

#define DECLARE(nr, name) SYSCALL(name);
SYSCALL_LIST(DECLARE)
#undef DECLARE

#endif
