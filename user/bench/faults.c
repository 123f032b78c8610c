/*
 * faults: what page faults and fork cost, in rdtsc cycles (under QEMU
 * -icount shift=0 the TSC counts guest time at 1 GHz, so cycles repeat
 * exactly). Prints `bench: NAME VALUE` lines for tests/bench.py.
 *
 *   anon_fault      first touch of an anonymous page (demand-zero fault)
 *   shm_fault       first touch of a page of shared anonymous memory (a
 *                   page-cache miss on its shmem object: a zeroed page)
 *   shm_refault     a touch of the same page after MADV_DONTNEED (found in
 *                   the object's page cache, mapped again)
 *   cow_fault       a child's first write to a page it shares with its parent
 *   fork_16m/64m    fork() of a process with 16 / 64 MiB of touched memory,
 *                   as the parent sees it (the child waits on a pipe)
 *   exit_16m/64m    the child's exit plus wait4, same 16 / 64 MiB process
 *
 * Each figure is the smallest of ROUNDS runs (the least disturbed).
 * The same binary runs on Linux for comparison.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PAGE 4096
#define ROUNDS 3

static uint64_t anon_fault(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t0 = rdtsc();

	for (size_t i = 0; i < bytes; i += PAGE)
		p[i] = 1;
	uint64_t per = (rdtsc() - t0) / (bytes / PAGE);
	munmap(p, bytes);
	return per;
}

/* Shared anonymous memory: cycles per page of the first touch, and of a
 * touch after MADV_DONTNEED dropped the mappings (not the pages). */
static void shm_faults(size_t bytes, uint64_t *first, uint64_t *again)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t0 = rdtsc();

	for (size_t i = 0; i < bytes; i += PAGE)
		p[i] = 1;
	*first = (rdtsc() - t0) / (bytes / PAGE);
	madvise(p, bytes, MADV_DONTNEED);
	t0 = rdtsc();
	for (size_t i = 0; i < bytes; i += PAGE)
		p[i] = 2;
	*again = (rdtsc() - t0) / (bytes / PAGE);
	munmap(p, bytes);
}

/* The child writes every page once; it reports its cycles through a pipe. */
static uint64_t cow_fault(size_t bytes)
{
	char *p = touch_anon(bytes);
	int fds[2];
	uint64_t per = 0;

	pipe(fds);
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t t0 = rdtsc();
		for (size_t i = 0; i < bytes; i += PAGE)
			p[i] = 2;
		per = (rdtsc() - t0) / (bytes / PAGE);
		write(fds[1], &per, sizeof(per));
		_exit(0);
	}
	read(fds[0], &per, sizeof(per));
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	munmap(p, bytes);
	return per;
}

/* fork: until fork returns in the parent; exit: from releasing the child
 * to wait4 returning. The child waits on a pipe, so that its exit is never
 * inside the fork figure (whichever of the two runs first). */
static void fork_exit(size_t bytes, uint64_t *fork_cost, uint64_t *exit_cost)
{
	char *p = touch_anon(bytes), c;
	int gate[2];

	if (pipe(gate))
		exit(1);
	uint64_t t0 = rdtsc();
	pid_t pid = fork();

	if (pid == 0) {
		close(gate[1]);
		(void)!read(gate[0], &c, 1);
		_exit(0);
	}
	uint64_t t1 = rdtsc();
	close(gate[1]);
	waitpid(pid, NULL, 0);
	*fork_cost = t1 - t0;
	*exit_cost = rdtsc() - t1;
	close(gate[0]);
	munmap(p, bytes);
}

static uint64_t min3(uint64_t (*fn)(size_t), size_t bytes)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < ROUNDS; i++) {
		uint64_t v = fn(bytes);
		best = v < best ? v : best;
	}
	return best;
}

int main(void)
{
	uint64_t f16 = UINT64_MAX, f64 = UINT64_MAX, e16 = UINT64_MAX, e64 = UINT64_MAX, f, e;

	printf("bench: anon_fault %llu\n", (unsigned long long)min3(anon_fault, 16 << 20));
	printf("bench: cow_fault %llu\n", (unsigned long long)min3(cow_fault, 16 << 20));
	uint64_t s1 = UINT64_MAX, s2 = UINT64_MAX;
	for (int i = 0; i < ROUNDS; i++) {
		shm_faults(16 << 20, &f, &e);
		s1 = f < s1 ? f : s1;
		s2 = e < s2 ? e : s2;
	}
	printf("bench: shm_fault %llu\n", (unsigned long long)s1);
	printf("bench: shm_refault %llu\n", (unsigned long long)s2);
	for (int i = 0; i < ROUNDS; i++) {
		fork_exit(16 << 20, &f, &e);
		f16 = f < f16 ? f : f16;
		e16 = e < e16 ? e : e16;
		fork_exit(64 << 20, &f, &e);
		f64 = f < f64 ? f : f64;
		e64 = e < e64 ? e : e64;
	}
	printf("bench: fork_16m %llu\n", (unsigned long long)f16);
	printf("bench: fork_64m %llu\n", (unsigned long long)f64);
	printf("bench: exit_16m %llu\n", (unsigned long long)e16);
	printf("bench: exit_64m %llu\n", (unsigned long long)e64);
	return 0;
}
