/*
 * A process's files (files.h): its descriptor table and its fs_struct
 * (working directory, umask). fork copies both (the child's descriptors
 * share the open files); CLONE_FILES shares the table itself, CLONE_FS
 * the fs_struct; exit drops the task's references, and the last one
 * closes everything.
 */
#include <kernel/files.h>
#include <kernel/proc.h>
#include <kernel/fdtable.h>
#include <kernel/fs_struct.h>
#include <kernel/clone.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/errno.h>

int proc_copy_files(struct proc *child, struct proc *parent, uint64_t flags)
{
	bool share = flags & CLONE_FILES;

	if (fs_clone(child, parent, flags & CLONE_FS))
		return -ENOMEM;
	if (parent->fdt && share) {
		fdtable_get(parent->fdt);
		child->fdt = parent->fdt;
	} else if (parent->fdt) {
		child->fdt = fdtable_copy(parent->fdt);
		if (!child->fdt)
			return -ENOMEM;
	}
	return 0;
}

/* The table and the fs are taken away under proc_lock, as /proc/PID/fd
 * and cwd read them under it (proc_pid.c), and put after. */
void proc_release_files(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct fdtable *fdt = p->fdt;

	p->fdt = NULL;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (fdt)
		fdtable_put(fdt);                /* a thread may share it */
	fs_release(p);                       /* a thread may share it too */
}
