/*
 * ITIMER_REAL: a per-process timer (kept in the thread group's leader, so
 * every thread sets and reads the same one) that sends SIGALRM to the
 * process (any thread that does not block it takes it) when the clock
 * passes p->itimer_at, then re-arms itself every p->itimer_every ns (0:
 * once). alarm(2) is the one-shot form in whole seconds. As Linux, the
 * timer survives exec and is not inherited by fork.
 *
 * Every armed process is on one list, `armed`, which CPU 0's timer tick
 * walks (itimer_tick). Expiry is thus checked once per tick, so SIGALRM
 * comes up to a tick late. Other interval timers (ITIMER_VIRTUAL, _PROF)
 * need CPU-time accounting Numbat does not have: they fail with EINVAL.
 *
 * Locking: itimer_lock (taken with interrupts off: the tick takes it)
 * protects the list and every itimer_at/itimer_every. Lock order:
 * itimer_lock is never held while proc_lock is taken (it may be taken
 * under proc_lock: the process's last thread disarms it at exit); the
 * tick collects pids under it and signals them after dropping it.
 */
#include <kernel/itimer.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/syscalls.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>

#define ITIMER_REAL 0
#define NS_PER_SEC 1000000000ULL
#define NS_PER_USEC 1000ULL
#define FIRE_BATCH 32             /* signalled per tick at most; the rest wait */

static struct spinlock itimer_lock = SPINLOCK_INIT("itimer");  /* see above */
static struct list_head armed = LIST_HEAD_INIT(armed);

struct kernel_itimerval {
	struct { int64_t sec, usec; } interval, value;
};

/* p's timer as (left, interval) in ns, and the new setting. itimer_lock held. */
static void get_locked(struct proc *p, uint64_t now, uint64_t *left, uint64_t *every)
{
	*left = p->itimer_at ? (p->itimer_at > now ? p->itimer_at - now : 1) : 0;
	*every = p->itimer_every;
}

static void set_locked(struct proc *p, uint64_t now, uint64_t value, uint64_t every)
{
	if (!list_empty(&p->itimer_node))
		list_del(&p->itimer_node), list_init(&p->itimer_node);
	p->itimer_at = value ? now + value : 0;
	p->itimer_every = value ? every : 0;
	if (value)
		list_add_tail(&p->itimer_node, &armed);
}

/* Arm (value > 0) or disarm the caller's timer; *old_left and *old_every get
 * the previous setting. Takes itimer_lock. */
static void itimer_set(uint64_t value, uint64_t every, uint64_t *old_left, uint64_t *old_every)
{
	struct proc *p = current->leader;       /* the process's timer */
	uint64_t flags = spin_lock_irqsave(&itimer_lock), now = clock_ns();

	get_locked(p, now, old_left, old_every);
	set_locked(p, now, value, every);
	spin_unlock_irqrestore(&itimer_lock, flags);
}

void itimer_exit(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&itimer_lock);

	set_locked(p, 0, 0, 0);
	spin_unlock_irqrestore(&itimer_lock, flags);
}

/* exec from a thread: `to` becomes the leader in place of `from`, and
 * takes its timer (it survives exec). May be called under proc_lock. */
void itimer_move(struct proc *to, struct proc *from)
{
	uint64_t flags = spin_lock_irqsave(&itimer_lock), now = clock_ns();
	uint64_t at = from->itimer_at, every = from->itimer_every;

	set_locked(from, now, 0, 0);
	set_locked(to, now, at > now ? at - now : (at ? 1 : 0), every);
	spin_unlock_irqrestore(&itimer_lock, flags);
}

/* Collect up to FIRE_BATCH due timers' pids, re-arming or disarming each. */
static int collect_due(int *pids, uint64_t now)
{
	int n = 0;
	struct list_head *l = armed.next;

	while (l != &armed && n < FIRE_BATCH) {
		struct proc *p = list_entry(l, struct proc, itimer_node);

		l = l->next;
		if (p->itimer_at > now)
			continue;
		pids[n++] = p->pid;
		if (p->itimer_every)
			p->itimer_at = now + p->itimer_every;
		else
			set_locked(p, now, 0, 0);
	}
	return n;
}

void itimer_tick(void)
{
	int pids[FIRE_BATCH], n;

	if (list_empty(&armed))          /* racy peek: the next tick looks again */
		return;
	spin_lock(&itimer_lock);
	n = collect_due(pids, clock_ns());
	spin_unlock(&itimer_lock);
	for (int i = 0; i < n; i++)
		proc_kill(pids[i], SIGALRM);
}

static uint64_t tv_ns(int64_t sec, int64_t usec)
{
	return (uint64_t)sec * NS_PER_SEC + (uint64_t)usec * NS_PER_USEC;
}

/* alarm(seconds): the seconds left of the previous alarm, rounded to
 * nearest (and 1 rather than 0 if one was pending), as Linux. */
SYSCALL(alarm)
{
	uint64_t left, every;

	itimer_set((uint64_t)(unsigned)a0 * NS_PER_SEC, 0, &left, &every);
	uint64_t secs = (left + NS_PER_SEC / 2) / NS_PER_SEC;
	return left && !secs ? 1 : (int64_t)secs;
}

static void to_itimerval(struct kernel_itimerval *v, uint64_t left, uint64_t every)
{
	left = (left + NS_PER_USEC - 1) / NS_PER_USEC;     /* never shows 0 while armed */
	every /= NS_PER_USEC;
	v->value.sec = left / 1000000, v->value.usec = left % 1000000;
	v->interval.sec = every / 1000000, v->interval.usec = every % 1000000;
}

/* getitimer(which, value) */
SYSCALL(getitimer)
{
	struct kernel_itimerval v;
	uint64_t left, every;

	if (a0 != ITIMER_REAL)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&itimer_lock);
	get_locked(current->leader, clock_ns(), &left, &every);
	spin_unlock_irqrestore(&itimer_lock, flags);
	to_itimerval(&v, left, every);
	return copy_to_user((void *)a1, &v, sizeof(v)) ? -EFAULT : 0;
}

static bool tv_valid(int64_t sec, int64_t usec)
{
	return sec >= 0 && usec >= 0 && usec < 1000000;
}

/* setitimer(which, new, old): new NULL disarms, as Linux 6.x does. */
SYSCALL(setitimer)
{
	struct kernel_itimerval v = { 0 }, old;
	uint64_t left, every;

	if (a0 != ITIMER_REAL)
		return -EINVAL;
	if (a1 && copy_from_user(&v, (void *)a1, sizeof(v)))
		return -EFAULT;
	if (!tv_valid(v.value.sec, v.value.usec) || !tv_valid(v.interval.sec, v.interval.usec))
		return -EINVAL;
	if (a2 && !user_range_ok((void *)a2, sizeof(old)))
		return -EFAULT;
	itimer_set(tv_ns(v.value.sec, v.value.usec), tv_ns(v.interval.sec, v.interval.usec),
		   &left, &every);
	to_itimerval(&old, left, every);
	return a2 && copy_to_user((void *)a2, &old, sizeof(old)) ? -EFAULT : 0;
}
