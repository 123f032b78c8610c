/*
 * Signals: sending, and delivering to handlers as Linux does on x86-64.
 *
 * Sending (proc_kill) marks the signal pending, unless the process ignores
 * it. A pending signal that is not blocked is acted on when the process
 * next returns to user mode (user_return_work -> signal_deliver):
 *   - SIG_DFL: terminate (most signals), nothing (SIGCHLD, SIGURG,
 *     SIGWINCH, SIGCONT) or stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
 *     the process is P_STOPPED until SIGCONT or SIGKILL, jobctl.c);
 *   - a handler: the user registers are saved in a signal frame on the
 *     user stack and the process continues in the handler; when it returns
 *     (through sa_restorer, which calls rt_sigreturn), the frame puts the
 *     registers back. Frame layout (Linux's struct rt_sigframe):
 *
 *       rsp -> [ pretcode = sa_restorer ]
 *              [ ucontext: flags, link, stack, sigcontext (regs), mask ]
 *              [ siginfo (128 bytes) ]
 *              [ FXSAVE area (512 bytes, 64-aligned) ]   <- sigcontext.fpstate
 *              [ 128-byte red zone ][ interrupted stack ... ]
 *
 * As Linux, a blocked signal is never ignored when sent (the handler may
 * change before it is unblocked); it is dropped at delivery instead.
 *
 * An interrupted system call that may be restarted returns -ERESTARTSYS
 * or -ERESTARTNOHAND; on the way out, a handler frame turns that into
 * -EINTR (or a restart, for ERESTARTSYS with SA_RESTART), and if no
 * handler runs (the signal was ignored, or stopped the process) the call
 * is restarted: a `read` stopped by ^Z goes on reading after `fg`. The
 * restart is the thread's own: any thread may be interrupted so.
 *
 * Threads: the handlers are the process's (kept in the group leader,
 * thread.c), the mask, the sigaltstack and the call to restart each
 * thread's own. There are two pending sets, as in Linux: a thread's own
 * (p->pending: tgkill/tkill, faults) and the process's
 * (leader->shared_pending: kill). A signal sent to a process is woken up
 * in a thread that does not block it (or waits for it in
 * rt_sigtimedwait), the one named first if it can; if every thread
 * blocks it, it waits in the process's set for the first thread that
 * unblocks it. A fatal
 * signal ends the whole process (every thread); a stop signal stops
 * every thread and SIGCONT continues them all (jobctl.c).
 *
 * Locking: proc_lock protects p->pending and the handlers of other
 * processes, and a process's writes to its handlers (its threads may
 * change them at once); a thread changes its own mask without it.
 */
#include <kernel/signal.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/syscalls.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <arch/uctx.h>
#include <kernel/jobctl.h>

#define SA_RESTORER 0x04000000UL
#define SA_NODEFER  0x40000000UL
#define SA_RESETHAND 0x80000000UL
#define UNBLOCKABLE ((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)))

static uint64_t bit(int sig)
{
	return 1UL << (sig - 1);
}

bool sig_ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

