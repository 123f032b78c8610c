/*
 * swapoff: turning off a swap area that holds pages. The test fills RAM/2
 * with a pattern, a child touches RAM's worth of memory to push it out,
 * then swapoff(2) on the area (the first of /proc/swaps) must succeed,
 * bring every page back (every word right, VmSwap 0) and take the area's
 * size off SwapTotal (0 when it was the only one). swapon(2) then takes it
 * back, with the default priority it had (Linux returns it at swapoff). Plus the errors user/tests/swapon.c does not check: missing and
 * empty paths, a bad pointer, a directory, a file that is no swap area, a
 * path too long, and (where setuid exists) a caller without the right.
 *
 *   swapoff [-m RAM] [-s DEV]
 *
 * Without a swap area the area checks are skipped. On Linux, as root, with
 * swap on: swapoff -m 16M (it turns the first area off and on again).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define NCHECKS 8             /* checks of the area itself */

struct area { char path[256]; long kb; int prio; };

/* The first area of /proc/swaps; 0, or -1 if there is none. */
static int first_area(struct area *a)
{
	char buf[4096], *l;

	if (read_file("/proc/swaps", buf, sizeof(buf)) <= 0 || !(l = strchr(buf, '\n')) || !l[1])
		return -1;
	if (sscanf(l + 1, "%255s %*s %ld %*d %d", a->path, &a->kb, &a->prio) != 3)
		return -1;
	return 0;
}

static void push(void *arg)
{
	long len = *(long *)arg;
	char *p = swt_map(len);

	for (long i = 0; i < len; i += PAGE)
		p[i] = 1;
}

/* Linux gives a default (negative) priority back at swapoff: the only
 * area, swapped on again without a priority, gets the one it had. */
static void check_prio_back(const struct area *a, int only)
{
	struct area b;

	if (!only || a->prio >= 0) {
		skip("not the only area, or a priority of its own", "the same default priority again");
		return;
	}
	int r = first_area(&b);
	ok(r == 0 && b.prio == a->prio, "the same default priority again (%d, was %d)",
	   r == 0 ? b.prio : 0, a->prio);
}

/* Pages out, swapoff, everything back, swapon again. */
static void check_area(const struct area *a, long ram)
{
	long len = ram / 2 & ~(PAGE - 1), total0 = meminfo_kb("SwapTotal");
	char *p = swt_map(len);

	swt_fill(p, len, 0, 5);
	int st = run_child(push, &ram);
	long vmswap = swt_vmswap(), used = total0 - meminfo_kb("SwapFree");
	diag("%s: %ld kB; child pushed: %s; VmSwap %ld kB, swap in use %ld kB", a->path, a->kb,
	     status_str(st), vmswap / 1024, used);
	ok(exited_with(st, 0) && (vmswap > 0 || (vmswap < 0 && used > 0)),
	   "pages of the test are in swap (VmSwap %ld kB)", vmswap / 1024);
	long t0 = swt_ms();
	int r = swapoff(a->path);
	ok(r == 0, "swapoff(%s) (%s, %ld ms)", a->path, r ? strerror(errno) : "ok", swt_ms() - t0);
	ok(swt_check(p, len, 0, 5, NULL) == 0, "every word of the %ld MiB is right", len >> 20);
	vmswap = swt_vmswap();
	if (vmswap < 0)
		skip("no VmSwap in /proc/self/status", "VmSwap is 0");
	else    /* QUIRK Linux 6.1: a task's counters reach its mm every 64 faults */
		ok(vmswap <= (is_numbat() ? 0 : 64 * PAGE), "VmSwap is 0 (%ld kB%s)", vmswap / 1024,
		   is_numbat() ? "" : "; Linux may lag by 64 pages");
	long total = meminfo_kb("SwapTotal");
	ok(total == total0 - a->kb, "SwapTotal %ld -> %ld kB%s", total0, total,
	   total0 == a->kb ? " (it was the only area)" : "");
	ok(swapon(a->path, 0) == 0, "swapon(%s) again", a->path);
	ok(meminfo_kb("SwapTotal") == total0, "SwapTotal is %ld kB again", total0);
	check_prio_back(a, total0 == a->kb);
}

/* A child without the right to swap (setuid to nobody): EPERM for both. */
static void check_eperm(const char *path)
{
	int fds[2], res[2] = { -1, -1 };

	if (pipe(fds) < 0)
		ktap_bail("pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (syscall(SYS_setuid, 65534) < 0) {
			res[0] = res[1] = -2;
		} else {
			res[0] = swapon(path, 0) < 0 ? errno : 0;
			res[1] = swapoff(path) < 0 ? errno : 0;
		}
		_exit(write(fds[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof(res)) != sizeof(res))
		res[0] = res[1] = -3;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (res[0] == -2) {
		skip("no setuid", "swapon as nobody: EPERM");
		skip("no setuid", "swapoff as nobody: EPERM");
		return;
	}
	ok(res[0] == EPERM, "swapon as nobody: EPERM (%d)", res[0]);
	ok(res[1] == EPERM, "swapoff as nobody: EPERM (%d)", res[1]);
}

static void check_errors(const char *path)
{
	static char longpath[PATH_MAX + 16];
	int fd = open("swapoff.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);

	ok_errno(swapoff("/nonexistent/swap"), ENOENT, "swapoff of a missing path");
	ok_errno(swapoff(""), ENOENT, "swapoff of an empty path");
	ok_errno(syscall(SYS_swapoff, (char *)8), EFAULT, "swapoff of a bad pointer");
	ok_errno(swapoff("/"), EISDIR, "swapoff of a directory");
	ok(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0, "a scratch file");
	ok_errno(swapoff("swapoff.tmp"), EINVAL, "swapoff of a file that is no swap area");
	unlink("swapoff.tmp");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	ok_errno(swapon(longpath, 0), ENAMETOOLONG, "swapon of a path longer than PATH_MAX");
	ok_errno(swapoff(longpath), ENAMETOOLONG, "swapoff of a path longer than PATH_MAX");
	check_eperm(path);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0, NULL };
	struct area a;

	if (swt_getopt(argc, argv, "", &o) != -1)
		return 2;
	swt_start("swapoff", NCHECKS + 10, &o);
	int have = first_area(&a) == 0;
	long avail = swt_avail();
	if (!have || avail < o.ram * 3 / 2 + (8L << 20)) {
		for (int i = 0; i < NCHECKS; i++)
			skip(have ? "MemFree + SwapFree too small" : "no swap area", "area check %d", i + 1);
	} else {
		check_area(&a, o.ram);
	}
	check_errors(have ? a.path : "/dev/null");
	return ktap_done();
}
