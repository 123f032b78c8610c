/*
 * numabal: automatic NUMA balancing as Linux does it, on a machine of two
 * nodes with one CPU each (node 0's CPU, node 1's CPU: their first CPUs).
 *
 *   numabal [-b 0|1] [-m MIB] [-s MIB] [-t SECONDS] [-d SECONDS] [-r MBPS]
 *           [-v] [SCENARIO...]
 *
 * Scenarios (all of them, in this order, when none is named):
 *  converge   a process on node 0's CPU touches -m MiB (64), is re-pinned
 *             to node 1's CPU and keeps sweeping it: >= 95 % of its pages
 *             on node 1 within -t seconds (10); the times to 50, 90 and 95 %
 *             are printed (every 50 ms, move_pages(0, n, pages, NULL, ...));
 *  local      pinned to node 0 with its memory there, -d seconds (3) of
 *             sweeps: no page moves, numa_pages_migrated does not grow,
 *             yet hint faults happen (the scanner ran);
 *  pingpong   two processes, one per node, write a shared -s MiB (16)
 *             MAP_SHARED|MAP_ANONYMOUS region for -d seconds (5): at most
 *             one migration per page, and no write lost;
 *  policy     a -s MiB region mbind(MPOL_BIND) to node 0 swept from node
 *             1 stays on node 0, while a region without a policy swept
 *             beside it moves to node 1 (so the daemon did run);
 *  ratelimit  numa_balancing_promote_rate_limit_MBps = -r (8): the
 *             converge run migrates no more than the limit allows, over
 *             the run and in any 1 s window (numa_pages_migrated every
 *             100 ms), with one second's budget of slack. Numbat only: on Linux the knob
 *             only limits promotion in memory-tiering mode
 *             (numa_balancing=2), which this machine has no tiers for;
 *  off        memory on node 0 swept from node 1 with numa_balancing 1
 *             makes numa_pte_updates; with 0, swept from node 0 (where it
 *             is misplaced again), 2 s make no numa_pte_updates and no
 *             numa_hint_faults, after one sweep that takes the hint
 *             faults already set up;
 *  placement  a process whose memory was first touched on node 0 runs on
 *             node 1 with every CPU allowed: within -t seconds it runs on
 *             the node that holds >= 95 % of its pages (Linux moves the
 *             task or the pages; either is right);
 *
 * (user/tests/numachurn.c stresses balancing with processes that come and
 * go.)
 *
 * -b B: the boot asked for numa_balancing = B; check that it reads B.
 * Without -b, a kernel whose numa_balancing reads 0 skips every check.
 * Every scenario restores the sysctls it changes. Without
 * /proc/sys/kernel/numa_balancing (a kernel without balancing) every
 * check is skipped; the counters are those of /proc/vmstat.
 * Runs on Linux in QEMU:
 *   scripts/linux-vm.sh -m 512 -n 2 -c 2 -s 0 '/tests/numabal -b 1'
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "numabal.h"

#define MIB (1L << 20)
#define MPOL_BIND 2

static struct {
	int boot;              /* -b, or -1 */
	long mib, small_mib;   /* -m, -s */
	double bound, secs;    /* -t, -d (0: each scenario's own) */
	long rate;             /* -r */
	int trace;             /* -v */
	int cpu[2];            /* node 0's and node 1's CPU */
} opt = { -1, 64, 16, 10, 0, 8, 0, { -1, -1 } };

static double secs_or(double dflt)
{
	return opt.secs > 0 ? opt.secs : dflt;
}

/* Skip n checks for why. */
static void skip_n(int n, const char *why, const char *what)
{
	for (int i = 0; i < n; i++)
		skip(why, "%s (%d of %d)", what, i + 1, n);
}

/* The share of r's pages on node, or -1 (move_pages failed). */
static double share_on(struct nb_region *r, int node)
{
	long counts[NB_MAXNODES];

	return nb_where(r, counts) < 0 ? -1 : (double)counts[node] / r->pages;
}

/* The pages of r on another node than node; -1 if move_pages failed or
 * placed fewer than half of them. A sweep first takes the hint faults
 * pending: Linux answers with an error for a page whose PTE is a NUMA hint
 * at that moment, and such a page counts on no node. */
static long elsewhere(struct nb_region *r, int node)
{
	long counts[NB_MAXNODES], n;

	nb_sweep(r, 0, 0, NULL);
	n = nb_where(r, counts);
	return n < r->pages / 2 ? -1 : n - counts[node];
}

