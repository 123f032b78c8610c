/* Process system calls: identity, fork/exit/wait/kill, scheduling, time. */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/usercopy.h>
#include <kernel/signal.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <arch/io.h>
#include <arch/uctx.h>
#include <kernel/random.h>
#include <kernel/mm.h>
#include <kernel/fdtable.h>
#include <kernel/version.h>
#include <kernel/time.h>
#include <kernel/clone.h>
#include <kernel/thread.h>
#include <kernel/jobctl.h>

SYSCALL(getpid) { return current->tgid; }     /* the process */
SYSCALL(gettid) { return current->pid; }      /* the thread */

SYSCALL(getppid)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *parent = current->leader->parent;   /* the process's */
	int ppid = parent ? parent->tgid : 0;

	spin_unlock_irqrestore(&proc_lock, flags);
	return ppid;
}


SYSCALL(exit) { proc_exit(W_EXITCODE(a0)); }                 /* this thread */
SYSCALL(exit_group) { thread_group_exit(W_EXITCODE(a0)); }   /* every thread */

/* wait4(pid, status, options, rusage): rusage gets the reaped child's
 * times and counts (its own and its reaped children's), as Linux's. The
 * options are an int (a C library may sign-extend __WCLONE). */
SYSCALL(wait4)
{
	int *ustatus = (int *)a1;
	int status = 0;

	if ((uint32_t)a2 & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE))
		return -EINVAL;
	if (ustatus && !user_range_ok(ustatus, sizeof(int)))
		return -EFAULT;
	int pid = proc_wait((int)a0, &status, (int)a2);
	if (pid > 0 && ustatus && copy_to_user(ustatus, &status, sizeof(status)))
		return -EFAULT;
	if (pid > 0 && a3 && acct_reaped_rusage((void *)a3))
		return -EFAULT;
	return pid;
}

/* kill(pid, sig): pid > 0 that process, 0 the caller's group, -1 every
 * process but init and the caller, < -1 the group -pid (jobctl.c). */
SYSCALL(kill)
{
	int pid = (int)a0;

	if (pid == -1)
		return proc_kill_all((int)a1);
	if (pid <= 0)
		return proc_kill_pgrp(pid ? (int)(0U - (unsigned)pid) : current->leader->pgid,
				      (int)a1);
	return proc_kill(pid, (int)a1);
}

SYSCALL(sched_yield)
{
	sched_yield();
	return 0;
}

/* pause(2): sleep until a signal comes; always -EINTR, as Linux (a
 * handler runs on the way back to user mode; a fatal signal ends it). */
#define PAUSE_NAP_NS 1000000000ULL  /* the sleep is renewed each second */
SYSCALL(pause)
{
	while (sched_sleep_ns(PAUSE_NAP_NS) != -EINTR)
		;
	return -ERESTARTNOHAND;     /* stopped and continued: pause again */
}

#define CLOCK_REALTIME 0
#define CLOCK_BOOTTIME 7

SYSCALL(clock_gettime)
{
	uint64_t ns = clock_ns();
	struct kernel_timespec ts;

	if (a0 > CLOCK_BOOTTIME)
		return -EINVAL;
	if (a0 == CLOCK_REALTIME)
		ns += clock_realtime_offset_ns();
	ts.sec = ns / 1000000000;
	ts.nsec = ns % 1000000000;
	return copy_to_user((void *)a1, &ts, sizeof(ts)) ? -EFAULT : 0;
}

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65],
		domainname[65];
};

/* uname: Linux's name and a Linux release, Numbat's in version (version.h). */
SYSCALL(uname)
{
	static const struct utsname u = {
		UTS_SYSNAME, UTS_NODENAME, UTS_RELEASE, UTS_VERSION, UTS_MACHINE,
		UTS_DOMAINNAME,
	};

	return copy_to_user((void *)a0, &u, sizeof(u)) ? -EFAULT : 0;
}

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

SYSCALL(arch_prctl)
{
	switch (a0) {
	case ARCH_SET_FS:
		if (a1 >= USER_TOP)
			return -EPERM;
		current->fs_base = a1;
		uctx_set_tls(a1);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user((void *)a1, &current->fs_base, 8) ? -EFAULT : 0;
	}
	return -EINVAL;
}

/* rt_sigaction(sig, act, oldact, sigsetsize) */
SYSCALL(rt_sigaction)
{
	int sig = (int)a0;
	struct k_sigaction *actions = current->leader->sigactions;   /* the process's */
	struct k_sigaction sa, old = actions[sig < NSIG && sig > 0 ? sig : 0];

	if (sig <= 0 || sig >= NSIG || a3 != 8)
		return -EINVAL;
	if (a1 && copy_from_user(&sa, (void *)a1, sizeof(sa)))
		return -EFAULT;
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	if (!a1)
		return 0;
	if (sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);   /* other threads may write */
	actions[sig] = sa;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (sa.handler == SIG_IGN) {   /* POSIX: a pending one is discarded */
		__atomic_fetch_and(&current->pending, ~(1UL << (sig - 1)), __ATOMIC_SEQ_CST);
		__atomic_fetch_and(&current->leader->shared_pending, ~(1UL << (sig - 1)),
				   __ATOMIC_SEQ_CST);
	}
	return 0;
}