bool sig_stops(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static bool ignored(const struct proc *p, int sig)
{
	uint64_t h = p->leader->sigactions[sig].handler;

	return sig != SIGKILL && sig != SIGSTOP &&
	       (h == SIG_IGN || (h == SIG_DFL && sig_ignored_by_default(sig)));
}

uint64_t signal_pending_set(const struct proc *p)
{
	return READ_ONCE(p->pending) | READ_ONCE(p->leader->shared_pending);
}

/* Is a signal waiting that would interrupt a sleep? */
bool signal_pending(struct proc *p)
{
	return p->killed || (signal_pending_set(p) & ~p->sigmask);
}

int signal_take(struct proc *p, uint64_t set)
{
	for (;;) {
		uint64_t own = READ_ONCE(p->pending) & set;
		uint64_t shared = READ_ONCE(p->leader->shared_pending) & set;

		if (!(own | shared))
			return 0;
		int sig = __builtin_ctzll(own | shared) + 1;
		uint64_t *from = own & bit(sig) ? &p->pending : &p->leader->shared_pending;
		if (__atomic_fetch_and(from, ~bit(sig), __ATOMIC_SEQ_CST) & bit(sig))
			return sig;
		/* another thread took the process's one first: look again */
	}
}

/* A fatal signal (SIGKILL, or one whose default action ends p) was sent:
 * p->killed is set and p ends on its way back to user mode. False for
 * kernel threads and outside any process (p NULL). */
bool fatal_signal_pending(struct proc *p)
{
	return p && READ_ONCE(p->killed);
}

static bool blocks(const struct proc *t, int sig)
{
	return (t->sigmask & bit(sig)) && sig != SIGKILL;
}

/* Would thread t take sig now: it does not block it, or it waits for it
 * in rt_sigtimedwait? */
static bool wants(const struct proc *t, int sig)
{
	return !blocks(t, sig) || (READ_ONCE(t->sigwait_set) & bit(sig));
}

/* The thread of p's process to take a process-directed sig: p if it
 * wants it, else another that does, else p (or, p gone, the first live
 * thread: a blocked signal waits there). proc_lock held. */
static struct proc *pick_thread(struct proc *p, int sig)
{
	struct list_head *l;
	struct list_head *threads = &p->leader->threads;

	if (wants(p, sig) && p->state != P_ZOMBIE)   /* a leader gone first */
		return p;
	list_for_each(l, threads) {
		struct proc *t = list_entry(l, struct proc, thread_node);
		if (wants(t, sig))
			return t;
	}
	if (p->state == P_ZOMBIE && !list_empty(threads))
		return list_first_entry(threads, struct proc, thread_node);
	return p;
}

/*
 * Mark sig pending in thread t (proc_lock held). A fatal, unblocked
 * signal ends the whole process at once (every thread's killed is set,
 * so sleeps end and each exits promptly, a stopped one too). SIGCONT
 * continues the process even if blocked or ignored, and cancels pending
 * stops; a stop cancels a pending SIGCONT (jobctl.c). A signal that
 * rt_sigtimedwait waits for wakes t though blocked.
 */
static void send_to_thread(struct proc *t, int sig, bool to_process)
{
	uint64_t h = t->leader->sigactions[sig].handler;
	bool blocked = blocks(t, sig);
	bool waited = READ_ONCE(t->sigwait_set) & bit(sig);

	if (sig == SIGCONT)
		jobctl_continue_locked(t);
	if (sig_stops(sig))
		jobctl_cancel_cont_locked(t);
	if (!blocked && !waited && ignored(t, sig))
		return;
	__atomic_fetch_or(to_process ? &t->leader->shared_pending : &t->pending, bit(sig),
			  __ATOMIC_SEQ_CST);
	if (blocked && !waited)
		return;
	if (!waited && ((h == SIG_DFL && !sig_stops(sig)) || sig == SIGKILL))
		thread_group_kill_locked(t, W_SIGNALED(sig));
	sched_wakeup(t);
}

/* Send sig to p's process (proc_lock held): see the top of the file. */
void signal_send_locked(struct proc *p, int sig)
{
	send_to_thread(pick_thread(p, sig), sig, true);
}

/* tgkill/tkill: sig for thread t itself (proc_lock held). */
void signal_send_thread_locked(struct proc *t, int sig)
{
	send_to_thread(t, sig, false);
}

/* Is sp on p's sigaltstack (as Linux's on_sig_stack: the stack grows
 * down, so its top is on it and its base is not)? */
static bool on_altstack(const struct proc *p, uint64_t sp)
{
	return p->altstack_size && sp > p->altstack_sp && sp - p->altstack_sp <= p->altstack_size;
}

/* Build the frame for sig on the user stack (the sigaltstack for an
 * SA_ONSTACK handler, unless already on it) and enter the handler. */
static int setup_frame(struct proc *p, int sig, uint64_t addr)
{
	const struct k_sigaction *sa = &p->leader->sigactions[sig];
	uint64_t restorer = sa->flags & SA_RESTORER ? sa->restorer : 0;
	uint64_t saved = p->restore_sigmask ? p->saved_sigmask : p->sigmask;
	uint64_t top = 0;

	if ((sa->flags & SA_ONSTACK) && p->altstack_size && !on_altstack(p, uctx_sp(p->tf)))
		top = p->altstack_sp + p->altstack_size;
	if (uctx_push_sigframe(p, sig, addr, sa->handler, restorer, saved, top))
		return -EFAULT;
	p->restore_sigmask = false;          /* the frame has the mask to restore */
	p->sigmask |= sa->mask | (sa->flags & SA_NODEFER ? 0 : bit(sig));
	p->sigmask &= ~UNBLOCKABLE;
	return 0;
}

void signal_note_restart(uint64_t nr, int64_t ret)
{
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND) {
		current->restart_nr = nr;
		current->restart_code = (int)-ret;
	}
}

/* A handler is about to run: the interrupted call fails with EINTR, or
 * restarts (ERESTARTSYS with SA_RESTART); the frame saves the result. */
static void restart_for_handler(struct proc *p, uint64_t sa_flags)
{
	if (!p->restart_code)
		return;
	if (p->restart_code == ERESTARTSYS && (sa_flags & SA_RESTART))
		uctx_restart_syscall(p->tf, p->restart_nr);
	else
		uctx_set_return(p->tf, (uint64_t)-EINTR);
	p->restart_code = 0;
}

