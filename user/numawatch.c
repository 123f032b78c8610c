/*
 * numawatch: snapshots of where a process's pages are, over time, as
 * lines a host tool can draw (tools/numaplot.py, `make plot`).
 *
 *   numawatch [-i MS] [-n COUNT] PID        watch a running process
 *   numawatch [-i MS] [-n COUNT] -- CMD ... run CMD and watch it
 *
 * Every MS milliseconds (default 20) one line with the process's resident
 * pages per node, summed over its /proc/PID/numa_maps:
 *
 *   numawatch: pid=7 t=1234567890 N0=300 N1=12
 *
 * t is CLOCK_MONOTONIC in ns, the clock of /sys/kernel/tracing/trace's
 * timestamps. At the start and at the end, one page map per anonymous
 * mapping with resident pages (at most MAX_VMAS, each cut at MAX_PAGES):
 * one character per page, its node ('0'..'9') or '-' when nothing is
 * there, from a move_pages(2) status query on PID (nodes = NULL):
 *
 *   numawatch: pid=7 t=1234567890 map=start 100000001000-100000041000 0000--00...
 *
 * It stops after COUNT snapshots, when the process is gone, or on SIGINT,
 * SIGTERM or SIGUSR1. Stopped by a signal, it takes one more snapshot and
 * the end maps afresh; otherwise the end maps are the last ones taken
 * (the process may be gone). Output is line
 * buffered, each line one write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define MAX_NODES 16
#define MAX_VMAS 8
#define MAX_PAGES 4096
#define BATCH 512
#define PG 4096UL

static char text[1 << 18];
static char maps[MAX_VMAS][MAX_PAGES + 64];   /* the last map taken */
static int nr_maps;
static unsigned long map_t;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
}

/* path's contents into text (read_file, user/lib): length or -1. */
static long slurp(const char *path)
{
	return read_file(path, text, sizeof(text));
}

/* The pages per node of every numa_maps line of pid; -1 if it is gone. */
static int node_pages(int pid, long *pages)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	memset(pages, 0, MAX_NODES * sizeof(long));
	if (slurp(path) <= 0)
		return -1;
	for (char *p = text; (p = strstr(p, " N")); p += 2) {
		char *end;
		long nid = strtol(p + 2, &end, 10);
		if (end != p + 2 && *end == '=' && nid >= 0 && nid < MAX_NODES)
			pages[nid] += strtol(end + 1, NULL, 10);
	}
	return 0;
}

/* One character per page of [start, end) of pid: its node or '-'. */
static int page_map(int pid, unsigned long start, unsigned long end, char *out)
{
	void *pages[BATCH];
	int status[BATCH];
	size_t n = (end - start) / PG, done = 0;

	while (done < n) {
		size_t k = n - done < BATCH ? n - done : BATCH;
		for (size_t i = 0; i < k; i++)
			pages[i] = (void *)(start + (done + i) * PG);
		if (syscall(SYS_move_pages, pid, k, pages, NULL, status, 0))
			return -1;
		for (size_t i = 0; i < k; i++)
			out[done + i] = status[i] >= 0 && status[i] < 10 ? '0' + status[i] : '-';
		done += k;
	}
	out[n] = 0;
	return 0;
}

/* The end of the mapping that starts at start, from /proc/PID/maps. */
static unsigned long vma_end(int pid, unsigned long start)
{
	static char mtext[1 << 16];
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(mtext, 1, sizeof(mtext) - 1, f);
	fclose(f);
	mtext[n] = 0;
	for (char *l = mtext; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *dash;
		if (strtoul(l, &dash, 16) == start && *dash == '-')
			return strtoul(dash + 1, NULL, 16);
	}
	return 0;
}

/* Take the page maps of pid's anonymous mappings with resident pages
 * into maps[]; -1 (maps[] kept as they were) if the process is gone. */
