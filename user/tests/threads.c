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
 * entry on the writer's CPU would let through), a signal to the process
 * taken by the thread that does not block it, tgkill, fork from a
 * threaded process, exit_group and a fatal signal from a thread (the whole
 * process ends), exec from a thread other than the main one, thread
 * stacks given back, and move_pages of the pages each thread touched.
 * Signal waits and timers in one thread of several, as Linux: an
 * ITIMER_REAL armed by a thread is the process's (another thread reads
 * it; it fires after that thread exited, in the thread that does not
 * block SIGALRM), sigtimedwait and sigsuspend in one thread take a signal
 * sent to the process while another runs, poll in one thread wakes on
 * another's write, and an SA_RESTART handler restarts a thread's read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
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

/* ---- signals: to the process, to one thread ---- */

static volatile pid_t usr1_tid;
static volatile int usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = gettid_();
	usr1_count++;
}

static volatile int stop_waiter;
static volatile pid_t waiter_tid;

static void *sig_waiter(void *arg)
{
	(void)arg;
	waiter_tid = gettid_();
	while (!stop_waiter)
		sys_sleep_ms(5);
	return NULL;
}

static void signals(void)
{
	struct sigaction sa;
	sigset_t usr1, old;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_create(&t, NULL, sig_waiter, NULL);
	while (!waiter_tid)
		sys_sleep_ms(1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);        /* main blocks it */
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 500 && !usr1_count; i++)
		sys_sleep_ms(2);
	ok(usr1_count == 1 && usr1_tid == waiter_tid,
	   "kill(getpid()) is taken by the thread that does not block it (tid %d, want %d)",
	   usr1_tid, waiter_tid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	usr1_count = 0;
	syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);
	for (int i = 0; i < 500 && !usr1_count; i++)
		sys_sleep_ms(2);
	ok(usr1_count == 1 && usr1_tid == waiter_tid, "tgkill reaches the thread named");
	ok_errno(syscall(SYS_tgkill, getpid() + 100000, waiter_tid, SIGUSR1), ESRCH,
		 "tgkill with the wrong process id: ESRCH");
	stop_waiter = 1;
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);
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

/* ---- signal waits, timers, poll and restarts in one thread of many ---- */

/* sigaction with flags, no mask. */
static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigaction(sig, &sa, NULL);
}

static volatile pid_t alrm_tid;

static void on_alrm(int sig)
{
	(void)sig;
	alrm_tid = gettid_();
}