/* Map and touch mib MiB on node 0's CPU, then run on node 1's CPU.
 * One check: every page is on node 0. Returns 0 if it passed, else -1. */
static int touch_then_move(struct nb_region *r, long mib, unsigned tag)
{
	long off = -1;

	if (nb_pin(opt.cpu[0]) == 0 && nb_region_map(r, mib * MIB, 0, tag, 1) == 0)
		off = elsewhere(r, 0);
	if (!ok(off == 0, "%ld MiB first touched on node 0's CPU are all on node 0 "
		"(%ld elsewhere)", mib, off))
		return -1;
	return nb_pin(opt.cpu[1]);
}

/* ---- converge ---- */
#define CONVERGE_CHECKS 4
static void converge(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	double t[3], got;
	long wrong;

	if (touch_then_move(&r, opt.mib, 1) < 0) {
		skip_n(CONVERGE_CHECKS - 1, "no setup", "converge");
		return;
	}
	nb_vmstat_read(&b);
	got = nb_converge(&r, 1, 0.95, opt.bound, 50, t, &wrong, opt.trace);
	nb_vmstat_read(&a);
	diag("converge: 50 %% at %.2f s, 90 %% at %.2f s, 95 %% at %.2f s (-1: never), "
	     "final %.1f %%", t[0], t[1], t[2], 100 * got);
	nb_print_deltas("converge", &b, &a);
	ok(got >= 0.95, "re-pinned to node 1: >= 95 %% of %ld MiB on node 1 within %.0f s "
	   "(%.1f %% at %.2f s)", opt.mib, opt.bound, 100 * got, t[2]);
	ok(wrong == 0, "every page keeps its data while it moves (%ld wrong)", wrong);
	ok(nb_delta(&b, &a, NB_PAGES_MIGRATED) >= (long)(got * r.pages),
	   "numa_pages_migrated counts the pages that moved (%ld >= %ld)",
	   nb_delta(&b, &a, NB_PAGES_MIGRATED), (long)(got * r.pages));
	nb_region_unmap(&r);
}

/* ---- local ---- */
#define LOCAL_CHECKS 4

static void *sleeper(void *arg)
{
	for (;;)
		nb_sleep_ms(1000);
	return arg;
}

/* Linux's scanner, and Numbat's, leave alone the private pages of a
 * single-threaded process that are on the node it runs on (they cannot
 * be misplaced); a second thread, asleep, makes both scan them. A kernel
 * without threads goes on with one: 1 if there are two. */
static int second_thread(void)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, sleeper, NULL);

	if (err)
		diag("local: no second thread (%s): one thread only", strerror(err));
	return !err;
}

static void local(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	double end, secs = secs_or(3);
	long wrong = 0;

	if (nb_pin(opt.cpu[0]) < 0 || nb_region_map(&r, opt.mib * MIB, 0, 2, 1) < 0) {
		skip_n(LOCAL_CHECKS, "no setup", "local");
		return;
	}
	int threads = second_thread() ? 2 : 1;
	nb_vmstat_read(&b);
	for (end = nb_now() + secs; nb_now() < end;)
		wrong += nb_sweep(&r, 0, end, NULL);
	nb_vmstat_read(&a);
	nb_print_deltas("local", &b, &a);
	ok(elsewhere(&r, 0) == 0, "pinned to node 0, memory on node 0: after %.0f s of "
	   "sweeps no page is on another node (%ld)", secs, elsewhere(&r, 0));
	ok(nb_delta(&b, &a, NB_PAGES_MIGRATED) == 0, "numa_pages_migrated did not grow (%ld)",
	   nb_delta(&b, &a, NB_PAGES_MIGRATED));
	if (threads == 1)
		skip("one thread: its local pages are never marked, on Linux too",
		     "yet the scanner ran (%ld hint faults)", nb_delta(&b, &a, NB_HINT_FAULTS));
	else
		ok(nb_delta(&b, &a, NB_HINT_FAULTS) > 0, "yet the scanner ran: %ld hint faults, "
		   "%ld of them local", nb_delta(&b, &a, NB_HINT_FAULTS),
		   nb_delta(&b, &a, NB_HINT_FAULTS_LOCAL));
	ok(wrong == 0, "no page lost its data (%ld wrong)", wrong);
	nb_region_unmap(&r);
}

