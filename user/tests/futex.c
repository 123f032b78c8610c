/*
 * futex: futex(2) as Linux has it. WAIT and WAKE between two tasks that
 * share memory (a CLONE_VM child: private futex; a forked child on a
 * MAP_SHARED page: shared futex, keyed by the page, not the address),
 * EAGAIN when the word is not the value, ETIMEDOUT (relative for WAIT,
 * absolute for WAIT_BITSET on either clock), EINTR on a signal, EFAULT,
 * EINVAL, bitsets and REQUEUE.
 *
 * A waker cannot know when the other task sleeps, so it wakes again and
 * again (wake_until) until FUTEX_WAKE says it woke someone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* <linux/futex.h>'s values (musl has no such header) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

#define STACK_SIZE (64 * 1024)

static long futex(int *uaddr, int op, int val, const struct timespec *ts, int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* FUTEX_WAKE(op) every 10 ms until one waiter is woken (or 5 s pass):
 * how many were woken by the successful call (0 on time-out). */
static long wake_until(int *w, int op, int val3)
{
	for (int i = 0; i < 500; i++) {
		long n = futex(w, op, 1, NULL, NULL, val3);
		if (n != 0)
			return n;
		sleep_ms(10);
	}
	return 0;
}

static int exit_code(int pid, int options)
{
	int st;

	if (waitpid(pid, &st, options) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void basic_errors(void)
{
	static int word = 1;
	struct timespec ts = { 0, 100 * 1000000 };

	ok_errno(futex(&word, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN,
		 "WAIT on a word that is not the value: EAGAIN");
	uint64_t t0 = now_ms();
	long r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, &ts, NULL, 0);
	int e = errno;
	uint64_t took = now_ms() - t0;
	ok(r == -1 && e == ETIMEDOUT && took >= 90 && took < 2000,
	   "WAIT with a 100 ms relative timeout: ETIMEDOUT after %llu ms", (unsigned long long)took);
	ok_errno(futex((int *)8, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT,
		 "WAIT on an unmapped address: EFAULT");
	ok_errno(futex((int *)8, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT,
		 "private WAIT on an unmapped address: EFAULT");
	ok_errno(futex((int *)((char *)&word + 1), FUTEX_WAIT, 1, NULL, NULL, 0), EINVAL,
		 "WAIT on a misaligned address: EINVAL");
	ok_errno(futex(&word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0), EINVAL,
		 "WAIT_BITSET with an empty bitset: EINVAL");
	ok_errno(futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 1, &ts, NULL, 0), ENOSYS,
		 "FUTEX_CLOCK_REALTIME with plain WAIT: ENOSYS");
	ok(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0) == 0, "WAKE with nobody waiting wakes 0");
}

/* WAIT_BITSET's timeout is absolute, on the clock the op names. */
static void absolute_timeouts(void)
{
	static int word = 1;
	int clocks[2] = { CLOCK_MONOTONIC, CLOCK_REALTIME };

	for (int i = 0; i < 2; i++) {
		struct timespec ts;
		clock_gettime(clocks[i], &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000)
			ts.tv_sec++, ts.tv_nsec -= 1000000000;
		uint64_t t0 = now_ms();
		long r = futex(&word, FUTEX_WAIT_BITSET | (i ? FUTEX_CLOCK_REALTIME : 0), 1, &ts,
			       NULL, -1);
		int e = errno;
		uint64_t took = now_ms() - t0;
		ok(r == -1 && e == ETIMEDOUT && took >= 80 && took < 2000,
		   "WAIT_BITSET, absolute %s deadline 100 ms ahead: ETIMEDOUT after %llu ms",
		   i ? "CLOCK_REALTIME" : "CLOCK_MONOTONIC", (unsigned long long)took);
	}
}

static int vm_word;

/* A CLONE_VM child: waits on vm_word (private), exits 0 if woken. Its
 * limit is 10 s (WAIT_BITSET's is absolute: 10 s from now). */
static int private_waiter(void *arg)
{
	int op = (int)(intptr_t)arg;
	struct timespec ts = { 10, 0 };

	if ((op & ~FUTEX_PRIVATE_FLAG) == FUTEX_WAIT_BITSET) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 10;
	}
	long r = futex(&vm_word, op, 0, &ts, NULL, 1);

	return r == 0 && __atomic_load_n(&vm_word, __ATOMIC_SEQ_CST) == 1 ? 0 : 1;
}

static int start_vm_child(int (*fn)(void *), void *arg)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));

	return clone(fn, stack + STACK_SIZE, CLONE_VM | SIGCHLD, arg);
}

