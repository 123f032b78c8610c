/*
 * A process's files: its descriptor table and fs_struct (working
 * directory, umask). The file
 * system (kernel/fs/) provides them; proc.c only asks for them to be copied on
 * fork and released on exit.
 */
#ifndef KERNEL_FILES_H
#define KERNEL_FILES_H

struct proc;

#include <kernel/types.h>

/* The child's descriptor table and fs_struct: the parent's shared
 * (CLONE_FILES, CLONE_FS in flags) or copied. 0 or -ENOMEM. */
int proc_copy_files(struct proc *child, struct proc *parent, uint64_t flags);
void proc_release_files(struct proc *p);

#endif
