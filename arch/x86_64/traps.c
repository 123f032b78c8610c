/*
 * trap_dispatch: every interrupt and exception lands here (isr.asm).
 * Interrupts go to the handler registered for their vector. An exception in
 * the kernel is a bug: print the trap, the registers, CR2 for page faults and
 * a symbolized backtrace, then stop the machine (see die()).
 * Exceptions in user mode become signals (kernel/proc/signal.c): a handler runs
 * if the process installed one, else the process ends.
 */
#include <kernel/trace.h>
#include <kernel/printk.h>
#include <kernel/percpu.h>
#include <kernel/ksyms.h>
#include <kernel/panic.h>
#include <arch/trap.h>
#include <arch/paging.h>
#include <arch/lapic.h>
#include <arch/extable.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <arch/irq.h>

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check",
	"machine check", "SIMD error", "virtualization", "control protection",
};

static irq_handler_t handlers[256];
static void trap_dispatch_kernel(struct trap_frame *tf);

void irq_register(int vector, irq_handler_t fn)
{
	handlers[vector] = fn;
}

static void print_symbol(const char *prefix, uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		printk("%s0x%016lx <%s+0x%lx>\n", prefix, addr, name, off);
	else
		printk("%s0x%016lx\n", prefix, addr);
}

static void backtrace_from2(uint64_t rip, uint64_t ret, uint64_t rbp);

/* Kernel stacks live in the kernel image or the direct map. */
static bool plausible_frame(uint64_t rbp)
{
	return rbp >= DIRECT_MAP_BASE && !(rbp & 7) && rbp < (uint64_t)-16;
}

/*
 * Was rip stopped before its function pushed a frame (a leaf may push none)?
 * Then rbp still belongs to the caller's caller, and the return address
 * into the caller is at the top of the stack. Prologue: push %rbp (55);
 * mov %rsp,%rbp (48 89 e5).
 */
static bool frame_not_built(uint64_t rip)
{
	uint64_t off;

	if (!ksym_lookup(rip, &off))
		return false;
	const uint8_t *f = (const uint8_t *)(rip - off);
	bool prologue = f[0] == 0x55 && f[1] == 0x48 && f[2] == 0x89 && f[3] == 0xe5;

	return !prologue || off < 4;
}

/* A trap's backtrace: like backtrace_from, but a frameless function (or
 * no function) at the top is followed by its caller (the return address at
 * rsp). */
static void trap_backtrace(const struct trap_frame *tf)
{
	uint64_t off, ret = 0;

	if (!(tf->cs & 3) && !stack_guard_hit(tf->rsp))   /* not after an overflow */
		ret = *(const uint64_t *)tf->rsp;
	/* rip in no function (a jump to data or user memory): the return
	 * address of the call that went there is at the top of the stack. */
	if (ret && (!ksym_lookup(tf->rip, &off) || frame_not_built(tf->rip)) &&
	    ksym_lookup(ret, &off))
		backtrace_from2(tf->rip, ret, tf->rbp);
	else
		backtrace_from2(tf->rip, 0, tf->rbp);
}

void trap_print_backtrace(const struct trap_frame *tf)
{
	print_symbol("RIP: ", tf->rip);
	trap_backtrace(tf);
}

void backtrace_from(uint64_t rip, uint64_t rbp)
{
	backtrace_from2(rip, 0, rbp);
}

/* rip, then (if not 0) the caller's return address `ret`, then the frames
 * linked from rbp: [rbp] = caller's rbp, [rbp + 8] = return address. */
static void backtrace_from2(uint64_t rip, uint64_t ret, uint64_t rbp)
{
	int depth = 0;
	char prefix[16];

	printk("Backtrace:\n");
	if (ret) {
		snprintf(prefix, sizeof(prefix), "  #%d ", depth++);
		print_symbol(prefix, rip);
		rip = ret;
	}
	for (; depth < 20; depth++) {
		snprintf(prefix, sizeof(prefix), "  #%d ", depth);
		print_symbol(prefix, rip);
		if (!plausible_frame(rbp))
			break;
		rip = ((uint64_t *)rbp)[1];
		rbp = ((uint64_t *)rbp)[0];
		if (!rip)
			break;
	}
}

void backtrace(void)
{
	uint64_t rbp = (uint64_t)__builtin_frame_address(0);

	backtrace_from((uint64_t)__builtin_return_address(0), ((uint64_t *)rbp)[0]);
}

