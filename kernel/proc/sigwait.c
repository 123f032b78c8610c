/*
 * Waiting for signals: rt_sigsuspend(2), rt_sigtimedwait(2) and
 * rt_sigpending(2), with Linux's numbers and structures.
 *
 * rt_sigsuspend installs a temporary mask and sleeps until a signal it
 * does not block is pending; the handler then runs under that mask and
 * the old one comes back when it returns (signal_restore_mask). A signal
 * that only stops the process (no handler) restarts the wait, as Linux.
 *
 * rt_sigtimedwait takes one signal of a set out of the pending set
 * without running its handler. The set is normally blocked, so a sender
 * would not wake a blocked process: p->sigwait_set tells signal_send_locked
 * to wake it anyway (Linux's real_blocked does the same job).
 *
 * No lost wake-up: the process becomes SLEEPING (full barrier) before it
 * looks at p->pending; a sender sets the pending bit (atomic) before it
 * wakes, so either the look sees the bit or the wake-up finds it asleep.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/usercopy.h>
#include <kernel/string.h>
#include <kernel/errno.h>

#define SIGSET_SIZE 8
#define NS_PER_SEC 1000000000LL

/* rt_sigsuspend(mask, sigsetsize): always "fails": -EINTR once a handler
 * has run (through -ERESTARTNOHAND, see signal.c). */
SYSCALL(rt_sigsuspend)
{
	struct proc *p = current;
	uint64_t set, old = p->sigmask;

	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&set, (void *)a0, sizeof(set)))
		return -EFAULT;
	signal_set_mask(set);
	for (;;) {
		sched_set_state_sleeping();
		if (signal_pending(p))
			break;
		sched_sleep_until(SCHED_FOREVER);
	}
	sched_wakeup(p);
	signal_restore_mask(old, true);
	return -ERESTARTNOHAND;
}

/* rt_sigpending(set, sigsetsize): the pending signals that are blocked,
 * the thread's own and its process's. */
SYSCALL(rt_sigpending)
{
	uint64_t set = signal_pending_set(current) & current->sigmask;

	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	return copy_to_user((void *)a0, &set, sizeof(set)) ? -EFAULT : 0;
}

/*
 * Sleep until a signal of set is pending (returned, taken), another
 * unblocked one is (-EINTR), or the clock passes deadline (-EAGAIN).
 */
static int wait_for_set(struct proc *p, uint64_t set, uint64_t deadline)
{
	int sig;

	WRITE_ONCE(p->sigwait_set, set);
	for (;;) {
		sched_set_state_sleeping();
		if ((sig = signal_take(p, set)))
			break;
		if (signal_pending(p)) {
			sig = -EINTR;
			break;
		}
		if (deadline != SCHED_FOREVER && clock_ns() >= deadline) {
			sig = -EAGAIN;
			break;
		}
		sched_sleep_until(deadline);
	}
	WRITE_ONCE(p->sigwait_set, 0);
	sched_wakeup(p);
	return sig;
}

/* Linux's siginfo: signo, errno, code, then a union; 128 bytes. */
struct k_siginfo {
	int signo, err, code, pad;
	char rest[112];
};

/* rt_sigtimedwait(set, info, timeout, sigsetsize) */
SYSCALL(rt_sigtimedwait)
{
	struct { int64_t sec, nsec; } ts;
	uint64_t set, deadline = SCHED_FOREVER;

	if (a3 != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&set, (void *)a0, sizeof(set)))
		return -EFAULT;
	if (a2 && copy_from_user(&ts, (void *)a2, sizeof(ts)))
		return -EFAULT;
	if (a2 && (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= NS_PER_SEC))
		return -EINVAL;
	if (a2)
		deadline = clock_ns() + (uint64_t)ts.sec * NS_PER_SEC + ts.nsec;
	set &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	int sig = wait_for_set(current, set, deadline);
	if (sig > 0 && a1) {
		struct k_siginfo info;
		memset(&info, 0, sizeof(info));
		info.signo = sig;              /* code SI_USER (0); the sender is not kept */
		if (copy_to_user((void *)a1, &info, sizeof(info)))
			return -EFAULT;
	}
	return sig;
}
