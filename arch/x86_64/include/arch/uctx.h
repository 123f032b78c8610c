/*
 * A user thread's context as the portable kernel sees it: the registers
 * saved in its trap frame, its FPU state, and the signal frame on its
 * stack. Only this header and arch/x86_64/signal_frame.c know x86-64's
 * registers and Linux's x86-64 layouts (system-call registers, struct
 * sigcontext, rt_sigframe).
 */
#ifndef ARCH_UCTX_H
#define ARCH_UCTX_H

#include <kernel/types.h>
#include <arch/trap.h>

struct proc;

/* System calls (Linux's x86-64 convention: number in rax, arguments in
 * rdi, rsi, rdx, r10, r8, r9, result in rax). */
static inline uint64_t uctx_syscall_nr(const struct trap_frame *tf)
{
	return tf->rax;
}

static inline void uctx_syscall_args(const struct trap_frame *tf, uint64_t a[6])
{
	a[0] = tf->rdi, a[1] = tf->rsi, a[2] = tf->rdx;
	a[3] = tf->r10, a[4] = tf->r8, a[5] = tf->r9;
}

static inline void uctx_set_return(struct trap_frame *tf, uint64_t v)
{
	tf->rax = v;
}

/* clone with a new stack: the child starts with its stack pointer there. */
static inline void uctx_set_sp(struct trap_frame *tf, uint64_t sp)
{
	tf->rsp = sp;
}

static inline uint64_t uctx_return_value(const struct trap_frame *tf)
{
	return tf->rax;
}

/* Run system call nr again on the way back to user mode: the `syscall`
 * instruction is two bytes long, and its arguments are still in place. */
static inline void uctx_restart_syscall(struct trap_frame *tf, uint64_t nr)
{
	tf->rip -= 2;
	tf->rax = nr;
}

static inline uint64_t uctx_ip(const struct trap_frame *tf)
{
	return tf->rip;
}

/* The trap that stopped the thread: vector and error code (for reports). */
static inline uint64_t uctx_trap_vector(const struct trap_frame *tf)
{
	return tf->vector;
}

static inline uint64_t uctx_trap_error(const struct trap_frame *tf)
{
	return tf->error;
}

/* A fresh user context: start at entry with the stack at sp, every other
 * register zero, interrupts on. */
static inline void uctx_start(struct trap_frame *tf, uint64_t entry, uint64_t sp)
{
	*tf = (struct trap_frame){ .rip = entry, .rsp = sp, .cs = USER_CS, .ss = USER_DS,
				   .rflags = 0x202 };
}

/* The FPU/SSE registers to and from a 512-byte area (FXSAVE format). */
static inline void fpu_save(void *area)
{
	__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static inline void fpu_restore(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* The thread-local storage base of the running task (arch_prctl). */
void uctx_set_tls(uint64_t base);

static inline uint64_t uctx_sp(const struct trap_frame *tf)
{
	return tf->rsp;
}

/*
 * Signal frames (signal_frame.c). uctx_push_sigframe saves p's registers,
 * FPU state and sigmask in Linux's rt_sigframe on p's user stack (below
 * stack_top, the top of its sigaltstack, or if 0 below the interrupted
 * code's red zone), with the fault address addr, and points the registers
 * at handler(sig, info, uc) returning to restorer. uctx_pop_sigframe restores them from the frame
 * the handler returns from, and the saved mask into *sigmask. 0, or
 * -EFAULT when the stack cannot hold or give the frame.
 */
int uctx_push_sigframe(struct proc *p, int sig, uint64_t addr, uint64_t handler,
		       uint64_t restorer, uint64_t sigmask, uint64_t stack_top);
int uctx_pop_sigframe(struct proc *p, uint64_t *sigmask);

#endif
