/*
 * Signals, Linux's numbers and structures. Default actions, SIG_IGN and
 * user handlers (with Linux's signal frame and rt_sigreturn) as
 * kernel/proc/signal.c describes. Job control (stopping and continuing,
 * process groups, sessions) is kernel/proc/jobctl.c.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG  23
#define SIGWINCH 28
#define NSIG    64

#define SIG_DFL 0UL
#define SIG_IGN 1UL

/* wait4 status words */
#define W_EXITCODE(code) (((code) & 0xff) << 8)
#define W_SIGNALED(sig)  ((sig) & 0x7f)

#define W_STOPCODE(sig) (0x7f | ((sig) << 8))
#define W_CONTINUED      0xffff

#define WNOHANG    1
#define WUNTRACED  2               /* also report stopped children */
#define WCONTINUED 8               /* also report continued children */

#define SA_NOCLDSTOP 1UL           /* no SIGCHLD when a child stops/continues */
#define SA_RESTART   0x10000000UL  /* restart system calls the handler interrupted */
#define SA_ONSTACK   0x08000000UL  /* run the handler on the sigaltstack */

#ifndef __ASSEMBLER__
#include <kernel/types.h>

/* struct sigaction as rt_sigaction(2) passes it on x86-64. */
struct k_sigaction {
	uint64_t handler;          /* SIG_DFL, SIG_IGN or a user function */
	uint64_t flags;            /* SA_* */
	uint64_t restorer;         /* SA_RESTORER: calls rt_sigreturn */
	uint64_t mask;             /* blocked while the handler runs */
};

struct proc;

bool sig_ignored_by_default(int sig);
bool sig_stops(int sig);              /* SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU */
bool signal_pending(struct proc *p);
/* The signals pending for thread p: its own and its process's. */
uint64_t signal_pending_set(const struct proc *p);
/* Take the lowest pending signal of set for p (its own first, then the
 * process's, which another thread may take first); 0 if none. */
int signal_take(struct proc *p, uint64_t set);
/* Will p die at its next return to user mode? Long kernel loops stop
 * early (-EINTR) when it will: nobody waits for their result. */
bool fatal_signal_pending(struct proc *p);
void signal_send_locked(struct proc *p, int sig);   /* p's process; proc_lock held */
void signal_send_thread_locked(struct proc *t, int sig);   /* thread t; proc_lock held */
void signal_deliver(void);            /* returning to user mode */
void signal_force(int sig, uint64_t addr);  /* a user-mode fault */
/* Temporary masks (sigsuspend, ppoll, pselect6): set_mask installs one
 * (SIGKILL/SIGSTOP stay unblocked); restore_mask puts old back now, or,
 * when interrupted, on the way to user mode after the signal's handler
 * frame has saved old (so the handler runs under the temporary mask). */
void signal_set_mask(uint64_t mask);
void signal_restore_mask(uint64_t old, bool interrupted);
bool signal_return_mask(void);        /* user_return_work: late restore */
/* A system call returned -ERESTARTSYS/-ERESTARTNOHAND (syscall.c): note
 * it; a handler frame turns it into -EINTR or a restart, and with no
 * handler, signal_restart_finish restarts it. */
void signal_note_restart(uint64_t nr, int64_t ret);
void signal_restart_finish(void);
#endif

#endif
