/*
 * procfiles: the /proc files ps, top, free and uptime read, and the CPU-time
 * accounting behind them (getrusage, times), checked for Linux's formats
 * and for values that must hold:
 *  - /proc/self/stat has 52 fields: pid, (comm), state, ppid ...; utime
 *    grows while the process computes, min_flt while it touches new pages,
 *    cutime once a computing child has been reaped;
 *  - statm, cmdline (argv as given), environ, exe, cwd, fd/ (a pipe, a
 *    file, /dev/null), /proc/self, status;
 *  - a zombie child shows state Z until it is reaped;
 *  - getrusage (SELF, CHILDREN, THREAD; EINVAL otherwise), wait4's rusage
 *    and times agree with /proc; sleeping counts voluntary context switches;
 *  - /proc/stat, uptime, loadavg, cpuinfo, version, filesystems, mounts,
 *    self/mounts.
 * The same binary passes on Linux.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define NFIELDS 52

static char buf[1 << 16];
static char comm[32];              /* "(name)" as stat shows it */

/* /proc/PID/stat split into fields (1-based, as proc(5) numbers them);
 * comm (2) may hold spaces: it runs to the last ')'. Returns the count. */
static int stat_fields(const char *path, char f[NFIELDS + 2][64])
{
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close)
		return -1;
	snprintf(f[1], 64, "%.*s", (int)(open - buf - 1), buf);
	snprintf(f[2], 64, "%.*s", (int)(close - open + 1), open);
	int n = 2;
	for (char *s = strtok(close + 1, " \n"); s; s = strtok(NULL, " \n"))
		if (++n <= NFIELDS + 1)
			snprintf(f[n], 64, "%s", s);
	return n;
}

