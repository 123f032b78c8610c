/*
 * gen_proc.c: processes, signals, time and the small identity calls; and
 * the worker's fork, whose child runs a short campaign of its own.
 *
 * Signals are only sent to ourselves, our children and our sibling
 * workers, and only signals every worker handles or ignores (or SIGKILL to
 * our own children), so no worker is killed by a signal it did not expect;
 * never kill(-1), kill(0) or pid 1. Sleeps last at most 2 ms.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include "fuzz.h"

#define SA_RESTORER 0x04000000

struct ksigaction {                     /* the kernel's struct sigaction */
	unsigned long handler, flags, restorer, mask;
};

void fz_restorer(void);
__asm__(".text\n.global fz_restorer\nfz_restorer:\n\tmov $15, %eax\n\tsyscall\n\thlt\n");

static volatile int caught;
static struct ksigaction act;
static struct timespec ts;
static unsigned long maskbits;
static int wstatus;

static void on_signal(int sig)
{
	caught += sig;
}

int fz_gen_file(struct worker *w);

/* A signal safe to send to any process of the campaign, or an invalid one. */
static long safe_signal(struct worker *w)
{
	static const long sig[] = { 0, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH, SIGURG, SIGCONT, -1, 65, 1000 };

	return sig[fz_rand(w, 10)];
}

static struct child *kid_of(struct worker *w, long pid)
{
	for (int k = 0; k < MAX_KIDS; k++)
		if (w->kid[k].pid > 0 && w->kid[k].pid == pid)
			return &w->kid[k];
	return 0;
}

static void gen_kill(struct worker *w)
{
	long pid = fz_pick_pid(w), sig = safe_signal(w), r = fz_rand(w, 3);
	struct child *k = kid_of(w, pid);

	if (k && fz_chance(w, 30)) {
		sig = SIGKILL;
		k->killed = 1;
	}
	if (r == 0)
		fz_do(w, &(struct call){ "kill", 62, { pid, sig }, 2 });
	else if (r == 1)
		fz_do(w, &(struct call){ "tkill", 200, { pid, sig }, 2 });
	else
		fz_do(w, &(struct call){ "tgkill", 234, { pid, pid, sig }, 3 });
}

/* rt_sigaction: our handler or SIG_IGN for the signals we send; anything
 * (garbage handlers too) for SIGPWR, which nobody sends; bad signals. */
static void gen_sigaction(struct worker *w)
{
	static const long sig[] = { SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH, SIGURG, SIGPWR, 0, SIGKILL,
				    SIGSTOP, 65, -1 };
	static const long fl[] = { 0, SA_RESTART, SA_NODEFER, SA_SIGINFO, SA_ONSTACK, SA_RESTART | SA_SIGINFO };
	long s = sig[fz_rand(w, 11)], a = (long)&act, size = fz_chance(w, 90) ? 8 : fz_rand(w, 32);

	act.handler = fz_chance(w, 60) ? (unsigned long)on_signal : (unsigned long)SIG_IGN;
	if (s == SIGPWR && fz_chance(w, 50))
		act.handler = fz_chance(w, 50) ? fz_bad_ptr(w) : (unsigned long)SIG_DFL;
	else if ((s == SIGCHLD || s == SIGWINCH || s == SIGURG) && fz_chance(w, 30))
		act.handler = (unsigned long)SIG_DFL;
	act.flags = SA_RESTORER | fl[fz_rand(w, 6)];
	act.restorer = (unsigned long)fz_restorer;
	act.mask = fz_next(&w->rng);
	if (fz_chance(w, 15))
		a = fz_chance(w, 50) ? 0 : (long)fz_bad_ptr(w);
	fz_do(w, &(struct call){ "rt_sigaction", 13, { s, a, fz_chance(w, 50) ? 0 : (long)fz_out_ptr(w, 32),
		size }, 4 });
}

static void gen_sigprocmask(struct worker *w)
{
	static const long how[] = { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, 3, -1 };
	long set = fz_chance(w, 80) ? (long)&maskbits : fz_chance(w, 50) ? 0 : (long)fz_bad_ptr(w);

	maskbits = fz_next(&w->rng);
	fz_do(w, &(struct call){ "rt_sigprocmask", 14, { how[fz_rand(w, 5)], set,
		fz_chance(w, 50) ? 0 : (long)fz_out_ptr(w, 8), fz_chance(w, 90) ? 8 : fz_rand(w, 32) }, 4 });
}

/* nanosleep for at most 2 ms, or with a bad time; clock_gettime. */
static void gen_time(struct worker *w)
{
	static const long clk[] = { 0, 1, 4, 7, 99, -1 };

	if (fz_chance(w, 50)) {
		fz_do(w, &(struct call){ "clock_gettime", 228, { clk[fz_rand(w, 6)], (long)fz_out_ptr(w, 16) }, 2 });
		return;
	}
	ts.tv_sec = fz_chance(w, 90) ? 0 : -1;
	ts.tv_nsec = fz_chance(w, 90) ? fz_rand(w, 2000000) : 1000000000L;
	fz_do(w, &(struct call){ "nanosleep", 35, { fz_chance(w, 90) ? (long)&ts : (long)fz_bad_ptr(w),
		fz_chance(w, 50) ? 0 : (long)fz_out_ptr(w, 16) }, 2 });
}

