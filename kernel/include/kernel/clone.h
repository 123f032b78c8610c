/*
 * clone(2)'s flags, Linux's values (kernel/proc/clone.c says what each
 * does in Numbat).
 */
#ifndef KERNEL_CLONE_H
#define KERNEL_CLONE_H

#include <kernel/types.h>

#define CSIGNAL              0x000000ffUL   /* exit signal */
#define CLONE_VM             0x00000100UL
#define CLONE_FS             0x00000200UL
#define CLONE_FILES          0x00000400UL
#define CLONE_SIGHAND        0x00000800UL
#define CLONE_PIDFD          0x00001000UL
#define CLONE_PTRACE         0x00002000UL
#define CLONE_VFORK          0x00004000UL
#define CLONE_PARENT         0x00008000UL
#define CLONE_THREAD         0x00010000UL
#define CLONE_NEWNS          0x00020000UL
#define CLONE_SYSVSEM        0x00040000UL
#define CLONE_SETTLS         0x00080000UL
#define CLONE_PARENT_SETTID  0x00100000UL
#define CLONE_CHILD_CLEARTID 0x00200000UL
#define CLONE_DETACHED       0x00400000UL
#define CLONE_UNTRACED       0x00800000UL
#define CLONE_CHILD_SETTID   0x01000000UL
#define CLONE_NEWCGROUP      0x02000000UL
#define CLONE_NEWUTS         0x04000000UL
#define CLONE_NEWIPC         0x08000000UL
#define CLONE_NEWUSER        0x10000000UL
#define CLONE_NEWPID         0x20000000UL
#define CLONE_NEWNET         0x40000000UL
#define CLONE_IO             0x80000000UL
/* Accepted by Linux, refused here: namespaces and pidfds. CLONE_PTRACE,
 * CLONE_SYSVSEM (no System V semaphores), CLONE_DETACHED, CLONE_UNTRACED
 * and CLONE_IO are accepted and mean nothing in Numbat. */
#define CLONE_UNSUPPORTED (CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | \
			   CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* wait4 options beyond WNOHANG */
#define __WCLONE 0x80000000U   /* only "clone children" (exit signal not SIGCHLD) */
#define __WALL   0x40000000U   /* every child */

struct mm;
struct proc;

/* fork's copy of an address space, retried after direct reclaim when
 * memory is short (fork.c). NULL with *err -ENOMEM or -EINTR. */
struct mm *fork_mm(struct mm *old, int *err);
/* A clone child's first function (its kernel stack's entry). */
void clone_child_start(void *self) __attribute__((noreturn));

#endif
