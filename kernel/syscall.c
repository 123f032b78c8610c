/*
 * System-call dispatch: the entry code (arch/x86_64/syscall.asm) saved the
 * user's registers as a struct trap_frame; the number is in rax, arguments
 * in rdi, rsi, rdx, r10, r8, r9, and the result goes back in rax.
 */
#include <kernel/syscall.h>
#include <kernel/thread.h>
#include <kernel/numa_balancing.h>
#include <kernel/syscalls.h>
#include <kernel/strace.h>
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

#define NR_SYSCALLS 440              /* faccessat2 (439) is the highest */

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

bool syscall_tracing;                /* set at boot from the command line */

int64_t syscall_invoke(uint64_t nr, const uint64_t *a)
{
	if (nr < NR_SYSCALLS && table[nr])
		return table[nr](a[0], a[1], a[2], a[3], a[4], a[5]);
	return -ENOSYS;
}

const char *syscall_name(uint64_t nr)
{
	return nr < NR_SYSCALLS ? names[nr] : NULL;
}

void user_return_work(void)
{
	for (;;) {
		irq_enable();
		rmap_check_user_return();   /* rmap_check=N: no lock held here */
		numab_user_return();        /* NUMA balancing's scanner, when due */
		if (current->killed)
			proc_exit(W_SIGNALED(current->killed));
		if (signal_pending_set(current) & ~current->sigmask) {
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
	int64_t ret;

	irq_enable();
	uctx_syscall_args(tf, a);                /* a copy: exec and sigreturn change tf */
	if (unlikely(syscall_tracing))
		ret = strace_syscall(nr, a);     /* kernel/strace.c */
	else
		ret = syscall_invoke(nr, a);
	uctx_set_return(tf, (uint64_t)ret);
	if (nr < NR_SYSCALLS && table[nr] != sys_rt_sigreturn)
		signal_note_restart(nr, ret);    /* not after sigreturn: rax is the user's */
	user_return_work();
}

void user_fault_kill(int sig, uint64_t addr)
{
	struct proc *p = current;

	printk("pid %d (%s): signal %d at address %lx, rip %lx, trap %lu error %lx\n",
	       p->pid, p->name, sig, addr, uctx_ip(p->tf), uctx_trap_vector(p->tf),
	       uctx_trap_error(p->tf));
	thread_group_exit(W_SIGNALED(sig));     /* the whole process */
}
