/*
 * System-call dispatch: the entry code (arch/x86_64/syscall.asm) saved the
 * user's registers as a struct trap_frame; the number is in rax, arguments
 * in rdi, rsi, rdx, r10, r8, r9, and the result goes back in rax.
 */
#include <kernel/syscall.h>
#include <kernel/numa_balancing.h>
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/signal.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/rmap.h>
#include <kernel/watchdog.h>
#include <arch/uctx.h>
#include <arch/irq.h>

#define NR_SYSCALLS 335

#define ENTRY(nr, name) [nr] = sys_##name,
static const syscall_fn table[NR_SYSCALLS] = {
	SYSCALL_LIST(ENTRY)
};
#undef ENTRY

#define NAME(nr, name) [nr] = #name,
static const char *const names[NR_SYSCALLS] = {
	SYSCALL_LIST(NAME)
};
#undef NAME

/* `strace` on the command line: print every system call and its result,
 * as strace(1) would show it (numbers only for the arguments). */
static void trace(const uint64_t *a, uint64_t nr, int64_t ret)
{
	const char *name = nr < NR_SYSCALLS && names[nr] ? names[nr] : "unknown";

	printk("[%d %s] %s#%lu(%lx, %lx, %lx, %lx) = %ld\n", current->pid, current->name,
	       name, nr, a[0], a[1], a[2], a[3], ret);
}

bool syscall_tracing;                /* set at boot from the command line */

void user_return_work(void)
{
	for (;;) {
		irq_enable();
		rmap_check_user_return();   /* rmap_check=N: no lock held here */
		numab_user_return();        /* NUMA balancing's scanner, when due */
		if (current->killed)
			proc_exit(W_SIGNALED(current->killed));
		if (READ_ONCE(current->pending) & ~current->sigmask) {
			signal_deliver();
			continue;
		}
		if (signal_return_mask())   /* after every deliverable signal */
			continue;           /* the old mask may unblock some */
		signal_restart_finish();    /* no handler took an interrupted call */
		if (!this_cpu()->rq.need_resched)
			break;
		schedule();
	}
	lock_assert_none_held("return to user mode");
	irq_disable();              /* trap_return runs with interrupts off */
}

void syscall_dispatch(struct trap_frame *tf)
{
	uint64_t nr = uctx_syscall_nr(tf), a[6];
	int64_t ret = -ENOSYS;

	irq_enable();
	uctx_syscall_args(tf, a);                /* a copy: exec and sigreturn change tf */
	if (nr < NR_SYSCALLS && table[nr])
		ret = table[nr](a[0], a[1], a[2], a[3], a[4], a[5]);
	uctx_set_return(tf, (uint64_t)ret);
	if (nr < NR_SYSCALLS && table[nr] != sys_rt_sigreturn)  /* rax: the user's */
		signal_note_restart(nr, ret);
	if (unlikely(syscall_tracing))
		trace(a, nr, ret);
	user_return_work();
}

void user_fault_kill(int sig, uint64_t addr)
{
	struct proc *p = current;

	printk("pid %d (%s): signal %d at address %lx, rip %lx, trap %lu error %lx\n",
	       p->pid, p->name, sig, addr, uctx_ip(p->tf), uctx_trap_vector(p->tf),
	       uctx_trap_error(p->tf));
	proc_exit(W_SIGNALED(sig));
}
