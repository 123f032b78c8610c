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

void proc_release_files(struct proc *p)
{
	if (p->fdt)
		fdtable_put(p->fdt);
	p->fdt = NULL;
	if (p->cwd)
		inode_put(p->cwd);
	p->cwd = NULL;
	kfree(p->cwd_path);
	p->cwd_path = NULL;
}