static unsigned long field(const char *path, int i)
{
	char f[NFIELDS + 2][64];

	return stat_fields(path, f) >= i ? strtoul(f[i], NULL, 10) : 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

/* Compute (in user mode) until getrusage says sec of user time, or 10 s. */
static void spin(double sec)
{
	volatile unsigned long x = 0;
	double start = now_seconds();

	while (cpu_seconds() < sec && now_seconds() - start < 10)
		for (int i = 0; i < 1000000; i++)
			x += i;
}

static void test_stat(void)
{
	char f[NFIELDS + 2][64];
	int n = stat_fields("/proc/self/stat", f);

	ok(n == NFIELDS, "stat: %d fields (want %d)", n, NFIELDS);
	ok(n >= 4 && atoi(f[1]) == getpid() && strcmp(f[2], comm) == 0 &&
	   strchr("RSD", f[3][0]) && atoi(f[4]) == getppid(),
	   "stat: pid %s %s state %s ppid %s", f[1], f[2], f[3], f[4]);
	unsigned long start = strtoul(f[22], NULL, 10), up = 0;
	if (read_file("/proc/uptime", buf, sizeof(buf)) > 0)
		up = (unsigned long)(atof(buf) * 100) + 1;
	ok(n >= 22 && start <= up, "stat: starttime %lu ticks <= uptime %lu", start, up);
	/* (rss may read 0 on Linux 6.2+: its counters are per-CPU estimates) */
	ok(n >= 24 && strtoul(f[23], NULL, 10) > 0, "stat: vsize %s, rss %s pages", f[23], f[24]);
}

static void test_utime(void)
{
	unsigned long before = field("/proc/self/stat", 14);
	struct tms t;

	spin(before / 100.0 + 0.3);
	unsigned long after = field("/proc/self/stat", 14);
	ok(after >= before + 20, "stat: utime %lu -> %lu ticks after computing 0.3 s", before,
	   after);
	clock_t now = times(&t);
	ok(now != (clock_t)-1 && (unsigned long)t.tms_utime >= after &&
	   (unsigned long)t.tms_utime <= after + 50,
	   "times: utime %ld ticks, as /proc says (%lu)", (long)t.tms_utime, after);
	clock_t later = times(NULL);
	ok(later >= now, "times: clock ticks %ld -> %ld", (long)now, (long)later);
}

static void test_faults(void)
{
	unsigned long before = field("/proc/self/stat", 10);
	long pages = 256;
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	for (long i = 0; p != MAP_FAILED && i < pages; i++)
		p[i * 4096] = 1;
	unsigned long after = field("/proc/self/stat", 10);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	ok(after >= before + pages, "stat: minflt %lu -> %lu after touching %ld pages", before,
	   after, pages);
	ok((unsigned long)ru.ru_minflt >= after, "getrusage: minflt %ld", ru.ru_minflt);
	munmap(p, pages * 4096);
}

static void child_spin(void *arg __attribute__((unused)))
{
	spin(0.3);
}

static void test_children(void)
{
	struct rusage ru, th;
	int status = run_child(child_spin, NULL);
	int err = getrusage(RUSAGE_CHILDREN, &ru) | getrusage(RUSAGE_THREAD, &th);

	ok(err == 0 && ru.ru_utime.tv_sec * 1000000 +
	   ru.ru_utime.tv_usec >= 200000 && exited_with(status, 0),
	   "getrusage CHILDREN: %ld.%06ld s user after a child computed 0.3 s",
	   (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
	ok(field("/proc/self/stat", 16) >= 20, "stat: cutime %lu ticks",
	   field("/proc/self/stat", 16));
	ok(err == 0 && th.ru_utime.tv_sec + th.ru_utime.tv_usec > 0,
	   "getrusage THREAD: %ld.%06ld s user", (long)th.ru_utime.tv_sec,
	   (long)th.ru_utime.tv_usec);
	ok_errno(getrusage(7, &ru), EINVAL, "getrusage(7): EINVAL");
}

/* wait4's rusage is the reaped child's own. */
static void test_wait4_rusage(void)
{
	struct rusage ru = { 0 };
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		spin(0.3);
		_exit(0);
	}
	pid_t got = wait4(pid, &status, 0, &ru);
	long us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec;
	ok(got == pid && us >= 200000 && us < 5000000 && ru.ru_minflt > 0,
	   "wait4: child's rusage %ld us user, %ld minflt", us, ru.ru_minflt);
}

static void test_switches(void)
{
	struct rusage a, b;

	getrusage(RUSAGE_SELF, &a);
	for (int i = 0; i < 3; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	getrusage(RUSAGE_SELF, &b);
	ok(b.ru_nvcsw >= a.ru_nvcsw + 3, "getrusage: nvcsw %ld -> %ld after 3 sleeps",
	   a.ru_nvcsw, b.ru_nvcsw);
	long v = file_counter("/proc/self/status", "voluntary_ctxt_switches");
	ok(v >= b.ru_nvcsw, "status: voluntary_ctxt_switches %ld", v);
}

static void test_statm(void)
{
	unsigned long v[7] = { 0 };
	int n = read_file("/proc/self/statm", buf, sizeof(buf)) > 0 ?
		sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4],
		       &v[5], &v[6]) : 0;
	unsigned long vsize = field("/proc/self/stat", 23);

	ok(n == 7 && v[1] <= v[0] && v[1] > 0 && v[0] * 4096 == vsize,
	   "statm: size %lu resident %lu (stat's vsize %lu bytes)", v[0], v[1], vsize);
}

/* The NUL-separated strings of v, as /proc shows argv and envp. */
static long joined(char *const *v, char *out, size_t size)
{
	size_t len = 0;

	for (; v && *v && len + strlen(*v) + 1 <= size; v++) {
		memcpy(out + len, *v, strlen(*v) + 1);
		len += strlen(*v) + 1;
	}
	return len;
}

static void test_cmdline(char **argv, char **envp)
{
	static char want[1 << 16];
	long wlen = joined(argv, want, sizeof(want));
	long n = read_file("/proc/self/cmdline", buf, sizeof(buf));

	ok(n == wlen && memcmp(buf, want, n) == 0, "cmdline: %ld bytes, argv's %ld", n, wlen);
	wlen = joined(envp, want, sizeof(want));
	n = read_file("/proc/self/environ", buf, sizeof(buf));
	ok(n == wlen && memcmp(buf, want, n) == 0, "environ: %ld bytes, envp's %ld", n, wlen);
}

static void test_links(void)
{
	char link[4096], cwd[4096], self[32];
	struct stat a, b;
	ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);

	link[n > 0 ? n : 0] = 0;
	ok(n > 0 && link[0] == '/' && strstr(link, "procfiles") && stat(link, &a) == 0 &&
	   stat("/proc/self/exe", &b) == 0 && a.st_ino == b.st_ino,
	   "exe -> %s (the same file)", link);
	n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(n > 0 && getcwd(cwd, sizeof(cwd)) && strcmp(link, cwd) == 0, "cwd -> %s", link);
	n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(self, sizeof(self), "%d", getpid());
	ok(strcmp(link, self) == 0, "/proc/self -> %s (pid %s)", link, self);
}

static int fd_listed(int fd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)))
		found |= atoi(e->d_name) == fd && e->d_name[0] != '.';
	if (d)
		closedir(d);
	return found;
}

static void fd_link(int fd, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, out, size - 1);
	out[n > 0 ? n : 0] = 0;
}

