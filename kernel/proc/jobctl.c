/*
 * Job control as Linux has it: process groups, sessions, stopped processes.
 *
 *   session (sid = its leader's pid)        the controlling TTY belongs to one
 *   +-- process group (pgid = leader's pid)  the TTY's foreground group gets
 *   |     +-- process                        ^C/^Z/^\ and may read the TTY
 *   +-- process group ...                    background groups get SIGTTIN
 *
 * fork puts the child in its parent's group and session; setpgid moves a
 * process between groups of one session; setsid starts a new session
 * (without a controlling TTY) whose only group is the caller's.
 *
 * Stopping: a stop signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) whose action
 * is the default is acted on where every signal is, on the way back to
 * user mode (signal_deliver -> jobctl_stop). It stops the whole process:
 * the thread that takes it starts a group stop (leader->stop_sig) and
 * gives every other thread a pending SIGSTOP, which ends their sleeps;
 * each becomes P_STOPPED, which the scheduler never runs, where it next
 * checks for signals. When the last thread has stopped, the parent gets
 * SIGCHLD (unless SA_NOCLDSTOP) and one report for wait4(WUNTRACED):
 * status 0x7f | sig << 8. SIGCONT (even blocked or ignored) makes every
 * thread RUNNABLE, with SIGCHLD and one wait4(WCONTINUED) report, status
 * 0xffff. SIGKILL, or any fatal signal, runs them again so that they exit.
 *
 * Per process (in the group leader, as Linux's signal_struct): pgid, sid,
 * did_exec, stop_sig, group_stopped, wait_report. Per thread: job_stopped
 * (it has reached the current group stop).
 *
 * Locking: proc_lock protects all of them. The stop and the continue each
 * happen under it, so a SIGCONT cannot come between "decide to stop" and
 * "P_STOPPED".
 */
#include <kernel/jobctl.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/syscalls.h>
#include <kernel/tty.h>
#include <kernel/errno.h>

#define STOP_SIGNALS ((1UL << (SIGSTOP - 1)) | (1UL << (SIGTSTP - 1)) | \
		      (1UL << (SIGTTIN - 1)) | (1UL << (SIGTTOU - 1)))

/* Tell the parent of leader's process that it stopped or continued.
 * proc_lock held. */
static void notify_parent_locked(struct proc *leader, int report)
{
	struct proc *parent = leader->parent;

	leader->wait_report = report;
	if (!parent)
		return;
	if (!(parent->leader->sigactions[SIGCHLD].flags & SA_NOCLDSTOP))
		signal_send_locked(parent, SIGCHLD);
	wake_up_all(&parent->child_exit);
}

/* Has every thread of leader's process reached the group stop? */
static bool group_all_stopped(struct proc *leader)
{
	struct list_head *l;

	list_for_each(l, &leader->threads) {
		if (!list_entry(l, struct proc, thread_node)->job_stopped)
			return false;
	}
	return true;
}

/* The caller's thread reached the group stop: the last one to do so
 * tells the parent, once per stop. proc_lock held. */
static void thread_stopped_locked(struct proc *p)
{
	struct proc *leader = p->leader;

	p->job_stopped = true;
	if (!leader->group_stopped && group_all_stopped(leader)) {
		leader->group_stopped = true;
		notify_parent_locked(leader, WREPORT_STOP);
	}
}

/* A group stop begins: every other thread gets SIGSTOP pending (which
 * ends its sleeps, and stops it where it next checks for signals, as
 * Linux's JOBCTL_STOP_PENDING). proc_lock held. */
static void stop_others_locked(struct proc *p)
{
	struct list_head *l;

	list_for_each(l, &p->leader->threads) {
		struct proc *t = list_entry(l, struct proc, thread_node);

		if (t == p)
			continue;
		__atomic_fetch_or(&t->pending, 1UL << (SIGSTOP - 1), __ATOMIC_SEQ_CST);
		sched_wakeup(t);
	}
}

