/*
 * numabench: what automatic NUMA balancing does, and what it costs, on two
 * nodes with one CPU each (tests/bench.py boots it on Numbat under -icount
 * shift=0; tests/linux_peer.py --numa runs the same binary on Linux).
 *
 *   numabench [-m MIB] [-s MIB] [-t SECONDS] [-d SECONDS] [PART...]
 *
 * Parts (all three, in this order, when none is named):
 *  converge  -m MiB (64) first touched on node 0's CPU, then swept from
 *            node 1's: the time until 50, 90 and 95 % of it is on node 1
 *            (looked at every 50 ms with move_pages; -t seconds, 20, at
 *            most), and the final share there, 2 s of sweeps after 95 %;
 *  overhead  -m MiB already on the node it runs on, swept for -d seconds
 *            (5) with balancing off, then (a new process) on: the sweeps
 *            done in each, and the slowdown in %;
 *  shared    a -s MiB (16) MAP_SHARED|MAP_ANONYMOUS region written from
 *            both nodes for -d seconds: the pages migrated meanwhile.
 *
 * Times are CLOCK_MONOTONIC: under -icount shift=0 guest time, which
 * repeats exactly. Each part prints one line:
 *   bench: numa converge mib=64 t50_ms=N t90_ms=N t95_ms=N final_pct=X secs=X ...
 *   bench: numa overhead mib=64 secs=5 sweeps_off=X sweeps_on=X slowdown_pct=X ...
 *   bench: numa shared mib=16 secs=5 pages=N migrated=N ...
 * (-1: never reached, or a counter /proc/vmstat lacks), and a last line
 * `bench: numa wrong_pages=N`: pages whose contents a migration broke
 * (must be 0). It sets /proc/sys/kernel/numa_balancing as each part needs
 * and puts it back. The exit status is 0 when every part ran and no page
 * was wrong.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "numabal.h"

#define MIB (1L << 20)
#define MPOL_BIND 2
#define MPOL_F_NUMA_BALANCING (1 << 13)

static long opt_mib = 64, opt_small = 16;
static double opt_limit = 20, opt_secs = 5;
static int cpu0, cpu1;

/* What a child hands back through its pipe. */
struct result {
	double sweeps;
	long wrong;
};

/* Run fn in a child; its result comes back through a pipe. 0 if the child
 * reported, -1 otherwise. */
static int in_child(void (*fn)(int fd, void *arg), void *arg, struct result *res)
{
	int fd[2], st;
	pid_t pid;

	fflush(stdout);
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fd[0]);
		fn(fd[1], arg);
		_exit(0);
	}
	close(fd[1]);
	st = read(fd[0], res, sizeof(*res)) == sizeof(*res) ? 0 : -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return st;
}

static void report(int fd, double sweeps, long wrong)
{
	struct result r = { sweeps, wrong };

	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
}

/* ---- converge ---- */

/* The share of r's pages on node 1 (move_pages), or -1. */
static double share_on1(struct nb_region *r)
{
	long counts[NB_MAXNODES];

	return nb_where(r, counts) < 0 ? -1 : (double)counts[1] / r->pages;
}

static long converge(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	double t[3], start, got;
	long wrong;

	if (nb_pin(cpu0) < 0 || nb_region_map(&r, opt_mib * MIB, 0, 1, 1) < 0)
		return -1;
	nb_pin(cpu1);
	nb_vmstat_read(&b);
	start = nb_now();
	got = nb_converge(&r, 1, 0.95, opt_limit, 50, t, &wrong, 0);
	if (got >= 0.95) {                 /* and where it settles */
		nb_sweep_for(&r, 2, &wrong);
		got = share_on1(&r);
	}
	nb_vmstat_read(&a);
	printf("bench: numa converge mib=%ld t50_ms=%.0f t90_ms=%.0f t95_ms=%.0f final_pct=%.1f "
	       "secs=%.2f hint_faults=%ld migrated=%ld\n", opt_mib,
	       t[0] < 0 ? -1 : 1000 * t[0], t[1] < 0 ? -1 : 1000 * t[1],
	       t[2] < 0 ? -1 : 1000 * t[2], 100 * got, nb_now() - start,
	       nb_delta(&b, &a, NB_HINT_FAULTS), nb_delta(&b, &a, NB_PAGES_MIGRATED));
	nb_region_unmap(&r);
	return got < 0 ? -1 : wrong;
}

/* ---- overhead ---- */

/* In a child: opt_mib on node 0, swept from node 0 for opt_secs. */
static void sweep_local(int fd, void *arg)
{
	struct nb_region r;
	double end;
	long wrong = 0, swept = 0, done;

	(void)arg;
	if (nb_pin(cpu0) < 0 || nb_region_map(&r, opt_mib * MIB, 0, 2, 1) < 0)
		_exit(1);
	for (end = nb_now() + opt_secs; nb_now() < end; swept += done)
		wrong += nb_sweep(&r, 0, end, &done);
	report(fd, (double)swept / r.pages, wrong);
}

