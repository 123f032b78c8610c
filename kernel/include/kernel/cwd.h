/*
 * The working directory: an inode reference (for lookups) and its path as
 * a string (for getcwd), kept resolved: absolute, no ".", "..", "//" and
 * no symbolic link. The VFS keeps no names for inodes, so chdir makes the
 * string by walking its path again, reading each link it meets
 * (path_resolve): after `cd` through a link, getcwd names the target, as
 * on Linux.
 */
#ifndef KERNEL_CWD_H
#define KERNEL_CWD_H

#include <kernel/types.h>

struct proc;

int cwd_change(struct proc *p, const char *path);
int64_t cwd_get(struct proc *p, char *ubuf, uint64_t size);
/* Join base and path and normalise into out (size bytes). */
int path_normalize(const char *base, const char *path, char *out, size_t size);
/* The same with every symbolic link followed (may sleep; cwd.c). */
int path_resolve(const char *base, const char *path, char *out, size_t size);

#endif
