/*
 * util.c: small helpers shared by the user-space tests (see ktap.h).
 * Only system calls from Numbat's list: uname, open, read, close, fork, wait4,
 * sched_setaffinity, clock_gettime, move_pages.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

int is_numbat(void)
{
	struct utsname u;

	/* sysname is "Linux" on both; Numbat names itself in version */
	return uname(&u) == 0 && strstr(u.version, "Numbat") != NULL;
}

long read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Find "key" at the start of a line of text and return the number after it
 * (skipping ':' and blanks), or -1. */
static long find_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && (p[klen] == ':' || p[klen] == ' '))
			return strtol(p + klen + 1 + strspn(p + klen + 1, " \t:"), NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Static so that reading a counter touches no new memory once warmed up
 * (the demand-paging test counts page faults around these calls). */
static char counter_buf[16384];

long meminfo_kb(const char *key)
{
	if (read_file("/proc/meminfo", counter_buf, sizeof(counter_buf)) < 0)
		return -1;
	return find_value(counter_buf, key);
}

long file_counter(const char *path, const char *key)
{
	if (read_file(path, counter_buf, sizeof(counter_buf)) < 0)
		return -1;
	return find_value(counter_buf, key);
}

int run_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void read_byte(void *a)  { (void)*(volatile char *)a; }
static void write_byte(void *a) { *(volatile char *)a = 1; }

int touch_in_child(void *addr, int write)
{
	return run_child(write ? write_byte : read_byte, addr);
}

int killed_by(int status, int sig)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

int exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

const char *status_str(int status)
{
	static char buf[48];

	if (status == -1)
		snprintf(buf, sizeof(buf), "fork or wait failed");
	else if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "status %#x", status);
	return buf;
}

int cpulist_parse(const char *s, unsigned long *bits, int nbits)
{
	int n = 0;

	memset(bits, 0, (nbits + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(long));
	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s)
				return -1;
		}
		if (lo < 0 || hi < lo || hi >= nbits)
			return -1;
		for (long c = lo; c <= hi; c++, n++)
			bit_set(bits, c);
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return n;
}

unsigned long rdtsc(void)
{
	unsigned lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long)hi << 32) | lo;
}

char *touch_anon(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (long i = 0; i < len; i += 4096)
		p[i] = (char)(i / 4096);
	return p;
}

int node_first_cpu(int n)
{
	char path[80], buf[256];
	unsigned long bits[4];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
	if (read_file(path, buf, sizeof(buf)) <= 0 || cpulist_parse(buf, bits, 256) <= 0)
		return -1;
	for (int c = 0; c < 256; c++)
		if (bit_test(bits, c))
			return c;
	return -1;
}

int pin_to_cpu(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int pages_on_node(const char *m, int n, int nid)
{
	void *pages[64];
	int status[64], count = 0;

	if (n > 64)
		return -1;
	for (int i = 0; i < n; i++)
		pages[i] = (void *)(m + i * 4096L);
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		count += status[i] == nid;
	return count;
}

int text_node(void *fn)
{
	void *pg[1] = { (void *)((unsigned long)fn & ~4095UL) };
	int st[1] = { -1 };

	return syscall(SYS_move_pages, 0, 1, pg, NULL, st, 0) < 0 ? -1 : st[0];
}

int numa_maps_says(int pid, const void *m, const char *want)
{
	char path[64], buf[8192], start[32];

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	snprintf(start, sizeof(start), "%lx ", (unsigned long)m);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	for (char *line = buf; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = 0;
		if (!strncmp(line, start, strlen(start)))
			return strstr(line, want) != NULL;
		line = end ? end + 1 : NULL;
	}
	return 0;
}

long replicas_settle(long want)
{
	long n = file_counter("/proc/vmstat", "numbat_nr_replica_pages");

	for (int i = 0; i < 500 && n != want; i++) {
		usleep(20000);
		n = file_counter("/proc/vmstat", "numbat_nr_replica_pages");
	}
	return n;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int child_later(int ms, int fd, int sig)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		usleep(ms * 1000);
		if (fd >= 0 && write(fd, "x", 1) != 1)
			_exit(1);
		if (sig)
			kill(parent, sig);
		_exit(0);
	}
	return pid;
}

void reap_child(int pid)
{
	int st;

	waitpid(pid, &st, 0);
}
