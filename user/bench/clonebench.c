/*
 * clonebench: what a task costs to make and to wake.
 *
 *   fork+wait        fork(), the child _exits, the parent waits
 *   vfork+wait       the same with vfork() (no copy of the address space)
 *   thread+join      pthread_create of a thread that returns, pthread_join
 *   futex ping-pong  two threads hand a word back and forth with
 *                    FUTEX_WAIT/FUTEX_WAKE (private): one round trip is two
 *                    wake-ups; on one node, then on CPUs of two nodes
 *
 * Prints one line per measure: "clonebench: NAME N iterations, X us each".
 * `clonebench ITER` sets the iteration count (default 200).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void report(const char *name, int n, uint64_t ns)
{
	printf("clonebench: %-24s %6d iterations, %8.1f us each\n", name, n, ns / 1000.0 / n);
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void bench_fork(int n, int use_vfork)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		pid_t c = use_vfork ? vfork() : fork();
		if (c == 0)
			_exit(0);
		waitpid(c, NULL, 0);
	}
	report(use_vfork ? "vfork+wait" : "fork+wait", n, now_ns() - t0);
}

static void *nothing(void *arg)
{
	return arg;
}

static void bench_threads(int n)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	}
	report("thread+join", n, now_ns() - t0);
}

static int word;          /* 0: the main thread's turn, 1: the partner's */
static int rounds, partner_cpu;

static void hand_over(int mine, int theirs)
{
	while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != mine)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, theirs, NULL, NULL, 0);
}

static void *partner(void *arg)
{
	(void)arg;
	pin(partner_cpu);
	for (int i = 0; i < rounds; i++) {
		hand_over(1, 0);
		__atomic_store_n(&word, 0, __ATOMIC_RELEASE);
		syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

static void bench_pingpong(int n, int cpu_a, int cpu_b, const char *name)
{
	pthread_t t;

	word = 0;
	rounds = n;
	partner_cpu = cpu_b;
	pin(cpu_a);
	pthread_create(&t, NULL, partner, NULL);
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		__atomic_store_n(&word, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		hand_over(0, 1);
	}
	report(name, n, now_ns() - t0);
	pthread_join(t, NULL);
}

/* The first CPU of node `node` that we may use, or -1. */
static int node_cpu(int node)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	if (read_file(path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	return atoi(buf);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	int a = node_cpu(0) < 0 ? 0 : node_cpu(0), b = node_cpu(1);

	bench_fork(n, 0);
	bench_fork(n, 1);
	bench_threads(n);
	bench_pingpong(n, a, a + 1, "futex ping-pong, node 0");
	if (b >= 0) {
		bench_pingpong(n, b, b + 1, "futex ping-pong, node 1");
		bench_pingpong(n, a, b, "futex ping-pong, 2 nodes");
	}
	return 0;
}