/* wait4: without WNOHANG only when we have children (they end soon). */
static void gen_wait(struct worker *w)
{
	static const long opt[] = { WNOHANG, WNOHANG | WUNTRACED, WNOHANG | 0x40000000, 0x7fffffff, 0 };
	long pid = fz_chance(w, 50) ? -1 : fz_pick_pid(w), o = opt[fz_rand(w, 5)];
	long st = fz_chance(w, 80) ? (long)&wstatus : fz_chance(w, 50) ? 0 : (long)fz_bad_ptr(w);

	wstatus = 0;
	long ret = fz_do(w, &(struct call){ "wait4", 61, { pid, st, o,
		fz_chance(w, 70) ? 0 : (long)fz_out_ptr(w, 144) }, 4 });
	if (ret > 0)
		fz_reap(w, (int)ret, st == (long)&wstatus ? wstatus : 0);
}

/* arch_prctl: ARCH_GET_FS to a bad address, bad codes, and ARCH_SET_FS
 * only to addresses outside user space (refused): our TLS stays. */
static void gen_arch_prctl(struct worker *w)
{
	long code = fz_chance(w, 50) ? 0x1003 : 0x1002 + fz_rand(w, 8) * 3;
	unsigned long p = fz_bad_ptr(w);

	if (code == 0x1002 && p < 0x00007ffffffff000UL)
		p = 0xffff800000000000UL;
	fz_do(w, &(struct call){ "arch_prctl", 158, { code, (long)p }, 2 });
}

/* Identity and other small calls. */
static void gen_misc(struct worker *w)
{
	static const long nr[] = { 39, 110, 186, 102, 104, 107, 108, 24 };
	static const char *name[] = { "getpid", "getppid", "gettid", "getuid", "getgid", "geteuid",
				      "getegid", "sched_yield" };
	long r = fz_rand(w, 16);

	if (r < 8)
		fz_do(w, &(struct call){ name[r], nr[r], { 0 }, 0 });
	else if (r == 8)
		fz_do(w, &(struct call){ "uname", 63, { (long)fz_out_ptr(w, 400) }, 1 });
	else if (r == 9)
		fz_do(w, &(struct call){ "getrandom", 318, { (long)fz_out_ptr(w, 256), fz_rand(w, 257),
			fz_rand(w, 8) }, 3 });
	else if (r == 10)
		fz_do(w, &(struct call){ "prlimit64", 302, { fz_chance(w, 70) ? 0 : fz_pick_pid(w),
			fz_rand(w, 18) - 1, fz_chance(w, 80) ? 0 : (long)fz_bad_ptr(w), (long)fz_out_ptr(w, 16) }, 4 });
	else if (r == 11)
		fz_do(w, &(struct call){ "set_robust_list", 273, { (long)fz_pick_ptr(w, 24),
			fz_chance(w, 70) ? 24 : fz_len(w) }, 2 });
	else if (r == 12)
		fz_do(w, &(struct call){ "set_tid_address", 218, { (long)fz_out_ptr(w, 4) }, 1 });
	else if (r == 13)
		gen_arch_prctl(w);
	else if (r == 14)
		fz_do(w, &(struct call){ "arch_prctl", 158, { 0x1003, (long)fz_out_ptr(w, 8) }, 2 });
	else
		fz_do(w, &(struct call){ "nosys", 333 + fz_rand(w, 3) * 1000, { 0 }, 0 });
}

/* execve that must fail: no such file, a directory, a file that is not
 * executable, a bad path; or /bin/sh with a bad argument vector. */
static void gen_execve(struct worker *w)
{
	static unsigned long argv[3];
	static const char *path[] = { "/nonexistent", "/etc/motd", "/tests", "/proc/meminfo" };
	long r = fz_rand(w, 6);

	/* Never NULL where the call must fail: a NULL envp, or a NULL
	 * argv[1] (the end of the vector), makes a valid exec of /bin/sh. */
	argv[0] = (unsigned long)"x";
	argv[1] = fz_bad_ptr(w) ?: fz_bad_ptrs[0];
	argv[2] = 0;
	if (r < 4)
		fz_do(w, &(struct call){ "execve", 59, { (long)path[r], (long)argv, 0 }, 3 });
	else if (r == 4)
		fz_do(w, &(struct call){ "execve", 59, { (long)fz_bad_ptr(w), 0, 0 }, 3 });
	else
		fz_do(w, &(struct call){ "execve", 59, { (long)"/bin/sh",
			fz_chance(w, 50) ? (long)argv : (long)(fz_bad_ptr(w) ?: fz_bad_ptrs[0]),
			(long)fz_bad_ptr(w) }, 3 });
}

/* Every worker starts with handlers for the signals the campaign sends. */
void fz_signals_init(void)
{
	static const int sig[] = { SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH, SIGURG, SIGCONT };

	for (unsigned i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
		struct ksigaction a = { (unsigned long)on_signal, SA_RESTORER | SA_RESTART,
					(unsigned long)fz_restorer, 0 };
		fz_sys(13, sig[i], (long)&a, 0, 8, 0, 0);
	}
	/* A write to a pipe nobody reads, or past the file size limit, then
	 * fails with EPIPE or EFBIG instead of killing the worker. */
	struct ksigaction ign = { (unsigned long)SIG_IGN, SA_RESTORER, (unsigned long)fz_restorer, 0 };
	fz_sys(13, SIGPIPE, (long)&ign, 0, 8, 0, 0);
	fz_sys(13, SIGXFSZ, (long)&ign, 0, 8, 0, 0);
}

int fz_gen_sys(struct worker *w)
{
	long r = fz_rand(w, 100);

	if (r < 55)
		return fz_gen_file(w);
	if (r < 63)
		gen_kill(w);
	else if (r < 71)
		gen_sigaction(w);
	else if (r < 76)
		gen_sigprocmask(w);
	else if (r < 82)
		gen_time(w);
	else if (r < 87)
		gen_wait(w);
	else if (r < 97)
		gen_misc(w);
	else
		gen_execve(w);
	return 1;
}
