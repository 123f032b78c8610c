/*
 * What a task's relative paths and new files start from (Linux's
 * fs_struct): the working directory, as an inode reference for lookups
 * and a normalised path string for getcwd, and the umask. A task has one
 * (kernel threads none); clone with CLONE_FS shares it, refcounted as the
 * descriptor table is with CLONE_FILES, so a chdir or umask in one task
 * is seen by the others; without CLONE_FS the child gets a copy.
 *
 * Locking: fs->lock protects cwd and cwd_path. chdir swaps both under it
 * and puts the old inode after; a reader that keeps either takes an
 * inode reference or copies the string under it (fs_cwd, fs_cwd_path),
 * since another task may change them at any time. umask is one word, read
 * and written whole. p->fs itself changes only when p is made or ends
 * (proc_release_files, under proc_lock, as /proc/PID/cwd reads another
 * task's). Lock order: proc_lock, then fs->lock, then icache_lock.
 */
#ifndef KERNEL_FS_STRUCT_H
#define KERNEL_FS_STRUCT_H

#include <kernel/types.h>
#include <kernel/spinlock.h>

struct inode;
struct proc;

struct fs_struct {
	int users;                 /* tasks sharing it (CLONE_FS); atomic */
	struct spinlock lock;      /* cwd, cwd_path (see above) */
	struct inode *cwd;         /* a reference; NULL: none (the root) */
	char *cwd_path;            /* kmalloc'd; NULL: "/" */
	uint32_t umask;            /* applied to every create; 022 for init */
};

/* A new fs at dir (the reference is the caller's, handed over), umask
 * 022; NULL if no memory (dir is then put). */
struct fs_struct *fs_new(struct inode *dir);
/* clone: the parent's fs shared (share) or copied. 0 or -ENOMEM. */
int fs_clone(struct proc *child, struct proc *parent, bool share);
/* Drop p's fs (exit); the last user puts the directory. No lock held. */
void fs_release(struct proc *p);
/* A reference to p's working directory (the caller puts it), or NULL. */
struct inode *fs_cwd(struct proc *p);
/* A kmalloc'd copy of p's working directory's path ("/" if none), or
 * NULL if no memory. */
char *fs_cwd_path(struct proc *p);
/* Make dir (a reference, handed over) and path (kmalloc'd, handed over)
 * p's working directory; the old ones are freed. */
void fs_set_cwd(struct proc *p, struct inode *dir, char *path);
uint32_t fs_umask(struct proc *p);
uint32_t fs_set_umask(struct proc *p, uint32_t mask);    /* the old one */

#endif