/* Every signal was acted on and no handler took the interrupted call:
 * run it again. */
void signal_restart_finish(void)
{
	struct proc *p = current;

	if (p->restart_code) {
		uctx_restart_syscall(p->tf, p->restart_nr);
		p->restart_code = 0;
	}
}

/* Act on one deliverable signal; the caller loops. */
void signal_deliver(void)
{
	struct proc *p = current;
	int sig = signal_take(p, ~p->sigmask);

	if (!sig)
		return;
	struct k_sigaction *sa = &p->leader->sigactions[sig];

	if (ignored(p, sig))
		return;
	if (sa->handler == SIG_DFL && sig_stops(sig)) {
		/* POSIX: nobody would continue an orphaned group; only
		 * SIGSTOP stops it. */
		if (sig == SIGSTOP || !pgrp_orphaned(p->leader->pgid))
			jobctl_stop(sig);       /* back here once continued */
		return;
	}
	if (sa->handler == SIG_DFL)
		thread_group_exit(W_SIGNALED(sig));
	restart_for_handler(p, sa->flags);
	if (setup_frame(p, sig, 0))
		thread_group_exit(W_SIGNALED(SIGSEGV));     /* no room for the frame */
	if (sa->flags & SA_RESETHAND)
		sa->handler = SIG_DFL;
}

/* A user-mode fault means sig: to its handler if it has one, else death. */
void signal_force(int sig, uint64_t addr)
{
	struct proc *p = current;
	struct k_sigaction *sa = &p->leader->sigactions[sig];

	if (sa->handler > SIG_IGN && !(p->sigmask & bit(sig)) && !setup_frame(p, sig, addr))
		return;
	user_fault_kill(sig, addr);
}

void signal_set_mask(uint64_t mask)
{
	current->sigmask = mask & ~UNBLOCKABLE;
}

void signal_restore_mask(uint64_t old, bool interrupted)
{
	struct proc *p = current;

	if (interrupted && (signal_pending_set(p) & ~p->sigmask)) {
		p->saved_sigmask = old;
		p->restore_sigmask = true;
	} else {
		p->sigmask = old;
	}
}

/* Every pending signal was acted on: a temporary mask no handler frame
 * took (the signal was ignored or stopped us) goes now. True if it did. */
bool signal_return_mask(void)
{
	struct proc *p = current;

	if (!p->restore_sigmask)
		return false;
	p->sigmask = p->saved_sigmask;
	p->restore_sigmask = false;
	return true;
}

/* Linux's stack_t. */
struct k_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

#define SS_ONSTACK  1
#define SS_DISABLE  2
#define MINSIGSTKSZ 2048

/* Check a new sigaltstack setting: -EINVAL (flags: SS_AUTODISARM is not
 * supported), -ENOMEM (smaller than MINSIGSTKSZ). SS_DISABLE clears it. */
static int altstack_check(struct k_stack *ss)
{
	if (ss->flags != 0 && ss->flags != SS_ONSTACK && ss->flags != SS_DISABLE)
		return -EINVAL;
	if (ss->flags == SS_DISABLE)
		ss->sp = ss->size = 0;
	else if (ss->size < MINSIGSTKSZ)
		return -ENOMEM;
	return 0;
}

/* sigaltstack(ss, old): -EPERM to change it while running on it. */
SYSCALL(sigaltstack)
{
	struct proc *p = current;
	bool on = on_altstack(p, uctx_sp(p->tf));
	struct k_stack ss, old = { p->altstack_sp, 0, 0, p->altstack_size };
	int err = 0;

	old.flags = !p->altstack_size ? SS_DISABLE : on ? SS_ONSTACK : 0;
	if (a0 && copy_from_user(&ss, (void *)a0, sizeof(ss)))
		return -EFAULT;
	if (a0)
		err = on ? -EPERM : altstack_check(&ss);
	if (err)
		return err;
	if (a1 && copy_to_user((void *)a1, &old, sizeof(old)))
		return -EFAULT;
	if (a0)
		p->altstack_sp = ss.sp, p->altstack_size = ss.size;
	return 0;
}

/* Back from a handler: restore what the frame saved. */
SYSCALL(rt_sigreturn)
{
	struct proc *p = current;
	uint64_t mask;

	if (uctx_pop_sigframe(p, &mask))
		thread_group_exit(W_SIGNALED(SIGSEGV));
	p->sigmask = mask & ~UNBLOCKABLE;
	return uctx_return_value(p->tf);             /* syscall_dispatch stores it back */
}