SYSCALL(rt_sigprocmask)
{
	const uint64_t unblockable = (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1));
	uint64_t set;

	if (a3 != 8 || (a1 && a0 > 2))
		return -EINVAL;
	if (a1 && copy_from_user(&set, (void *)a1, 8))
		return -EFAULT;
	if (a2 && copy_to_user((void *)a2, &current->sigmask, 8))
		return -EFAULT;
	if (!a1)
		return 0;
	if (a0 == 0)
		current->sigmask |= set;        /* SIG_BLOCK */
	else if (a0 == 1)
		current->sigmask &= ~set;       /* SIG_UNBLOCK */
	else
		current->sigmask = set;         /* SIG_SETMASK */
	current->sigmask &= ~unblockable;
	return 0;
}

/* sched_setaffinity(pid, len, mask) and sched_getaffinity: pid 0 is the
 * caller. The mask is copied before proc_lock is taken (a user copy may
 * fault); the process is looked up and changed under it. */
SYSCALL(sched_setaffinity)
{
	struct cpumask m = { 0 };
	int err = -ESRCH;

	if (copy_from_user(&m.bits, (void *)a2, MIN(a1, sizeof(m.bits))))
		return -EFAULT;
	if (a0 == 0 || a0 == (uint64_t)current->pid)
		return sched_setaffinity(current, &m);
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = proc_find((int)a0);
	if (p)
		err = sched_setaffinity(p, &m);
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
}

SYSCALL(sched_getaffinity)
{
	uint64_t bits = current->affinity.bits;

	if (a1 < sizeof(uint64_t) || (a1 & 7))
		return -EINVAL;
	if (a0 && a0 != (uint64_t)current->pid) {
		uint64_t flags = spin_lock_irqsave(&proc_lock);
		struct proc *p = proc_find((int)a0);
		if (p)
			bits = p->affinity.bits;
		spin_unlock_irqrestore(&proc_lock, flags);
		if (!p)
			return -ESRCH;
	}
	if (copy_to_user((void *)a2, &bits, sizeof(bits)))
		return -EFAULT;
	return sizeof(uint64_t);
}

SYSCALL(getcpu)
{
	unsigned cpu = this_cpu_id(), node = this_cpu()->node;

	if (a0 && copy_to_user((void *)a0, &cpu, sizeof(cpu)))
		return -EFAULT;
	if (a1 && copy_to_user((void *)a1, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

/* Send sig to thread tid (of process tgid, unless tgid is 0: tkill). */
static int thread_kill(int tgid, int tid, int sig)
{
	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *t = proc_find(tid);
	int err = !t || t->pid == 0 || (tgid && t->tgid != tgid) ? -ESRCH : 0;

	if (!err && sig)
		signal_send_thread_locked(t, sig);
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
}

/* tgkill(tgid, tid, sig) and tkill(tid, sig): one thread. */
SYSCALL(tgkill)
{
	if ((int)a0 <= 0 || (int)a1 <= 0)
		return -EINVAL;
	return thread_kill((int)a0, (int)a1, (int)a2);
}

SYSCALL(tkill)
{
	return (int)a0 <= 0 ? -EINVAL : thread_kill(0, (int)a0, (int)a1);
}

#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0UL)

struct rlimit64 {
	uint64_t cur, max;
};

/* prlimit64(pid, resource, new, old): the limits Numbat has are fixed;
 * reading them works, setting them is refused (-EPERM). */
SYSCALL(prlimit64)
{
	struct rlimit64 r = { RLIM_INFINITY, RLIM_INFINITY };

	if (a0 && a0 != (uint64_t)current->pid)
		return -ESRCH;
	if (a1 >= 16)
		return -EINVAL;
	if (a1 == RLIMIT_STACK)
		r.cur = STACK_MAX;
	if (a1 == RLIMIT_NOFILE)
		r.cur = r.max = FD_MAX;
	if (a3 && copy_to_user((void *)a3, &r, sizeof(r)))
		return -EFAULT;
	return a2 ? -EPERM : 0;
}

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2

/* getrandom(buf, len, flags): not cryptographic (xorshift from the TSC);
 * Numbat has no entropy pool. Enough for hash seeds and malloc's keys. */
SYSCALL(getrandom)
{
	uint64_t seed = rdtsc() ^ ((uint64_t)current->pid << 32), done = 0;

	if (a2 & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM))
		return -EINVAL;
	while (done < a1) {
		uint64_t r = xorshift64(&seed);
		size_t n = MIN(sizeof(r), a1 - done);
		if (copy_to_user((char *)a0 + done, &r, n))
			return done ? (int64_t)done : -EFAULT;
		done += n;
	}
	return done;
}
