/*
 * threads: POSIX threads on clone(CLONE_THREAD...) and futexes. Built
 * twice: with musl (this file, /tests/threads) and with glibc
 * (user/glibc/threads-glibc.c includes it: /tests/threads-glibc), whose
 * pthread_create, mutexes and condition variables use other clone flags
 * and futex operations than musl's.
 *
 * Two threads are pinned to CPUs of different nodes where there are two
 * (sched_setaffinity(0) pins the calling thread): a counter under a
 * mutex, a condition variable, exit and join, a page made read-only by
 * one thread while the other writes it in a loop (the writer must fault
 * at once: no write may land after mprotect returned, which a stale TLB
 * entry on the writer's CPU would let through; user/lib/segvwriter.h),
 * fork from a threaded process, exit_group and a fatal signal from a
 * thread (the whole process ends), exec from a thread other than the main
 * one, thread stacks given back, and move_pages of the pages each thread
 * touched. Signals, signal waits and timers among threads are threadsig's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "segvwriter.h"

#define NTHREADS 4
#define INCREMENTS 20000
#define PAGE 4096

static int cpu_a = 0, cpu_b = 0, node_b = -1;   /* CPUs to pin to; cpu_b's node */

/* nanosleep(2) itself: glibc's nanosleep() is clock_nanosleep(2). */
/* nanosleep by its system call, not the C library's wrapper */
static void sys_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	syscall(SYS_nanosleep, &ts, NULL);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* cpu_a: the first CPU we may use; cpu_b: the first one on another node
 * (node1's cpulist), else the second CPU we may use. */
static void choose_cpus(void)
{
	cpu_set_t s;
	char buf[64];
	int n = 0;

	sched_getaffinity(0, sizeof(s), &s);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &s) && n++ < 2)
			*(n == 1 ? &cpu_a : &cpu_b) = c;
	if (read_file("/sys/devices/system/node/node1/cpulist", buf, sizeof(buf)) > 0 &&
	    buf[0] >= '0' && buf[0] <= '9') {
		int c = atoi(buf);
		if (CPU_ISSET(c, &s) && c != cpu_a) {
			cpu_b = c;
			node_b = 1;
		}
	}
}

/* ---- ids, mutex, condition variable, join ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;
static pid_t thread_pid, thread_tid;

static void *counting(void *arg)
{
	pin((intptr_t)arg % 2 ? cpu_b : cpu_a);
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return (void *)(intptr_t)((intptr_t)arg + 100);
}

static void *ids(void *arg)
{
	(void)arg;
	thread_pid = getpid();
	thread_tid = gettid_();
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void basics(void)
{
	pthread_t t[NTHREADS];
	int joined = 0;

	pthread_create(&t[0], NULL, ids, NULL);
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	pthread_join(t[0], NULL);
	ok(thread_pid == getpid() && thread_tid != gettid_() && thread_tid > 0,
	   "a thread has the process's pid (%d) and its own tid (%d)", thread_pid, thread_tid);
	ok(ready == 1, "pthread_cond_wait returns once the thread signals");
	for (intptr_t i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, counting, (void *)i);
	for (intptr_t i = 0; i < NTHREADS; i++) {
		void *ret;
		joined += pthread_join(t[i], &ret) == 0 && ret == (void *)(i + 100);
	}
	ok(joined == NTHREADS, "%d threads on CPUs %d and %d exit and are joined with their "
	   "values", joined, cpu_a, cpu_b);
	ok(counter == (long)NTHREADS * INCREMENTS, "the counter under a mutex is %ld (want %ld)",
	   counter, (long)NTHREADS * INCREMENTS);
}

/* ---- mprotect while another thread writes ---- */

static void mprotect_race(void)
{
	struct segv_writer w;
	volatile uint64_t *wpage = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	pin(cpu_a);
	if (segv_writer_start(&w, wpage, cpu_b, 100000))
		ktap_bail("pthread_create");
	int r = mprotect((void *)wpage, PAGE, PROT_READ);
	uint64_t at = wpage[0], t0 = now_ms();
	int faulted = segv_writer_wait(&w, 5000);
	sys_sleep_ms(20);
	uint64_t later = wpage[0];
	ok(r == 0 && faulted, "the writer on CPU %d gets SIGSEGV once another thread made its "
	   "page read-only (%llu ms)", cpu_b, (unsigned long long)(now_ms() - t0));
	ok(later == at, "no write lands after mprotect returned (value %llu then %llu)",
	   (unsigned long long)at, (unsigned long long)later);
	segv_writer_end(&w);
	munmap((void *)wpage, PAGE);
}

/* ---- whole-process endings, fork, exec ---- */

static void *spin_forever(void *arg)
{
	(void)arg;
	for (;;)
		sys_sleep_ms(10);
	return NULL;
}

static void *exit_from_thread(void *arg)
{
	(void)arg;
	sys_sleep_ms(50);
	exit(42);                 /* exit_group: every thread */
	return NULL;
}

