/*
 * numabal.h: what the NUMA-balancing test (user/tests/numabal.c) and
 * benchmark (user/bench/numabench.c) share (numabal.c).
 *
 * A region is anonymous memory whose pages each hold two words: word 0 a
 * counter the sweeps increment, word 1 a tag naming the page (written at
 * the first touch). A sweep reads and writes every page and counts the
 * pages whose tag is wrong: a migration that lost a page or mixed two up
 * is caught. Where its pages are is asked with move_pages(0, n, pages,
 * NULL, status, 0), as Linux answers it.
 *
 * The knobs are Linux's: /proc/sys/kernel/numa_balancing* and the numa_*
 * counters of /proc/vmstat. Times are CLOCK_MONOTONIC (under QEMU -icount,
 * guest time).
 */
#ifndef USER_NUMABAL_H
#define USER_NUMABAL_H

#define NB_PG        4096L
#define NB_MAXNODES  8

struct nb_region {
	char *base;
	long pages;
	void **addrs;          /* one per page, for move_pages */
	int *status;           /* move_pages' answer, one per page */
	unsigned tag;          /* what word 1 of page i holds: nb_tag(tag, i) */
};

/* The counters of /proc/vmstat the tests read, in this order. */
enum nb_counter {
	NB_PTE_UPDATES, NB_HINT_FAULTS, NB_HINT_FAULTS_LOCAL, NB_PAGES_MIGRATED,
	NB_PGMIGRATE_SUCCESS, NB_PGMIGRATE_FAIL, NB_TASK_MIGRATED, NB_PSWPOUT,
	NB_REPLICA_MADE, NB_REPLICA_COLLAPSED,  /* Numbat's own: n/a on Linux */
	NB_NCOUNTERS
};
struct nb_vmstat {
	long v[NB_NCOUNTERS];  /* -1: the counter is missing */
};
extern const char *const nb_counter_name[NB_NCOUNTERS];

static inline unsigned long nb_tag(unsigned tag, long i)
{
	return ((unsigned long)tag << 32 | (unsigned long)i) * 0x9E3779B97F4A7C15UL;
}

/* Seconds of CLOCK_MONOTONIC. */
double nb_now(void);

/* Sleep about ms milliseconds (nanosleep). */
void nb_sleep_ms(long ms);

/* The first CPU of node (its sysfs cpulist), or -1. */
int nb_node_cpu(int node);

/* The number of online nodes (/sys/devices/system/node/online: the
 * highest + 1), or 1 if it cannot be read. */
int nb_nodes(void);

/* Run only on cpu (cpu < 0: on every CPU). 0, or -1 with errno. */
int nb_pin(int cpu);

/* The node of the CPU the caller runs on (getcpu), or -1. */
int nb_node_now(void);

/* Map len bytes of anonymous memory (shared: MAP_SHARED) into r and tag
 * every page (first touch: the pages land where the caller runs or its
 * policy says, unless touch is 0). 0, or -1 (ENOMEM). */
int nb_region_map(struct nb_region *r, long len, int shared, unsigned tag, int touch);

/* Tag every page of r (the first touch when nb_region_map was told not to). */
void nb_region_touch(struct nb_region *r);

void nb_region_unmap(struct nb_region *r);

/* One sweep: read and increment word `word` (0 or 2: two writers use two
 * words) of every page and check its tag. Returns the pages with a wrong
 * tag. Stops early (returning what it found) once stop_at > 0 is passed
 * in nb_now() time; *done says how many pages it swept. */
long nb_sweep(struct nb_region *r, int word, double stop_at, long *done);

/* Sweep r for secs; *wrong grows by the pages with a wrong tag. Returns
 * the seconds it swept. */
double nb_sweep_for(struct nb_region *r, double secs, long *wrong);

/* Where r's pages are: counts[n] = pages on node n (NB_MAXNODES entries);
 * returns the pages with a node, or -1 if move_pages failed (errno). */
long nb_where(struct nb_region *r, long counts[NB_MAXNODES]);

/* The value of /proc/sys/kernel/NAME, or -1 if it cannot be read. */
long nb_sysctl(const char *name);

/* Write value to /proc/sys/kernel/NAME. 0, or -1 with errno. */
int nb_sysctl_set(const char *name, long value);

/* A scan knob, NAME as in /proc/sys/kernel/numa_balancing_NAME
 * ("scan_delay_ms"): its value, or -1. Linux 5.13 and later keep these
 * in debugfs (/sys/kernel/debug/sched/numa_balancing/NAME), where they
 * are looked for next (debugfs mounted first if need be). */
long nb_knob(const char *name);

/* Set a scan knob (as nb_knob finds it). 0, or -1 with errno. */
int nb_knob_set(const char *name, long value);

/* Read the counters of /proc/vmstat into s (missing ones are -1). */
void nb_vmstat_read(struct nb_vmstat *s);

/* after - before for counter c, or -1 if either is missing. */
long nb_delta(const struct nb_vmstat *before, const struct nb_vmstat *after, enum nb_counter c);

/* Print "# NAME delta" for every counter (n/a when missing). */
void nb_print_deltas(const char *what, const struct nb_vmstat *b, const struct nb_vmstat *a);

/* Why the balancing tests cannot run here, or NULL: no
 * /proc/sys/kernel/numa_balancing, or it reads 0 and boot < 0 (the test
 * was not told the boot asked for a value: Numbat's default is off), or
 * not two nodes with a CPU each. cpu[0], cpu[1]: node 0's and node 1's
 * first CPU. */
const char *nb_cannot_run(int boot, int cpu[2]);

/*
 * Sweep r from where the caller runs until `share` of its pages are on
 * node (or timeout seconds pass), looking every sample_ms. t[0..2]: the
 * seconds until 50 %, 90 % and 95 % were on node (-1: never); returns the
 * final share in [0, 1], or -1 if move_pages failed. *wrong counts pages
 * with a wrong tag. With trace, one "# t=... node: ..." line per sample.
 */
double nb_converge(struct nb_region *r, int node, double share, double timeout,
		   long sample_ms, double t[3], long *wrong, int trace);

#endif
