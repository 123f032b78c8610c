/*
 * clone: clone(2) as fork (each TID flag), vfork and CLONE_VM|CLONE_VFORK,
 * CLONE_SETTLS on a new stack, exit signals and __WCLONE, CLONE_FS (the
 * working directory and umask shared, or copied without it), and the flag
 * combinations Linux refuses.
 *
 * Fork-like clones are raw syscall(SYS_clone, flags, 0, ptid, ctid, tls):
 * the child returns on a copy of the stack. Clones that share the memory
 * (CLONE_VM) need a stack of their own, so they go through musl's clone()
 * wrapper, which starts fn(arg) on the given stack; those children touch
 * nothing of the C library that uses TLS.
 *
 * `clone exec-child` is the program a vfork child execs: it sleeps a
 * while, to show that the parent runs again as soon as the exec is done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define STACK_SIZE (64 * 1024)
#define ARCH_GET_FS 0x1003
#define FUTEX_WAIT 0          /* musl has no <linux/futex.h> */

static long raw_clone(unsigned long flags, int *ptid, int *ctid, unsigned long tls)
{
	return syscall(SYS_clone, flags, 0, ptid, ctid, tls);
}

/* Wait for pid with options; its exit code, or -1 (-2 if killed). */
static int reap(int pid, int options)
{
	int st;

	if (waitpid(pid, &st, options) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
}

static void fork_like(void)
{
	int r = raw_clone(SIGCHLD, NULL, NULL, 0);

	if (r == 0)
		_exit(getpid() == (int)syscall(SYS_gettid) ? 7 : 1);
	ok(r > 0 && reap(r, 0) == 7, "clone(SIGCHLD) is fork: child exits 7, wait4 gets it");
}

/* PARENT_SETTID: the id lands in the parent's memory, after the copy
 * (the child's copy does not have it). */
static void parent_settid(void)
{
	static int ptid;
	int r = raw_clone(SIGCHLD | CLONE_PARENT_SETTID, &ptid, NULL, 0);

	if (r == 0)
		_exit(ptid == 0 ? 0 : 1);
	ok(r > 0 && ptid == r, "CLONE_PARENT_SETTID writes the child's id in the parent");
	ok(reap(r, 0) == 0, "... and not in the child's copy");
}

/* CHILD_SETTID: in the child's memory only. */
static void child_settid(void)
{
	static int ctid;
	int r = raw_clone(SIGCHLD | CLONE_CHILD_SETTID, NULL, &ctid, 0);

	if (r == 0)
		_exit(ctid == getpid() ? 0 : 1);
	ok(r > 0 && reap(r, 0) == 0, "CLONE_CHILD_SETTID writes the id in the child's memory");
	ok(ctid == 0, "... not in the parent's");
}

static int cleartid_child(void *arg)
{
	(void)arg;
	sleep_ms(100);
	return 0;
}

/* CHILD_CLEARTID with CLONE_VM: the child's exit zeroes the word and
 * wakes a futex waiter on it (what pthread_join waits on). */
static void child_cleartid(void)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));
	static int tid = -1;
	int r = clone(cleartid_child, stack + STACK_SIZE,
		      CLONE_VM | SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
		      NULL, NULL, NULL, &tid);
	int v = -1, woken = 0;
	struct timespec ts = { 5, 0 };

	while (r > 0 && (v = __atomic_load_n(&tid, __ATOMIC_SEQ_CST)) != 0) {
		if (syscall(SYS_futex, &tid, FUTEX_WAIT, v, &ts, NULL, 0) == 0)
			woken++;
		else if (errno == ETIMEDOUT)
			break;
	}
	ok(r > 0 && v == 0, "CLONE_CHILD_CLEARTID zeroes the word at exit (it holds %d)", v);
	ok(woken >= 1, "... and wakes the futex waiter on it (woken %d times)", woken);
	ok(reap(r, 0) == 0, "... the child exits normally");
}

/* Without CLONE_VM nobody else sees the child's memory: as Linux, the
 * word is not cleared (here a MAP_SHARED one, where the parent could). */
