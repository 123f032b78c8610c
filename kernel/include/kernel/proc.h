/*
 * Processes. Numbat has one thread of control per process, so struct proc
 * is both: its kernel stack and saved context (scheduling), its address
 * space (mm), its files, its family (parent, children) and its exit state.
 *
 * States:  RUNNABLE -> RUNNING -> (SLEEPING -> RUNNABLE) ... -> ZOMBIE
 *                         RUNNING -> STOPPED -> RUNNABLE   (job control)
 * A RUNNABLE process is on the run queue of p->cpu; a RUNNING one is that
 * CPU's rq->curr; a SLEEPING one is on some wait queue; a STOPPED one is
 * on no queue until SIGCONT or SIGKILL (jobctl.c); a ZOMBIE waits for
 * its parent's wait4() to free it.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <kernel/types.h>
#include <kernel/list.h>
#include <kernel/cpumask.h>
#include <kernel/spinlock.h>
#include <kernel/waitq.h>
#include <kernel/signal.h>
#include <kernel/mempolicy.h>

enum proc_state { P_RUNNABLE = 1, P_RUNNING, P_SLEEPING, P_ZOMBIE, P_STOPPED };

#define PROC_NAME_MAX 16
#define KSTACK_ORDER 2             /* 16 KiB kernel stacks */
#define MAX_PROCS 512              /* fork fails with EAGAIN beyond this */

struct page;
/* Kernel stacks with an unmapped guard page under them (arch kstack.c):
 * the stack's lowest address, or NULL; may sleep. */
void *kstack_alloc(int node);
void kstack_free(void *stack);
struct page *kstack_page(const void *stack);   /* its (first) frame */

struct mm;
struct fdtable;
struct inode;
struct trap_frame;
struct procfs_entry;

struct proc {
	int pid;                   /* also the thread id */
	char name[PROC_NAME_MAX];
	volatile int state;        /* enum proc_state; see sched.c for locking */
	int cpu;                   /* run queue it is on, or CPU it runs on */
	int cpu_next;              /* >= 0: move there at the next switch */
	volatile bool on_cpu;      /* its context is live on some CPU */
	struct list_head rq_node;  /* on cpus[cpu].rq.queue while RUNNABLE */
	struct cpumask affinity;   /* CPUs it may run on */
	int timeslice;             /* ticks left before preemption */
	uint64_t wake_at;          /* timed sleep: wake when the clock passes it */
	struct list_head sleep_node; /* on cpus[cpu].rq.sleepers while timed */

	void *kstack;              /* KSTACK_ORDER pages, on the process's node */
	uint64_t saved_rsp;        /* kernel stack pointer while switched out */
	void *fpu;                 /* 512-byte FXSAVE area (user FPU/SSE state) */
	uint64_t fs_base;          /* user TLS base (arch_prctl ARCH_SET_FS) */
	struct trap_frame *tf;     /* user registers, at the top of kstack */

	struct mm *mm;             /* NULL for kernel threads */
	void *kthread_fn, *kthread_arg;
	struct fdtable *fdt;
	struct inode *cwd;
	char *cwd_path;            /* for getcwd (kernel/fs/cwd.c) */
	struct procfs_entry *procdir;  /* /proc/<pid> */

	/* Memory policy (mempolicy.h): written by the process itself under
	 * task_mpol_lock, read by it without a lock, by others under that
	 * lock. The rest only by the process itself. */
	struct mempolicy mpol;     /* set_mempolicy; copied by fork */
	int mpol_il_prev;          /* interleave: the node used last */
	int mpol_oom_node;         /* node + 1 a BIND allocation wanted, or 0 */
	const struct mpol_hint *mpol_hint;  /* fault: policy for an unlocked alloc */

	/* Family and exit: protected by proc_lock (proc.c). */
	struct proc *parent;
	struct list_head children;
	struct list_head sibling;  /* on parent->children */
	struct list_head all;      /* on the list of every process */
	int exit_status;           /* wait4 status word, once ZOMBIE */
	struct waitq child_exit;   /* the parent sleeps here in wait4 */

	volatile int killed;       /* signal that will end it, or 0 */
	struct k_sigaction sigactions[NSIG];  /* kernel/proc/signal.c */
	uint64_t sigmask;          /* blocked: bit sig-1, as Linux's sigset */
	uint64_t pending;          /* sent, not yet acted on (atomic) */

	/* Signal waits and job control (kernel/proc/jobctl.c, sigwait.c,
	 * itimer.c, kernel/fs/poll.c). pgid, sid, stop_sig, wait_report:
	 * under proc_lock; itimer_*: under itimer_lock; the rest only by the
	 * process itself (sigwait_set read by senders under proc_lock). */
	uint64_t saved_sigmask;    /* mask to put back on the way out */
	bool restore_sigmask;      /* sigsuspend/ppoll left a temporary mask */
	int pgid, sid;             /* process group and session */
	bool did_exec;             /* setpgid by the parent: EACCES after exec */
	int stop_sig;              /* stopped by it (P_STOPPED), or 0 */
	int wait_report;           /* WREPORT_STOP/CONT not yet seen by wait4 */
	uint64_t itimer_at;        /* ITIMER_REAL: SIGALRM when clock passes it, 0 off */
	uint64_t itimer_every;     /* its interval (ns), 0: one shot */
	struct list_head itimer_node;  /* on the armed list (itimer.c) */
	uint64_t sigwait_set;      /* rt_sigtimedwait: these wake it though blocked */
	uint64_t restart_nr;       /* system call to restart (signal.c) ... */
	int restart_code;          /* ... after ERESTARTSYS/ERESTARTNOHAND, or 0 */
	uint64_t altstack_sp;      /* sigaltstack: base, and size (0: none) */
	uint64_t altstack_size;
};

extern struct spinlock proc_lock;

struct proc *current_proc(void);
#define current current_proc()

/* Kernel threads: fn(arg) runs in the kernel; returning ends the thread. */
struct proc *kthread_create(const char *name, int (*fn)(void *), void *arg,
			    int node);
void kthread_exit(int status) __attribute__((noreturn));

struct proc *proc_alloc(const char *name, int node);
struct proc *proc_alloc_idle(int cpu);
void proc_free(struct proc *p);
struct proc *proc_find(int pid);          /* caller holds proc_lock */
void kthread_entry(void *self);            /* first function of a kthread */
/* Every process; caller holds proc_lock. */
#define proc_for_each(p) \
	for (struct proc *p = proc_first(); p; p = proc_next(p))
struct proc *proc_first(void);
struct proc *proc_next(struct proc *p);

/* What /proc shows of a process, copied under proc_lock. */
struct proc_snapshot {
	char name[PROC_NAME_MAX];
	int state, ppid;
	struct cpumask affinity;
	struct mm *mm;             /* with a reference (mm_get), or NULL */
	struct mempolicy mpol;     /* its memory policy (numa_maps) */
};

void procfs_proc_init(void);
void procfs_proc_add(struct proc *p);
void procfs_proc_remove(struct proc *p);
void sysfs_node_init(void);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(int pid, int *status, int options);
int64_t proc_fork(void);
int proc_kill(int pid, int sig);
void proc_make_init(struct proc *p);
/* Power-off: end every user process but the caller, wait for them to let
 * go of their files (see proc.c). */
#define PROC_END_TIMEOUT_NS 2000000000ULL   /* give up waiting after 2 s */
#define PROC_END_POLL_NS    5000000ULL      /* look again every 5 ms */
int proc_end_all(int *ended);
int proc_count(void);

#endif