static int take_maps(int pid)
{
	static char fresh[MAX_VMAS][MAX_PAGES + 64];
	unsigned long starts[MAX_VMAS];
	char path[64];
	int n = 0, got = 0;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	if (slurp(path) <= 0)
		return -1;
	for (char *l = text; l && *l && n < MAX_VMAS; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		if (!memmem(l, len, " file=", 6) && memmem(l, len, " anon=", 6))
			starts[n++] = strtoul(l, NULL, 16);
	}
	unsigned long t = now_ns();
	for (int i = 0; i < n; i++) {
		unsigned long end = vma_end(pid, starts[i]);
		if (!end)
			continue;               /* unmapped since */
		if ((end - starts[i]) / PG > MAX_PAGES)
			end = starts[i] + MAX_PAGES * PG;
		int len = snprintf(fresh[got], 64, "%lx-%lx ", starts[i], end);
		if (page_map(pid, starts[i], end, fresh[got] + len))
			return -1;              /* gone (or no longer ours to ask) */
		got++;
	}
	memcpy(maps, fresh, sizeof(fresh));
	nr_maps = got;
	map_t = t;
	return 0;
}

static void print_maps(int pid, const char *which)
{
	for (int i = 0; i < nr_maps; i++)
		printf("numawatch: pid=%d t=%lu map=%s %s\n", pid, map_t, which, maps[i]);
}

/* How many node columns to print: up to the highest nodeN that exists. */
static int nr_node_columns(void)
{
	char path[64];
	int top = 1;

	for (int nid = 0; nid < MAX_NODES; nid++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", nid);
		if (access(path, F_OK) == 0)
			top = nid + 1;
	}
	return top;
}

/* Print one snapshot line; -1 if the process is gone. */
static int snapshot(int pid, int columns)
{
	long pages[MAX_NODES];
	char line[512];
	int len;

	if (node_pages(pid, pages))
		return -1;
	len = snprintf(line, sizeof(line), "numawatch: pid=%d t=%lu", pid, now_ns());
	for (int nid = 0; nid < columns; nid++)
		len += snprintf(line + len, sizeof(line) - len, " N%d=%ld", nid, pages[nid]);
	printf("%s\n", line);
	return 0;
}

/* Is the child (CMD mode) or the process still there? Reaps a child. */
static int alive(int pid, int child)
{
	if (child)
		return waitpid(pid, NULL, WNOHANG) == 0;
	return kill(pid, 0) == 0 || errno == EPERM;
}

static void watch(int pid, int child, long interval_ms, long count)
{
	struct timespec ts = { interval_ms / 1000, interval_ms % 1000 * 1000000 };
	int columns = nr_node_columns();

	if (take_maps(pid) == 0)
		print_maps(pid, "start");
	for (long i = 0; (count <= 0 || i < count) && !stop; i++) {
		if (snapshot(pid, columns) || !alive(pid, child))
			break;
		take_maps(pid);                  /* kept for the end */
		nanosleep(&ts, NULL);
	}
	if (stop && alive(pid, child) && snapshot(pid, columns) == 0)
		take_maps(pid);                  /* stopped by a signal: the state now */
	print_maps(pid, "end");
}

/* Start argv in a child and return once it runs the new program (a
 * close-on-exec pipe closes at the exec), so the start maps are the
 * program's, not a copy of ours. Its pid, or -1 if it could not start. */
static int run(char **argv)
{
	int fds[2], err = 0;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	int pid = fork();
	if (pid == 0) {
		close(fds[0]);
		execv(argv[0], argv);
		err = errno;
		write(fds[1], &err, sizeof(err));
		_exit(127);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &err, sizeof(err)) == sizeof(err)) {
		fprintf(stderr, "numawatch: %s: %s\n", argv[0], strerror(err));
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

static int usage(void)
{
	fprintf(stderr, "usage: numawatch [-i MS] [-n COUNT] PID | -- CMD [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	long interval = 20, count = 0;
	int i = 1, pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i + 1 < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i += 2) {
		if (!strcmp(argv[i], "-i"))
			interval = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-n"))
			count = atol(argv[i + 1]);
		else
			return usage();
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	if (i < argc && !strcmp(argv[i], "--") && i + 1 < argc) {
		if ((pid = run(argv + i + 1)) < 0)
			return 1;
		watch(pid, 1, interval, count);
		return 0;
	}
	if (i + 1 != argc || (pid = atoi(argv[i])) <= 0)
		return usage();
	watch(pid, 0, interval, count);
	return 0;
}