static void *fork_from_thread(void *arg)
{
	(void)arg;
	pid_t c = fork();

	if (c == 0) {                 /* one thread: this one's copy */
		pthread_t t;
		void *ret = NULL;
		int ok_ = pthread_create(&t, NULL, ids, NULL) == 0 &&
			  pthread_join(t, &ret) == 0 && thread_pid == getpid();
		_exit(ok_ ? 7 : 1);
	}
	int st;
	return (void *)(intptr_t)(waitpid(c, &st, 0) == c && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static char *self_path;

static void *exec_from_thread(void *arg)
{
	char pid[16];

	(void)arg;
	snprintf(pid, sizeof(pid), "%d", getpid());
	execl(self_path, self_path, "exec-child", pid, (char *)NULL);
	return NULL;
}

/* Run fn in a thread of a new process whose main thread sleeps on; the
 * new process's wait status. */
static int in_threaded_child(void *(*fn)(void *), int sig)
{
	pid_t c = fork();

	if (c == 0) {
		pthread_t t[2];
		pthread_create(&t[0], NULL, spin_forever, NULL);
		if (fn)
			pthread_create(&t[1], NULL, fn, NULL);
		for (;;)
			sys_sleep_ms(10);
	}
	if (sig) {
		sys_sleep_ms(100);
		kill(c, sig);
	}
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

static void *exit_later(void *arg)
{
	(void)arg;
	sys_sleep_ms(300);
	exit(6);
	return NULL;
}

/* The main thread leaves first (pthread_exit): the process lives on in
 * its other thread, and wait4 must not take it until that one ends. */
static void leader_first(void)
{
	pid_t c = fork();

	if (c == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exit_later, NULL);
		pthread_exit(NULL);
	}
	sys_sleep_ms(100);
	int st = -1, early = waitpid(c, &st, WNOHANG);
	int done = waitpid(c, &st, 0);
	ok(early == 0 && done == c && WIFEXITED(st) && WEXITSTATUS(st) == 6,
	   "main thread gone first: the process waits for its last thread (%d, 0x%x)", early, st);
}

static void endings(void)
{
	leader_first();
	int st = in_threaded_child(exit_from_thread, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 42,
	   "exit (exit_group) from a thread ends the whole process: status 0x%x", st);
	st = in_threaded_child(NULL, SIGTERM);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	   "a fatal signal ends every thread: status 0x%x", st);
	st = in_threaded_child(exec_from_thread, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 9,
	   "exec from a thread: the other threads end, the program keeps the pid (0x%x)", st);
	pthread_t t;
	void *ret;
	pthread_create(&t, NULL, fork_from_thread, NULL);
	pthread_join(t, &ret);
	ok((intptr_t)ret == 7, "fork from a thread: the child has one thread and can make more");
}

/* ---- stacks given back; move_pages ---- */

static int count_maps(void)
{
	static char buf[65536];
	int n = 0;

	if (read_file("/proc/self/maps", buf, sizeof(buf)) < 0)
		return -1;
	for (char *s = buf; *s; s++)
		n += *s == '\n';
	return n;
}

static void *nothing(void *arg)
{
	return arg;
}

static void stacks(void)
{
	pthread_t t;
	int before = count_maps(), high = before;

	for (int i = 0; i < 64; i++) {
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
		int n = count_maps();
		high = n > high ? n : high;
	}
	ok(before > 0 && high <= before + 4,
	   "64 threads made and joined in turn: at most %d mappings (%d before)", high, before);
}

static char *node_pages;
static volatile int touched;

static void *toucher(void *arg)
{
	int i = (int)(intptr_t)arg;

	pin(i ? cpu_b : cpu_a);
	node_pages[i * PAGE] = 1;             /* first touch: on this CPU's node */
	__atomic_fetch_add(&touched, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void pages_on_two_nodes(void)
{
	pthread_t t[2];
	void *pages[2];
	int status[2] = { -1, -1 }, to[2] = { 0, 0 };

	if (node_b < 0) {
		skip("one node", "move_pages: each thread's page on its node");
		skip("one node", "move_pages moves both to node 0");
		return;
	}
	node_pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (intptr_t i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, toucher, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pages[0] = node_pages;
	pages[1] = node_pages + PAGE;
	long r = syscall(SYS_move_pages, 0, 2, pages, NULL, status, 0);
	ok(r == 0 && status[0] == 0 && status[1] == node_b,
	   "move_pages: each thread's page on its node (%d, %d)", status[0], status[1]);
	r = syscall(SYS_move_pages, 0, 2, pages, to, status, 0);
	int where[2] = { -1, -1 };
	syscall(SYS_move_pages, 0, 2, pages, NULL, where, 0);
	ok(r == 0 && where[0] == 0 && where[1] == 0, "move_pages moves both to node 0 (%d, %d)",
	   where[0], where[1]);
	munmap(node_pages, 2 * PAGE);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exec-child"))
		return getpid() == atoi(argv[2]) ? 9 : 1;
	self_path = argv[0];
	choose_cpus();
	ktap_plan("threads", 14);
	diag("CPUs %d and %d (node of the second: %d)", cpu_a, cpu_b, node_b);
	basics();
	mprotect_race();
	endings();
	stacks();
	pages_on_two_nodes();
	return ktap_done();
}
