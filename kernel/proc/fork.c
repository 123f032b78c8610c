/*
 * fork: a new process that is a copy of the caller. The address space is
 * copied copy-on-write (mm_dup), the files are shared (the descriptors
 * point at the same open files), and the child returns 0 from the same
 * system call, on a CPU of its parent's node.
 */
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <kernel/files.h>
#include <kernel/syscall.h>
#include <kernel/percpu.h>
#include <kernel/numa.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/reclaim.h>
#include <arch/sched.h>
#include <arch/uctx.h>


#define FORK_RECLAIM_PAGES 1024      /* freed per retry of a fork short of memory */

int64_t proc_fork(void)
{
	struct proc *parent = current;
	struct proc *child = proc_alloc(parent->name, numa_this_node());

	if (!child)
		return proc_count() >= MAX_PROCS ? -EAGAIN : -ENOMEM;
	int err;
	child->mm = mm_dup(parent->mm, &err);
	/* Short of memory (page tables, pte_chain blocks): reclaim some and
	 * try again, as Linux's allocator would before failing the fork. */
	for (int tries = 0; !child->mm && err == -ENOMEM && tries < 8 &&
	     reclaim_direct(numa_this_node(), FORK_RECLAIM_PAGES); tries++)
		child->mm = mm_dup(parent->mm, &err);
	if (child->mm && proc_copy_files(child, parent))
		err = -ENOMEM;
	if (!child->mm || err) {
		/* -EINTR: the parent was killed meanwhile and never sees it. */
		if (child->mm)
			mm_put(child->mm);
		child->mm = NULL;
		proc_free(child);
		return err;
	}
	child->affinity = parent->affinity;
	child->mpol = parent->mpol;             /* as Linux: the policy is inherited */
	child->mpol_il_prev = parent->mpol_il_prev;
	child->cpu = parent->cpu;
	child->fs_base = parent->fs_base;
	memcpy(child->sigactions, parent->sigactions, sizeof(child->sigactions));
	child->sigmask = parent->sigmask;
	child->altstack_sp = parent->altstack_sp;      /* as Linux: inherited */
	child->altstack_size = parent->altstack_size;
	fpu_save(child->fpu);                   /* the parent's live FPU state */
	arch_proc_init_stack(child, (void (*)(void *))user_enter, NULL);
	*child->tf = *parent->tf;
	uctx_set_return(child->tf, 0);          /* fork returns 0 in the child */
	arch_proc_set_start_arg(child, child->tf);

	uint64_t flags = spin_lock_irqsave(&proc_lock);
	child->parent = parent;
	child->pgid = parent->pgid;             /* job control: same group, session */
	child->sid = parent->sid;
	list_add_tail(&child->sibling, &parent->children);
	spin_unlock_irqrestore(&proc_lock, flags);
	int pid = child->pid;
	sched_start(child);
	return pid;
}