static void block(int how, int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

/* Arms a 200 ms ITIMER_REAL and exits: the timer is the process's. */
static void *arm_and_exit(void *arg)
{
	struct itimerval v = { { 0, 0 }, { 0, 200000 } };

	(void)arg;
	setitimer(ITIMER_REAL, &v, NULL);
	return NULL;
}

/* Waits for SIGALRM with it unblocked (the other threads block it). */
static void *alrm_taker(void *arg)
{
	(void)arg;
	block(SIG_UNBLOCK, SIGALRM);
	for (int i = 0; i < 200 && !alrm_tid; i++)
		sys_sleep_ms(10);
	return (void *)(long)syscall(SYS_gettid);
}

static void check_thread_alarm(void)
{
	pthread_t a, b;
	struct itimerval v;
	void *taker;

	handle(SIGALRM, on_alrm, 0);
	block(SIG_BLOCK, SIGALRM);           /* the new threads inherit it */
	alrm_tid = 0;
	pthread_create(&b, NULL, alrm_taker, NULL);
	pthread_create(&a, NULL, arm_and_exit, NULL);
	pthread_join(a, NULL);
	getitimer(ITIMER_REAL, &v);
	ok(v.it_value.tv_sec || v.it_value.tv_usec,
	   "a timer armed by a thread shows in another's getitimer: %ld us",
	   (long)v.it_value.tv_usec);
	pthread_join(b, &taker);
	ok(alrm_tid && alrm_tid == (pid_t)(long)taker,
	   "its SIGALRM, after that thread exited, ran in the one thread not blocking it");
	unsigned left = alarm(5);
	pthread_create(&a, NULL, arm_and_exit, NULL);   /* replaces the alarm */
	pthread_join(a, NULL);
	left = alarm(0);
	ok(left == 1, "alarm() is per process: another thread's setitimer replaced it (%u)", left);
	block(SIG_UNBLOCK, SIGALRM);
	signal(SIGALRM, SIG_DFL);
}

static volatile int waited_sig = -2;

static void *sigtimedwaiter(void *arg)
{
	sigset_t s;
	struct timespec ts = { 3, 0 };

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	waited_sig = sigtimedwait(&s, NULL, &ts);
	return NULL;
}

static volatile pid_t suspend_usr1_tid;

static void on_suspend_usr1(int sig)
{
	(void)sig;
	suspend_usr1_tid = gettid_();
}

static volatile pid_t suspender_tid;

/* sigsuspend with SIGUSR1 unblocked; the other threads block it. */
static void *suspender(void *arg)
{
	sigset_t none;

	(void)arg;
	suspender_tid = gettid_();
	sigemptyset(&none);
	sigsuspend(&none);
	return NULL;
}

static volatile int spin_stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

static void check_thread_waits(void)
{
	pthread_t w, s;

	handle(SIGUSR1, on_suspend_usr1, 0);
	block(SIG_BLOCK, SIGUSR1);           /* every thread made from now on */
	block(SIG_BLOCK, SIGUSR2);           /* blocks both */
	pthread_create(&s, NULL, spinner, NULL);         /* another thread runs meanwhile */
	pthread_create(&w, NULL, sigtimedwaiter, NULL);
	sys_sleep_ms(100);
	kill(getpid(), SIGUSR2);             /* to the process; every thread blocks it */
	pthread_join(w, NULL);
	ok(waited_sig == SIGUSR2, "sigtimedwait in one thread takes a signal sent to the process: %d",
	   waited_sig);

	suspend_usr1_tid = 0;
	pthread_create(&w, NULL, suspender, NULL);
	sys_sleep_ms(100);
	kill(getpid(), SIGUSR1);
	pthread_join(w, NULL);
	ok(suspend_usr1_tid && suspend_usr1_tid == suspender_tid,
	   "sigsuspend in one thread: the process's SIGUSR1 runs its handler there");
	spin_stop = 1;
	pthread_join(s, NULL);
	block(SIG_UNBLOCK, SIGUSR1);
	block(SIG_UNBLOCK, SIGUSR2);
	signal(SIGUSR1, SIG_DFL);
}

static int poll_pipe[2];
static volatile int poll_result = -2, read_result = -2;

static void *poller(void *arg)
{
	struct pollfd pfd = { poll_pipe[0], POLLIN, 0 };

	(void)arg;
	poll_result = poll(&pfd, 1, 3000) == 1 && (pfd.revents & POLLIN);
	return NULL;
}

static void *reader(void *arg)
{
	char c;

	(void)arg;
	read_result = (int)read(poll_pipe[0], &c, 1);
	return NULL;
}

static void on_restart(int sig) { (void)sig; }

static void check_thread_poll_restart(void)
{
	pthread_t w;

	pipe(poll_pipe);
	pthread_create(&w, NULL, poller, NULL);
	sys_sleep_ms(100);
	write(poll_pipe[1], "x", 1);
	pthread_join(w, NULL);
	ok(poll_result == 1, "poll in one thread wakes when another writes the pipe");
	char c;
	read(poll_pipe[0], &c, 1);

	handle(SIGUSR1, on_restart, SA_RESTART);
	pthread_create(&w, NULL, reader, NULL);
	sys_sleep_ms(100);
	pthread_kill(w, SIGUSR1);            /* a handler in the reading thread */
	sys_sleep_ms(100);
	write(poll_pipe[1], "y", 1);
	pthread_join(w, NULL);
	ok(read_result == 1, "SA_RESTART: a thread's read interrupted by a handler goes on: %d",
	   read_result);
	signal(SIGUSR1, SIG_DFL);
	close(poll_pipe[0]), close(poll_pipe[1]);
}


int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exec-child"))
		return getpid() == atoi(argv[2]) ? 9 : 1;
	self_path = argv[0];
	choose_cpus();
	ktap_plan("threads", 24);
	diag("CPUs %d and %d (node of the second: %d)", cpu_a, cpu_b, node_b);
	basics();
	mprotect_race();
	signals();
	endings();
	stacks();
	pages_on_two_nodes();
	check_thread_alarm();
	check_thread_waits();
	check_thread_poll_restart();
	return ktap_done();
}
