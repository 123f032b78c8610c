/*
 * Processes: creation, the process list, exit and wait (see proc.h).
 *
 * proc_lock protects the list of all processes, pid allocation, every
 * parent/children link, and the RUNNING/SLEEPING -> ZOMBIE transition, so
 * that wait4 and exit agree on who is a zombie.
 */
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/pmm.h>
#include <kernel/numa.h>
#include <kernel/slab.h>
#include <kernel/mm.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/printk.h>
#include <kernel/signal.h>
#include <kernel/cmdline.h>
#include <kernel/power.h>
#include <kernel/files.h>
#include <kernel/clone.h>
#include <kernel/thread.h>
#include <kernel/jobctl.h>
#include <kernel/itimer.h>
#include <kernel/tty.h>
#include <arch/sched.h>
#include <arch/trap.h>

struct spinlock proc_lock = SPINLOCK_INIT("proc");
static struct list_head all_procs = LIST_HEAD_INIT(all_procs);
static int nr_procs;
static int next_pid = 2;          /* pid 1 is init's (proc_make_init) */

struct proc *current_proc(void)
{
	return this_cpu()->rq.curr;
}

static void proc_init_fields(struct proc *p, const char *name)
{
	strlcpy(p->name, name, sizeof(p->name));
	p->dumpable = true;
	p->cpu = this_cpu_id();
	p->cpu_next = -1;
	p->affinity = cpu_online_mask;
	list_init(&p->children);
	list_init(&p->sibling);
	list_init(&p->sleep_node);
	list_init(&p->itimer_node);
	waitq_init(&p->child_exit);
	p->exit_signal = SIGCHLD;       /* clone may choose another */
}

/* The idle process of a CPU: its boot stack, never on a run queue. */
struct proc *proc_alloc_idle(int cpu)
{
	struct proc *p = kzalloc(sizeof(*p));

	if (!p)
		panic("sched: no memory for cpu %d's idle process", cpu);
	proc_init_fields(p, "idle");
	p->pid = 0;
	thread_init_locked(p);
	p->state = P_RUNNING;
	p->on_cpu = true;
	cpumask_set(&p->affinity, cpu);
	return p;
}

/* A new process, not yet runnable, with a kernel stack on `node`. */
struct proc *proc_alloc(const char *name, int node)
{
	struct proc *p = kmalloc_node(sizeof(*p), node);
	void *stack = kstack_alloc(node);
	void *fpu = kmalloc_node(512, node);

	if (!p || !stack || !fpu)
		goto fail;
	memset(p, 0, sizeof(*p));
	proc_init_fields(p, name);
	p->kstack = stack;
	p->fpu = fpu;
	fpu_init_state(fpu);
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	if (nr_procs >= MAX_PROCS) {
		spin_unlock_irqrestore(&proc_lock, flags);
		goto fail;
	}
	nr_procs++;
	p->pid = next_pid++;
	thread_init_locked(p);
	list_add_tail(&p->all, &all_procs);
	spin_unlock_irqrestore(&proc_lock, flags);
	return p;
fail:
	kfree(p);
	kfree(fpu);
	if (stack)
		kstack_free(stack);
	return NULL;
}

/* Free a process that is off every CPU and list but `all`. */
void proc_free(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	list_del(&p->all);
	nr_procs--;
	spin_unlock_irqrestore(&proc_lock, flags);
	procfs_proc_remove(p);
	while (READ_ONCE(p->on_cpu))      /* its last switch-out may be finishing */
		cpu_relax();
	kstack_free(p->kstack);
	kfree(p->fpu);
	kfree(p);
}

struct proc *proc_first(void)
{
	return list_empty(&all_procs) ? NULL : list_first_entry(&all_procs, struct proc, all);
}

struct proc *proc_next(struct proc *p)
{
	return p->all.next == &all_procs ? NULL : list_entry(p->all.next, struct proc, all);
}

struct proc *proc_find(int pid)
{
	struct list_head *l;

	list_for_each(l, &all_procs) {
		struct proc *p = list_entry(l, struct proc, all);
		if (p->pid == pid && p->state != P_ZOMBIE)
			return p;
	}
	return NULL;
}

int proc_last_pid(void)
{
	return READ_ONCE(next_pid) - 1;
}

int proc_count(void)
{
	return READ_ONCE(nr_procs);
}

void kthread_entry(void *p)
{
	struct proc *self = p;
	int (*fn)(void *) = (int (*)(void *))self->kthread_fn;

	kthread_exit(fn(self->kthread_arg));
}

/* A CPU of node (any, for a node without CPUs: keep `otherwise`). */
static int node_first_cpu(int node, int otherwise)
{
	int cpu;

	if (node < 0 || node >= MAX_NODES)
		return otherwise;
	for_each_cpu_in(cpu, &numa_nodes[node].cpus)
		return cpu;
	return otherwise;
}

