/*
 * sigshared: a process has two sets of pending signals, as Linux keeps
 * them. kill() puts a signal in the process's set (/proc/PID/status
 * ShdPnd), where any of its threads may take it; tgkill() and faults put
 * one in a thread's own set (SigPnd), for that thread only.
 *
 * Two threads, both blocking SIGUSR1 and SIGUSR2:
 *   - kill(SIGUSR1) to the process: both threads see it in sigpending,
 *     ShdPnd shows it, SigPnd does not;
 *   - the second thread unblocks SIGUSR1: its handler runs in that thread,
 *     and the signal is pending nowhere any more;
 *   - tgkill(SIGUSR2) to the main thread: only the main thread sees it
 *     pending; the other thread unblocking SIGUSR2 does not take it;
 *   - kill(SIGUSR1) again while the second thread waits in sigwaitinfo:
 *     it takes it although the main thread, which blocks it too, was named.
 * Runs on Linux too.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define NCHECKS 11

static volatile pid_t handled_in;   /* the thread whose handler ran */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int step, done;              /* main -> thread, thread -> main */
static pid_t other_tid;
static int other_saw_usr1, other_saw_usr2, waited_sig;

static pid_t tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void on_usr(int sig)
{
	(void)sig;
	handled_in = tid();
}

static bool pending(int sig)
{
	sigset_t s;

	return sigpending(&s) == 0 && sigismember(&s, sig);
}

/* The hex mask on line `name` of /proc/self/status (the main thread's). */
static unsigned long long status_mask(const char *name)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':')
			v = strtoull(line + strlen(name) + 1, NULL, 16);
	fclose(f);
	return v;
}

/* Wait until *v reaches want; set *v to val and wake the waiters. The two
 * threads hand each other steps this way (step: main -> other, done:
 * other -> main). */
static void wait_for(int *v, int want)
{
	pthread_mutex_lock(&lock);
	while (*v < want)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void set_to(int *v, int val)
{
	pthread_mutex_lock(&lock);
	*v = val;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void unblock(int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void *other(void *arg)
{
	sigset_t s;
	siginfo_t si;
	(void)arg;

	other_tid = tid();
	set_to(&done, 1);
	wait_for(&step, 1);                 /* SIGUSR1 sent to the process */
	other_saw_usr1 = pending(SIGUSR1);
	unblock(SIGUSR1);                   /* taken here, now */
	set_to(&done, 2);
	wait_for(&step, 2);                 /* SIGUSR2 sent to the main thread */
	other_saw_usr2 = pending(SIGUSR2);
	unblock(SIGUSR2);                   /* not ours: nothing runs */
	set_to(&done, 3);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	set_to(&done, 4);
	waited_sig = sigwaitinfo(&s, &si);  /* step 3 sends it */
	set_to(&done, 5);
	return NULL;
}

int main(void)
{
	sigset_t s;
	pthread_t t;
	pid_t me = tid();

	ktap_plan("sigshared", NCHECKS);
	signal(SIGUSR1, on_usr);
	signal(SIGUSR2, on_usr);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL);   /* the thread inherits it */
	if (pthread_create(&t, NULL, other, NULL))
		ktap_bail("pthread_create");
	wait_for(&done, 1);

	kill(getpid(), SIGUSR1);
	ok(pending(SIGUSR1), "kill to the process: pending in the main thread");
	ok((status_mask("ShdPnd") & 0x200) && !(status_mask("SigPnd") & 0x200),
	   "status: in ShdPnd (%llx), not in SigPnd (%llx)", status_mask("ShdPnd"),
	   status_mask("SigPnd"));
	set_to(&step, 1);
	wait_for(&done, 2);
	ok(other_saw_usr1, "... and in the other thread, which also blocks it");
	ok(handled_in == other_tid, "the other thread unblocks it: its handler runs there");
	ok(!pending(SIGUSR1) && !(status_mask("ShdPnd") & 0x200),
	   "then it is pending nowhere");

	handled_in = 0;
	syscall(SYS_tgkill, getpid(), me, SIGUSR2);
	ok(pending(SIGUSR2) && (status_mask("SigPnd") & 0x800) && !(status_mask("ShdPnd") & 0x800),
	   "tgkill to the main thread: pending there, in SigPnd");
	set_to(&step, 2);
	wait_for(&done, 3);
	ok(!other_saw_usr2, "not pending in the other thread");
	ok(handled_in == 0 && pending(SIGUSR2), "the other unblocking it does not take it");

	wait_for(&done, 4);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);               /* let it reach sigwaitinfo */
	kill(getpid(), SIGUSR1);
	wait_for(&done, 5);
	ok(waited_sig == SIGUSR1, "kill while the other waits in sigwaitinfo: it takes it");
	ok(!pending(SIGUSR1), "and it is pending nowhere then");
	pthread_join(t, NULL);
	handled_in = 0;
	unblock(SIGUSR2);
	ok(handled_in == me, "the main thread unblocks SIGUSR2: its handler runs there");
	return ktap_done();
}