/* ---- pingpong ---- */
#define PINGPONG_CHECKS 3

/* A writer of pingpong: on cpu, full sweeps of word `word` for secs; exits
 * 0 if every tag was right and every page holds its sweep count (no write
 * lost to a migration), 1 otherwise. */
static void pingpong_writer(struct nb_region *r, int cpu, int word, double secs)
{
	long wrong = 0, sweeps = 0, lost = 0;
	double end = nb_now() + secs;

	if (nb_pin(cpu) < 0)
		_exit(2);
	while (nb_now() < end) {
		wrong += nb_sweep(r, word, 0, NULL);
		sweeps++;
	}
	for (long i = 0; i < r->pages; i++)
		lost += ((unsigned long *)r->addrs[i])[word] != (unsigned long)sweeps;
	if (wrong || lost)
		printf("# writer on CPU %d: %ld sweeps, %ld wrong tags, %ld pages lost a write\n",
		       cpu, sweeps, wrong, lost);
	_exit(wrong || lost);
}

#define MPOL_F_NUMA_BALANCING (1 << 13)

/* Linux balances shared memory (shmem) only under a policy that allows it:
 * MPOL_BIND to every node with MPOL_F_NUMA_BALANCING (Linux 5.12). Numbat
 * balances it as it is; where the call fails, the region stays as it is. */
static void let_linux_balance(struct nb_region *r)
{
	unsigned long mask = 3;

	if (syscall(SYS_mbind, r->base, r->pages * NB_PG, MPOL_BIND | MPOL_F_NUMA_BALANCING,
		    &mask, 8 * sizeof(mask) + 1, 0) < 0)
		diag("pingpong: mbind(MPOL_BIND|MPOL_F_NUMA_BALANCING, nodes 0-1): %s",
		     strerror(errno));
}

static void pingpong(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	int st[2] = { -1, -1 };
	pid_t pid[2];

	if (nb_pin(opt.cpu[0]) < 0 || nb_region_map(&r, opt.small_mib * MIB, 1, 3, 0) < 0) {
		skip_n(PINGPONG_CHECKS, "no setup", "pingpong");
		return;
	}
	let_linux_balance(&r);
	nb_region_touch(&r);
	nb_vmstat_read(&b);
	for (int i = 0; i < 2; i++) {
		fflush(stdout);
		pid[i] = fork();
		if (pid[i] == 0)
			pingpong_writer(&r, opt.cpu[i], 2 * i, secs_or(5));
	}
	for (int i = 0; i < 2; i++)
		if (pid[i] > 0)
			waitpid(pid[i], &st[i], 0);
	nb_vmstat_read(&a);
	nb_print_deltas("pingpong", &b, &a);
	ok(exited_with(st[0], 0) && exited_with(st[1], 0), "both writers lost no write "
	   "(%s, %s)", status_str(st[0]), status_str(st[1]));
	ok(nb_delta(&b, &a, NB_HINT_FAULTS) > 0, "the scanner ran (%ld hint faults)",
	   nb_delta(&b, &a, NB_HINT_FAULTS));
	ok(nb_delta(&b, &a, NB_PAGES_MIGRATED) >= 0 &&
	   nb_delta(&b, &a, NB_PAGES_MIGRATED) <= r.pages,
	   "a %ld MiB region written from both nodes: at most one migration per page "
	   "(%ld for %ld pages)", opt.small_mib, nb_delta(&b, &a, NB_PAGES_MIGRATED), r.pages);
	nb_region_unmap(&r);
}

/* ---- policy ---- */
#define POLICY_CHECKS 5

/* mbind(MPOL_BIND) r to node 0 (raw system call, Linux's numbers). */
static long bind_to_node0(struct nb_region *r)
{
	unsigned long mask = 1;

	return syscall(SYS_mbind, r->base, r->pages * NB_PG, MPOL_BIND, &mask,
		       8 * sizeof(mask) + 1, 0);
}

/* Sweep both regions from here for at least secs, and until free's pages
 * are 90 % on node 1 or opt.bound passes. The share of free on node 1. */
static double sweep_both(struct nb_region *bound, struct nb_region *free, double secs,
			 long *wrong)
{
	double start = nb_now(), got = 0, now;

	while ((now = nb_now()) - start < opt.bound) {
		*wrong += nb_sweep(bound, 0, 0, NULL) + nb_sweep(free, 0, 0, NULL);
		got = share_on(free, 1);
		if (now - start >= secs && got >= 0.9)
			break;
	}
	return got;
}