struct proc *kthread_create(const char *name, int (*fn)(void *), void *arg,
			    int node)
{
	struct proc *p = proc_alloc(name, node);

	if (!p)
		return NULL;
	p->kthread_fn = (void *)fn;
	p->kthread_arg = arg;
	p->cpu = node_first_cpu(node, p->cpu);    /* so it starts on `node` */
	arch_proc_init_stack(p, kthread_entry, p);
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	p->parent = NULL;               /* nobody waits for kernel threads */
	spin_unlock_irqrestore(&proc_lock, flags);
	sched_start(p);
	return p;
}

/* Wake init if it exists (orphans' exits are its to collect). */
static struct proc *init_proc(void)
{
	return proc_find(1);
}

/*
 * Give p's children to init. Without an init to take them (init itself is
 * exiting), running children reap themselves when they exit (schedule_tail)
 * and zombies already waiting are put on *orphans for the caller to free
 * once proc_lock is dropped. proc_lock held.
 */
static void reparent_children(struct proc *p, struct list_head *orphans)
{
	struct proc *init = init_proc();

	while (!list_empty(&p->children)) {
		struct proc *c = list_first_entry(&p->children, struct proc, sibling);

		list_del(&c->sibling);
		if (c->pdeath_sig && c->state != P_ZOMBIE)
			signal_send_locked(c, c->pdeath_sig);   /* prctl PR_SET_PDEATHSIG */
		c->parent = init != p ? init : NULL;
		if (c->parent)
			list_add_tail(&c->sibling, &c->parent->children);
		else if (c->state == P_ZOMBIE)
			list_add_tail(&c->sibling, orphans);
		else
			list_init(&c->sibling);
		if (c->state == P_ZOMBIE && c->parent)
			wake_up_all(&c->parent->child_exit);
	}
}

static void proc_on_exit(struct proc *p);

/* Release what a dying process holds; it keeps only its stack and struct. */
static void release_resources(struct proc *p)
{
	proc_release_files(p);
	if (p->mm) {
		struct mm *mm = p->mm;
		uint64_t flags = spin_lock_irqsave(&proc_lock);

		p->mm = NULL;               /* /proc readers look under proc_lock */
		p->releasing_mm = true;     /* proc_end_all waits for mm_put too */
		arch_switch_mm(p);          /* off its page tables first */
		spin_unlock_irqrestore(&proc_lock, flags);
		mm_put(mm);                 /* may close a mapped file: delete it */
		WRITE_ONCE(p->releasing_mm, false);
	}
}

/*
 * End the current thread with wait status `status`. It becomes a ZOMBIE;
 * a group leader stays one until its parent collects it with wait4, once
 * every thread of the process has exited (a thread other than the leader,
 * or a process without a parent, is freed by the next task to run on this
 * CPU, see schedule_tail).
 */
void proc_exit(int status)
{
	struct proc *p = current;

	BUG_ON(p == this_cpu()->rq.idle);
	p->exit_status = status;
	proc_mm_release(p);             /* clear_child_tid, vfork parent */
	release_resources(p);
	proc_on_exit(p);
	struct list_head orphans = LIST_HEAD_INIT(orphans);
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *leader = p->leader;
	bool process_dead = thread_exit_locked(p);   /* its last thread */

	int ended_sid = 0;

	if (process_dead) {
		reparent_children(leader, &orphans);
		itimer_exit(leader);        /* a leaf lock: see itimer.c */
		if (leader->pid == leader->sid)
			ended_sid = leader->sid;
	}
	sched_make_zombie(p);
	if (process_dead && leader->parent && leader->exit_signal)
		signal_send_locked(leader->parent, leader->exit_signal);
	if (process_dead && leader->parent)
		wake_up_all(&leader->parent->child_exit);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (ended_sid)
		tty_session_exit(ended_sid);    /* a session leader's process ended */
	while (!list_empty(&orphans)) {
		struct proc *z = list_first_entry(&orphans, struct proc, sibling);
		list_del(&z->sibling);
		proc_free(z);
	}
	schedule();
	panic("proc_exit: zombie %d was scheduled again", p->pid);
}

void kthread_exit(int status)
{
	proc_exit(W_EXITCODE(status));
}

/* Does child c answer wait4(pid, options)? pid > 0: that process, -1
 * any, 0 the caller's group, < -1 group -pid. Without __WALL, __WCLONE
 * asks for the children whose exit signal is not SIGCHLD, its absence
 * for the others (Linux's rule). self: the caller's process. */
static bool matches(const struct proc *c, int pid, int options, const struct proc *self)
{
	bool clone_child = c->exit_signal != SIGCHLD;

	if (!(options & __WALL) && clone_child != !!(options & __WCLONE))
		return false;
	if (pid > 0)
		return c->pid == pid;
	if (pid == -1)
		return true;
	return c->pgid == (pid == 0 ? self->pgid : -pid);
}

/* Is c's whole process dead (every thread gone), ready to be reaped? */
static bool dead(const struct proc *c)
{
	return c->state == P_ZOMBIE && !c->nr_threads;
}

/* Has c something for a wait4 with these options to report? */
static bool reportable(const struct proc *c, int options)
{
	return dead(c) ||
	       ((options & WUNTRACED) && c->wait_report == WREPORT_STOP) ||
	       ((options & WCONTINUED) && c->wait_report == WREPORT_CONT);
}

