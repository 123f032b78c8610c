/*
 * A process's files (files.h): its descriptor table and working directory.
 * fork copies the table (the child's descriptors share the open files) and
 * the working directory; a thread (CLONE_FILES) shares the table itself;
 * exit drops the task's reference, and the last one closes everything.
 */
#include <kernel/files.h>
#include <kernel/proc.h>
#include <kernel/fdtable.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/errno.h>

int proc_copy_files(struct proc *child, struct proc *parent, bool share)
{
	if (parent->fdt && share) {
		fdtable_get(parent->fdt);
		child->fdt = parent->fdt;
	} else if (parent->fdt) {
		child->fdt = fdtable_copy(parent->fdt);
		if (!child->fdt)
			return -ENOMEM;
	}
	if (parent->cwd_path) {
		size_t n = strlen(parent->cwd_path) + 1;
		child->cwd_path = kmalloc(n);
		if (!child->cwd_path)
			return -ENOMEM;
		memcpy(child->cwd_path, parent->cwd_path, n);
	}
	child->cwd = parent->cwd ? inode_get(parent->cwd) : NULL;
	return 0;
}

/* The table and the path are taken away under proc_lock, as /proc/PID/fd
 * and cwd read them under it (proc_pid.c), and freed after. */
void proc_release_files(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct fdtable *fdt = p->fdt;
	char *cwd_path = p->cwd_path;

	p->fdt = NULL;
	p->cwd_path = NULL;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (fdt)
		fdtable_put(fdt);                /* a thread may share it */
	if (p->cwd)
		inode_put(p->cwd);
	p->cwd = NULL;
	kfree(cwd_path);
}