static void test_fds(void)
{
	int p[2], null = open("/dev/null", O_WRONLY);
	char r[256], w[256], nl[256];

	if (pipe(p))
		p[0] = p[1] = -1;
	fd_link(p[0], r, sizeof(r));
	fd_link(p[1], w, sizeof(w));
	fd_link(null, nl, sizeof(nl));
	ok(fd_listed(p[0]) && fd_listed(p[1]) && fd_listed(null), "fd/: lists %d, %d and %d",
	   p[0], p[1], null);
	ok(strncmp(r, "pipe:[", 6) == 0 && strcmp(r, w) == 0, "fd/: pipe ends -> %s, %s", r, w);
	ok(strcmp(nl, "/dev/null") == 0, "fd/%d -> %s", null, nl);
	int high = dup2(null, 100);           /* a number opendir will not take */
	ok(high == 100 && fd_listed(high), "fd/: lists %d after dup2", high);
	close(high);
	ok(!fd_listed(high), "fd/: %d gone once closed", high);
	close(null);
	close(p[0]);
	close(p[1]);
}

/* A child that has exited shows state Z until it is reaped. */
static void test_zombie(void)
{
	char path[64], f[NFIELDS + 2][64] = { { 0 } };
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(3);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 200 && !(stat_fields(path, f) >= 3 && f[3][0] == 'Z'); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	ok(f[3][0] == 'Z' && atoi(f[4]) == getpid(), "zombie child: state %s ppid %s", f[3],
	   f[4]);
	waitpid(pid, &status, 0);
	ok(access(path, F_OK) != 0, "reaped child: %s gone", path);
}

static void test_status(void)
{
	ok(file_counter("/proc/self/status", "Pid") == getpid() &&
	   file_counter("/proc/self/status", "PPid") == getppid() &&
	   file_counter("/proc/self/status", "Threads") == 1 &&
	   read_file("/proc/self/status", buf, sizeof(buf)) > 0 &&
	   strncmp(strstr(buf, "Name:\t") ? strstr(buf, "Name:\t") + 6 : "", comm + 1,
		   strlen(comm) - 2) == 0 && strstr(buf, "State:\tR (running)\n"),
	   "status: Name, State, Pid, PPid, Threads");
}

static void test_system(void)
{
	double up = 0, idle = -1, l[3] = { -1, -1, -1 };
	int running = 0, total = 0, last = 0, ncpu = 0, n;
	unsigned long u = 0, s = 0, i = 0;

	n = read_file("/proc/uptime", buf, sizeof(buf)) > 0 ? sscanf(buf, "%lf %lf", &up, &idle) : 0;
	ok(n == 2 && up > 0 && idle >= 0, "uptime: %.2f s, idle %.2f s", up, idle);
	n = read_file("/proc/loadavg", buf, sizeof(buf)) > 0 ?
	    sscanf(buf, "%lf %lf %lf %d/%d %d", &l[0], &l[1], &l[2], &running, &total, &last) : 0;
	ok(n == 6 && l[0] >= 0 && running >= 1 && total >= running && last > 0,
	   "loadavg: %.2f %.2f %.2f %d/%d %d", l[0], l[1], l[2], running, total, last);
	n = read_file("/proc/stat", buf, sizeof(buf)) > 0 ?
	    sscanf(buf, "cpu  %lu %*u %lu %lu", &u, &s, &i) : 0;
	ok(n == 3 && u + s > 0 && strstr(buf, "\nctxt ") && strstr(buf, "\nbtime ") &&
	   strstr(buf, "\nprocesses ") && strstr(buf, "\nprocs_running "),
	   "stat: cpu user %lu system %lu idle %lu", u, s, i);
	if (read_file("/proc/cpuinfo", buf, sizeof(buf)) <= 0)
		buf[0] = 0;
	for (char *p = buf; (p = strstr(p, "processor\t: ")); p++)
		ncpu++;
	ok(ncpu == sysconf(_SC_NPROCESSORS_ONLN) && strstr(buf, "\nvendor_id\t: ") &&
	   strstr(buf, "\nflags\t\t: "), "cpuinfo: %d processors", ncpu);
	ok(read_file("/proc/version", buf, sizeof(buf)) > 0 &&
	   strncmp(buf, "Linux version ", 14) == 0, "version: %.40s", buf);
	ok(read_file("/proc/filesystems", buf, sizeof(buf)) > 0 && strstr(buf, "\tproc\n"),
	   "filesystems: proc");
	ok(read_file("/proc/mounts", buf, sizeof(buf)) > 0 && strstr(buf, " /proc proc "),
	   "mounts: /proc");
	ok(read_file("/proc/self/mounts", buf, sizeof(buf)) > 0 && strstr(buf, " /proc proc "),
	   "self/mounts: /proc");
}

int main(int argc __attribute__((unused)), char **argv, char **envp)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	snprintf(comm, sizeof(comm), "(%.15s)", base);   /* TASK_COMM_LEN - 1 */
	ktap_plan("procfiles", 38);
	test_stat();
	test_utime();
	test_faults();
	test_children();
	test_wait4_rusage();
	test_switches();
	test_statm();
	test_cmdline(argv, envp);
	test_links();
	test_fds();
	test_zombie();
	test_status();
	test_system();
	return ktap_done();
}
