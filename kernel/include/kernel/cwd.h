/*
 * The working directory: an inode reference (for lookups) and its path as
 * a string (for getcwd), kept normalised: absolute, no ".", "..", "//".
 * The VFS keeps no names for inodes, so the string follows chdir's words:
 * after chdir through a symbolic link, getcwd shows the link's path where
 * Linux would show the target's (documented in docs/processes.md).
 */
#ifndef KERNEL_CWD_H
#define KERNEL_CWD_H

#include <kernel/types.h>

struct proc;

int cwd_change(struct proc *p, const char *path);
int64_t cwd_get(struct proc *p, char *ubuf, uint64_t size);
/* Join base and path and normalise into out (size bytes). */
int path_normalize(const char *base, const char *path, char *out, size_t size);

#endif