static void policy(void)
{
	struct nb_region bound, free;
	struct nb_vmstat b, a;
	long wrong = 0;
	double got;

	if (nb_pin(opt.cpu[0]) < 0 || nb_region_map(&free, opt.small_mib * MIB, 0, 4, 1) < 0 ||
	    nb_region_map(&bound, opt.small_mib * MIB, 0, 5, 0) < 0) {
		skip_n(POLICY_CHECKS, "no setup", "policy");
		return;
	}
	if (bind_to_node0(&bound) < 0) {
		int e = errno;
		skip_n(POLICY_CHECKS, e == ENOSYS ? "no mbind (ENOSYS)" : strerror(e), "policy");
		return;
	}
	ok(1, "mbind(MPOL_BIND, node 0) on %ld MiB", opt.small_mib);
	nb_pin(opt.cpu[1]);
	nb_region_touch(&bound);
	ok(elsewhere(&bound, 0) == 0, "touched from node 1, the bound pages are on node 0 "
	   "(%ld elsewhere)", elsewhere(&bound, 0));
	nb_vmstat_read(&b);
	got = sweep_both(&bound, &free, secs_or(3), &wrong);
	nb_vmstat_read(&a);
	nb_print_deltas("policy", &b, &a);
	ok(got >= 0.9, "the region without a policy moved to node 1 (%.1f %%)", 100 * got);
	ok(elsewhere(&bound, 0) == 0, "no page of the MPOL_BIND region left node 0 (%ld did)",
	   elsewhere(&bound, 0));
	ok(wrong == 0, "no page lost its data (%ld wrong)", wrong);
	nb_region_unmap(&bound);
	nb_region_unmap(&free);
}

/* ---- ratelimit ---- */
#define RATELIMIT_CHECKS 6
#define RATE_KNOB "numa_balancing_promote_rate_limit_MBps"

#define WATCH_SAMPLES 128                  /* of 100 ms: 12.8 s at most */

/* Sweep r for secs (at most 12.8), reading numa_pages_migrated every
 * 100 ms. Returns the most pages migrated in any 1 s window. */
static long sweep_watch(struct nb_region *r, double secs, long *wrong)
{
	long seen[WATCH_SAMPLES], most = 0;
	double start = nb_now(), next = start;
	struct nb_vmstat s;
	int n = 0;

	while (n < WATCH_SAMPLES && nb_now() - start < secs) {
		*wrong += nb_sweep(r, 0, next, NULL);
		if (nb_now() < next)
			continue;
		nb_vmstat_read(&s);
		seen[n++] = s.v[NB_PAGES_MIGRATED];
		next += 0.1;
	}
	for (int i = 0; i + 10 < n; i++)
		if (seen[i + 10] - seen[i] > most)
			most = seen[i + 10] - seen[i];
	return most;
}

static void ratelimit(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	long old = nb_sysctl(RATE_KNOB), wrong = 0, moved, allowed, window, per_sec;
	double secs, start;

	if (!is_numbat()) {
		skip_n(RATELIMIT_CHECKS, "Linux limits only promotion between memory tiers "
		       "(numa_balancing=2) with it", "ratelimit");
		return;
	}
	if (!ok(old >= 0 && nb_sysctl_set(RATE_KNOB, opt.rate) == 0 &&
		nb_sysctl(RATE_KNOB) == opt.rate, "%s reads %ld and takes %ld", RATE_KNOB, old,
		opt.rate)) {
		skip_n(RATELIMIT_CHECKS - 1, "the knob", "ratelimit");
		return;
	}
	if (touch_then_move(&r, opt.mib, 6) < 0) {
		nb_sysctl_set(RATE_KNOB, old);
		skip_n(RATELIMIT_CHECKS - 2, "no setup", "ratelimit");
		return;
	}
	nb_vmstat_read(&b);
	start = nb_now();
	window = sweep_watch(&r, secs_or(4), &wrong);
	secs = nb_now() - start;
	nb_vmstat_read(&a);
	nb_sysctl_set(RATE_KNOB, old);
	nb_print_deltas("ratelimit", &b, &a);
	moved = nb_delta(&b, &a, NB_PAGES_MIGRATED);
	per_sec = opt.rate * (MIB / NB_PG);
	allowed = (long)(per_sec * (secs + 1));
	ok(moved > 0, "pages were migrated under the limit (%ld)", moved);
	ok(moved <= allowed, "at %ld MB/s for %.1f s: %ld pages migrated, at most %ld "
	   "(the rate times the time, plus one second's worth)", opt.rate, secs, moved, allowed);
	ok(window <= 2 * per_sec, "in any 1 s: at most %ld pages (the rate, plus one second's "
	   "worth): %ld", 2 * per_sec, window);
	ok(wrong == 0, "no page lost its data (%ld wrong)", wrong);
	nb_region_unmap(&r);
}

