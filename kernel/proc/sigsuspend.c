/*
 * rt_sigsuspend(mask, sigsetsize): replace the signal mask and sleep until
 * a signal comes, atomically, so a signal unblocked by the new mask cannot
 * slip in between (what sigprocmask + pause cannot promise). Always
 * -EINTR. The old mask comes back when the handler returns: the signal
 * frame saves it instead of the temporary one (signal.c's setup_frame),
 * or on the way to user mode if no handler runs (user_return_work).
 * Shells use it to wait for SIGCHLD (busybox ash's `wait`).
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>

#define SIGSUSPEND_NAP_NS 1000000000ULL   /* the sleep is renewed each second */
#define UNBLOCKABLE_SIGS ((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)))

SYSCALL(rt_sigsuspend)
{
	struct proc *p = current;
	uint64_t set;

	if (a1 != 8)
		return -EINVAL;
	if (copy_from_user(&set, (void *)a0, sizeof(set)))
		return -EFAULT;
	p->sigmask_saved = p->sigmask;
	p->sigmask_saved_valid = true;
	p->sigmask = set & ~UNBLOCKABLE_SIGS;
	while (sched_sleep_ns(SIGSUSPEND_NAP_NS) != -EINTR)
		;
	return -EINTR;
}
