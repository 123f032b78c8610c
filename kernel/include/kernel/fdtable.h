/*
 * Descriptor tables: what a process's file descriptors (small integers)
 * refer to. Each slot holds a struct file reference and a close-on-exec
 * bit; fork copies the table (taking a reference on every file), exec
 * closes the close-on-exec ones. Each process (struct proc) points at one.
 *
 * Locking: ft->lock protects the slots and bits. file_put() of a closed
 * file runs after the lock is dropped (release may do I/O).
 */
#ifndef KERNEL_FDTABLE_H
#define KERNEL_FDTABLE_H

#include <kernel/vfs.h>

#define FD_MAX 1024                /* RLIMIT_NOFILE, fixed for now */

struct fdtable {
	int refs;                  /* tasks using it (CLONE_FILES); atomic */
	struct spinlock lock;      /* fd[], cloexec[], size */
	int size;                  /* slots allocated (grows to FD_MAX) */
	struct file **fd;
	uint64_t *cloexec;         /* bit per slot */
};

struct fdtable *fdtable_alloc(void);
void fdtable_free(struct fdtable *ft);          /* closes every fd */
void fdtable_get(struct fdtable *ft);           /* one more task uses it */
void fdtable_put(struct fdtable *ft);           /* the last put frees it */
struct fdtable *fdtable_copy(struct fdtable *ft);  /* for fork */
void fdtable_close_on_exec(struct fdtable *ft);

/* Install f (the table takes the caller's reference) in the lowest free
 * slot >= minfd; returns the fd or -EMFILE. */
int fd_install(struct fdtable *ft, struct file *f, int minfd, bool cloexec);
/* The file of fd with a new reference, or NULL (EBADF). */
struct file *fd_get(struct fdtable *ft, int fd);
int fd_close(struct fdtable *ft, int fd);
int fd_dup(struct fdtable *ft, int fd, int minfd, bool cloexec);   /* dup, F_DUPFD */
int fd_dup3(struct fdtable *ft, int oldfd, int newfd, uint32_t flags);
int fd_dup2(struct fdtable *ft, int oldfd, int newfd);
int fd_get_cloexec(struct fdtable *ft, int fd);      /* 0/1 or -EBADF */
int fd_set_cloexec(struct fdtable *ft, int fd, bool on);

#endif
