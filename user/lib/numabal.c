/*
 * numabal.c: regions, sweeps, placement and counters for the NUMA-balancing
 * test and benchmark (see numabal.h). Only Linux system calls: mmap,
 * move_pages, sched_setaffinity, getcpu, clock_gettime, nanosleep and the
 * files of /proc and /sys.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "numabal.h"

const char *const nb_counter_name[NB_NCOUNTERS] = {
	"numa_pte_updates", "numa_hint_faults", "numa_hint_faults_local",
	"numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail",
	"numa_task_migrated", "pswpout", "numbat_replica_made", "numbat_replica_collapsed",
};

double nb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void nb_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int nb_node_cpu(int node)
{
	char path[96], buf[256];
	unsigned long bits[4];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	if (read_file(path, buf, sizeof(buf)) < 0 || cpulist_parse(buf, bits, 256) <= 0)
		return -1;
	for (int c = 0; c < 256; c++)
		if (bit_test(bits, c))
			return c;
	return -1;
}

int nb_nodes(void)
{
	char buf[256];
	unsigned long bits[1];
	int n = 1;

	if (read_file("/sys/devices/system/node/online", buf, sizeof(buf)) < 0 ||
	    cpulist_parse(buf, bits, 64) <= 0)
		return 1;
	for (int i = 0; i < 64; i++)
		if (bit_test(bits, i))
			n = i + 1;
	return n;
}

int nb_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0)
		CPU_SET(cpu, &set);
	else
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int nb_node_now(void)
{
	unsigned cpu, node;

	if (syscall(SYS_getcpu, &cpu, &node, NULL) < 0)
		return -1;
	return (int)node;
}

int nb_region_map(struct nb_region *r, long len, int shared, unsigned tag, int touch)
{
	r->pages = len / NB_PG;
	r->tag = tag;
	r->base = mmap(NULL, r->pages * NB_PG, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	r->addrs = malloc(r->pages * sizeof(*r->addrs));
	r->status = malloc(r->pages * sizeof(*r->status));
	if (r->base == MAP_FAILED || !r->addrs || !r->status)
		return -1;
	for (long i = 0; i < r->pages; i++)
		r->addrs[i] = r->base + i * NB_PG;
	if (touch)
		nb_region_touch(r);
	return 0;
}

void nb_region_touch(struct nb_region *r)
{
	for (long i = 0; i < r->pages; i++)
		((volatile unsigned long *)r->addrs[i])[1] = nb_tag(r->tag, i);
}

void nb_region_unmap(struct nb_region *r)
{
	munmap(r->base, r->pages * NB_PG);
	free(r->addrs);
	free(r->status);
}

long nb_sweep(struct nb_region *r, int word, double stop_at, long *done)
{
	long wrong = 0, i;

	for (i = 0; i < r->pages; i++) {
		volatile unsigned long *w = r->addrs[i];

		wrong += w[1] != nb_tag(r->tag, i);
		w[word]++;
		if (stop_at > 0 && (i & 255) == 255 && nb_now() >= stop_at) {
			i++;
			break;
		}
	}
	if (done)
		*done = i;
	return wrong;
}

double nb_sweep_for(struct nb_region *r, double secs, long *wrong)
{
	double start = nb_now(), end = start + secs;

	while (nb_now() < end)
		*wrong += nb_sweep(r, 0, end, NULL);
	return nb_now() - start;
}

long nb_where(struct nb_region *r, long counts[NB_MAXNODES])
{
	long n = 0;

	memset(counts, 0, NB_MAXNODES * sizeof(*counts));
	if (syscall(SYS_move_pages, 0, r->pages, r->addrs, NULL, r->status, 0) < 0)
		return -1;
	for (long i = 0; i < r->pages; i++) {
		if (r->status[i] >= 0 && r->status[i] < NB_MAXNODES) {
			counts[r->status[i]]++;
			n++;
		}
	}
	return n;
}

/* The number in file path, or -1. */
static long read_number(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* Write value to file path. 0, or -1 with errno. */
static int write_number(const char *path, long value)
{
	char buf[32];
	int fd, len, ret;

	len = snprintf(buf, sizeof(buf), "%ld\n", value);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

long nb_sysctl(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	return read_number(path);
}

int nb_sysctl_set(const char *name, long value)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	return write_number(path, value);
}

#define NB_DEBUGFS "/sys/kernel/debug/sched/numa_balancing"

/* The path of scan knob name: /proc/sys/kernel/numa_balancing_NAME if it
 * exists, else the debugfs file (mounting debugfs if it is not). */
static const char *knob_path(const char *name, char *path, size_t size)
{
	snprintf(path, size, "/proc/sys/kernel/numa_balancing_%s", name);
	if (access(path, F_OK) == 0)
		return path;
	if (access(NB_DEBUGFS, F_OK) != 0)
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	snprintf(path, size, NB_DEBUGFS "/%s", name);
	return path;
}

long nb_knob(const char *name)
{
	char path[128];

	return read_number(knob_path(name, path, sizeof(path)));
}

int nb_knob_set(const char *name, long value)
{
	char path[128];

	return write_number(knob_path(name, path, sizeof(path)), value);
}

void nb_vmstat_read(struct nb_vmstat *s)
{
	static char buf[16384];
	long len = read_file("/proc/vmstat", buf, sizeof(buf));

	for (int c = 0; c < NB_NCOUNTERS; c++) {
		size_t klen = strlen(nb_counter_name[c]);
		const char *p = buf;

		s->v[c] = -1;
		while (len > 0 && p && *p) {
			if (!strncmp(p, nb_counter_name[c], klen) && p[klen] == ' ') {
				s->v[c] = strtol(p + klen + 1, NULL, 10);
				break;
			}
			p = strchr(p, '\n');
			p = p ? p + 1 : NULL;
		}
	}
}

long nb_delta(const struct nb_vmstat *before, const struct nb_vmstat *after, enum nb_counter c)
{
	if (before->v[c] < 0 || after->v[c] < 0)
		return -1;
	return after->v[c] - before->v[c];
}

void nb_print_deltas(const char *what, const struct nb_vmstat *b, const struct nb_vmstat *a)
{
	char line[512];
	int len = snprintf(line, sizeof(line), "%s:", what);

	for (int c = 0; c < NB_NCOUNTERS && len < (int)sizeof(line); c++) {
		long d = nb_delta(b, a, c);

		if (d >= 0)
			len += snprintf(line + len, sizeof(line) - len, " %s=%ld",
					nb_counter_name[c], d);
		else
			len += snprintf(line + len, sizeof(line) - len, " %s=n/a",
					nb_counter_name[c]);
	}
	diag("%s", line);
}

const char *nb_cannot_run(int boot, int cpu[2])
{
	long on = nb_sysctl("numa_balancing");

	if (on < 0)
		return "no /proc/sys/kernel/numa_balancing: no NUMA balancing in this kernel";
	if (on == 0 && boot < 0)
		return "numa_balancing is 0 (boot with numa_balancing=enable, or give -b)";
	cpu[0] = nb_node_cpu(0);
	cpu[1] = nb_node_cpu(1);
	if (nb_nodes() < 2 || cpu[0] < 0 || cpu[1] < 0)
		return "needs two nodes with a CPU each";
	return NULL;
}

/* One sample of nb_converge: the share of r's pages on node, -1 on error;
 * with trace, a diagnostic line with every node's count. */
static double sample(struct nb_region *r, int node, double t, int trace)
{
	long counts[NB_MAXNODES];
	long n = nb_where(r, counts);

	if (n < 0)
		return -1;
	if (trace)
		diag("t=%.2f s node0=%ld node1=%ld of %ld pages", t, counts[0], counts[1],
		     r->pages);
	return (double)counts[node] / r->pages;
}

double nb_converge(struct nb_region *r, int node, double share, double timeout,
		   long sample_ms, double t[3], long *wrong, int trace)
{
	static const double marks[3] = { 0.50, 0.90, 0.95 };
	double start = nb_now(), next = start, got = 0;

	t[0] = t[1] = t[2] = -1;
	*wrong = 0;
	for (;;) {
		double now = nb_now();

		if (now >= next) {
			got = sample(r, node, now - start, trace);
			if (got < 0)
				return -1;
			for (int m = 0; m < 3; m++)
				if (t[m] < 0 && got >= marks[m])
					t[m] = now - start;
			if (got >= share || now - start >= timeout)
				return got;
			next += sample_ms / 1000.0;
			if (next < nb_now())            /* a slow sample: no catching up */
				next = nb_now() + sample_ms / 1000.0;
		}
		*wrong += nb_sweep(r, 0, next, NULL);
	}
}
