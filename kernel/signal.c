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
 * Locking: proc_lock protects p->pending and p->sigactions of other
 * processes; a process changes its own mask and actions without it.
 */
#include <kernel/signal.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/syscalls.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/printk.h>
#include <arch/trap.h>

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

/* Mark sig pending in p (proc_lock held). A fatal, unblocked signal sets
 * p->killed at once so sleeps end and the process exits promptly. */
void signal_send_locked(struct proc *p, int sig)
{
	uint64_t h = p->sigactions[sig].handler;

	if (sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && sig_ignored_by_default(sig))))
		return;
	__atomic_fetch_or(&p->pending, bit(sig), __ATOMIC_SEQ_CST);
	bool blocked = (p->sigmask & bit(sig)) && sig != SIGKILL;
	if (!blocked && h == SIG_DFL && !p->killed)
		p->killed = sig;
	if (!blocked)
		sched_wakeup(p);
}

struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved[8];
};

struct ucontext {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext mc;
	uint64_t sigmask;
};

struct siginfo {
	int32_t signo, errno_, code, pad;
	union {
		struct { int32_t pid, uid; } kill;
		struct { uint64_t addr; } fault;
		char size[112];
	};
};

struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	struct siginfo info;
};

_Static_assert(sizeof(struct sigcontext) == 256, "Linux's sigcontext is 256 bytes");
_Static_assert(sizeof(struct siginfo) == 128, "Linux's siginfo is 128 bytes");

static void save_regs(struct sigcontext *c, const struct trap_frame *tf)
{
	c->r8 = tf->r8, c->r9 = tf->r9, c->r10 = tf->r10, c->r11 = tf->r11;
	c->r12 = tf->r12, c->r13 = tf->r13, c->r14 = tf->r14, c->r15 = tf->r15;
	c->rdi = tf->rdi, c->rsi = tf->rsi, c->rbp = tf->rbp, c->rbx = tf->rbx;
	c->rdx = tf->rdx, c->rax = tf->rax, c->rcx = tf->rcx, c->rsp = tf->rsp;
	c->rip = tf->rip, c->eflags = tf->rflags;
	c->cs = USER_CS, c->ss = USER_DS;
}

static void load_regs(struct trap_frame *tf, const struct sigcontext *c)
{
	tf->r8 = c->r8, tf->r9 = c->r9, tf->r10 = c->r10, tf->r11 = c->r11;
	tf->r12 = c->r12, tf->r13 = c->r13, tf->r14 = c->r14, tf->r15 = c->r15;
	tf->rdi = c->rdi, tf->rsi = c->rsi, tf->rbp = c->rbp, tf->rbx = c->rbx;
	tf->rdx = c->rdx, tf->rax = c->rax, tf->rcx = c->rcx, tf->rsp = c->rsp;
	tf->rip = c->rip;
	/* Only the flags user code may change (arithmetic, DF, AC); IF stays on. */
	tf->rflags = (c->eflags & 0x40dd5) | 0x202;
	tf->cs = USER_CS, tf->ss = USER_DS;
}

/* Build the frame for sig on the user stack and enter the handler. */
static int setup_frame(struct proc *p, int sig, uint64_t addr)
{
	struct trap_frame *tf = p->tf;
	const struct k_sigaction *sa = &p->sigactions[sig];
	uint64_t fp = ALIGN_DOWN(tf->rsp - 128 - 512, 64);
	uint64_t sp = ALIGN_DOWN(fp - sizeof(struct rt_sigframe), 16) - 8;
	struct rt_sigframe f;

	memset(&f, 0, sizeof(f));
	f.pretcode = sa->flags & SA_RESTORER ? sa->restorer : 0;
	save_regs(&f.uc.mc, tf);
	f.uc.mc.fpstate = fp;
	f.uc.mc.cr2 = addr;
	f.uc.sigmask = p->sigmask;
	f.info.signo = sig;
	if (addr)
		f.info.fault.addr = addr;
	__asm__ volatile("fxsave64 (%0)" : : "r"(p->fpu) : "memory");
	if (copy_to_user((void *)fp, p->fpu, 512) || copy_to_user((void *)sp, &f, sizeof(f)))
		return -EFAULT;
	tf->rsp = sp;
	tf->rip = sa->handler;
	tf->rdi = sig;
	tf->rsi = sp + offsetof(struct rt_sigframe, info);
	tf->rdx = sp + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
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
	struct k_sigaction *sa = &p->sigactions[sig];

	if (sa->handler == SIG_IGN || (sa->handler == SIG_DFL && sig_ignored_by_default(sig)))
		return;
	if (sa->handler == SIG_DFL)
		proc_exit(W_SIGNALED(sig));
	if (setup_frame(p, sig, 0))
		proc_exit(W_SIGNALED(SIGSEGV));     /* no room for the frame */
	if (sa->flags & SA_RESETHAND)
		sa->handler = SIG_DFL;
}

/* A user-mode fault means sig: to its handler if it has one, else death. */
void signal_force(int sig, uint64_t addr)
{
	struct proc *p = current;
	struct k_sigaction *sa = &p->sigactions[sig];

	if (sa->handler > SIG_IGN && !(p->sigmask & bit(sig)) && !setup_frame(p, sig, addr))
		return;
	user_fault_kill(sig, addr);
}

/* Back from a handler: restore what the frame saved. */
SYSCALL(rt_sigreturn)
{
	struct proc *p = current;
	struct trap_frame *tf = p->tf;
	struct rt_sigframe f;
	uint64_t frame = tf->rsp - 8;                /* the handler's ret popped pretcode */

	if (copy_from_user(&f, (void *)frame, sizeof(f)) ||
	    (f.uc.mc.fpstate && copy_from_user(p->fpu, (void *)f.uc.mc.fpstate, 512)))
		proc_exit(W_SIGNALED(SIGSEGV));
	*(uint32_t *)((char *)p->fpu + 24) &= 0xffff;    /* MXCSR: no reserved bits */
	__asm__ volatile("fxrstor64 (%0)" : : "r"(p->fpu) : "memory");
	load_regs(tf, &f.uc.mc);
	p->sigmask = f.uc.sigmask & ~UNBLOCKABLE;
	return tf->rax;                              /* syscall_dispatch stores it back */
}