static long overhead(void)
{
	struct result off, on;
	struct nb_vmstat b, a;
	long old = nb_sysctl("numa_balancing");

	nb_sysctl_set("numa_balancing", 0);
	if (in_child(sweep_local, NULL, &off) < 0)
		return -1;
	nb_sysctl_set("numa_balancing", 1);
	nb_vmstat_read(&b);
	if (in_child(sweep_local, NULL, &on) < 0)
		return -1;
	nb_vmstat_read(&a);
	nb_sysctl_set("numa_balancing", old);
	printf("bench: numa overhead mib=%ld secs=%.0f sweeps_off=%.2f sweeps_on=%.2f "
	       "slowdown_pct=%.1f hint_faults_on=%ld\n", opt_mib, opt_secs, off.sweeps, on.sweeps,
	       100 * (off.sweeps - on.sweeps) / off.sweeps, nb_delta(&b, &a, NB_HINT_FAULTS));
	return off.wrong + on.wrong;
}

/* ---- shared ---- */

struct writer {
	struct nb_region *r;
	int node;
};

/* In a child: write word 2 * node of every page from node's CPU. */
static void write_shared(int fd, void *arg)
{
	struct writer *w = arg;
	double end;
	long wrong = 0, swept = 0, done;

	if (nb_pin(w->node ? cpu1 : cpu0) < 0)
		_exit(1);
	for (end = nb_now() + opt_secs; nb_now() < end; swept += done)
		wrong += nb_sweep(w->r, 2 * w->node, end, &done);
	report(fd, (double)swept / w->r->pages, wrong);
}

/* Linux balances shmem only under MPOL_BIND|MPOL_F_NUMA_BALANCING (see
 * user/tests/numabal.c); elsewhere the call may fail, which is fine. */
static void let_linux_balance(struct nb_region *r)
{
	unsigned long mask = 3;

	syscall(SYS_mbind, r->base, r->pages * NB_PG, MPOL_BIND | MPOL_F_NUMA_BALANCING, &mask,
		8 * sizeof(mask) + 1, 0);
}

/* Both writers at once: the first in a child of its own, the second in a
 * child made by in_child. */
static long shared(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	struct result w0 = { 0, 0 }, w1;
	struct writer on0 = { &r, 0 }, on1 = { &r, 1 };
	int fd[2];
	pid_t pid;

	if (nb_pin(cpu0) < 0 || nb_region_map(&r, opt_small * MIB, 1, 3, 0) < 0 || pipe(fd) < 0)
		return -1;
	let_linux_balance(&r);
	nb_region_touch(&r);
	nb_vmstat_read(&b);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		write_shared(fd[1], &on0);
		_exit(0);
	}
	close(fd[1]);                      /* a writer that dies: read sees EOF */
	if (pid < 0 || in_child(write_shared, &on1, &w1) < 0 ||
	    read(fd[0], &w0, sizeof(w0)) != sizeof(w0))
		return -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	nb_vmstat_read(&a);
	printf("bench: numa shared mib=%ld secs=%.0f pages=%ld migrated=%ld hint_faults=%ld "
	       "sweeps=%.2f,%.2f\n", opt_small, opt_secs, r.pages, nb_delta(&b, &a, NB_PAGES_MIGRATED),
	       nb_delta(&b, &a, NB_HINT_FAULTS), w0.sweeps, w1.sweeps);
	nb_region_unmap(&r);
	return w0.wrong + w1.wrong;
}

static const struct part {
	const char *name;
	long (*run)(void);
} parts[] = { { "converge", converge }, { "overhead", overhead }, { "shared", shared } };
#define NPARTS (int)(sizeof(parts) / sizeof(parts[0]))

/* Run the part named name (NULL: every part). The wrong pages, or -1 if a
 * part could not run. */
static long run_parts(const char *name)
{
	long wrong = 0;

	for (int i = 0; i < NPARTS; i++) {
		if (name && strcmp(name, parts[i].name))
			continue;
		long w = parts[i].run();

		if (w < 0) {
			printf("bench: numa %s could not run\n", parts[i].name);
			return -1;
		}
		wrong += w;
	}
	return wrong;
}

int main(int argc, char **argv)
{
	long old, wrong = 0;
	int c;

	while ((c = getopt(argc, argv, "m:s:t:d:")) != -1) {
		switch (c) {
		case 'm': opt_mib = atol(optarg); break;
		case 's': opt_small = atol(optarg); break;
		case 't': opt_limit = atof(optarg); break;
		case 'd': opt_secs = atof(optarg); break;
		default:
			fprintf(stderr, "usage: numabench [-m MIB] [-s MIB] [-t S] [-d S] [PART...]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	old = nb_sysctl("numa_balancing");
	cpu0 = nb_node_cpu(0);
	cpu1 = nb_node_cpu(1);
	printf("bench: numa start numa_balancing=%ld cpus=%d,%d\n", old, cpu0, cpu1);
	if (old < 0 || cpu0 < 0 || cpu1 < 0) {
		printf("bench: numa needs /proc/sys/kernel/numa_balancing and two nodes with CPUs\n");
		return 1;
	}
	nb_sysctl_set("numa_balancing", 1);
	if (optind == argc)
		wrong = run_parts(NULL);
	for (int i = optind; i < argc && wrong >= 0; i++) {
		long w = run_parts(argv[i]);
		wrong = w < 0 ? -1 : wrong + w;
	}
	nb_sysctl_set("numa_balancing", old);
	printf("bench: numa wrong_pages=%ld\n", wrong);
	return wrong == 0 ? 0 : 1;
}
