/*
 * The scheduler: one run queue per CPU, round robin with a time slice,
 * preemption when returning to user mode, and idle CPUs that steal work
 * from the nearest busy CPU (same node first).
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <kernel/types.h>
#include <kernel/list.h>
#include <kernel/spinlock.h>

struct proc;
struct cpumask;

#define TIMESLICE_TICKS 5

struct runqueue {
	struct spinlock lock;      /* protects queue, nr, curr, sleepers and the
				      state of every process with p->cpu here */
	struct list_head queue;    /* RUNNABLE processes */
	int nr;                    /* processes on queue */
	int nr_resident;           /* processes with p->cpu here, asleep or not:
				      what placement balances */
	struct proc *curr;
	struct proc *idle;         /* this CPU's boot context */
	struct list_head sleepers; /* timed sleeps, checked every tick */
	volatile bool need_resched;
};

void sched_init_cpu(void);                /* on each CPU, makes it idle */
__attribute__((noreturn)) void sched_idle_loop(void);
void schedule(void);
void sched_yield(void);
void sched_tick(void);                    /* from the timer interrupt */
void sched_wakeup(struct proc *p);        /* SLEEPING -> RUNNABLE */
void sched_start(struct proc *p);         /* new process: first RUNNABLE */
void sched_set_state_sleeping(void);
/* As sched_set_state_sleeping, and woken by the tick once clock_ns()
 * passes wake_at; sched_sleep_end() ends such a sleep (futex.c). */
void sched_set_state_sleeping_until(uint64_t wake_at);
void sched_sleep_end(void);
void sched_set_state_stopped(void);       /* job control (jobctl.c) */
void sched_continue(struct proc *p);      /* STOPPED -> RUNNABLE */
void sched_make_zombie(struct proc *p);
int sched_setaffinity(struct proc *p, const struct cpumask *mask);
/* Move the running process to the least loaded CPU of node that its
 * affinity allows (NUMA balancing's task placement); false if there is
 * none or it runs on node already. No lock held (it switches). */
bool sched_move_current(int node);
/* Already SLEEPING (on wait queues): sleep until woken or deadline. */
#define SCHED_FOREVER (~0ULL)
void sched_sleep_until(uint64_t deadline);
/* Sleep for ns nanoseconds; -EINTR if killed first. */
int sched_sleep_ns(uint64_t ns);
uint64_t clock_ns(void);                  /* monotonic, since boot */
uint64_t clock_realtime_offset_ns(void);  /* add to clock_ns: since 1970 */

#endif
