/*
 * rmapbench: what the reverse map costs and what it saves (tests/bench.py
 * boots it with and without rmap=scan, under QEMU -icount shift=0, where
 * rdtsc counts guest time at 1 GHz: "cycles" below are rdtsc deltas).
 *
 *   move K N     N pages shared copy-on-write by K processes are moved to
 *                node 1 and back with move_pages(MPOL_MF_MOVE_ALL)
 *   unrelated U N  the same with K = 1 while U other processes each have
 *                4 MiB of their own mapped
 *   chains       a process with 16 MiB touched forks 32 children: the
 *                pte_chain memory per mapping and as a share of RAM
 *   fork         fork, and exit, of a process with 64 MiB touched
 *   fork2        the same while an earlier child still shares all of it
 *                (every page gets its third mapping: with pte_chains, a
 *                block each)
 *
 * Each prints one "bench: ..." line. Runs on Linux too (node 1 must exist
 * for move and unrelated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096L
#define MPOL_MF_MOVE_ALL 4

/* Children that wait (holding whatever they inherited) until released:
 * each says "ready" on one pipe, then blocks reading the gate. */
static int gate[2], ready[2];

static void spawn(int n, long own_bytes)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(gate[1]);
			if (own_bytes)
				touch_anon(own_bytes);
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			(void)!read(gate[0], &c, 1);
			_exit(0);
		}
		if (pid < 0) {
			perror("fork");
			exit(1);
		}
	}
	for (int i = 0; i < n; i++) {
		char c;
		if (read(ready[0], &c, 1) != 1)
			exit(1);
	}
}

static void release(int n)
{
	close(gate[1]);
	close(gate[0]);
	close(ready[0]);
	close(ready[1]);
	for (int i = 0; i < n; i++)
		wait(NULL);
}

/* Cycles per page to move n pages at p to node (all must succeed). */
static unsigned long move_cost(char *p, long n, int node)
{
	void **pages = malloc(n * sizeof(void *));
	int *nodes = malloc(n * sizeof(int)), *status = malloc(n * sizeof(int));

	for (long i = 0; i < n; i++) {
		pages[i] = p + i * PG;
		nodes[i] = node;
	}
	unsigned long t0 = rdtsc();
	long r = syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE_ALL);
	unsigned long t = rdtsc() - t0;
	if (r != 0 || status[0] != node || status[n - 1] != node) {
		printf("bench: move_pages failed (%ld, status %d)\n", r, status[0]);
		exit(1);
	}
	free(pages);
	free(nodes);
	free(status);
	return t / n;
}

static void bench_move(int k, long n, int unrelated)
{
	if (pipe(gate) || pipe(ready))
		exit(1);
	if (unrelated)
		spawn(unrelated, 4L << 20);      /* before our pages: not sharing them */
	char *p = touch_anon(n * PG);
	spawn(k - 1, 0);
	unsigned long there = move_cost(p, n, 1), back = move_cost(p, n, 0);
	printf("bench: move k=%d unrelated=%d pages=%ld cycles_per_page=%lu (to node 1 %lu, back %lu)\n",
	       k, unrelated, n, (there + back) / 2, there, back);
	release(unrelated + k - 1);
	munmap(p, n * PG);
}

static void bench_chains(void)
{
	long len = 16L << 20, pages = len / PG;

	if (pipe(gate) || pipe(ready))
		exit(1);
	long before = meminfo_kb("PteChains");
	char *mem = touch_anon(len);
	spawn(32, 0);
	long kb = meminfo_kb("PteChains") - before, total = meminfo_kb("MemTotal");
	long maps = pages * 33;
	printf("bench: chains kb=%ld mappings=%ld bytes_per_mapping=%.2f ram_share_pct=%.3f\n",
	       kb, maps, kb * 1024.0 / maps, 100.0 * kb / total);
	release(32);
	munmap(mem, len);               /* not part of a later fork's figure */
}

/* fork: until fork returns in the parent (the child, on the one CPU, runs
 * first and blocks on a pipe at once); exit: from releasing the child to
 * wait4 returning (its address space torn down). With `sharers` earlier
 * children holding the same pages, the forked page gets its
 * (sharers + 2)th mapping. */
static void bench_fork(int sharers)
{
	long len = 64L << 20;
	int st, p[2];
	char c;

	if (pipe(gate) || pipe(ready))
		exit(1);
	char *mem = touch_anon(len);
	spawn(sharers, 0);
	if (pipe(p))                    /* after spawn: the sharers must not hold p[1] */
		exit(1);
	unsigned long t0 = rdtsc();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	unsigned long t1 = rdtsc();
	close(p[1]);
	waitpid(pid, &st, 0);
	unsigned long t2 = rdtsc();
	close(p[0]);
	printf("bench: fork64m%s fork_cycles=%lu exit_cycles=%lu\n", sharers ? "_shared" : "",
	       t1 - t0, t2 - t1);
	release(sharers);
	munmap(mem, len);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "move") && i + 2 < argc) {
			bench_move(atoi(argv[i + 1]), atol(argv[i + 2]), 0);
			i += 2;
		} else if (!strcmp(argv[i], "unrelated") && i + 2 < argc) {
			bench_move(1, atol(argv[i + 2]), atoi(argv[i + 1]));
			i += 2;
		} else if (!strcmp(argv[i], "chains")) {
			bench_chains();
		} else if (!strcmp(argv[i], "fork")) {
			bench_fork(0);
		} else if (!strcmp(argv[i], "fork2")) {
			bench_fork(1);
		} else {
			fprintf(stderr, "rmapbench: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	return 0;
}
