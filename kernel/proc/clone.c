/*
 * clone(2): a new task that is a copy of the caller, sharing with it what
 * the flags say (Linux's flags and checks, x86-64 argument order: flags,
 * newsp, parent_tid, child_tid, tls). fork is clone(SIGCHLD), vfork is
 * clone(CLONE_VM | CLONE_VFORK | SIGCHLD).
 *
 *   CLONE_VM            share the address space (mm_get) instead of a
 *                       copy-on-write copy (mm_dup)
 *   CLONE_VFORK         the parent sleeps until the child execs or exits
 *                       (proc_mm_release), so the two never run at once
 *                       on the shared stack
 *   CLONE_SETTLS        the child's FS base (TLS) is `tls`
 *   CLONE_PARENT_SETTID the child's id is written at parent_tid (parent's
 *                       memory) before clone returns
 *   CLONE_CHILD_SETTID  ... and at child_tid in the child's memory, by
 *                       the child itself before it first returns to user
 *   CLONE_CHILD_CLEARTID when the child lets go of its mm (exit, exec),
 *                       child_tid is zeroed and a futex waiter there woken
 *                       (what pthread_join and glibc's fork wait on)
 *   low byte            the signal the parent gets when the child exits;
 *                       a child with another signal than SIGCHLD is a
 *                       "clone child" that wait4 sees only with __WCLONE
 *                       or __WALL
 *
 *   CLONE_FILES         share the descriptor table (refcounted) instead
 *                       of a copy
 *   CLONE_THREAD        a thread of the caller's process (thread.c): same
 *                       tgid, handlers of the leader, no exit signal, no
 *                       parent waits for it. CLONE_SIGHAND (required with
 *                       it) shares the handlers that way; without
 *                       CLONE_THREAD it copies them (see the docs)
 *   CLONE_FS            share the working directory and umask (a
 *                       refcounted fs_struct) instead of a copy
 */
#include <kernel/proc.h>
#include <kernel/clone.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <kernel/files.h>
#include <kernel/futex.h>
#include <kernel/thread.h>
#include <kernel/syscalls.h>
#include <kernel/percpu.h>
#include <kernel/numa.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/usercopy.h>
#include <arch/sched.h>
#include <arch/uctx.h>

/* What a vfork parent sleeps on, on its own kernel stack. `done` and the
 * child's pointer to it change under proc_lock. */
struct vfork_done {
	struct waitq wq;
	bool done;
};

/* Linux's refusals (copy_process), in its order. */
static int clone_check(uint64_t flags)
{
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && current->pid == 1)
		return -EINVAL;
	if (flags & CLONE_UNSUPPORTED)
		return -EINVAL;            /* namespaces, pidfds: Numbat has none */
	if ((flags & CSIGNAL) > NSIG)
		return -EINVAL;
	return 0;
}

/* The child's address space: the parent's own (CLONE_VM) or a copy. */
static int clone_mm(struct proc *child, struct proc *parent, uint64_t flags)
{
	int err = 0;

	if (flags & CLONE_VM) {
		mm_get(parent->mm);
		child->mm = parent->mm;
		return 0;
	}
	child->mm = fork_mm(parent->mm, &err);
	return child->mm ? 0 : err;
}

/* Registers, FPU, TLS, signal state: the child resumes where the parent
 * called clone, with 0 in the result register (and on newsp if given). */