/* ---- off ---- */
#define OFF_CHECKS 4

/*
 * Memory touched on node 0 is swept from node 1 with balancing on (the
 * scanner must work: numa_pte_updates grow), then from node 0 again with
 * it off: the pages that moved are misplaced again, yet nothing is
 * scanned. A second of sweeps right after turning it off, with the same
 * loop and the same vmstat read as the measured two seconds, takes the
 * hint faults already set up, which are not new work: those in the region
 * and those on the pages of this program's own code, stack and buffers
 * that the measured loop touches (one such fault, on the sweep loop's
 * clock code, once failed the check when only the region was swept).
 */
static void off(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	long old = nb_sysctl("numa_balancing"), wrong = 0;

	if (touch_then_move(&r, opt.mib, 7) < 0) {
		skip_n(OFF_CHECKS - 1, "no setup", "off");
		return;
	}
	nb_sysctl_set("numa_balancing", 1);
	nb_vmstat_read(&b);
	nb_sweep_for(&r, secs_or(3), &wrong);
	nb_vmstat_read(&a);
	ok(nb_delta(&b, &a, NB_PTE_UPDATES) > 0, "with 1, %.0f s of sweeps from node 1 made "
	   "%ld numa_pte_updates", secs_or(3), nb_delta(&b, &a, NB_PTE_UPDATES));
	nb_sysctl_set("numa_balancing", 0);
	nb_pin(opt.cpu[0]);
	nb_sweep_for(&r, 1, &wrong);
	nb_vmstat_read(&b);
	nb_vmstat_read(&a);
	nb_vmstat_read(&b);
	nb_sweep_for(&r, 2, &wrong);
	nb_vmstat_read(&a);
	nb_sysctl_set("numa_balancing", old);
	nb_print_deltas("off", &b, &a);
	ok(nb_delta(&b, &a, NB_PTE_UPDATES) == 0 && nb_delta(&b, &a, NB_HINT_FAULTS) == 0,
	   "with 0, 2 s of sweeps from node 0: numa_pte_updates +%ld, numa_hint_faults +%ld "
	   "(want 0)", nb_delta(&b, &a, NB_PTE_UPDATES), nb_delta(&b, &a, NB_HINT_FAULTS));
	ok(wrong == 0, "no page lost its data (%ld wrong)", wrong);
	nb_region_unmap(&r);
}

/* ---- placement ---- */
#define PLACEMENT_CHECKS 4

/* Sweep r until the node we run on holds share of it or opt.bound passes.
 * *node: where we ran last. Returns that node's share (-1: error). */
static double until_local(struct nb_region *r, double share, int *node, long *wrong)
{
	double start = nb_now(), got = -1, next = start;

	while (nb_now() - start < opt.bound) {
		*wrong += nb_sweep(r, 0, next, NULL);
		if (nb_now() < next)
			continue;
		*node = nb_node_now();
		if (*node < 0 || (got = share_on(r, *node)) < 0 || got >= share)
			break;
		next = nb_now() + 0.05;
	}
	return got;
}

static void placement(void)
{
	struct nb_region r;
	struct nb_vmstat b, a;
	long wrong = 0;
	int node = -1, now;
	double got;

	if (touch_then_move(&r, opt.mib, 8) < 0) {
		skip_n(PLACEMENT_CHECKS - 1, "no setup", "placement");
		return;
	}
	now = nb_node_now();
	ok(now == 1, "pinned to node 1's CPU, getcpu says node %d", now);
	nb_pin(-1);                        /* every CPU, while running on node 1's */
	diag("placement: every CPU allowed, running on node %d", nb_node_now());
	nb_vmstat_read(&b);
	got = until_local(&r, 0.95, &node, &wrong);
	nb_vmstat_read(&a);
	nb_print_deltas("placement", &b, &a);
	diag("placement: ends on node %d with %.1f %% of its pages there: %s", node, 100 * got,
	     got < 0.95 ? "not local" : node == 0 ? "the task moved to its memory" :
	     "its memory moved to the task");
	ok(got >= 0.95, "within %.0f s the node it runs on (%d) holds >= 95 %% of its pages "
	   "(%.1f %%)", opt.bound, node, 100 * got);
	ok(wrong == 0, "no page lost its data (%ld wrong)", wrong);
	nb_region_unmap(&r);
}

