/*
 * uptime: /proc/uptime, the intro lab's file (docs/labs/intro.md). It
 * holds two numbers with two decimals, "UP IDLE\n": the seconds since boot
 * and the seconds all CPUs together spent idle. So
 *
 *  - format: two numbers, each with exactly two decimals, and a newline;
 *  - grows: after sleeping 0.3 s the first number has grown by about that
 *    (at least 0.25 s, at most 3 s: a loaded host may be slow);
 *  - idle: the idle time is at most the uptime times the number of CPUs
 *    (plus one tick of rounding per CPU);
 *  - agrees: the uptime is within a second of sysinfo(2)'s and of
 *    CLOCK_BOOTTIME's, which count from the same boot.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* Read /proc/uptime into up and idle (hundredths of a second); 1 when it
 * reads as two numbers with two decimals and a newline. */
static int read_uptime(long *up, long *idle, char *text, size_t size)
{
	unsigned long a, b, c, d;
	int n = 0;

	*up = *idle = -1;
	text[0] = 0;
	if (read_file("/proc/uptime", text, size) <= 0)
		return 0;
	if (sscanf(text, "%lu.%2lu %lu.%2lu\n%n", &a, &b, &c, &d, &n) != 4)
		return 0;
	*up = (long)(a * 100 + b);
	*idle = (long)(c * 100 + d);
	const char *dot1 = strchr(text, '.'), *sp = strchr(text, ' ');
	const char *dot2 = sp ? strchr(sp, '.') : NULL;
	return dot1 && sp && dot2 && sp - dot1 == 3 && strcmp(dot2 + 3, "\n") == 0 &&
	       (size_t)n == strlen(text);
}

int main(void)
{
	char text[128];
	long up0, idle0, up1, idle1;
	struct timespec pause = { 0, 300 * 1000 * 1000 }, boot;
	struct sysinfo si;

	ktap_plan("uptime", 4);
	int good = read_uptime(&up0, &idle0, text, sizeof(text));
	ok(good, "uptime: format: two numbers with two decimals (%.*s)",
	   (int)strcspn(text, "\n"), text);
	nanosleep(&pause, NULL);
	read_uptime(&up1, &idle1, text, sizeof(text));
	ok(good && up1 - up0 >= 25 && up1 - up0 <= 300,
	   "uptime: grows by about 0.3 s over a 0.3 s sleep (%ld hundredths)", up1 - up0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ok(good && idle1 >= 0 && idle1 <= up1 * cpus + cpus,
	   "uptime: idle %ld.%02ld s at most uptime %ld.%02ld s x %ld CPUs",
	   idle1 / 100, idle1 % 100, up1 / 100, up1 % 100, cpus);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	long bt = boot.tv_sec * 100 + boot.tv_nsec / 10000000;
	int si_ok = sysinfo(&si) == 0;
	read_uptime(&up1, &idle1, text, sizeof(text));
	ok(good && si_ok && up1 / 100 - (long)si.uptime <= 1 && (long)si.uptime - up1 / 100 <= 1 &&
	   up1 - bt <= 100 && bt - up1 <= 100,
	   "uptime: agrees with sysinfo (%ld s) and CLOCK_BOOTTIME (%ld.%02ld s): %ld.%02ld s",
	   si_ok ? (long)si.uptime : -1L, bt / 100, bt % 100, up1 / 100, up1 % 100);
	return ktap_done();
}
