/*
 * CPU-time and fault accounting, the load average, getrusage(2) and
 * times(2) (see proc_stat.h for what is charged when, and the locking).
 */
#include <kernel/proc_stat.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/mm.h>
#include <kernel/syscalls.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

/* Written only by their own CPU (tick, schedule); read without a lock. */
static struct cpu_times cpu_times[MAX_CPUS];
static uint64_t total_forks;       /* atomic: processes started since boot */

#define LOAD_FREQ (5 * USER_HZ + 1)     /* Linux's: 5 s and a tick */
/* avenrun: written by CPU 0's tick only, read without a lock. */
static unsigned long avenrun[3];

int acct_nr_running(void)
{
	int n = 0, cpu;

	for_each_cpu_in(cpu, &cpu_online_mask) {
		struct runqueue *rq = &cpus[cpu].rq;
		n += READ_ONCE(rq->nr) + (READ_ONCE(rq->curr) != rq->idle);
	}
	return n;
}

/* load = load * e + active * (1 - e), in FSHIFT fixed point (Linux's
 * calc_load, rounding up while the load grows). */
unsigned long loadavg_calc(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long l = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		l += FIXED_1 - 1;
	return l / FIXED_1;
}

static void loadavg_update(void)
{
	unsigned long active = (unsigned long)acct_nr_running() * FIXED_1;

	WRITE_ONCE(avenrun[0], loadavg_calc(avenrun[0], EXP_1, active));
	WRITE_ONCE(avenrun[1], loadavg_calc(avenrun[1], EXP_5, active));
	WRITE_ONCE(avenrun[2], loadavg_calc(avenrun[2], EXP_15, active));
}

void loadavg_get(unsigned long loads[3])
{
	for (int i = 0; i < 3; i++)
		loads[i] = READ_ONCE(avenrun[i]) << (SI_LOAD_SHIFT - FSHIFT);
}

/* Charge one tick to the current process (user or system) or to idle.
 * Interrupts are off (the timer interrupt). */
void acct_tick(bool user)
{
	struct cpu *c = this_cpu();
	struct cpu_times *t = &cpu_times[c->id];
	struct proc *p = c->rq.curr;

	if (!p || p == c->rq.idle) {
		t->idle++;
	} else if (user) {
		t->user++;
		p->acct.utime++;
	} else {
		t->system++;
		p->acct.stime++;
	}
	if (p && p != c->rq.idle && p->mm) {
		uint64_t rss = READ_ONCE(p->mm->rss_anon) + READ_ONCE(p->mm->rss_file);
		if (rss > p->acct.maxrss)
			p->acct.maxrss = rss;
	}
	if (c->id == 0 && c->ticks % LOAD_FREQ == 0)
		loadavg_update();
}

void acct_switch(struct proc *prev, bool preempted)
{
	cpu_times[this_cpu_id()].ctxt++;
	if (preempted)
		prev->acct.nivcsw++;
	else
		prev->acct.nvcsw++;
}

void acct_fault(bool major)
{
	if (major)
		current->acct.maj_flt++;
	else
		current->acct.min_flt++;
}

void acct_start(struct proc *p)
{
	p->acct.start_ns = clock_ns();
	__atomic_fetch_add(&total_forks, 1, __ATOMIC_RELAXED);
}

uint64_t acct_total_forks(void)
{
	return __atomic_load_n(&total_forks, __ATOMIC_RELAXED);
}

struct cpu_times acct_cpu_times(int cpu)
{
	struct cpu_times t = {
		READ_ONCE(cpu_times[cpu].user), READ_ONCE(cpu_times[cpu].system),
		READ_ONCE(cpu_times[cpu].idle), READ_ONCE(cpu_times[cpu].ctxt),
	};
	return t;
}

/* The caller (parent) reaped z: z's totals, its own and its reaped
 * children's, join the caller's children's. Only the parent writes them. */