/* ---- main ---- */
static const struct scenario {
	const char *name;
	void (*run)(void);
	int checks;
} scenarios[] = {
	{ "converge", converge, CONVERGE_CHECKS }, { "local", local, LOCAL_CHECKS },
	{ "pingpong", pingpong, PINGPONG_CHECKS }, { "policy", policy, POLICY_CHECKS },
	{ "ratelimit", ratelimit, RATELIMIT_CHECKS }, { "off", off, OFF_CHECKS },
	{ "placement", placement, PLACEMENT_CHECKS },
};
#define NSCEN (int)(sizeof(scenarios) / sizeof(scenarios[0]))

static const struct scenario *find(const char *name)
{
	for (int i = 0; i < NSCEN; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

static void parse(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "b:m:s:t:d:r:v")) != -1) {
		switch (c) {
		case 'b': opt.boot = atoi(optarg); break;
		case 'm': opt.mib = atol(optarg); break;
		case 's': opt.small_mib = atol(optarg); break;
		case 't': opt.bound = atof(optarg); break;
		case 'd': opt.secs = atof(optarg); break;
		case 'r': opt.rate = atol(optarg); break;
		case 'v': opt.trace = 1; break;
		default:
			fprintf(stderr, "usage: numabal [-b 0|1] [-m MIB] [-s MIB] [-t S] [-d S] "
				"[-r MBPS] [-v] [SCENARIO...]\n");
			exit(2);
		}
	}
	for (int i = optind; i < argc; i++)
		if (!find(argv[i])) {
			fprintf(stderr, "numabal: no scenario %s\n", argv[i]);
			exit(2);
		}
}

/*
 * Run one scenario in a child, so that each starts from the parent's
 * pages, all on node 0 (the parent runs there and touches nothing else):
 * what an earlier scenario moved cannot move back during a later one. The
 * child's results come back through a pipe; checks it never reported (it
 * died) are reported failed here.
 */
static void run_scenario(const struct scenario *s)
{
	struct ktap_state st;
	int fd[2], status = -1, want;
	pid_t pid;

	ktap_get(&st);
	want = st.count + s->checks;
	fflush(stdout);
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		ktap_bail("pipe or fork");
	if (pid == 0) {
		close(fd[0]);
		s->run();
		ktap_get(&st);
		_exit(write(fd[1], &st, sizeof(st)) == sizeof(st) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], &st, sizeof(st)) == sizeof(st))
		ktap_set(&st);
	close(fd[0]);
	waitpid(pid, &status, 0);
	for (ktap_get(&st); st.count < want; st.count++)
		ok(0, "%s: a check never reported (the scenario ended: %s)", s->name,
		   status_str(status));
}

int main(int argc, char **argv)
{
	const struct scenario *run[NSCEN];
	int n = 0, checks = 0;
	const char *why;

	parse(argc, argv);
	for (int i = optind; i < argc; i++)
		run[n++] = find(argv[i]);
	for (int i = 0; n == 0 && i < NSCEN; i++)
		run[i] = &scenarios[i];
	n = n ? n : NSCEN;
	for (int i = 0; i < n; i++)
		checks += run[i]->checks;
	ktap_plan("numabal", checks + (opt.boot >= 0));
	why = nb_cannot_run(opt.boot, opt.cpu);
	if (!why)
		nb_pin(opt.cpu[0]);                /* before touching anything more */
	if (opt.boot >= 0 && !why)
		ok(nb_sysctl("numa_balancing") == opt.boot, "numa_balancing reads %d at boot "
		   "(it reads %ld)", opt.boot, nb_sysctl("numa_balancing"));
	else if (opt.boot >= 0)
		skip(why, "numa_balancing reads %d at boot", opt.boot);
	for (int i = 0; i < n; i++) {
		diag("scenario %s", run[i]->name);
		if (why)
			skip_n(run[i]->checks, why, run[i]->name);
		else
			run_scenario(run[i]);
	}
	return ktap_done();
}
