/*
 * getpriority/setpriority and prctl: per-process settings that are stored
 * and reported (proc.h). The nice value is not used by the scheduler.
 *
 * Locking: nice and name are read and written under proc_lock (other
 * processes read them: setpriority, /proc/PID/comm); the other prctl
 * fields belong to the process itself.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define PRIO_PROCESS 0
#define PRIO_PGRP    1
#define PRIO_USER    2
#define NICE_MIN (-20)
#define NICE_MAX 19

/* Does p match (which, who)? who 0 means the caller's own process or
 * user. Numbat has no process groups: PRIO_PGRP matches only the caller,
 * for who 0 or its pid. proc_lock held. */
static bool prio_match(struct proc *p, int which, int who)
{
	struct proc *me = current;

	if (p->pid == 0 || p->state == P_ZOMBIE || !p->mm)
		return false;              /* idle and kernel threads */
	switch (which) {
	case PRIO_PROCESS:
		return p->pid == (who ? who : me->pid);
	case PRIO_PGRP:
		return p == me && (who == 0 || who == me->pid);
	default:
		return p->cred.uid[ID_REAL] == (who ? (uint32_t)who : me->cred.uid[ID_REAL]);
	}
}

/* getpriority: the raw call returns 20 - nice of the best (lowest nice)
 * match, 1..40, so it is never negative; the C library turns it back.
 * -ESRCH if nothing matches, -EINVAL for an unknown which. */
SYSCALL(getpriority)
{
	int which = (int)a0, who = (int)a1, best = NICE_MAX + 1;

	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	proc_for_each(p)
		if (prio_match(p, which, who) && p->nice < best)
			best = p->nice;
	spin_unlock_irqrestore(&proc_lock, flags);
	return best > NICE_MAX ? -ESRCH : 20 - best;
}

/* setpriority: set nice (clamped to -20..19) on every match. Only an
 * effective uid 0 may lower it (-EACCES), as Linux without CAP_SYS_NICE. */
SYSCALL(setpriority)
{
	int which = (int)a0, who = (int)a1, nice = (int)a2, found = 0;

	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	nice = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
	bool root = proc_privileged(current);
	int err = 0;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	proc_for_each(p) {
		if (!prio_match(p, which, who))
			continue;
		found++;
		if (nice < p->nice && !root)
			err = -EACCES;
		else
			p->nice = nice;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return !found ? -ESRCH : err;
}

/* ------------------------------------------------------------ prctl */

#define PR_SET_PDEATHSIG     1
#define PR_GET_PDEATHSIG     2
#define PR_GET_DUMPABLE      3
#define PR_SET_DUMPABLE      4
#define PR_SET_NAME          15
#define PR_GET_NAME          16
#define PR_SET_NO_NEW_PRIVS  38
#define PR_GET_NO_NEW_PRIVS  39

/* PR_SET_NAME: at most 15 bytes of the user's string, NUL added; what
 * /proc/PID/comm shows. */
static int prctl_set_name(const char *uname)
{
	char name[PROC_NAME_MAX];

	if (copy_from_user(name, uname, 1))
		return -EFAULT;
	/* A name shorter than 16 bytes may end right before unmapped memory:
	 * copy byte by byte up to the NUL. */
	for (int i = 1; i < PROC_NAME_MAX - 1 && name[i - 1]; i++)
		if (copy_from_user(&name[i], uname + i, 1))
			return -EFAULT;
	name[PROC_NAME_MAX - 1] = '\0';
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	strlcpy(current->name, name, sizeof(current->name));
	spin_unlock_irqrestore(&proc_lock, flags);
	return 0;
}

static int prctl_get_name(char *uname)
{
	char name[PROC_NAME_MAX];
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	memcpy(name, current->name, sizeof(name));
	spin_unlock_irqrestore(&proc_lock, flags);
	return copy_to_user(uname, name, sizeof(name)) ? -EFAULT : 0;
}

/* The two no_new_privs options: their unused arguments must be 0. */
static int prctl_nnp(uint64_t op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	if (op == PR_GET_NO_NEW_PRIVS)
		return a1 || a2 || a3 || a4 ? -EINVAL : current->no_new_privs;
	if (a1 != 1 || a2 || a3 || a4)
		return -EINVAL;
	current->no_new_privs = true;      /* cannot be unset */
	return 0;
}

/* prctl(option, ...): the options above; -EINVAL for any other. */
SYSCALL(prctl)
{
	int sig = current->pdeath_sig;

	switch ((int)a0) {
	case PR_SET_PDEATHSIG:
		if (a1 >= NSIG)
			return -EINVAL;
		current->pdeath_sig = (int)a1;
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_to_user((void *)a1, &sig, sizeof(sig)) ? -EFAULT : 0;
	case PR_GET_DUMPABLE:
		return current->dumpable;
	case PR_SET_DUMPABLE:
		if (a1 > 1)
			return -EINVAL;
		current->dumpable = a1;
		return 0;
	case PR_SET_NAME:
		return prctl_set_name((const char *)a1);
	case PR_GET_NAME:
		return prctl_get_name((char *)a1);
	case PR_SET_NO_NEW_PRIVS:
	case PR_GET_NO_NEW_PRIVS:
		return prctl_nnp((int)a0, a1, a2, a3, a4);
	}
	return -EINVAL;
}