static void private_wake(void)
{
	vm_word = 0;
	int pid = start_vm_child(private_waiter, (void *)(intptr_t)(FUTEX_WAIT | FUTEX_PRIVATE_FLAG));
	sleep_ms(50);
	__atomic_store_n(&vm_word, 1, __ATOMIC_SEQ_CST);
	long n = wake_until(&vm_word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 0);
	ok(n == 1, "private WAKE wakes the CLONE_VM child's WAIT (woke %ld)", n);
	ok(exit_code(pid, 0) == 0, "the child's WAIT returned 0 and saw the new value");
}

/* A waiter with bitset 1: WAKE_BITSET with bitset 2 leaves it, 1 wakes it. */
static void bitsets(void)
{
	vm_word = 0;
	int pid = start_vm_child(private_waiter,
				 (void *)(intptr_t)(FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG));
	sleep_ms(100);
	long other = futex(&vm_word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 2);
	__atomic_store_n(&vm_word, 1, __ATOMIC_SEQ_CST);
	long n = wake_until(&vm_word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1);
	ok(other == 0 && n == 1, "WAKE_BITSET wakes only a waiter whose bitset meets its own "
	   "(bitset 2 woke %ld, bitset 1 woke %ld)", other, n);
	ok(exit_code(pid, 0) == 0, "... and that waiter returns 0");
}

/* A waiter on vm_word is moved to word2 by REQUEUE, then woken there. */
static void requeue(void)
{
	static int word2;

	vm_word = 0;
	int pid = start_vm_child(private_waiter, (void *)(intptr_t)(FUTEX_WAIT | FUTEX_PRIVATE_FLAG));
	long moved = 0;
	for (int i = 0; i < 500 && !moved; i++, sleep_ms(10))
		moved = syscall(SYS_futex, &vm_word, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, 1,
				&word2, 0);
	long stale = futex(&vm_word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	__atomic_store_n(&vm_word, 1, __ATOMIC_SEQ_CST);
	long n = futex(&word2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	ok(moved == 1 && stale == 0 && n == 1,
	   "REQUEUE moves the waiter to the second word (moved %ld, left %ld, woken there %ld)",
	   moved, stale, n);
	ok(exit_code(pid, 0) == 0, "... whose WAIT then returns 0");
}

/* Fork: the child waits on a MAP_SHARED word (a shared futex), mapped at
 * another address too, and the parent wakes it through its own mapping. */
static void shared_across_fork(void)
{
	int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (w == MAP_FAILED)
		ktap_bail("mmap");
	*w = 0;
	int pid = fork();
	if (pid == 0) {
		struct timespec ts = { 10, 0 };
		long r = futex(w, FUTEX_WAIT, 0, &ts, NULL, 0);
		_exit(r == 0 && *w == 1 ? 0 : 1);
	}
	sleep_ms(50);
	__atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
	long n = wake_until(w, FUTEX_WAKE, 0);
	ok(n == 1, "shared futex on MAP_SHARED memory: the parent's WAKE reaches the forked child");
	ok(exit_code(pid, 0) == 0, "... whose WAIT returns 0 and sees the new value");
	munmap(w, 4096);
}

static volatile int usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

/* A signal with a handler (no SA_RESTART) ends a WAIT with EINTR. */
static void interrupted(void)
{
	static int word;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	int parent = getpid(), pid = fork();
	if (pid == 0) {
		sleep_ms(150);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct timespec ts = { 5, 0 };
	uint64_t t0 = now_ms();
	long r = futex(&word, FUTEX_WAIT, 0, &ts, NULL, 0);
	int e = errno;
	uint64_t took = now_ms() - t0;
	ok(r == -1 && e == EINTR && usr1 == 1 && took < 4000,
	   "a signal ends WAIT with EINTR (after %llu ms, handler ran %d times)",
	   (unsigned long long)took, usr1);
	exit_code(pid, 0);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	ktap_plan("futex", 19);
	basic_errors();
	absolute_timeouts();
	private_wake();
	bitsets();
	requeue();
	shared_across_fork();
	interrupted();
	return ktap_done();
}