void acct_reap(struct proc *parent, const struct proc *z)
{
	const struct proc_acct *a = &z->acct;
	struct proc_acct *pa = &parent->acct;

	pa->rutime = a->utime + a->cutime;
	pa->rstime = a->stime + a->cstime;
	pa->rmin_flt = a->min_flt + a->cmin_flt;
	pa->rmaj_flt = a->maj_flt + a->cmaj_flt;
	pa->rnvcsw = a->nvcsw + a->cnvcsw;
	pa->rnivcsw = a->nivcsw + a->cnivcsw;
	pa->rmaxrss = MAX(a->maxrss, a->cmaxrss);
	pa->cutime += pa->rutime;
	pa->cstime += pa->rstime;
	pa->cmin_flt += pa->rmin_flt;
	pa->cmaj_flt += pa->rmaj_flt;
	pa->cnvcsw += pa->rnvcsw;
	pa->cnivcsw += pa->rnivcsw;
	pa->cmaxrss = MAX(pa->cmaxrss, pa->rmaxrss);
}

/* ------------------------------------------------ getrusage, times */

struct kernel_timeval {
	int64_t sec, usec;
};

/* struct rusage, as Linux x86-64 lays it out. */
struct rusage {
	struct kernel_timeval utime, stime;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock,
		oublock, msgsnd, msgrcv, nsignals, nvcsw, nivcsw;
};

static struct kernel_timeval ticks_tv(uint64_t ticks)
{
	return (struct kernel_timeval){ ticks / USER_HZ,
					(ticks % USER_HZ) * (1000000 / USER_HZ) };
}

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

/* getrusage(who, usage): the caller's own times (a thread is the whole
 * process here), or those of its reaped children. maxrss in KiB. */
SYSCALL(getrusage)
{
	const struct proc_acct *a = &current->acct;
	struct rusage r = { 0 };
	int who = (int)a0;

	if (who == RUSAGE_SELF || who == RUSAGE_THREAD) {
		r.utime = ticks_tv(a->utime), r.stime = ticks_tv(a->stime);
		r.maxrss = (int64_t)(a->maxrss * (PAGE_SIZE / 1024));
		r.minflt = (int64_t)a->min_flt, r.majflt = (int64_t)a->maj_flt;
		r.nvcsw = (int64_t)a->nvcsw, r.nivcsw = (int64_t)a->nivcsw;
	} else if (who == RUSAGE_CHILDREN) {
		r.utime = ticks_tv(a->cutime), r.stime = ticks_tv(a->cstime);
		r.maxrss = (int64_t)(a->cmaxrss * (PAGE_SIZE / 1024));
		r.minflt = (int64_t)a->cmin_flt, r.majflt = (int64_t)a->cmaj_flt;
		r.nvcsw = (int64_t)a->cnvcsw, r.nivcsw = (int64_t)a->cnivcsw;
	} else {
		return -EINVAL;
	}
	return copy_to_user((void *)a1, &r, sizeof(r)) ? -EFAULT : 0;
}

int acct_reaped_rusage(void *u)
{
	const struct proc_acct *a = &current->acct;
	struct rusage r = {
		.utime = ticks_tv(a->rutime), .stime = ticks_tv(a->rstime),
		.maxrss = (int64_t)(a->rmaxrss * (PAGE_SIZE / 1024)),
		.minflt = (int64_t)a->rmin_flt, .majflt = (int64_t)a->rmaj_flt,
		.nvcsw = (int64_t)a->rnvcsw, .nivcsw = (int64_t)a->rnivcsw,
	};
	return copy_to_user(u, &r, sizeof(r)) ? -EFAULT : 0;
}

struct tms {
	int64_t utime, stime, cutime, cstime;
};

/* times(buf): the caller's and its reaped children's times in clock
 * ticks; returns clock ticks since boot (Linux's has an arbitrary origin).
 * buf may be NULL. */
SYSCALL(times)
{
	const struct proc_acct *a = &current->acct;
	struct tms t = { (int64_t)a->utime, (int64_t)a->stime, (int64_t)a->cutime,
			 (int64_t)a->cstime };

	if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
		return -EFAULT;
	return (int64_t)(clock_ns() / NS_PER_TICK);
}
