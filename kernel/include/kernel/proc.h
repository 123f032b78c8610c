/*
 * Processes and threads. A struct proc is one thread of control (a task):
 * its kernel stack and saved context (scheduling), its address space (mm),
 * its files, its family (parent, children) and its exit state. A process
 * with several threads is a group of them (clone with CLONE_THREAD): they
 * share the mm and the descriptor table, and the leader holds what belongs
 * to the process (kernel/proc/thread.c).
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
#include <kernel/fs_struct.h>
#include <kernel/spinlock.h>
#include <kernel/waitq.h>
#include <kernel/signal.h>
#include <kernel/mempolicy.h>
#include <kernel/proc_stat.h>

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

/* The process's user and group ids (kernel/proc/sys_ident.c). Stored and
 * changed with Linux's rules (euid 0 may set any id); nothing else checks
 * them: every file permission check is root's. */
#define PROC_NGROUPS_MAX 32        /* supplementary groups setgroups keeps */
enum { ID_REAL, ID_EFFECTIVE, ID_SAVED };
struct proc_cred {
	uint32_t uid[3];           /* indexed by ID_REAL, ID_EFFECTIVE, ID_SAVED */
	uint32_t gid[3];
	int ngroups;
	uint32_t groups[PROC_NGROUPS_MAX];
};

struct mm;
struct fdtable;
struct inode;
struct trap_frame;
struct procfs_entry;

struct proc {
	int pid;                   /* the thread id (the process id is tgid) */
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
	bool releasing_mm;         /* exiting: mm cleared, mm_put not done yet */
	void *kthread_fn, *kthread_arg;
	struct fdtable *fdt;
	struct fs_struct *fs;      /* cwd and umask (fs_struct.h); NULL for kernel
				      threads; shared with CLONE_FS */
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
	uint64_t pending;          /* sent to this thread, not yet acted on (atomic) */
	uint64_t shared_pending;   /* leader: sent to the process, taken by
				      whichever thread acts on it first (atomic) */

	/* CPU time, faults, context switches and its reaped children's
	 * totals (proc_stat.h says who writes them when). */
	struct proc_acct acct;
	/* Settings of the process's own (sys_ident.c), copied by fork. Written
	 * by the process itself, except nice (setpriority on another pid) and
	 * pdeath_sig's use at the parent's exit: those under proc_lock. */
	struct proc_cred cred;
	int nice;                  /* -20..19; the scheduler ignores it */
	int pdeath_sig;            /* sent when the parent exits; fork clears it */
	bool dumpable;             /* PR_SET_DUMPABLE (no core dumps exist) */
	bool no_new_privs;         /* PR_SET_NO_NEW_PRIVS: set once, kept */
	/* clone, vfork and thread-id fields (kernel/proc/clone.c). */
	int exit_signal;           /* sent to the parent at exit (fork: SIGCHLD;
				      0: none, a "clone child" for wait4) */
	uint64_t clear_child_tid;  /* user address zeroed + futex-woken when the
				      task lets go of its mm (exit, exec); 0: none */
	uint64_t set_child_tid;    /* CLONE_CHILD_SETTID: the tid is written
				      there by the child itself, first thing */
	uint64_t robust_list;      /* set_robust_list's head (user address), walked
				      when the task lets go of its mm; 0: none.
				      Its own task writes it; get_robust_list
				      reads another's under proc_lock */
	struct vfork_done *vfork_done;  /* the vfork parent waits on it; under
					   proc_lock */