/* A child matching pid with a report, or NULL; *have: any child matches.
 * proc_lock held. */
static struct proc *find_reportable(struct proc *p, int pid, int options, bool *have)
{
	struct list_head *l;

	*have = false;
	list_for_each(l, &p->children) {
		struct proc *c = list_entry(l, struct proc, sibling);

		if (!matches(c, pid, options, p))
			continue;
		*have = true;
		if (reportable(c, options))
			return c;
	}
	return NULL;
}

static bool child_ready(struct proc *p, int pid, int options)
{
	bool have;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	bool ready = find_reportable(p, pid, options, &have) != NULL;

	spin_unlock_irqrestore(&proc_lock, flags);
	return ready || !have;
}

/* Take c's report: a zombie is unlinked (*status: its exit status, the
 * caller frees it), a stop or continue is consumed. proc_lock held. */
static bool take_report(struct proc *c, int *status)
{
	if (dead(c)) {
		list_del(&c->sibling);
		*status = c->exit_status;
		return true;
	}
	*status = c->wait_report == WREPORT_STOP ? W_STOPCODE(c->stop_sig) : W_CONTINUED;
	c->wait_report = 0;
	return false;
}

/* wait4: collect a zombie child (or, with WUNTRACED/WCONTINUED, a stop or
 * continue report). Returns its pid, 0 (WNOHANG, none yet), -ECHILD (no
 * such child) or -ERESTARTSYS (a signal came while waiting). */
int proc_wait(int pid, int *status, int options)
{
	struct proc *p = current->leader;   /* the process's children */

	for (;;) {
		bool have, zombie = false;
		uint64_t flags = spin_lock_irqsave(&proc_lock);
		struct proc *c = find_reportable(p, pid, options, &have);
		int id = c ? c->pid : 0;
		if (c)
			zombie = take_report(c, status);
		spin_unlock_irqrestore(&proc_lock, flags);

		if (zombie) {
			acct_reap(p, c);
			proc_free(c);
		}
		if (c)
			return id;
		if (!have)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (wait_event(&p->child_exit, child_ready(p, pid, options)))
			return -ERESTARTSYS;
	}
}

/* Send sig to pid. 0 checks only that the process exists. */
int proc_kill(int pid, int sig)
{
	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = proc_find(pid);

	if (!p || p->pid == 0) {
		spin_unlock_irqrestore(&proc_lock, flags);
		return -ESRCH;
	}
	if (sig)
		signal_send_locked(p, sig);
	spin_unlock_irqrestore(&proc_lock, flags);
	return 0;
}

/* Make p the first process, pid 1 (before anyone else can see it). */
void proc_make_init(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	p->pid = p->tgid = 1;
	p->pgid = p->sid = 1;          /* leads session 1 (the console's, init.c) */
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* Is p's exit the end of init, the process? Its leader, when the whole
 * group is ending, else its last thread. *status: the process's wait
 * status. Takes proc_lock. */
static bool init_ending(struct proc *p, int *status)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *l = p->leader;
	bool end = l->pid == 1 && (l->group_exiting ? p == l : l->nr_threads == 1);

	*status = l->group_exiting ? l->group_exit : p->exit_status;
	spin_unlock_irqrestore(&proc_lock, flags);
	return end;
}

/* What exit does beyond releasing memory: init's exit may end the machine. */
static void proc_on_exit(struct proc *p)
{
	int status;

	if (init_ending(p, &status) && cmdline_has("poweroff")) {
		printk("init exited with status 0x%x: powering off\n", status);
		machine_poweroff();
	}
}

/* SIGKILL every user process (one with an address space) but the caller.
 * Returns how many there are. Takes proc_lock. */
static int kill_user_procs(void)
{
	struct proc *self = current;
	int n = 0;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	proc_for_each(p) {
		if (p == self || p->state == P_ZOMBIE || (!p->mm && !READ_ONCE(p->releasing_mm)))
			continue;
		if (p->killed != SIGKILL)
			signal_send_locked(p, SIGKILL);
		n++;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return n;
}

/*
 * Before power-off, as Linux's shutdown does: kill every user process but
 * the caller and wait until each has released its files and memory
 * (release_resources clears p->mm after the files, and releasing_mm once
 * the mm is gone: a file mapped but closed is let go only then), so that
 * the last reference to a file unlinked while open goes and the file is
 * deleted before the final sync. Kernel threads are left alone. A process forked
 * meanwhile is caught by the next round. May sleep; call with no lock held.
 * Returns how many processes had not let go after PROC_END_TIMEOUT_NS (0
 * normally); *ended (if not NULL) gets how many were told to end.
 */
int proc_end_all(int *ended)
{
	uint64_t deadline = clock_ns() + PROC_END_TIMEOUT_NS;
	int left = kill_user_procs();

	if (ended)
		*ended = left;
	while (left && clock_ns() < deadline) {
		if (sched_sleep_ns(PROC_END_POLL_NS))
			sched_yield();      /* the caller itself is killed: cannot sleep */
		left = kill_user_procs();
	}
	return left;
}