static void cleartid_own_mm(void)
{
	int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (w == MAP_FAILED)
		ktap_bail("mmap");
	*w = -1;
	int r = raw_clone(SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, NULL, w, 0);
	if (r == 0)
		_exit(0);
	int st = reap(r, 0);
	ok(st == 0 && *w == r,
	   "fork-like CLONE_CHILD_CLEARTID: the word keeps the id (%d), as Linux", *w);
	munmap(w, 4096);
}

static volatile int vfork_var;

static void test_vfork(void)
{
	vfork_var = 0;
	uint64_t t0 = now_ms();
	int r = vfork();

	if (r == 0) {
		sleep_ms(200);
		vfork_var = 42;
		_exit(3);
	}
	uint64_t waited = now_ms() - t0;
	ok(vfork_var == 42, "vfork: the parent sees the child's write (%d)", vfork_var);
	ok(waited >= 150, "vfork: the parent slept until the child exited (%llu ms)",
	   (unsigned long long)waited);
	ok(reap(r, 0) == 3, "vfork: the child's exit status");
}

/* The parent resumes at the child's exec, not at its exit. */
static void vfork_exec(const char *self)
{
	uint64_t t0 = now_ms();
	int r = vfork();

	if (r == 0) {
		execl(self, self, "exec-child", (char *)NULL);
		_exit(99);
	}
	uint64_t waited = now_ms() - t0;
	int early = waitpid(r, NULL, WNOHANG);
	ok(early == 0 && waited < 1000,
	   "vfork + exec: the parent runs again while the new program runs (%llu ms)",
	   (unsigned long long)waited);
	ok(reap(r, 0) == 5, "vfork + exec: the exec'd program's exit status");
}

static int vm_child(void *arg)
{
	sleep_ms(100);
	*(volatile int *)arg = 77;
	return 4;
}

static void vm_vfork(void)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));
	volatile int var = 0;
	int r = clone(vm_child, stack + STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)&var);

	ok(r > 0 && var == 77, "CLONE_VM|CLONE_VFORK: back after the child exited, its write seen");
	ok(reap(r, 0) == 4, "CLONE_VM|CLONE_VFORK: the child's exit status");
}

static unsigned long tls_block[4];
static volatile unsigned long tls_seen;

/* Runs with its own FS base: no libc that touches TLS. */
static int tls_child(void *arg __attribute__((unused)))
{
	unsigned long fs = 0;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(SYS_arch_prctl), "D"(ARCH_GET_FS), "S"(&fs)
			 : "rcx", "r11", "memory");
	tls_seen = fs;
	return ret == 0 ? 0 : 1;
}

static void settls(void)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));
	int r = clone(tls_child, stack + STACK_SIZE,
		      CLONE_VM | CLONE_VFORK | CLONE_SETTLS | SIGCHLD, NULL, NULL, tls_block);

	ok(r > 0 && reap(r, 0) == 0 && tls_seen == (unsigned long)tls_block,
	   "CLONE_SETTLS: the child's FS base is the one asked for");
}

static volatile int usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

/* A child with exit signal SIGUSR1: a "clone child", seen by wait4 only
 * with __WCLONE (or __WALL); its exit sends the parent SIGUSR1. */
