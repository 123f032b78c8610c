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
 * user mode (signal_deliver -> jobctl_stop): the process becomes
 * P_STOPPED, which the scheduler never runs, and its parent gets SIGCHLD
 * (unless SA_NOCLDSTOP) and a report for wait4(WUNTRACED): status
 * 0x7f | sig << 8. SIGCONT (even blocked or ignored) makes it RUNNABLE,
 * with SIGCHLD and a wait4(WCONTINUED) report, status 0xffff. SIGKILL,
 * or any fatal signal, runs it again so that it exits.
 *
 * Locking: proc_lock protects pgid, sid, stop_sig and wait_report of every
 * process. The stop and the continue each happen under it, so a SIGCONT
 * cannot come between "decide to stop" and "P_STOPPED".
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

/* Tell p's parent that p stopped or continued. proc_lock held. */
static void notify_parent_locked(struct proc *p, int report)
{
	struct proc *parent = p->parent;

	p->wait_report = report;
	if (!parent)
		return;
	if (!(parent->sigactions[SIGCHLD].flags & SA_NOCLDSTOP))
		signal_send_locked(parent, SIGCHLD);
	wake_up_all(&parent->child_exit);
}

void jobctl_stop(int sig)
{
	struct proc *p = current;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	if (p->killed) {
		spin_unlock_irqrestore(&proc_lock, flags);
		return;
	}
	p->stop_sig = sig;
	notify_parent_locked(p, WREPORT_STOP);
	for (;;) {
		sched_set_state_stopped();
		spin_unlock_irqrestore(&proc_lock, flags);
		schedule();                  /* until sched_continue */
		flags = spin_lock_irqsave(&proc_lock);
		if (!p->stop_sig || p->killed)
			break;
	}
	if (p->wait_report == WREPORT_STOP)
		p->wait_report = 0;          /* killed while stopped: exit reports */
	p->stop_sig = 0;
	spin_unlock_irqrestore(&proc_lock, flags);
}

void jobctl_continue_locked(struct proc *p)
{
	__atomic_fetch_and(&p->pending, ~STOP_SIGNALS, __ATOMIC_SEQ_CST);
	if (!p->stop_sig)
		return;
	p->stop_sig = 0;
	notify_parent_locked(p, WREPORT_CONT);
	sched_continue(p);
}

void jobctl_wake_stopped_locked(struct proc *p)
{
	if (p->stop_sig)
		sched_continue(p);
}

void jobctl_cancel_cont_locked(struct proc *p)
{
	__atomic_fetch_and(&p->pending, ~(1UL << (SIGCONT - 1)), __ATOMIC_SEQ_CST);
}

bool pgrp_in_session(int pgid, int sid)
{
	proc_for_each(q) {
		if (q->state != P_ZOMBIE && q->pgid == pgid && q->sid == sid)
			return true;
	}
	return false;
}

/* Signal every live user process of group pgid; spare_init: not init
 * unless it has a handler (the TTY's keys: Linux's init ignores default
 * actions). -ESRCH if the group is empty. */
static int kill_pgrp(int pgid, int sig, bool spare_init)
{
	int found = 0;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	proc_for_each(p) {
		if (p->pgid != pgid || p->state == P_ZOMBIE || !p->mm)
			continue;
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

		if (q->pgid == pgid && q->state != P_ZOMBIE && parent &&
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
	uint64_t h = p->sigactions[sig].handler;

	if (h == SIG_IGN || (p->sigmask & (1UL << (sig - 1))))
		return sig == SIGTTIN ? -EIO : 0;
	if (pgrp_orphaned(p->pgid))
		return -EIO;
	proc_kill_pgrp(p->pgid, sig);
	return -ERESTARTSYS;
}

/* kill(-1): every process but init and the caller. Kernel threads count
 * (Linux's succeed too) but get nothing: they ignore signals. */
int proc_kill_all(int sig)
{
	int found = 0;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	proc_for_each(p) {
		if (p->pid <= 1 || p == current || p->state == P_ZOMBIE)
			continue;
		found++;
		if (sig && p->mm)
			signal_send_locked(p, sig);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return found ? 0 : -ESRCH;
}

/* ---- the system calls ---- */

/* The process pid names for getpgid/getsid/setpgid (0: the caller), or
 * NULL. proc_lock held. */
static struct proc *lookup(int pid)
{
	return pid == 0 ? current : proc_find(pid);
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

/* setsid: EPERM if the caller leads a process group (its pid is some
 * group's id); else a new session and group, both its pid, no TTY. */
SYSCALL(setsid)
{
	struct proc *self = current;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	bool leader = false;

	proc_for_each(p)
		leader |= p->state != P_ZOMBIE && p->pgid == self->pid;
	if (!leader)
		self->sid = self->pgid = self->pid;
	spin_unlock_irqrestore(&proc_lock, flags);
	return leader ? -EPERM : self->pid;
}

/* setpgid's checks, Linux's order: ESRCH (not the caller or its child),
 * EPERM (other session), EACCES (child did exec), EPERM (session leader,
 * or no group pgid in the caller's session). proc_lock held. */
static int setpgid_check(struct proc *p, int pgid)
{
	struct proc *self = current;

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