static void print_regs(const struct trap_frame *tf)
{
	printk("RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n",
	       tf->rax, tf->rbx, tf->rcx, tf->rdx);
	printk("RSI=%016lx RDI=%016lx RBP=%016lx RSP=%016lx\n",
	       tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	printk("R8 =%016lx R9 =%016lx R10=%016lx R11=%016lx\n",
	       tf->r8, tf->r9, tf->r10, tf->r11);
	printk("R12=%016lx R13=%016lx R14=%016lx R15=%016lx\n",
	       tf->r12, tf->r13, tf->r14, tf->r15);
	printk("CS=%lx SS=%lx RFLAGS=%016lx\n", tf->cs, tf->ss, tf->rflags);
}

/* A kernel stack overflow: the fault address (CR2) or the stack pointer is
 * in the guard page under a stack. Usually a double fault: the page fault
 * could not push its frame on the overflowed stack. */
static bool stack_overflowed(const struct trap_frame *tf)
{
	if (tf->vector != T_PF && tf->vector != T_DF)
		return false;
	return stack_guard_hit(read_cr2()) || stack_guard_hit(tf->rsp);
}

/* Which protection a kernel page fault ran into, in words, or NULL.
 * Error code: bit 0 page present, 1 write, 4 instruction fetch. */
static const char *pf_protection(uint64_t error, uint64_t addr)
{
	bool user_addr = addr < USER_TOP;

	if ((error & 16) && user_addr)
		return "SMEP: the kernel executed a user page";
	if (error & 16)
		return "NX: the kernel executed a no-execute page";
	if ((error & 1) && user_addr)
		return "SMAP: the kernel touched a user page outside a user copy";
	if ((error & 3) == 3)
		return "write to a read-only kernel page";
	return NULL;
}

/* One line saying which protection caught a kernel fault, if one did
 * (docs/debugging.md). Runs in die(), with the other CPUs stopped. */
static void explain(const struct trap_frame *tf)
{
	struct proc *p = current;
	const char *why;

	if (stack_overflowed(tf))
		printk("kernel stack overflow in task %s (pid %d): guard page hit at 0x%016lx\n",
		       p ? p->name : "?", p ? p->pid : -1,
		       stack_guard_hit(read_cr2()) ? read_cr2() : tf->rsp);
	else if (tf->vector == T_PF && (why = pf_protection(tf->error, read_cr2())))
		printk("%s\n", why);
}

/* A kernel exception: report it and stop the machine. */
static __noreturn void die(struct trap_frame *tf)
{
	const char *name = tf->vector < 32 ? exception_names[tf->vector] : NULL;

	panic_begin();
	printk("TRAP: %s (vector %lu) on cpu %d, error 0x%lx\n",
	       name ? name : "unknown", tf->vector, this_cpu_id(), tf->error);
	if (tf->vector == T_PF || tf->vector == T_DF)
		printk("CR2: 0x%016lx\n", read_cr2());
	explain(tf);
	print_symbol("RIP: ", tf->rip);
	print_regs(tf);
	trap_backtrace(tf);
	printk("cpu %d halted (trap in kernel)\n", this_cpu_id());
	panic_end();
}

/* The signal a user-mode exception becomes (Linux's choices). */
static int exception_signal(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19: return SIGFPE;   /* divide, x87, SIMD */
	case 1: case 3: return SIGTRAP;
	case T_UD: return SIGILL;
	case 17: return SIGBUS;                    /* alignment check */
	default: return SIGSEGV;
	}
}

/* PF error code: bit 0 present, 1 write, 2 user, 4 instruction fetch. */
static unsigned fault_flags(uint64_t error)
{
	return (error & 2 ? FAULT_WRITE : 0) | (error & 16 ? FAULT_EXEC : 0) |
	       (error & 4 ? FAULT_USER : 0) | (error & 1 ? FAULT_PRESENT : 0);
}

/* A page fault on a user address, from user mode or from a user copy:
 * 0 if handled, else the signal it means. */
static int user_page_fault(struct trap_frame *tf)
{
	uint64_t addr = read_cr2();
	struct proc *p = current;

	if (tf->error & 4)                 /* from user mode (a user copy is not) */
		trace_event(TRACE_PAGE_FAULT_USER, addr, tf->rip, tf->error);
	if (!p || !p->mm || addr >= USER_TOP)
		return SIGSEGV;
	irq_enable();
	int err = vm_fault(p->mm, addr, fault_flags(tf->error));
	irq_disable();
	if (err == -ENOMEM) {
		/* Out of memory even after reclaim and the OOM killer
		 * (vm_fault tried both): end the process that needs it. */
		printk("oom: no memory for pid %d (%s) at %lx: killed\n", p->pid, p->name, addr);
		return SIGKILL;
	}
	return !err ? 0 : err == -ENXIO || err == -EIO ? SIGBUS : SIGSEGV;
}

static void user_trap(struct trap_frame *tf)
{
	if (tf->vector == T_PF) {
		int sig = user_page_fault(tf);
		if (sig)
			signal_force(sig, read_cr2());
	} else if (tf->vector < IRQ_BASE && tf->vector != T_NMI) {
		signal_force(exception_signal(tf->vector), tf->rip);
	}
}

void trap_dispatch(struct trap_frame *tf)
{
	bool from_user = tf->cs & 3;

	if (tf->vector == T_NMI && panic_in_progress())
		watchdog_nmi(tf);               /* also from user mode; halts */
	if (from_user && tf->vector < IRQ_BASE) {
		user_trap(tf);
		user_return_work();
		return;
	}
	if (tf->vector == T_PF && !from_user && read_cr2() < USER_TOP &&
	    extable_fixup(tf->rip) && user_page_fault(tf) == 0)
		return;                 /* a user copy touched a page not yet there */
	trap_dispatch_kernel(tf);
	if (from_user)
		user_return_work();
}

static void trap_dispatch_kernel(struct trap_frame *tf)
{
	if (handlers[tf->vector]) {
		handlers[tf->vector](tf);
		if (tf->vector >= IRQ_BASE)
			lapic_eoi();
		return;
	}
	if (tf->vector == VEC_SPURIOUS)
		return;
	if ((tf->vector == T_PF || tf->vector == T_GP) && !(tf->cs & 3)) {
		uint64_t fixup = extable_fixup(tf->rip);
		if (fixup) {            /* a user copy hit a bad address */
			tf->rip = fixup;
			return;
		}
	}
	if (tf->vector >= IRQ_BASE) {
		printk("trap: unexpected interrupt %lu on cpu %d\n", tf->vector,
		       this_cpu_id());
		lapic_eoi();
		return;
	}
	die(tf);
}
