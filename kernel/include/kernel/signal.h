/*
 * Signals, Linux's numbers. Numbat carries out default actions only:
 * a signal whose default is to terminate ends the process (wait4 then
 * reports WTERMSIG); SIG_IGN'd and default-ignored signals are dropped.
 * Handlers installed with rt_sigaction are recorded but not yet called:
 * a signal with a handler is dropped too (documented in docs/processes.md).
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
#define SIGURG  23
#define SIGWINCH 28
#define NSIG    64

#define SIG_DFL 0UL
#define SIG_IGN 1UL

/* wait4 status words */
#define W_EXITCODE(code) (((code) & 0xff) << 8)
#define W_SIGNALED(sig)  ((sig) & 0x7f)

#define WNOHANG 1

#endif
