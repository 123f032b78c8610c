/*
 * A process's files (files.h). The descriptor tables come with the VFS
 * (issue 3); until it is merged a process has no files to copy or release.
 */
#include <kernel/files.h>
#include <kernel/proc.h>

int proc_copy_files(struct proc *child, struct proc *parent)
{
	return 0;
}

void proc_release_files(struct proc *p)
{
}
