/*
 * Signals: sending, and delivering to handlers as Linux does on x86-64.
 *
 * Sending (proc_kill) marks the signal pending, unless the process ignores
 * it. A pending signal that is not blocked is acted on when the process
 * next returns to user mode (user_return_work -> signal_deliver):
 *   - SIG_DFL: terminate (most signals) or nothing (SIGCHLD, SIGURG,
 *     SIGWINCH, SIGCONT; SIGSTOP/SIGTSTP too: there is no job control);
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
 * Threads: the handlers are the process's (kept in the group leader,
 * thread.c), the mask and pending set each thread's own. A signal sent to
 * a process (kill) goes to a thread that does not block it, the one named
 * first if it can; tgkill/tkill name the thread. A fatal signal ends the
 * whole process (every thread).
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
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
	       sig == SIGSTOP || sig == SIGTSTP;
}

/* Is a signal waiting that would interrupt a sleep? */
bool signal_pending(struct proc *p)
{
	return p->killed || (READ_ONCE(p->pending) & ~p->sigmask);
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

/* The thread of p's process to take a process-directed sig: p if it does
 * not block it, else another that does not, else p. proc_lock held. */
static struct proc *pick_thread(struct proc *p, int sig)
{
	struct list_head *l;

	if (!blocks(p, sig) && p->state != P_ZOMBIE)   /* a leader gone first */
		return p;
	list_for_each(l, &p->leader->threads) {
		struct proc *t = list_entry(l, struct proc, thread_node);
		if (!blocks(t, sig))
			return t;
	}
	return p;
}

/* Mark sig pending in thread t (proc_lock held). A fatal, unblocked
 * signal ends the whole process at once (every thread's killed is set,
 * so sleeps end and each exits promptly). */
static void send_to_thread(struct proc *t, int sig)
{
	uint64_t h = t->leader->sigactions[sig].handler;

	if (sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && sig_ignored_by_default(sig))))
		return;
	__atomic_fetch_or(&t->pending, bit(sig), __ATOMIC_SEQ_CST);
	if (blocks(t, sig))
		return;
	if (h == SIG_DFL || sig == SIGKILL)
		thread_group_kill_locked(t, W_SIGNALED(sig));
	sched_wakeup(t);
}

/* Send sig to p's process (proc_lock held): see the top of the file. */
void signal_send_locked(struct proc *p, int sig)
{
	send_to_thread(pick_thread(p, sig), sig);
}

/* tgkill/tkill: sig for thread t itself (proc_lock held). */
void signal_send_thread_locked(struct proc *t, int sig)
{
	send_to_thread(t, sig);
}

/* Build the frame for sig on the user stack and enter the handler. */
static int setup_frame(struct proc *p, int sig, uint64_t addr)
{
	const struct k_sigaction *sa = &p->leader->sigactions[sig];
	uint64_t restorer = sa->flags & SA_RESTORER ? sa->restorer : 0;

	/* After rt_sigsuspend the frame keeps the mask from before it. */
	uint64_t saved = p->sigmask_saved_valid ? p->sigmask_saved : p->sigmask;

	if (uctx_push_sigframe(p, sig, addr, sa->handler, restorer, saved))
		return -EFAULT;
	p->sigmask_saved_valid = false;
	p->sigmask |= sa->mask | (sa->flags & SA_NODEFER ? 0 : bit(sig));
	p->sigmask &= ~UNBLOCKABLE;
	return 0;
}

/* Act on one deliverable signal; the caller loops. */
void signal_deliver(void)
{
	struct proc *p = current;
	uint64_t ready = READ_ONCE(p->pending) & ~p->sigmask;

	if (!ready)
		return;
	int sig = __builtin_ctzll(ready) + 1;
	__atomic_fetch_and(&p->pending, ~bit(sig), __ATOMIC_SEQ_CST);
	struct k_sigaction *sa = &p->leader->sigactions[sig];

	if (sa->handler == SIG_IGN || (sa->handler == SIG_DFL && sig_ignored_by_default(sig)))
		return;
	if (sa->handler == SIG_DFL)
		thread_group_exit(W_SIGNALED(sig));
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
