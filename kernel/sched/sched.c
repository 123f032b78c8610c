/*
 * The scheduler (see sched.h).
 *
 * Locking: each CPU's runqueue.lock protects its queue and the `state` of
 * every process whose p->cpu is that CPU. schedule() holds it across the
 * context switch; the process switched to releases it (schedule_tail). A
 * process changes CPU only while RUNNABLE and not on_cpu, with both run
 * queue locks held (lower CPU id first): see steal().
 *
 * Lock order (lock_order.h): rq lock (lower CPU id first); a waitq lock
 * is never taken inside an rq lock; waitq lock -> rq lock is allowed
 * (wake_up_all).
 */
#include <kernel/sched.h>
#include <kernel/proc.h>
#include <kernel/percpu.h>
#include <kernel/numa.h>
#include <kernel/printk.h>
#include <kernel/watchdog.h>
#include <arch/sched.h>
#include <arch/lapic.h>
#include <arch/trap.h>
#include <arch/irq.h>
#include <arch/timer.h>
#include <kernel/errno.h>

static struct runqueue *rq_of(int cpu)
{
	return &cpus[cpu].rq;
}

/* Lock the run queue p belongs to, coping with p moving meanwhile. */
static struct runqueue *lock_proc_rq(struct proc *p, uint64_t *flags)
{
	for (;;) {
		int cpu = READ_ONCE(p->cpu);
		struct runqueue *rq = rq_of(cpu);

		*flags = spin_lock_irqsave(&rq->lock);
		if (READ_ONCE(p->cpu) == cpu)
			return rq;
		spin_unlock_irqrestore(&rq->lock, *flags);
	}
}

static void enqueue(struct runqueue *rq, struct proc *p)
{
	list_add_tail(&p->rq_node, &rq->queue);
	rq->nr++;
}

static struct proc *dequeue(struct runqueue *rq)
{
	if (list_empty(&rq->queue))
		return NULL;
	struct proc *p = list_first_entry(&rq->queue, struct proc, rq_node);

	list_del(&p->rq_node);
	rq->nr--;
	return p;
}

/* Ask another CPU to run schedule() soon (it may be idle in hlt). */
static void kick_cpu(int cpu)
{
	rq_of(cpu)->need_resched = true;
	if (cpu != this_cpu_id())
		lapic_send_ipi(cpus[cpu].apic_id, VEC_RESCHED);
}

void sched_init_cpu(void)
{
	struct cpu *c = this_cpu();
	struct runqueue *rq = &c->rq;

	spin_init(&rq->lock, "runqueue");
	list_init(&rq->queue);
	list_init(&rq->sleepers);
	rq->idle = proc_alloc_idle(c->id);
	rq->curr = rq->idle;
}

