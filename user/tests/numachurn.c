/*
 * numachurn: automatic NUMA balancing while processes come and go. On two
 * nodes with one CPU each, -w workers (4) for -d seconds (5) each go round:
 * map a region (256 KiB to 2 MiB; every third one MAP_SHARED), touch it on
 * one node, sweep it from the other for 30 ms (the daemon's hint faults and
 * migrations), fork a child that sweeps it from the first node (a private
 * region is copied on write) and exits or is killed with SIGKILL midway,
 * unmap its middle half, sweep what is left, unmap the rest. Meanwhile the
 * scan runs every 50 to 200 ms (the scan knobs are set, then put back).
 *
 *   numachurn [-b 0|1] [-d SECONDS] [-w WORKERS]
 *
 * Checks: every worker saw its data (each page holds a tag naming it) and
 * its children end as they should (exit 0, or SIGKILL when killed);
 * hint faults happened (balancing ran); on Numbat /proc/rmap_check agrees
 * afterwards (and ktap_done checks it again). -b B: the boot asked for
 * numa_balancing = B. It skips where balancing is missing, or off without
 * -b. The harness runs it with rmap_check=500, with rmap=scan and with
 * swap on a small node 0 too. On Linux (the scan knobs in debugfs):
 *   scripts/linux-vm.sh -m 512 -n 2 -c 2 -s 0 '/tests/numachurn -b 1'
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "numabal.h"

#define CHURN_CHECKS 3

static int opt_boot = -1, opt_workers = 4;
static double opt_secs = 5;
static int cpu[2] = { -1, -1 };     /* node 0's and node 1's CPU */

/* The scan knobs churn shortens, and what it sets them to. */
static const struct { const char *name; long value; } churn_knobs[] = {
	{ "scan_delay_ms", 50 },
	{ "scan_period_min_ms", 50 },
	{ "scan_period_max_ms", 200 },
	{ "scan_size_mb", 16 },
};
#define NKNOBS (int)(sizeof(churn_knobs) / sizeof(churn_knobs[0]))

/* A child of a churn worker: sweep r a few times (copy-on-write for a
 * private region), exit 0 if every tag was right. Its parent may kill it. */
static void churn_child(struct nb_region *r, int cpu)
{
	long wrong = 0;

	nb_pin(cpu);
	for (int i = 0; i < 4; i++)
		wrong += nb_sweep(r, 0, 0, NULL);
	_exit(wrong ? 1 : 0);
}

/* One round of a churn worker on a region of `pages` pages: touch on one
 * node, sweep from the other, fork a child (killed or not), unmap the middle
 * then the rest. Returns the problems seen (wrong tags, bad children). */
static long churn_round(int round, int id, long pages)
{
	struct nb_region r;
	int here = (round + id) & 1, st;
	long bad = 0;
	pid_t pid;

	nb_pin(cpu[here]);
	if (nb_region_map(&r, pages * NB_PG, round % 3 == 0, id << 16 | round, 1) < 0)
		return 1;
	nb_pin(cpu[!here]);
	nb_sweep_for(&r, 0.03, &bad);        /* long enough for a scan or two */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		churn_child(&r, cpu[here]);
	if (pid < 0)
		return bad + 1;
	if (round & 1) {                   /* killed at some point of its sweeps */
		nb_sleep_ms(1 + round % 7);
		kill(pid, SIGKILL);
	}
	bad += nb_sweep(&r, 0, 0, NULL);
	waitpid(pid, &st, 0);
	bad += !(exited_with(st, 0) || ((round & 1) && killed_by(st, SIGKILL)));
	munmap(r.base + r.pages / 4 * NB_PG, r.pages / 2 * NB_PG);
	r.pages /= 4;                      /* the first quarter is still there */
	bad += nb_sweep(&r, 0, 0, NULL);
	r.pages *= 4;
	nb_region_unmap(&r);
	return bad;
}

/* A worker: rounds of churn_round for secs; exit 0 if no problem. */
static void churn_worker(int id, double secs)
{
	double end = nb_now() + secs;
	long bad = 0;
	int round;

	for (round = 0; nb_now() < end; round++)
		bad += churn_round(round, id, 64 + 64 * ((round + id) % 8));
	if (bad)
		printf("# churn worker %d: %ld problems in %d rounds\n", id, bad, round);
	_exit(bad ? 1 : 0);
}

/* Set the scan knobs to churn_knobs' values, their old ones into saved
 * (-1 where a knob cannot be read). */
static void knobs_set(long saved[NKNOBS])
{
	for (int k = 0; k < NKNOBS; k++) {
		saved[k] = nb_knob(churn_knobs[k].name);
		if (nb_knob_set(churn_knobs[k].name, churn_knobs[k].value) < 0)
			diag("cannot set %s: %s", churn_knobs[k].name, strerror(errno));
	}
}

static void knobs_restore(const long saved[NKNOBS])
{
	for (int k = 0; k < NKNOBS; k++)
		if (saved[k] >= 0)
			nb_knob_set(churn_knobs[k].name, saved[k]);
}

/* The workers, then the checks. */
static void churn(void)
{
	long saved[NKNOBS], good = 0;
	struct nb_vmstat b, a;
	char buf[2048];
	int st;

	knobs_set(saved);
	nb_vmstat_read(&b);
	for (int w = 0; w < opt_workers; w++) {
		fflush(stdout);
		if (fork() == 0)
			churn_worker(w, opt_secs);
	}
	for (int w = 0; w < opt_workers; w++)
		good += wait(&st) > 0 && exited_with(st, 0);
	nb_vmstat_read(&a);
	knobs_restore(saved);
	nb_print_deltas("churn", &b, &a);
	ok(good == opt_workers, "%ld of %d workers saw their data and their children's ends right",
	   good, opt_workers);
	ok(nb_delta(&b, &a, NB_HINT_FAULTS) > 0, "balancing ran meanwhile (%ld hint faults, "
	   "%ld pages migrated)", nb_delta(&b, &a, NB_HINT_FAULTS),
	   nb_delta(&b, &a, NB_PAGES_MIGRATED));
	if (!is_numbat())
		skip("Linux has no /proc/rmap_check", "the reverse map agrees with the page tables");
	else
		ok(read_file("/proc/rmap_check", buf, sizeof(buf)) > 0 && !strcmp(buf, "ok\n"),
		   "the reverse map agrees with the page tables (/proc/rmap_check)");
}

int main(int argc, char **argv)
{
	const char *why;
	int c;

	while ((c = getopt(argc, argv, "b:d:w:")) != -1) {
		switch (c) {
		case 'b': opt_boot = atoi(optarg); break;
		case 'd': opt_secs = atof(optarg); break;
		case 'w': opt_workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: numachurn [-b 0|1] [-d SECONDS] [-w WORKERS]\n");
			return 2;
		}
	}
	ktap_plan("numachurn", CHURN_CHECKS + (opt_boot >= 0));
	why = nb_cannot_run(opt_boot, cpu);
	if (opt_boot >= 0 && !why)
		ok(nb_sysctl("numa_balancing") == opt_boot, "numa_balancing reads %d at boot "
		   "(it reads %ld)", opt_boot, nb_sysctl("numa_balancing"));
	else if (opt_boot >= 0)
		skip(why, "numa_balancing reads %d at boot", opt_boot);
	if (why)
		for (int i = 0; i < CHURN_CHECKS; i++)
			skip(why, "churn (%d of %d)", i + 1, CHURN_CHECKS);
	else
		churn();
	return ktap_done();
}