	/* Thread groups (kernel/proc/thread.c says what is per thread and
	 * what per process). Under proc_lock. */
	int tgid;                  /* process id (getpid): the leader's pid */
	struct proc *leader;       /* group leader: itself for a leader */
	struct list_head thread_node;  /* on leader->threads */
	struct list_head threads;  /* leader: its live threads, itself included */
	int nr_threads;            /* leader: threads not yet exited */
	bool group_exiting;        /* leader: exit_group or a fatal signal */
	int group_exit;            /* leader: the process's wait status then */
	/* Signal waits and job control (kernel/proc/jobctl.c, sigwait.c,
	 * itimer.c, kernel/fs/poll.c). Per process, kept in the leader (as
	 * Linux's signal_struct): pgid, sid, did_exec, stop_sig,
	 * group_stopped, wait_report (under proc_lock) and itimer_* (under itimer_lock). Per thread:
	 * job_stopped (under proc_lock), sigwait_set (written by the thread,
	 * read by senders under proc_lock) and the rest, only by the thread. */
	uint64_t saved_sigmask;    /* mask to put back on the way out */
	bool restore_sigmask;      /* sigsuspend/ppoll left a temporary mask */
	int pgid, sid;             /* leader: process group and session */
	bool did_exec;             /* leader: setpgid by the parent: EACCES after exec */
	int stop_sig;              /* leader: the group stops/stopped by it, or 0 */
	int wait_report;           /* leader: WREPORT_STOP/CONT not yet seen by wait4 */
	bool group_stopped;        /* leader: every thread stopped, parent told */
	bool job_stopped;          /* this thread has reached the group stop */
	uint64_t itimer_at;        /* leader: ITIMER_REAL: SIGALRM when clock passes it, 0 off */
	uint64_t itimer_every;     /* its interval (ns), 0: one shot */
	struct list_head itimer_node;  /* on the armed list (itimer.c) */
	uint64_t sigwait_set;      /* rt_sigtimedwait: these wake it though blocked */
	uint64_t restart_nr;       /* system call to restart (signal.c) ... */
	int restart_code;          /* ... after ERESTARTSYS/ERESTARTNOHAND, or 0 */
	uint64_t altstack_sp;      /* sigaltstack (the thread's): base, and size (0: none) */
	uint64_t altstack_size;
};

/* May the caller do what Linux reserves to a capability (CAP_SYS_ADMIN,
 * CAP_SETUID...)? Here: its effective uid is 0. Checked only by the id
 * calls, setpriority, setgroups, swapon and swapoff (docs/processes.md). */
static inline bool proc_privileged(const struct proc *p)
{
	return p->cred.uid[ID_EFFECTIVE] == 0;
}

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
	/* For /proc/PID/stat and status (proc_pid.c). */
	int pid, cpu;
	int pgid, sid, threads;    /* the process's group, session, live threads */
	bool kthread;              /* a kernel thread (no user program) */
	struct proc_acct acct;
	uint64_t sigmask, pending, shared, sigign, sigcatch;   /* bit sig-1 */
};

/* Copy what /proc shows of process pid (zombies too) into s, taking a
 * reference on its mm; -ESRCH if there is none. Takes proc_lock. */
int proc_snapshot_get(int pid, struct proc_snapshot *s);

void procfs_proc_init(void);
void procfs_proc_add(struct proc *p);
void procfs_proc_remove(struct proc *p);
void proc_pid_files_add(struct procfs_entry *d, struct proc *p);   /* proc_pid.c */
void sysfs_node_init(void);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(int pid, int *status, int options);
/* clone(2) with Linux's arguments (kernel/proc/clone.c): the new task's
 * id, or a negative errno. */
struct clone_req {
	uint64_t flags, newsp, parent_tid, child_tid, tls;
};
int64_t proc_clone(const struct clone_req *r);
/* The task lets go of its address space (exit, exec): clear_child_tid is
 * zeroed and its futex woken, a vfork parent resumes. No lock held. */
void proc_mm_release(struct proc *p);
int proc_kill(int pid, int sig);
void proc_make_init(struct proc *p);
/* Power-off: end every user process but the caller, wait for them to let
 * go of their files (see proc.c). */
#define PROC_END_TIMEOUT_NS 2000000000ULL   /* give up waiting after 2 s */
#define PROC_END_POLL_NS    5000000ULL      /* look again every 5 ms */
int proc_end_all(int *ended);
int proc_count(void);
int proc_last_pid(void);                  /* the pid given out last */
/* fork: the child gets the parent's ids, nice and prctl settings (the
 * umask is in its fs_struct). */
void proc_copy_settings(struct proc *child, const struct proc *parent);

#endif