static void lock_two(struct runqueue *a, struct runqueue *b)
{
	if (a == b) {
		spin_lock(&a->lock);
	} else if (a < b) {           /* cpus[] order: lower CPU id first */
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

/*
 * Move p, now off every CPU, to run queue `cpu`, whatever its state: a
 * RUNNING one (it was just switched out) becomes RUNNABLE there, a timed
 * sleeper moves to that CPU's sleepers, a RUNNABLE one to its queue.
 * Both run queue locks are held, so no wake-up sees p half moved.
 */
static int choose_cpu(struct proc *p, int node);

/* The move itself; both run queue locks held, p off every CPU. */
static void move_locked(struct proc *p, struct runqueue *from, struct runqueue *to, int cpu)
{
	bool timed = !list_empty(&p->sleep_node), queued = p->state == P_RUNNABLE;
	if (timed)
		list_del(&p->sleep_node);
	if (queued) {
		list_del(&p->rq_node);
		from->nr--;
	}
	from->nr_resident--;
	to->nr_resident++;
	p->cpu = cpu;
	if (timed)
		list_add_tail(&p->sleep_node, &to->sleepers);
	else
		list_init(&p->sleep_node);
	if (p->state == P_RUNNING)
		p->state = P_RUNNABLE, queued = true;
	if (queued)
		enqueue(to, p);
}

static void unlock_two(struct runqueue *a, struct runqueue *b)
{
	if (a != b)
		spin_unlock(&a->lock);
	spin_unlock(&b->lock);
}

static void migrate_proc(struct proc *p, int cpu)
{
	struct runqueue *from = rq_of(p->cpu), *to = rq_of(cpu);

	lock_two(from, to);
	move_locked(p, from, to, cpu);
	WRITE_ONCE(p->on_cpu, false);     /* only now may another CPU take it */
	unlock_two(from, to);
	kick_cpu(cpu);
}

/* Another process's affinity changed: if it is not running anywhere, move
 * it now; if it is, its next switch will (schedule()). */
static void move_if_waiting(struct proc *p)
{
	int from_cpu = READ_ONCE(p->cpu);
	int cpu = choose_cpu(p, cpus[from_cpu].node);
	struct runqueue *from = rq_of(from_cpu), *to = rq_of(cpu);
	uint64_t flags = irq_save();

	lock_two(from, to);
	bool movable = p->cpu == from_cpu && !p->on_cpu && p->state != P_ZOMBIE &&
		       p->cpu_next < 0;
	if (movable)
		move_locked(p, from, to, cpu);
	unlock_two(from, to);
	irq_restore(flags);
	kick_cpu(movable ? cpu : from_cpu);
}

/* prev must move to prev->cpu_next (its affinity changed): now that it is
 * off this CPU, move it. It is still marked on_cpu, so no other CPU steals
 * it (or runs it after a wake-up) before it is where it belongs. */
static void finish_migration(struct proc *prev)
{
	int cpu = prev->cpu_next;

	prev->cpu_next = -1;
	if (prev->state != P_ZOMBIE)
		migrate_proc(prev, cpu);
	else
		WRITE_ONCE(prev->on_cpu, false);
}

/* Called first thing by a process after it is switched to, with this CPU's
 * rq lock held and interrupts off (schedule() took them). */
void schedule_tail(struct proc *prev)
{
	struct runqueue *rq = &this_cpu()->rq;

	bool orphan = prev->state == P_ZOMBIE && !prev->parent;
	bool moving = prev->cpu_next >= 0;

	if (!moving)
		WRITE_ONCE(prev->on_cpu, false);
	spin_unlock(&rq->lock);
	if (moving)
		finish_migration(prev);
	arch_switch_mm(rq->curr);
	if (orphan)
		proc_free(prev);        /* nobody will wait4 for it */
}

void sched_make_zombie(struct proc *p)
{
	uint64_t flags;
	struct runqueue *rq = lock_proc_rq(p, &flags);

	p->state = P_ZOMBIE;
	rq->nr_resident--;
	spin_unlock_irqrestore(&rq->lock, flags);
}

/*
 * Take a RUNNABLE process from another CPU's queue, nearest node first.
 * We hold our own rq lock, so the other is only try-locked (no lock-order
 * deadlock); a busy queue is simply skipped this time.
 */
static struct proc *steal(struct runqueue *rq)
{
	int me = this_cpu_id(), node = cpus[me].node;
	struct numa_node *n = &numa_nodes[node];

	for (int pass = 0; pass < 2; pass++) {
		int cpu;

		for_each_cpu_in(cpu, &cpu_online_mask) {
			bool near = cpus[cpu].node == node || n->distance[cpus[cpu].node] == 0;
			struct runqueue *other = rq_of(cpu);

			/* An idle CPU is about to run its own queue (it was
			 * kicked): taking that work would only move it here. */
			if (cpu == me || (pass == 0) != near || !READ_ONCE(other->nr) ||
			    READ_ONCE(other->curr) == other->idle)
				continue;
			if (!spin_trylock(&other->lock))
				continue;
			struct list_head *l;
			list_for_each(l, &other->queue) {
				struct proc *p = list_entry(l, struct proc, rq_node);

				if (p->on_cpu || !cpumask_test(&p->affinity, me))
					continue;
				list_del(&p->rq_node);
				other->nr--;
				other->nr_resident--;
				p->cpu = me;
				rq->nr_resident++;
				spin_unlock(&other->lock);
				return p;
			}
			spin_unlock(&other->lock);
		}
	}
	return NULL;
}

/* Pick the next process for this CPU: its own queue first, then steal. */
static struct proc *pick_next(struct runqueue *rq)
{
	struct proc *next = dequeue(rq);

	if (!next)
		next = steal(rq);
	return next ? next : rq->idle;
}

/*
 * Give the CPU to the next RUNNABLE process (round robin). The current
 * process goes to the back of the queue if it is still RUNNING; if it is
 * SLEEPING it stays off every queue until sched_wakeup(). The caller holds
 * no spinlock (might_sleep): another process run here meanwhile could
 * otherwise spin on it, or take it "again" as if it were the holder.
 */
void schedule(void)
{
	lock_assert_none_held("schedule");
	uint64_t flags = irq_save();
	struct runqueue *rq = &this_cpu()->rq;
	struct proc *prev = rq->curr;

	spin_lock(&rq->lock);
	rq->need_resched = false;
	if (prev != rq->idle && prev->state != P_ZOMBIE && prev->cpu_next < 0 &&
	    !cpumask_test(&prev->affinity, this_cpu_id()))
		prev->cpu_next = choose_cpu(prev, numa_this_node());  /* affinity changed */
	if (prev != rq->idle && prev->state == P_RUNNING && prev->cpu_next < 0) {
		prev->state = P_RUNNABLE;
		enqueue(rq, prev);
	}
	struct proc *next = pick_next(rq);

	next->state = P_RUNNING;
	next->timeslice = TIMESLICE_TICKS;
	if (next == prev) {
		spin_unlock(&rq->lock);
		irq_restore(flags);
		return;
	}
	acct_switch(prev, prev->state == P_RUNNABLE || prev->state == P_RUNNING);
	rq->curr = next;
	next->on_cpu = true;
	arch_prepare_switch(prev, next);
	prev = arch_context_switch(prev, next);   /* back here when rescheduled */
	schedule_tail(prev);
	irq_restore(flags);
}

void sched_yield(void)
{
	schedule();
}

/* Make p RUNNABLE if it is in state `from` (SLEEPING or STOPPED). */
static void wake_from(struct proc *p, int from)
{
	uint64_t flags;
	struct runqueue *rq = lock_proc_rq(p, &flags);
	bool kick = false;

	if (p->state == from) {
		if (!list_empty(&p->sleep_node))
			list_del(&p->sleep_node), list_init(&p->sleep_node);
		if (rq->curr == p) {
			p->state = P_RUNNING;   /* still on its CPU, going to sleep */
		} else {
			p->state = P_RUNNABLE;
			enqueue(rq, p);
			kick = rq->curr == rq->idle;
		}
	}
	int cpu = p->cpu;
	spin_unlock_irqrestore(&rq->lock, flags);
	if (kick)
		kick_cpu(cpu);
}

/* Make a SLEEPING process RUNNABLE (a STOPPED one stays stopped). */
void sched_wakeup(struct proc *p)
{
	wake_from(p, P_SLEEPING);
}

/* SIGCONT or SIGKILL: make a STOPPED process RUNNABLE. */
void sched_continue(struct proc *p)
{
	wake_from(p, P_STOPPED);
}

static void set_state(int state)
{
	uint64_t flags;
	struct proc *p = current;
	struct runqueue *rq = lock_proc_rq(p, &flags);

	p->state = state;
	spin_unlock_irqrestore(&rq->lock, flags);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* See sched.h: a sleep that the tick ends at wake_at. */
void sched_set_state_sleeping_until(uint64_t wake_at)
{
	uint64_t flags;
	struct proc *p = current;
	struct runqueue *rq = lock_proc_rq(p, &flags);

	p->wake_at = wake_at;
	p->state = P_SLEEPING;
	if (list_empty(&p->sleep_node))
		list_add_tail(&p->sleep_node, &rq->sleepers);
	spin_unlock_irqrestore(&rq->lock, flags);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Off the timed sleepers (if still there) and RUNNING again. */
void sched_sleep_end(void)
{
	uint64_t flags;
	struct proc *p = current;
	struct runqueue *rq = lock_proc_rq(p, &flags);

	if (!list_empty(&p->sleep_node)) {
		list_del(&p->sleep_node);
		list_init(&p->sleep_node);
	}
	p->state = P_RUNNING;
	spin_unlock_irqrestore(&rq->lock, flags);
}

/* The caller is about to sleep (see waitq.h). Full barrier: the state must
 * be visible before the caller tests its condition. */
void sched_set_state_sleeping(void)
{
	set_state(P_SLEEPING);
}

/* The caller stops (jobctl.c; proc_lock held, so SIGCONT cannot slip in
 * between): the next schedule() leaves it off every queue until
 * sched_continue. */
void sched_set_state_stopped(void)
{
	set_state(P_STOPPED);
}

/*
 * Where a process should live: among the allowed CPUs of `node` (all
 * allowed CPUs if it has none), the one with the fewest resident
 * processes; ties go to the lowest id. So a new process starts on its
 * parent's node, next to its kernel stack; idle CPUs elsewhere may steal
 * it later.
 */
static int choose_cpu(struct proc *p, int node)
{
	int best = -1, best_load = 1 << 30, cpu;
	bool local = false;

	for_each_cpu_in(cpu, &cpu_online_mask)
		local |= cpumask_test(&p->affinity, cpu) && cpus[cpu].node == node;
	for_each_cpu_in(cpu, &cpu_online_mask) {
		if (!cpumask_test(&p->affinity, cpu) || (local && cpus[cpu].node != node))
			continue;
		int load = READ_ONCE(rq_of(cpu)->nr_resident);

		if (load < best_load)
			best = cpu, best_load = load;
	}
	return best >= 0 ? best : this_cpu_id();
}

/* A new process becomes RUNNABLE on a CPU of its node. */
void sched_start(struct proc *p)
{
	if (p->leader == p)         /* /proc lists processes, not threads */
		procfs_proc_add(p);
	acct_start(p);
	int cpu = choose_cpu(p, p->cpu >= 0 ? cpus[p->cpu].node : numa_this_node());
	struct runqueue *rq = rq_of(cpu);
	uint64_t flags = spin_lock_irqsave(&rq->lock);
	bool idle = rq->curr == rq->idle;

	p->cpu = cpu;
	p->state = P_RUNNABLE;
	rq->nr_resident++;
	enqueue(rq, p);
	spin_unlock_irqrestore(&rq->lock, flags);
	if (idle)                   /* a busy CPU gets to it in turn: like Linux, */
		kick_cpu(cpu);      /* the parent of a fork goes on running first */
}

/* Wake the timed sleepers whose time has come. Caller holds rq->lock. */
static void wake_sleepers(struct runqueue *rq, uint64_t now)
{
	struct list_head *l = rq->sleepers.next;

	while (l != &rq->sleepers) {
		struct proc *p = list_entry(l, struct proc, sleep_node);

		l = l->next;
		if (p->wake_at > now)
			continue;
		list_del(&p->sleep_node);
		list_init(&p->sleep_node);
		if (p->state != P_SLEEPING)
			continue;
		if (rq->curr == p) {
			p->state = P_RUNNING;
		} else {
			p->state = P_RUNNABLE;
			enqueue(rq, p);
		}
		rq->need_resched = true;
	}
}

static bool others_have_work(void)
{
	int cpu;

	for_each_cpu_in(cpu, &cpu_online_mask)
		if (READ_ONCE(rq_of(cpu)->nr))
			return true;
	return false;
}

/* Timer interrupt, every CPU: time slices, timed sleeps, idle balancing. */
void sched_tick(void)
{
	struct runqueue *rq = &this_cpu()->rq;

	spin_lock(&rq->lock);
	if (!list_empty(&rq->sleepers))
		wake_sleepers(rq, clock_ns());
	if (rq->curr != rq->idle && --rq->curr->timeslice <= 0 && rq->nr)
		rq->need_resched = true;
	spin_unlock(&rq->lock);
	if (rq->curr == rq->idle && others_have_work())
		rq->need_resched = true;
}

int sched_sleep_ns(uint64_t ns)
{
	struct proc *p = current;
	uint64_t flags;
	struct runqueue *rq = lock_proc_rq(p, &flags);

	p->wake_at = clock_ns() + ns;
	p->state = P_SLEEPING;
	list_add_tail(&p->sleep_node, &rq->sleepers);
	spin_unlock_irqrestore(&rq->lock, flags);
	if (!signal_pending(p))
		schedule();
	rq = lock_proc_rq(p, &flags);
	if (!list_empty(&p->sleep_node)) {       /* woken early (killed) */
		list_del(&p->sleep_node);
		list_init(&p->sleep_node);
	}
	p->state = P_RUNNING;
	spin_unlock_irqrestore(&rq->lock, flags);
	return signal_pending(p) ? -EINTR : 0;
}

/*
 * The caller already made itself SLEEPING (sched_set_state_sleeping, after
 * joining its wait queues): sleep until woken or until the clock passes
 * deadline (SCHED_FOREVER: no time limit). Returns RUNNING. No lock held.
 */
void sched_sleep_until(uint64_t deadline)
{
	struct proc *p = current;
	uint64_t flags;
	struct runqueue *rq = lock_proc_rq(p, &flags);

	if (deadline != SCHED_FOREVER && p->state == P_SLEEPING) {
		p->wake_at = deadline;
		list_add_tail(&p->sleep_node, &rq->sleepers);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	schedule();
	rq = lock_proc_rq(p, &flags);
	if (!list_empty(&p->sleep_node)) {       /* woken before the deadline */
		list_del(&p->sleep_node);
		list_init(&p->sleep_node);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
}

int sched_setaffinity(struct proc *p, const struct cpumask *mask)
{
	struct cpumask m = { mask->bits & cpu_online_mask.bits };

	if (!m.bits)
		return -EINVAL;
	p->affinity = m;
	if (p == current && !cpumask_test(&m, this_cpu_id()))
		schedule();      /* leave this CPU: schedule() picks an allowed one */
	else if (p != current && !cpumask_test(&m, READ_ONCE(p->cpu)))
		move_if_waiting(p);
	return 0;
}

bool sched_move_current(int node)
{
	struct proc *p = current;
	int best = -1, best_load = 1 << 30, cpu;

	for_each_cpu_in(cpu, &cpu_online_mask) {
		if (!cpumask_test(&p->affinity, cpu) || cpus[cpu].node != node)
			continue;
		int load = READ_ONCE(rq_of(cpu)->nr_resident);
		if (load < best_load)
			best = cpu, best_load = load;
	}
	if (best < 0 || cpus[this_cpu_id()].node == node)
		return false;
	p->cpu_next = best;              /* schedule() hands it over */
	schedule();
	return true;
}

__attribute__((noreturn)) void sched_idle_loop(void)
{
	struct runqueue *rq = &this_cpu()->rq;

	for (;;) {
		irq_disable();
		if (READ_ONCE(rq->nr) || rq->need_resched) {
			irq_enable();
			schedule();
			continue;
		}
		cpu_idle_wait();         /* sti; hlt: wakes on the next interrupt */
	}
}
