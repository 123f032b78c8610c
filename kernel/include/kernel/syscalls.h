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
	X(25, mremap) X(26, msync) X(28, madvise) X(34, pause) X(35, nanosleep) X(39, getpid)            \
	X(57, fork) X(58, vfork) X(60, exit) X(61, wait4) X(62, kill)         \
	X(63, uname) X(102, getuid) X(104, getgid) X(107, geteuid)            \
	X(108, getegid) X(110, getppid) X(158, arch_prctl) X(186, gettid)     \
	X(203, sched_setaffinity) X(204, sched_getaffinity)                   \
	X(218, set_tid_address) X(228, clock_gettime) X(231, exit_group)      \
	X(309, getcpu) X(15, rt_sigreturn)                                    \
	X(273, set_robust_list) X(274, get_robust_list) X(234, tgkill) X(200, tkill) X(302, prlimit64) \
	X(318, getrandom) X(239, get_mempolicy) X(279, move_pages)            \
	X(167, swapon) X(168, swapoff) X(237, mbind) X(238, set_mempolicy)   \
	X(98, getrusage)                                                      \
	X(100, times)                                                         \
	X(56, clone) X(202, futex)                                            \
	X(130, rt_sigsuspend) X(128, rt_sigtimedwait) X(127, rt_sigpending)   \
	X(37, alarm) X(38, setitimer) X(36, getitimer)                        \
	X(112, setsid) X(109, setpgid) X(121, getpgid) X(111, getpgrp)        \
	X(124, getsid) X(131, sigaltstack)

#define SYSCALL_LIST_FILE(X)                                                  \
	X(0, read) X(1, write) X(2, open) X(3, close) X(4, stat) X(5, fstat)  \
	X(6, lstat) X(8, lseek) X(16, ioctl) X(17, pread64) X(18, pwrite64)   \
	X(19, readv) X(20, writev) X(21, access) X(22, pipe) X(32, dup)       \
	X(33, dup2) X(59, execve) X(72, fcntl) X(74, fsync) X(76, truncate)   \
	X(77, ftruncate) X(79, getcwd) X(80, chdir) X(82, rename)             \
	X(83, mkdir) X(84, rmdir) X(86, link) X(87, unlink) X(88, symlink)    \
	X(89, readlink) X(162, sync) X(217, getdents64) X(257, openat)        \
	X(262, newfstatat) X(292, dup3) X(293, pipe2) X(133, mknod)          \
	X(259, mknodat)                                                       \
	X(7, poll) X(271, ppoll) X(23, select) X(270, pselect6)

/* Identity, umask, priority, prctl (kernel/proc/sys_ident.c, sys_prctl.c).
 * rseq (334) is left out on purpose: -ENOSYS is what Linux built without
 * CONFIG_RSEQ returns, and glibc then runs without it. */
#define SYSCALL_LIST_IDENT(X)                                                 \
	X(95, umask) X(105, setuid) X(106, setgid) X(113, setreuid)           \
	X(114, setregid) X(115, getgroups) X(116, setgroups)                  \
	X(117, setresuid) X(118, getresuid) X(119, setresgid)                 \
	X(120, getresgid) X(140, getpriority) X(141, setpriority)             \
	X(157, prctl) X(99, sysinfo)

/* Time (kernel/proc/sys_time.c). */
#define SYSCALL_LIST_TIME(X)                                                  \
	X(201, time) X(96, gettimeofday) X(229, clock_getres)                 \
	X(230, clock_nanosleep)

/* File attributes and statfs (kernel/fs/sys_attr.c, statfs.c). */
#define SYSCALL_LIST_ATTR(X)                                                  \
	X(90, chmod) X(91, fchmod) X(268, fchmodat) X(92, chown)              \
	X(93, fchown) X(94, lchown) X(260, fchownat) X(280, utimensat)        \
	X(261, futimesat) X(235, utimes) X(132, utime) X(269, faccessat)      \
	X(439, faccessat2) X(137, statfs) X(138, fstatfs)

/* Vectored and positional I/O, sendfile (kernel/fs/sys_rw.c). */
#define SYSCALL_LIST_RW(X)                                                    \
	X(295, preadv) X(296, pwritev) X(327, preadv2) X(328, pwritev2)       \
	X(75, fdatasync) X(40, sendfile) X(326, copy_file_range)

#define SYSCALL_LIST(X) SYSCALL_LIST_PROC(X) SYSCALL_LIST_FILE(X)             \
	SYSCALL_LIST_IDENT(X) SYSCALL_LIST_TIME(X) SYSCALL_LIST_ATTR(X)       \
	SYSCALL_LIST_RW(X)

#define DECLARE(nr, name) SYSCALL(name);
SYSCALL_LIST(DECLARE)
#undef DECLARE

#endif
