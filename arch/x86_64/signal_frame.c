/*
 * Signal frames, in Linux's x86-64 layout, so that a libc's sigaction and
 * sigreturn work unchanged (uctx.h):
 *
 *   user stack, growing down (or the sigaltstack, from its top, for a
 *   handler with SA_ONSTACK: then there is no red zone to skip)
 *   | ...interrupted code's stack... |
 *   | 128-byte red zone, left alone  |
 *   | FXSAVE area (512, 64-aligned)  |  <- sigcontext.fpstate
 *   | struct rt_sigframe             |
 *   |   pretcode (the restorer)      |  <- rsp when the handler starts
 *   |   ucontext: sigcontext, mask   |  <- rdx (third argument)
 *   |   siginfo                      |  <- rsi (second argument)
 */
#include <arch/uctx.h>
#include <arch/io.h>
#include <kernel/proc.h>
#include <kernel/usercopy.h>
#include <kernel/string.h>
#include <kernel/errno.h>

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

/* uc_stack: the sigaltstack in force (SS_DISABLE without one). */
static void save_altstack(struct ucontext *uc, const struct proc *p, uint64_t stack_top)
{
	uc->ss_sp = p->altstack_sp;
	uc->ss_size = p->altstack_size;
	uc->ss_flags = !p->altstack_size ? 2 /* SS_DISABLE */ : stack_top ? 1 /* SS_ONSTACK */ : 0;
}

int uctx_push_sigframe(struct proc *p, int sig, uint64_t addr, uint64_t handler,
		       uint64_t restorer, uint64_t sigmask, uint64_t stack_top)
{
	struct trap_frame *tf = p->tf;
	uint64_t top = stack_top ? stack_top : tf->rsp - 128;
	uint64_t fp = ALIGN_DOWN(top - 512, 64);
	uint64_t sp = ALIGN_DOWN(fp - sizeof(struct rt_sigframe), 16) - 8;
	struct rt_sigframe f;

	memset(&f, 0, sizeof(f));
	f.pretcode = restorer;
	save_regs(&f.uc.mc, tf);
	f.uc.mc.fpstate = fp;
	save_altstack(&f.uc, p, stack_top);
	f.uc.mc.cr2 = addr;
	f.uc.sigmask = sigmask;
	f.info.signo = sig;
	if (addr)
		f.info.fault.addr = addr;
	fpu_save(p->fpu);
	if (copy_to_user((void *)fp, p->fpu, 512) || copy_to_user((void *)sp, &f, sizeof(f)))
		return -EFAULT;
	tf->rsp = sp;
	tf->rip = handler;
	tf->rdi = sig;
	tf->rsi = sp + offsetof(struct rt_sigframe, info);
	tf->rdx = sp + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	return 0;
}

int uctx_pop_sigframe(struct proc *p, uint64_t *sigmask)
{
	struct trap_frame *tf = p->tf;
	struct rt_sigframe f;
	uint64_t frame = tf->rsp - 8;                /* the handler's ret popped pretcode */

	if (copy_from_user(&f, (void *)frame, sizeof(f)) ||
	    (f.uc.mc.fpstate && copy_from_user(p->fpu, (void *)f.uc.mc.fpstate, 512)))
		return -EFAULT;
	*(uint32_t *)((char *)p->fpu + 24) &= 0xffff;    /* MXCSR: no reserved bits */
	fpu_restore(p->fpu);
	load_regs(tf, &f.uc.mc);
	*sigmask = f.uc.sigmask;
	return 0;
}

void uctx_set_tls(uint64_t base)
{
	wrmsr(MSR_FS_BASE, base);
}
