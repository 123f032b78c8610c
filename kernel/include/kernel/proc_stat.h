/*
 * CPU-time and fault accounting (kernel/proc/proc_stat.c), as Linux
 * without VIRT_CPU_ACCOUNTING does it: every timer tick (HZ = USER_HZ =
 * 100, so a tick is one clock tick of /proc and times(2)) is charged whole
 * to what it interrupted: the running process's user or system time, or
 * the CPU's idle time. A process that runs between two ticks is charged
 * nothing; one that runs across many is charged fairly on average.
 *
 * What reads it: /proc/PID/stat and status, /proc/stat, /proc/loadavg,
 * getrusage(2), times(2), wait4's rusage, and sysinfo's loads (loadavg_get).
 *
 * Locking: a process's own counters are written only on the CPU it runs on
 * (the tick that interrupts it, its own faults, the switch away from it)
 * and its children's totals only by itself (when it reaps one in wait4).
 * Readers on other CPUs read the 64-bit words without a lock: a value may
 * be a tick old, never torn.
 */
#ifndef KERNEL_PROC_STAT_H
#define KERNEL_PROC_STAT_H

#include <kernel/types.h>

#define USER_HZ 100                /* clock ticks per second, as Linux reports */
#define NS_PER_TICK (1000000000UL / USER_HZ)

struct proc;

/* One process's accounting (struct proc's `acct`). */
struct proc_acct {
	uint64_t utime, stime;         /* ticks charged in user / kernel mode */
	uint64_t min_flt, maj_flt;     /* page faults without / with I/O */
	uint64_t nvcsw, nivcsw;        /* switches away asleep / preempted */
	uint64_t maxrss;               /* most resident pages seen at a tick */
	uint64_t start_ns;             /* clock_ns() when it first became runnable */
	/* Its reaped children's totals (their own plus their children's). */
	uint64_t cutime, cstime, cmin_flt, cmaj_flt, cnvcsw, cnivcsw, cmaxrss;
	/* The child it reaped last, totals likewise: wait4's rusage. */
	uint64_t rutime, rstime, rmin_flt, rmaj_flt, rnvcsw, rnivcsw, rmaxrss;
};

/* One CPU's times, in ticks, as the cpu lines of /proc/stat. */
struct cpu_times {
	uint64_t user, system, idle;
	uint64_t ctxt;                 /* context switches on this CPU */
};

/* Timer interrupt, every CPU: charge the tick (user: it interrupted user
 * mode). CPU 0 also updates the load average every LOAD_FREQ ticks. */
void acct_tick(bool user);
/* schedule(), with the rq lock held, just before prev is switched out:
 * preempted says it stays runnable (an involuntary switch). */
void acct_switch(struct proc *prev, bool preempted);
/* vm_fault, for a fault of the current process on its own mm. */
void acct_fault(bool major);
/* sched_start: a new process (start time; /proc/stat's "processes"). */
void acct_start(struct proc *p);
/* wait4 reaped zombie z: add its totals to the caller's children's. */
void acct_reap(struct proc *parent, const struct proc *z);
/* wait4's rusage: the child the caller reaped last, into user memory u.
 * 0 or -EFAULT. */
int acct_reaped_rusage(void *u);
struct cpu_times acct_cpu_times(int cpu);
uint64_t acct_total_forks(void);

/*
 * Load average: Linux's exponentially decayed average of the number of
 * runnable (and running) processes, sampled every LOAD_FREQ = 5 s + 1
 * tick, over 1, 5 and 15 minutes. loads[] gets them in fixed point with
 * SI_LOAD_SHIFT fraction bits, as sysinfo(2) reports them. No lock.
 */
#define SI_LOAD_SHIFT 16
void loadavg_get(unsigned long loads[3]);
/* One step of the average (Linux's calc_load): FSHIFT fraction bits;
 * exp is e^(-5 s / period) in that fixed point. */
#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
#define EXP_1 1884                 /* 1 minute */
#define EXP_5 2014                 /* 5 minutes */
#define EXP_15 2037                /* 15 minutes */
unsigned long loadavg_calc(unsigned long load, unsigned long exp, unsigned long active);
/* Processes runnable or running now, on every CPU (idle not counted). */
int acct_nr_running(void);

#endif
