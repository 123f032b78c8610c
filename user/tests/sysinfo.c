/*
 * sysinfo: struct sysinfo as Linux fills it, checked against the files
 * that show the same numbers (/proc/meminfo, CLOCK_BOOTTIME): total RAM
 * equals MemTotal, the swap totals equal SwapTotal, free memory and
 * shared memory are near MemFree and Shmem (they move), the uptime is the
 * boot clock's, and procs counts new processes. busybox free reads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define BADP ((void *)1)

static unsigned long kb(const struct sysinfo *s, unsigned long v)
{
	return (unsigned long)((unsigned long long)v * s->mem_unit / 1024);
}

/* |a - b| <= slack */
static int near(unsigned long a, unsigned long b, unsigned long slack)
{
	return (a > b ? a - b : b - a) <= slack;
}

static void check_memory(const struct sysinfo *s)
{
	unsigned long total = kb(s, s->totalram), slack = total / 20;

	ok(s->mem_unit >= 1, "mem_unit %u", s->mem_unit);
	ok(total == (unsigned long)meminfo_kb("MemTotal"), "totalram %lu kB = MemTotal %ld kB",
	   total, meminfo_kb("MemTotal"));
	ok(s->freeram <= s->totalram && near(kb(s, s->freeram), meminfo_kb("MemFree"), slack),
	   "freeram %lu kB near MemFree %ld kB", kb(s, s->freeram), meminfo_kb("MemFree"));
	ok(near(kb(s, s->sharedram), meminfo_kb("Shmem"), slack),
	   "sharedram %lu kB near Shmem %ld kB", kb(s, s->sharedram), meminfo_kb("Shmem"));
	ok(near(kb(s, s->bufferram), meminfo_kb("Buffers"), slack),
	   "bufferram %lu kB near Buffers %ld kB", kb(s, s->bufferram), meminfo_kb("Buffers"));
	ok(kb(s, s->totalswap) == (unsigned long)meminfo_kb("SwapTotal") &&
	   s->freeswap <= s->totalswap, "totalswap %lu kB = SwapTotal %ld kB, freeswap %lu kB",
	   kb(s, s->totalswap), meminfo_kb("SwapTotal"), kb(s, s->freeswap));
}

/* The 1-minute load sysinfo gives (fixed point, 16 fraction bits) is the
 * one /proc/loadavg prints (two decimals); a 5-s update may fall between
 * the two reads, so one more try. */
static void check_loads(const struct sysinfo *s0)
{
	struct sysinfo s = *s0;
	char buf[128];
	double file = -1, mine = -1;

	for (int i = 0; i < 2; i++) {
		if (read_file("/proc/loadavg", buf, sizeof(buf)) <= 0 || sscanf(buf, "%lf", &file) != 1)
			break;
		mine = s.loads[0] / 65536.0;
		if (mine - file < 0.02 && file - mine < 0.02)
			break;
		sysinfo(&s);
	}
	ok(file >= 0 && mine - file < 0.02 && file - mine < 0.02,
	   "loads[0] %.2f = /proc/loadavg's %.2f", mine, file);
}

static void check_uptime(const struct sysinfo *s)
{
	struct timespec bt;

	clock_gettime(CLOCK_BOOTTIME, &bt);
	ok(near((unsigned long)s->uptime, (unsigned long)bt.tv_sec, 1),
	   "uptime %ld s = CLOCK_BOOTTIME %ld s (rounded)", (long)s->uptime, (long)bt.tv_sec);
	check_loads(s);
}

/* Three children that wait: procs counts them (on Numbat, where nothing
 * else starts processes meanwhile). */
static void check_procs(void)
{
	struct sysinfo a, b;
	int p[2];
	pid_t kids[3];

	if (pipe(p))
		ktap_bail("pipe");
	sysinfo(&a);
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char c;
			close(p[1]);
			read(p[0], &c, 1);         /* until the parent closes it */
			_exit(0);
		}
	}
	sysinfo(&b);
	close(p[1]);
	for (int i = 0; i < 3; i++)
		waitpid(kids[i], NULL, 0);
	close(p[0]);
	ok(a.procs >= 1, "procs %u", a.procs);
	if (is_numbat())
		ok(b.procs >= a.procs + 3 && b.procs <= a.procs + 5,
		   "three more processes: procs %u -> %u", a.procs, b.procs);
	else
		skip("other processes come and go on the host", "procs counts new processes");
}

static void check_busybox_free(void)
{
	if (access("/bin/busybox", X_OK)) {
		skip("no /bin/busybox", "busybox free");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl("/bin/busybox", "free", (char *)NULL);
		_exit(127);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	ok(exited_with(status, 0), "busybox free exits 0 (%s)", status_str(status));
}

int main(void)
{
	struct sysinfo s;

	ktap_plan("sysinfo", 1 + 6 + 2 + 2 + 1 + 1);
	ok(syscall(SYS_sysinfo, &s) == 0, "sysinfo");
	check_memory(&s);
	check_uptime(&s);
	check_procs();
	ok_errno(syscall(SYS_sysinfo, BADP), EFAULT, "sysinfo(bad pointer): EFAULT");
	check_busybox_free();
	return ktap_done();
}