static void exit_signal(void)
{
	signal(SIGUSR1, on_usr1);
	int r = raw_clone(SIGUSR1, NULL, NULL, 0);

	if (r == 0)
		_exit(6);
	sleep_ms(100);
	int st, w = waitpid(-1, &st, WNOHANG);
	ok_errno(w, ECHILD, "wait4 without __WCLONE does not see a clone child");
	ok(reap(r, __WCLONE) == 6, "wait4(__WCLONE) collects it");
	ok(usr1_seen == 1, "its exit sent the parent its exit signal (SIGUSR1 seen %d times)",
	   usr1_seen);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- CLONE_FS: working directory and umask, shared or copied ---- */

static char start_dir[256];

/* A fork-like child (own memory) changes directory and umask; with
 * CLONE_FS the parent sees both, without it neither. */
static void fs_changed_by_child(void)
{
	char now[256] = "";
	int r = raw_clone(CLONE_FS | SIGCHLD, NULL, NULL, 0);

	if (r == 0) {
		umask(077);
		_exit(chdir("/tmp") ? 1 : 0);
	}
	int code = r > 0 ? reap(r, 0) : -1;
	mode_t mask = umask(022);
	ok(code == 0 && getcwd(now, sizeof(now)) && !strcmp(now, "/tmp") && mask == 077,
	   "CLONE_FS: the child's chdir and umask are the parent's too (cwd %s, umask %03o)",
	   now, (unsigned)mask);
	if (chdir(start_dir))
		ktap_bail("chdir back");
	r = raw_clone(SIGCHLD, NULL, NULL, 0);
	if (r == 0) {
		umask(077);
		_exit(chdir("/tmp") ? 1 : 0);
	}
	code = r > 0 ? reap(r, 0) : -1;
	mask = umask(022);
	ok(code == 0 && getcwd(now, sizeof(now)) && !strcmp(now, start_dir) && mask == 022,
	   "without CLONE_FS the child changes only its own copy (cwd %s, umask %03o)",
	   now, (unsigned)mask);
}

/* The parent changes directory after a CLONE_FS clone: the child's next
 * relative create lands there, and its getcwd says so. */
static void fs_changed_by_parent(void)
{
	int go[2];
	char c;

	if (pipe(go))
		ktap_bail("pipe");
	unlink("/tmp/clone-fs.tmp");
	int r = raw_clone(CLONE_FS | SIGCHLD, NULL, NULL, 0);
	if (r == 0) {
		char now[256] = "";
		close(go[1]);
		(void)!read(go[0], &c, 1);       /* EOF: the parent moved */
		FILE *f = fopen("clone-fs.tmp", "w");
		_exit(f && getcwd(now, sizeof(now)) && !strcmp(now, "/tmp") ? 0 : 1);
	}
	close(go[0]);
	int moved = !chdir("/tmp");
	close(go[1]);
	int code = r > 0 ? reap(r, 0) : -1;
	ok(moved && code == 0 && access("/tmp/clone-fs.tmp", F_OK) == 0,
	   "CLONE_FS: the parent's chdir moves the child's relative paths (exit %d)", code);
	unlink("/tmp/clone-fs.tmp");
	if (chdir(start_dir))
		ktap_bail("chdir back");
}

static void errors(void)
{
	ok_errno(raw_clone(CLONE_SIGHAND | SIGCHLD, NULL, NULL, 0), EINVAL,
		 "CLONE_SIGHAND without CLONE_VM: EINVAL");
	ok_errno(raw_clone(CLONE_VM | CLONE_THREAD | SIGCHLD, NULL, NULL, 0), EINVAL,
		 "CLONE_THREAD without CLONE_SIGHAND: EINVAL");
	ok_errno(raw_clone(CLONE_FS | CLONE_NEWNS | SIGCHLD, NULL, NULL, 0), EINVAL,
		 "CLONE_FS with CLONE_NEWNS: EINVAL");
	/* A non-canonical FS base would fault the kernel's wrmsr at the
	 * child's first switch: refused, as arch_prctl refuses it. */
	ok_errno(raw_clone(CLONE_SETTLS | SIGCHLD, NULL, NULL, 0x8000000000000000UL), EPERM,
		 "CLONE_SETTLS with a non-canonical TLS base: EPERM");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child")) {
		sleep_ms(300);
		return 5;
	}
	ktap_plan("clone", 27);
	if (!getcwd(start_dir, sizeof(start_dir)))
		ktap_bail("getcwd");
	fork_like();
	parent_settid();
	child_settid();
	child_cleartid();
	cleartid_own_mm();
	test_vfork();
	vfork_exec(argv[0]);
	vm_vfork();
	settls();
	exit_signal();
	fs_changed_by_child();
	fs_changed_by_parent();
	errors();
	return ktap_done();
}
