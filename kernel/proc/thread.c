/*
 * Thread groups: the threads of one process (clone with CLONE_THREAD).
 *
 * Every task is a struct proc; the first one of a process is its group
 * leader, and what belongs to the process rather than to one thread is
 * either a shared, reference-counted object or kept in the leader:
 *
 *   shared objects    the address space (struct mm, mm->users), the
 *                     descriptor table (struct fdtable, ft->refs)
 *   in the leader     the process id (tgid = leader's pid), the signal
 *                     handlers (leader->sigactions), the family (parent,
 *                     children: a child forked by any thread hangs under
 *                     the leader, so wait4 from any thread finds it), the
 *                     list and count of live threads, the group's exit,
 *                     job control (process group, session, the group
 *                     stop, wait4's stop/continue report: jobctl.c) and
 *                     the ITIMER_REAL/alarm timer (itimer.c)
 *   per thread        the thread id (pid), registers, kernel stack, FPU
 *                     and TLS base, signal mask and pending signals
 *                     (a process-directed one is given to one thread,
 *                     signal.c), sigaltstack, system call to restart,
 *                     scheduling state and affinity,
 *                     memory policy, clear_child_tid, the working
 *                     directory (copied, not shared: see docs/processes.md)
 *
 * The leader's struct outlives every thread: when it exits first it stays
 * a zombie that wait4 does not take until the last thread is gone
 * (nr_threads == 0). Threads other than the leader have no parent: nobody
 * waits for them, they free themselves (schedule_tail) when they exit.
 *
 * Locking: proc_lock protects every field of the group (leader, threads,
 * thread_node, nr_threads, group_exiting, group_exit).
 */
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/jobctl.h>
#include <kernel/itimer.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define DE_THREAD_POLL_NS 1000000ULL   /* exec: look again every 1 ms */

/* A new task is a group of one (proc_alloc, under proc_lock). */
void thread_init_locked(struct proc *p)
{
	p->tgid = p->pid;
	p->leader = p;
	list_init(&p->threads);
	list_add_tail(&p->thread_node, &p->threads);
	p->nr_threads = 1;
}

/* CLONE_THREAD: child joins parent's group. -EINTR if the group is
 * ending (the child is then freed by the caller). proc_lock held. */
int thread_join_locked(struct proc *child, struct proc *parent)
{
	struct proc *leader = parent->leader;

	if (leader->group_exiting)
		return -EINTR;
	list_del(&child->thread_node);
	child->leader = leader;
	child->tgid = leader->tgid;
	list_add_tail(&child->thread_node, &leader->threads);
	leader->nr_threads++;
	if (leader->stop_sig)               /* the group is stopping: it stops too */
		__atomic_fetch_or(&child->pending, 1UL << (SIGSTOP - 1), __ATOMIC_SEQ_CST);
	return 0;
}

/* p leaves its group; true if it was the last thread (the process is
 * now dead and its leader, maybe p itself, ready for wait4). proc_lock
 * held. */
bool thread_exit_locked(struct proc *p)
{
	struct proc *leader = p->leader;

	list_del(&p->thread_node);
	list_init(&p->thread_node);
	if (--leader->nr_threads) {
		jobctl_thread_exit_locked(p);   /* a group stop may be complete */
		return false;
	}
	if (leader->group_exiting)
		leader->exit_status = leader->group_exit;
	return true;
}

/* Tell every thread of p's group but `except` to end (SIGKILL). */
static void kill_others_locked(struct proc *leader, struct proc *except)
{
	struct list_head *l;

	list_for_each(l, &leader->threads) {
		struct proc *t = list_entry(l, struct proc, thread_node);

		if (t == except)
			continue;
		__atomic_fetch_or(&t->pending, 1UL << (SIGKILL - 1), __ATOMIC_SEQ_CST);
		t->killed = SIGKILL;
		sched_wakeup(t);
		jobctl_wake_stopped_locked(t);   /* a stopped one too */
	}
}

/* The whole group ends with wait status `status` (exit_group, a fatal
 * signal): the first such status wins. proc_lock held. */
void thread_group_kill_locked(struct proc *p, int status)
{
	struct proc *leader = p->leader;

	if (!leader->group_exiting) {
		leader->group_exiting = true;
		leader->group_exit = status;
	}
	kill_others_locked(leader, NULL);
}

/* exit_group: end every thread of the caller's process, then itself. */
void thread_group_exit(int status)
{
	struct proc *p = current;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	if (!p->leader->group_exiting) {
		p->leader->group_exiting = true;
		p->leader->group_exit = status;
	}
	kill_others_locked(p->leader, p);
	spin_unlock_irqrestore(&proc_lock, flags);
	proc_exit(status);
}

/* p, the last thread of its process besides its exited leader, becomes
 * the leader: the leader's pid, parent, children, handlers and /proc
 * directory move to p (Linux's de_thread). proc_lock held; the old
 * leader is a zombie off every CPU, which the caller then frees. */
static void take_leadership_locked(struct proc *p, struct proc *leader)
{
	p->pid = p->tgid = leader->pid;
	p->leader = p;
	list_del(&p->thread_node);
	list_init(&p->threads);
	list_add_tail(&p->thread_node, &p->threads);
	p->nr_threads = 1;
	memcpy(p->sigactions, leader->sigactions, sizeof(p->sigactions));
	p->shared_pending |= leader->shared_pending;   /* kept across exec */
	p->exit_signal = leader->exit_signal;
	p->pgid = leader->pgid;                 /* job control (jobctl.c) */
	p->sid = leader->sid;
	p->did_exec = leader->did_exec;
	p->wait_report = leader->wait_report;
	itimer_move(p, leader);                 /* itimer_lock inside proc_lock */
	p->parent = leader->parent;
	if (p->parent) {
		list_del(&leader->sibling);
		list_add_tail(&p->sibling, &p->parent->children);
	}
	while (!list_empty(&leader->children)) {
		struct proc *c = list_first_entry(&leader->children, struct proc, sibling);

		list_del(&c->sibling);
		c->parent = p;
		list_add_tail(&c->sibling, &p->children);
	}
	leader->parent = NULL;
	list_init(&leader->sibling);
	p->procdir = leader->procdir;
	leader->procdir = NULL;
}

/*
 * exec from a threaded process: end the other threads and wait until they
 * are gone; a thread other than the leader then takes the leader's place
 * (take_leadership_locked), so the process keeps its pid. 0, or -EINTR
 * when the caller is killed meanwhile. Takes proc_lock; sleeps.
 */
int thread_exec_alone(void)
{
	struct proc *p = current, *leader = p->leader;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	if (leader == p && leader->nr_threads == 1) {
		spin_unlock_irqrestore(&proc_lock, flags);
		return 0;
	}
	bool dying = leader->group_exiting;
	if (!dying)
		kill_others_locked(leader, p);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (dying)
		return -EINTR;
	while (READ_ONCE(leader->nr_threads) > 1) {
		if (fatal_signal_pending(p))
			return -EINTR;
		if (sched_sleep_ns(DE_THREAD_POLL_NS))
			sched_yield();         /* a signal is pending: do not spin hot */
	}
	if (leader == p)
		return 0;
	while (READ_ONCE(leader->on_cpu))  /* its last switch-out (it is a zombie) */
		cpu_relax();
	flags = spin_lock_irqsave(&proc_lock);
	take_leadership_locked(p, leader);
	spin_unlock_irqrestore(&proc_lock, flags);
	proc_free(leader);
	return 0;
}