void jobctl_stop(int sig)
{
	struct proc *p = current, *leader = p->leader;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	if (p->killed || leader->group_exiting) {
		spin_unlock_irqrestore(&proc_lock, flags);
		return;
	}
	if (!leader->stop_sig) {               /* the first thread to stop */
		leader->stop_sig = sig;
		stop_others_locked(p);
	}
	for (;;) {
		if (!p->job_stopped)
			thread_stopped_locked(p);
		sched_set_state_stopped();
		spin_unlock_irqrestore(&proc_lock, flags);
		schedule();                  /* until sched_continue */
		flags = spin_lock_irqsave(&proc_lock);
		if (!leader->stop_sig || p->killed)
			break;
	}
	if (p->killed && leader->wait_report == WREPORT_STOP)
		leader->wait_report = 0;     /* killed while stopped: exit reports */
	p->job_stopped = false;
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* A thread leaves p's group during a group stop: it may have been the
 * last one the stop waited for. proc_lock held. */
void jobctl_thread_exit_locked(struct proc *p)
{
	struct proc *leader = p->leader;

	if (leader->stop_sig && !leader->group_stopped && leader->nr_threads &&
	    group_all_stopped(leader)) {
		leader->group_stopped = true;
		notify_parent_locked(leader, WREPORT_STOP);
	}
}

/* Remove the stop signals (or SIGCONT) pending in every thread of p's
 * process. proc_lock held. */
static void flush_pending_locked(struct proc *p, uint64_t set)
{
	struct list_head *l;

	list_for_each(l, &p->leader->threads) {
		struct proc *t = list_entry(l, struct proc, thread_node);

		__atomic_fetch_and(&t->pending, ~set, __ATOMIC_SEQ_CST);
	}
	__atomic_fetch_and(&p->pending, ~set, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&p->leader->shared_pending, ~set, __ATOMIC_SEQ_CST);
}

void jobctl_cancel_cont_locked(struct proc *p)
{
	flush_pending_locked(p, 1UL << (SIGCONT - 1));
}

/* SIGCONT: every stopped thread runs again; the parent hears of it once,
 * if the whole process had stopped. */
void jobctl_continue_locked(struct proc *p)
{
	struct proc *leader = p->leader;
	struct list_head *l;

	flush_pending_locked(p, STOP_SIGNALS);
	if (!leader->stop_sig)
		return;
	leader->stop_sig = 0;
	if (leader->group_stopped)
		notify_parent_locked(leader, WREPORT_CONT);
	leader->group_stopped = false;
	list_for_each(l, &leader->threads) {
		struct proc *t = list_entry(l, struct proc, thread_node);

		t->job_stopped = false;
		sched_continue(t);
	}
}

void jobctl_wake_stopped_locked(struct proc *p)
{
	if (p->job_stopped)
		sched_continue(p);
}

/* Is q a live process (the leader of a group with a thread left)? Job
 * control counts processes, not threads. proc_lock held. */
static bool live_process(const struct proc *q)
{
	return q->leader == q && q->nr_threads > 0;
}

bool pgrp_in_session(int pgid, int sid)
{
	proc_for_each(q) {
		if (live_process(q) && q->pgid == pgid && q->sid == sid)
			return true;
	}
	return false;
}

/* Signal every live user process of group pgid once (any one of its
 * threads takes it); spare_init: not init unless it has a handler (the
 * TTY's keys: Linux's init ignores default actions). -ESRCH if the group
 * is empty. */
static int kill_pgrp(int pgid, int sig, bool spare_init)
{
	int found = 0;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	proc_for_each(p) {
		if (p->pgid != pgid || !live_process(p) || (!p->mm && p->state != P_ZOMBIE))
			continue;              /* kernel threads have no mm */
		found++;
		if (sig && !(spare_init && p->pid == 1 && p->sigactions[sig].handler == SIG_DFL))
			signal_send_locked(p, sig);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return found ? 0 : -ESRCH;
}

/* kill(-pgid): every live user process of the group. */
int proc_kill_pgrp(int pgid, int sig)
{
	return kill_pgrp(pgid, sig, false);
}

int tty_kill_pgrp(int pgid, int sig)
{
	return kill_pgrp(pgid, sig, true);
}

/* POSIX: a group is orphaned when no member has a parent in another group
 * of the same session (nobody is left to continue it). Takes proc_lock. */
bool pgrp_orphaned(int pgid)
{
	bool orphaned = true;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	proc_for_each(q) {
		struct proc *parent = q->parent;

		if (q->pgid == pgid && live_process(q) && parent &&
		    parent->pgid != pgid && parent->sid == q->sid)
			orphaned = false;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return orphaned;
}

/* The caller wants to touch its controlling TTY from a background group
 * (tty.c): -EIO if sig (SIGTTIN/SIGTTOU) is ignored or blocked (for
 * SIGTTOU: 0, go ahead), -EIO for an orphaned group, else sig goes to
 * the caller's group and -ERESTARTSYS: the call runs again once the group
 * is continued in the foreground. */
int jobctl_tty_background(int sig)
{
	struct proc *p = current;
	uint64_t h = p->leader->sigactions[sig].handler;

	if (h == SIG_IGN || (p->sigmask & (1UL << (sig - 1))))
		return sig == SIGTTIN ? -EIO : 0;
	if (pgrp_orphaned(p->leader->pgid))
		return -EIO;
	proc_kill_pgrp(p->leader->pgid, sig);
	return -ERESTARTSYS;
}

/* kill(-1): every process but init and the caller's. Kernel threads
 * count (Linux's succeed too) but get nothing: they ignore signals. */
int proc_kill_all(int sig)
{
	int found = 0;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	proc_for_each(p) {
		if (p->pid <= 1 || p == current->leader || !live_process(p))
			continue;
		found++;
		if (sig && (p->mm || p->state == P_ZOMBIE))
			signal_send_locked(p, sig);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return found ? 0 : -ESRCH;
}

/* ---- the system calls: they act on processes (a thread id names its
 * process, as Linux) ---- */

/* The process pid names for getpgid/getsid/setpgid (0: the caller's), or
 * NULL. proc_lock held. */
static struct proc *lookup(int pid)
{
	struct proc *p = pid == 0 ? current : proc_find(pid);

	return p ? p->leader : NULL;
}

SYSCALL(getpgid)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = (int)a0 < 0 ? NULL : lookup((int)a0);
	int r = p ? p->pgid : -ESRCH;

	spin_unlock_irqrestore(&proc_lock, flags);
	return r;
}

SYSCALL(getpgrp)
{
	return sys_getpgid(0, 0, 0, 0, 0, 0);
}

SYSCALL(getsid)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = (int)a0 < 0 ? NULL : lookup((int)a0);
	int r = p ? p->sid : -ESRCH;

	spin_unlock_irqrestore(&proc_lock, flags);
	return r;
}

/* setsid: EPERM if the caller's process leads a process group (its pid
 * is some group's id); else a new session and group, both its pid, no
 * TTY. */
SYSCALL(setsid)
{
	struct proc *self = current->leader;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	bool leader = false;

	proc_for_each(p)
		leader |= live_process(p) && p->pgid == self->pid;
	if (!leader)
		self->sid = self->pgid = self->pid;
	spin_unlock_irqrestore(&proc_lock, flags);
	return leader ? -EPERM : self->pid;
}

/* setpgid's checks, Linux's order: ESRCH (not the caller or its child),
 * EPERM (other session), EACCES (child did exec), EPERM (session leader,
 * or no group pgid in the caller's session). p and self are processes
 * (leaders). proc_lock held. */
static int setpgid_check(struct proc *p, int pgid)
{
	struct proc *self = current->leader;

	if (!p || (p != self && p->parent != self))
		return -ESRCH;
	if (p != self && p->sid != self->sid)
		return -EPERM;
	if (p != self && p->did_exec)
		return -EACCES;
	if (p->pid == p->sid)
		return -EPERM;
	if (pgid != p->pid && !pgrp_in_session(pgid, self->sid))
		return -EPERM;
	return 0;
}

/* setpgid(pid, pgid): 0 for either means the caller's / the target's pid. */
SYSCALL(setpgid)
{
	int pid = (int)a0, pgid = (int)a1;

	if (pid < 0 || pgid < 0)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = lookup(pid);
	if (p && !pgid)
		pgid = p->pid;
	int r = setpgid_check(p, pgid);
	if (!r)
		p->pgid = pgid;
	spin_unlock_irqrestore(&proc_lock, flags);
	return r;
}
