/*
 * swaptest.c: helpers of the swap and reclaim tests (swaptest.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

long swt_size(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case 0: break;
	default: return -1;
	}
	return *end ? -1 : v;
}

int swt_getopt(int argc, char **argv, const char *opts, struct swt_opts *o)
{
	char all[64];
	int c;

	snprintf(all, sizeof(all), "m:s:%s", opts);
	if (!o->ram)                        /* first call: the defaults */
		o->ram = meminfo_kb("MemTotal") * 1024;
	while ((c = getopt(argc, argv, all)) != -1) {
		if (c == 'm') {
			o->ram = swt_size(optarg);
			if (o->ram <= 0) {
				fprintf(stderr, "bad size %s\n", optarg);
				exit(2);
			}
		} else if (c == 's') {
			o->dev = optarg;
		} else {
			return c;
		}
	}
	return -1;
}

void swt_start(const char *suite, int n, const struct swt_opts *o)
{
	ktap_plan(suite, n + 1);
	if (o->dev)
		ok(swt_swapon(o->dev) == 0, "swap on %s", o->dev);
	else
		skip("no -s", "swap on a device");
}

int swt_skip_rest(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		skip(why, "check %d", i + 1);
	return ktap_done();
}

void swt_fill(void *p, size_t len, unsigned pass, unsigned seed)
{
	unsigned long *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = swt_pat(&w[i], pass, seed);
}

long swt_check(const void *p, size_t len, unsigned pass, unsigned seed, const void **bad)
{
	const unsigned long *w = p;
	long nbad = 0;

	for (size_t i = 0; i < len / 8; i++) {
		if (w[i] == swt_pat(&w[i], pass, seed))
			continue;
		if (!nbad++ && bad)
			*bad = &w[i];
	}
	return nbad;
}

void *swt_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

long swt_vmstat(const char *key)
{
	return file_counter("/proc/vmstat", key);
}

int swt_swapon(const char *dev)
{
	char buf[4096];

	if (read_file("/proc/swaps", buf, sizeof(buf)) > 0) {
		for (char *l = strchr(buf, '\n'); l; l = strchr(l + 1, '\n'))
			if (!strncmp(l + 1, dev, strlen(dev)) && strchr(" \t", l[1 + strlen(dev)]))
				return 0;
	}
	return swapon(dev, 0);
}

long swt_avail(void)
{
	long mf = meminfo_kb("MemFree"), sf = meminfo_kb("SwapFree");

	return mf < 0 || sf < 0 ? -1 : (mf + sf) * 1024;
}

long swt_swap_unaccounted(void)
{
	long used = meminfo_kb("SwapTotal") - meminfo_kb("SwapFree");
	long cached = meminfo_kb("SwapCached");
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300];

	used -= cached > 0 ? cached : 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		long kb = file_counter(path, "VmSwap");
		used -= kb > 0 ? kb : 0;
	}
	if (d)
		closedir(d);
	/* QUIRK Linux: each CPU keeps up to 64 slots allocated ahead and 64
	 * freed ones batched (mm/swap_slots.c), all counted as in use. */
	if (!is_numbat())
		used -= 2 * 64 * 4 * sysconf(_SC_NPROCESSORS_ONLN);
	return used;
}

long swt_wait_swap_empty(long ms, long *left)
{
	long t0 = swt_ms();

	for (;;) {
		long n = swt_swap_unaccounted();

		if (n <= 0)
			return swt_ms() - t0;
		*left = n;
		if (swt_ms() - t0 >= ms)
			return -1;
		swt_sleep_ms(10);
	}
}

int swt_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

int swt_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int swt_node_cpu(int nid)
{
	char path[64], buf[256];
	unsigned long bits[1024 / BITS_PER_LONG];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", nid);
	if (read_file(path, buf, sizeof(buf)) < 0 || cpulist_parse(buf, bits, 1024) <= 0)
		return -1;
	for (int c = 0; c < 1024; c++)
		if (bit_test(bits, c))
			return c;
	return -1;
}

long swt_vmswap(void)
{
	long kb = file_counter("/proc/self/status", "VmSwap");

	return kb < 0 ? -1 : kb * 1024;
}

long swt_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void swt_sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

const char *swt_two_node_why(long len, int *cpu0)
{
	int two = access("/sys/devices/system/node/node1", F_OK) == 0;

	*cpu0 = swt_node_cpu(0);
	return !two ? "no node 1" : *cpu0 < 0 ? "no CPU on node 0" :
	       meminfo_kb("SwapTotal") <= 0 ? "no swap area" :
	       swt_avail() < len + (8L << 20) ? "MemFree + SwapFree too small" : NULL;
}

int swt_pagemap(const void *p, uint64_t *e, int n)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return -1;
	long r = pread(fd, e, n * sizeof(*e), (long)((uintptr_t)p / 4096) * 8);
	close(fd);
	return r == (long)(n * sizeof(*e)) ? 0 : -1;
}

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SWP_TYPE_MIGRATION 31     /* a page being migrated, not swap */
#define KPF_SWAPCACHE 13

/* Add the pages of [lo, hi) to *swapped and *cached; kf: /proc/kpageflags. */
static int own_swap_range(int kf, uint64_t lo, uint64_t hi, long *swapped, long *cached)
{
	uint64_t e[256];

	for (uint64_t va = lo; va < hi; ) {
		int n = (int)((hi - va) / 4096 < 256 ? (hi - va) / 4096 : 256);
		if (swt_pagemap((void *)va, e, n))
			return -1;
		for (int i = 0; i < n; i++) {
			uint64_t flags = 0;
			if ((e[i] & PM_SWAP) && (e[i] & 31) != PM_SWP_TYPE_MIGRATION)
				(*swapped)++;
			else if ((e[i] & PM_PRESENT) && (e[i] & PM_PFN_MASK) &&
				 pread(kf, &flags, 8, (long)(e[i] & PM_PFN_MASK) * 8) == 8 &&
				 (flags >> KPF_SWAPCACHE & 1))
				(*cached)++;
		}
		va += (uint64_t)n * 4096;
	}
	return 0;
}

int swt_own_swap(long *swapped, long *cached)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	int kf = open("/proc/kpageflags", O_RDONLY);
	char line[512];
	int err = !maps || kf < 0 ? -1 : 0;

	*swapped = *cached = 0;
	while (!err && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && !strstr(line, "[vsyscall]"))
			err = own_swap_range(kf, lo, hi, swapped, cached);
	}
	if (maps)
		fclose(maps);
	if (kf >= 0)
		close(kf);
	return err;
}