static void clone_regs(struct proc *child, struct proc *parent, const struct clone_req *r)
{
	child->affinity = parent->affinity;
	child->mpol = parent->mpol;             /* as Linux: the policy is inherited */
	child->mpol_il_prev = parent->mpol_il_prev;
	child->cpu = parent->cpu;
	child->fs_base = r->flags & CLONE_SETTLS ? r->tls : parent->fs_base;
	memcpy(child->sigactions, parent->leader->sigactions, sizeof(child->sigactions));
	child->sigmask = parent->sigmask;
	if ((r->flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM) {
		child->altstack_sp = parent->altstack_sp;   /* as Linux: kept, but not */
		child->altstack_size = parent->altstack_size;   /* by a new thread */
	}
	proc_copy_settings(child, parent);      /* ids, nice, prctl's: copied,
						   as Linux copies a thread's cred */
	fpu_save(child->fpu);                   /* the parent's live FPU state */
	arch_proc_init_stack(child, clone_child_start, child);
	*child->tf = *parent->tf;
	uctx_set_return(child->tf, 0);          /* clone returns 0 in the child */
	if (r->newsp)
		uctx_set_sp(child->tf, r->newsp);
	child->exit_signal = r->flags & CLONE_THREAD ? 0 : r->flags & CSIGNAL;
	if (r->flags & CLONE_CHILD_SETTID)
		child->set_child_tid = r->child_tid;
	if (r->flags & CLONE_CHILD_CLEARTID)
		child->clear_child_tid = r->child_tid;
}

/* Undo a clone that failed before the child was ever runnable. */
static void clone_abort(struct proc *child)
{
	proc_release_files(child);
	if (child->mm)
		mm_put(child->mm);
	child->mm = NULL;
	proc_free(child);
}

/* The first thing a clone child runs, in its own context: write its id
 * where CLONE_CHILD_SETTID asked (a fault there is ignored, as Linux),
 * then leave for user mode with the parent's registers. */
void clone_child_start(void *arg)
{
	struct proc *self = arg;

	if (self->set_child_tid) {
		int tid = self->pid;
		copy_to_user((void *)self->set_child_tid, &tid, sizeof(tid));
	}
	user_enter(self->tf);
}

/* A new thread joins the caller's group; a new process hangs under the
 * caller's process (its leader), or its parent with CLONE_PARENT.
 * -EINTR when the group is ending. */
static int clone_link(struct proc *child, struct proc *parent, uint64_t flags,
		      struct vfork_done *vd)
{
	uint64_t f = spin_lock_irqsave(&proc_lock);
	struct proc *p = parent->leader;
	int err = 0;

	if (flags & CLONE_THREAD) {
		err = thread_join_locked(child, parent);
	} else {
		if ((flags & CLONE_PARENT) && p->parent)
			p = p->parent;
		child->parent = p;
		list_add_tail(&child->sibling, &p->children);
		child->pgid = parent->leader->pgid;     /* job control: same group, */
		child->sid = parent->leader->sid;       /* session (jobctl.c) */
	}
	if (!err)
		child->vfork_done = vd;
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

/*
 * vfork: sleep until the child with id `pid` lets go of the shared mm
 * (proc_mm_release sets vd->done under proc_lock). Only a fatal signal
 * ends the wait early; then the child's pointer to vd, on this stack, is
 * taken back under proc_lock. Takes proc_lock, may sleep.
 */
static void vfork_wait(struct vfork_done *vd, int pid)
{
	struct waiter w = { 0 };

	for (;;) {
		waitq_prepare(&vd->wq, &w);
		if (READ_ONCE(vd->done) || fatal_signal_pending(current))
			break;
		schedule();
	}
	waitq_finish(&vd->wq, &w);
	uint64_t f = spin_lock_irqsave(&proc_lock);
	struct proc *c = proc_find(pid);

	if (!vd->done && c && c->vfork_done == vd)
		c->vfork_done = NULL;
	spin_unlock_irqrestore(&proc_lock, f);
}

/* clone: see the top of the file. Returns the child's id, or -EINVAL
 * (flags), -EPERM (a TLS base outside user space), -EAGAIN (too many
 * tasks), -ENOMEM or -EINTR (killed). */
int64_t proc_clone(const struct clone_req *r)
{
	struct proc *parent = current;
	int err = clone_check(r->flags);

	if (err)
		return err;
	if ((r->flags & CLONE_SETTLS) && r->tls >= USER_TOP)
		return -EPERM;          /* as arch_prctl: the FS base must be a user address */
	struct proc *child = proc_alloc(parent->name, numa_this_node());
	if (!child)
		return proc_count() >= MAX_PROCS ? -EAGAIN : -ENOMEM;
	err = clone_mm(child, parent, r->flags);
	if (!err && proc_copy_files(child, parent, r->flags))
		err = -ENOMEM;
	if (err) {
		clone_abort(child);   /* -EINTR: the parent was killed meanwhile */
		return err;
	}
	clone_regs(child, parent, r);
	int pid = child->pid;
	if (r->flags & CLONE_PARENT_SETTID)      /* a fault is ignored, as Linux */
		copy_to_user((void *)r->parent_tid, &pid, sizeof(pid));
	struct vfork_done vd = { .done = false };
	waitq_init(&vd.wq);
	if ((err = clone_link(child, parent, r->flags, r->flags & CLONE_VFORK ? &vd : NULL))) {
		clone_abort(child);
		return err;
	}
	sched_start(child);
	if (r->flags & CLONE_VFORK)
		vfork_wait(&vd, pid);
	return pid;
}

/* The end of a task's use of its mm (see proc.h). As Linux, the word is
 * cleared only when another task may still see it (the mm has other
 * users); a fault on it is ignored. */
void proc_mm_release(struct proc *p)
{
	futex_exit_robust(p);           /* before the tid word: as Linux */
	if (p->clear_child_tid && p->mm && __atomic_load_n(&p->mm->users, __ATOMIC_ACQUIRE) > 1) {
		int zero = 0;
		if (!copy_to_user((void *)p->clear_child_tid, &zero, sizeof(zero)))
			futex_wake(p->mm, p->clear_child_tid, 1);
		p->clear_child_tid = 0;
	}
	uint64_t f = spin_lock_irqsave(&proc_lock);
	struct vfork_done *vd = p->vfork_done;

	p->vfork_done = NULL;
	if (vd) {
		vd->done = true;
		wake_up_all(&vd->wq);    /* under proc_lock: vd outlives it */
	}
	spin_unlock_irqrestore(&proc_lock, f);
}

SYSCALL(clone)
{
	/* x86-64 order: flags, newsp, parent_tid, child_tid, tls */
	struct clone_req r = { a0, a1, a2, a3, a4 };

	return proc_clone(&r);
}

SYSCALL(fork)
{
	struct clone_req r = { SIGCHLD, 0, 0, 0, 0 };

	return proc_clone(&r);
}

SYSCALL(vfork)
{
	struct clone_req r = { CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0 };

	return proc_clone(&r);
}

/* set_tid_address(tidptr): cleared and woken when the task exits or
 * execs (as CLONE_CHILD_CLEARTID). Returns the caller's thread id. */
SYSCALL(set_tid_address)
{
	current->clear_child_tid = a0;
	return current->pid;
}
