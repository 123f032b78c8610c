/*
 * A process's files: its descriptor table and working directory. The file
 * system (kernel/fs/) provides them; proc.c only asks for them to be copied on
 * fork and released on exit.
 */
#ifndef KERNEL_FILES_H
#define KERNEL_FILES_H

struct proc;

#include <kernel/types.h>

/* share: the child uses the parent's descriptor table (CLONE_FILES). */
int proc_copy_files(struct proc *child, struct proc *parent, bool share);
void proc_release_files(struct proc *p);

#endif
