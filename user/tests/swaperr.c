/*
 * swaperr: I/O errors on the swap device, through block-layer fault
 * injection (/sys/block/DEV/make-it-fail: while it reads 1, every request
 * to DEV fails with -EIO).
 *
 * 1. Read error. A child fills 1.5 x RAM (so part of it goes to swap),
 *    then reads it back while the swap device fails: each page it cannot
 *    read raises SIGBUS (it catches the signal and goes on to the next
 *    page, counting), each page it can read must hold its data; at the
 *    end it touches a failed page with SIGBUS's default action and must
 *    die of it. Nothing may leak: every swap slot comes back (SwapFree)
 *    and MemFree does not drop by a page per failed read.
 * 2. With injection off again, a new child swaps 1.5 x RAM out and in,
 *    every word right.
 * 3. Write error. A holder fills RAM / 8 and sleeps; with the device
 *    failing, a hog then fills 2 x RAM. Reclaim unmaps the holder's idle
 *    pages for swap-out, but no write succeeds: the pages must stay in
 *    memory (in the swap cache), the hog must be OOM-killed (or finish
 *    with its data), and the holder, reading every word while the device
 *    still fails, must find all of it.
 * After each scene every slot is free again; ktap_done checks
 * /proc/rmap_check.
 *
 *   swaperr [-m RAM] [-s DEV]
 *
 * The swap device is the first one in /proc/swaps. Skipped without swap,
 * or when the device has no make-it-fail file (Linux without
 * CONFIG_FAIL_MAKE_REQUEST; with it, the debugfs knobs of
 * fail_make_request must also be set: see docs/swap.md).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096L
#define NCHECKS 14
#define LEAK_SLACK (4L << 20)        /* MemFree may wander this much */

static char fail_path[128];          /* /sys/block/DEV/make-it-fail */

/* Find the swap device's make-it-fail file: 0, or -1 (no swap area or no
 * file). */
static int find_fail_file(void)
{
	char buf[4096], dev[64];

	if (read_file("/proc/swaps", buf, sizeof(buf)) < 0)
		return -1;
	char *line = strchr(buf, '\n');
	if (!line || sscanf(line + 1, "%63s", dev) != 1 || strncmp(dev, "/dev/", 5))
		return -1;
	snprintf(fail_path, sizeof(fail_path), "/sys/block/%s/make-it-fail", dev + 5);
	return access(fail_path, W_OK) == 0 ? 0 : -1;
}

/* Write "1" or "0" to make-it-fail. 0 or -1. Touches only the stack. */
static int set_fail(int on)
{
	int fd = open(fail_path, O_WRONLY);
	int ok = fd >= 0 && write(fd, on ? "1\n" : "0\n", 2) == 2;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* What make-it-fail reads: 0, 1, or -1. */
static int get_fail(void)
{
	char buf[16];

	return read_file(fail_path, buf, sizeof(buf)) < 0 ? -1 : atoi(buf);
}

static void send_long(int fd, long v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(2);
}

static long recv_long(int fd)
{
	long v = -1;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : -1;
}

/* VmSwap of process pid in kB, or -1. */
static long vmswap_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return file_counter(path, "VmSwap");
}

/* A child running fn(len, seed, to_parent, from_parent); *to and *from
 * are the parent's ends. Exits the test if fork or pipe fails. */
static pid_t start(void (*fn)(long, unsigned, int, int), long len, unsigned seed,
		   int *to, int *from)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		ktap_bail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		ktap_bail("fork");
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		fn(len, seed, up[1], down[0]);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*from = up[0];
	*to = down[1];
	return pid;
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Scene 1's child: fill, say so, wait; then read page by page, catching
 * SIGBUS; send (failed pages, wrong words); then touch the first failed
 * page with SIGBUS's default action. */
static void reader(long len, unsigned seed, int up, int down)
{
	char *p = swt_map(len);
	volatile long fails = 0, bad = 0, first = -1;
	volatile long pg = 0;

	swt_fill(p, len, 0, seed);
	/* The fill may have pushed this process's own data out too: touch
	 * what the read loop uses (bus_jmp, the handler's state in libc)
	 * while the device still works. */
	signal(SIGBUS, on_sigbus);
	if (sigsetjmp(bus_jmp, 1))
		_exit(4);
	send_long(up, len);
	if (recv_long(down) < 0)
		_exit(2);
	for (pg = 0; pg < len / PAGE; pg++) {
		if (sigsetjmp(bus_jmp, 1)) {
			fails++;
			first = first < 0 ? pg : first;
			continue;
		}
		bad += swt_check(p + pg * PAGE, PAGE, 0, seed, NULL);
	}
	signal(SIGBUS, SIG_DFL);
	send_long(up, fails);
	send_long(up, bad);
	if (first >= 0)
		(void)*(volatile char *)(p + first * PAGE);
	_exit(3);                        /* nothing failed: no SIGBUS to die of */
}

/* Scene 2's child and scene 3's holder: fill, say so, wait for the word
 * to check; exit 0 if every word is right, 1 if not. */
static void filler(long len, unsigned seed, int up, int down)
{
	char *p = swt_map(len);

	swt_fill(p, len, 0, seed);
	send_long(up, len);
	if (recv_long(down) < 0)
		_exit(2);
	_exit(swt_check(p, len, 0, seed, NULL) ? 1 : 0);
}

/* Scene 3's hog: fill, check at once; exit 0 if every word is right. */
static void hog(long len, unsigned seed, int up, int down)
{
	char *p = swt_map(len);

	(void)up;
	(void)down;
	swt_fill(p, len, 0, seed);
	_exit(swt_check(p, len, 0, seed, NULL) ? 1 : 0);
}

/* Wait until every slot is free again (nothing but live processes and the
 * swap cache hold swap), and say so. */
static void check_swap_empty(const char *after)
{
	long left = 0, ms = swt_wait_swap_empty(5000, &left);

	ok_why(ms >= 0, "slots still used", "every swap slot is free again after %s (%ld kB left)",
	       after, ms >= 0 ? 0 : left);
	diag("SwapTotal %ld kB SwapFree %ld kB SwapCached %ld kB", meminfo_kb("SwapTotal"),
	     meminfo_kb("SwapFree"), meminfo_kb("SwapCached"));
}

/* Scene 1: 4 checks (swapped out; reads failed, others right; SIGBUS;
 * no leak) and the slots. */
static void read_error(long ram)
{
	long len = ram / 2 * 3, free0 = meminfo_kb("MemFree"), out0 = swt_vmstat("pswpout");
	int to, from, status = -1;
	pid_t pid = start(reader, len, 1, &to, &from);

	recv_long(from);
	long vmswap = vmswap_of(pid), out1 = swt_vmstat("pswpout");
	ok(out1 > out0 && vmswap > 0, "the reader's %ld MiB went partly to swap (pswpout +%ld, "
	   "VmSwap %ld kB)", len >> 20, out1 - out0, vmswap);
	/* From here until injection is off again this process touches only
	 * its stack: a page of its own in swap would fail to read too. */
	int on = set_fail(1);
	send_long(to, 1);
	long fails = recv_long(from), bad = recv_long(from);
	waitpid(pid, &status, 0);
	int off = set_fail(0);
	ok(!on && fails > 0 && bad == 0, "%ld pages failed to read (SIGBUS), the rest held "
	   "their data (%ld wrong words)", fails, bad);
	ok(killed_by(status, SIGBUS), "the reader died of SIGBUS (%s)", status_str(status));
	ok(!off && get_fail() == 0, "make-it-fail is 0 again");
	check_swap_empty("the reader");
	long free1 = meminfo_kb("MemFree");
	ok((free0 - free1) * 1024 < LEAK_SLACK, "no page lost to %ld failed reads (MemFree %ld "
	   "kB before, %ld kB after)", fails, free0, free1);
	close(to);
	close(from);
}

/* Scene 2: a new child swaps out and in, every word right. */
static void swap_again(long ram)
{
	long len = ram / 2 * 3, out0 = swt_vmstat("pswpout"), in0 = swt_vmstat("pswpin");
	int to, from, status = -1;
	pid_t pid = start(filler, len, 2, &to, &from);

	recv_long(from);
	send_long(to, 1);
	waitpid(pid, &status, 0);
	long out1 = swt_vmstat("pswpout"), in1 = swt_vmstat("pswpin");
	ok(exited_with(status, 0) && out1 > out0 && in1 > in0, "a new child swapped %ld MiB out "
	   "and in, every word right (%s, pswpout +%ld, pswpin +%ld)", len >> 20,
	   status_str(status), out1 - out0, in1 - in0);
	check_swap_empty("the second child");
	close(to);
	close(from);
}

/* Scene 3: swap-out fails; the holder's data stays, the hog goes. */
static void write_error(long ram)
{
	int hto, hfrom, gto, gfrom, hs = -1, gs = -1;
	pid_t holder = start(filler, ram / 8, 3, &hto, &hfrom);

	recv_long(hfrom);
	/* Until injection is off this process touches its stack and the
	 * buffer file_counter reads into (just touched by swt_vmstat): pages
	 * resident when the device starts failing cannot leave memory. */
	long out0 = swt_vmstat("pswpout");
	int on = set_fail(1);
	pid_t g = start(hog, ram * 2, 4, &gto, &gfrom);
	waitpid(g, &gs, 0);
	long vmswap = vmswap_of(holder);
	send_long(hto, 1);
	waitpid(holder, &hs, 0);
	long out1 = swt_vmstat("pswpout");
	int off = set_fail(0);
	ok(!on && !off && out1 == out0, "no page was written while the device failed "
	   "(pswpout +%ld)", out1 - out0);
	ok(killed_by(gs, SIGKILL) || exited_with(gs, 0), "the hog was OOM-killed or kept "
	   "its data (%s)", status_str(gs));
	ok(vmswap > 0, "reclaim unmapped the holder's pages for swap-out (VmSwap %ld kB)", vmswap);
	ok(exited_with(hs, 0), "the holder read all its %ld MiB back while the device still "
	   "failed (%s)", (ram / 8) >> 20, status_str(hs));
	check_swap_empty("the holder and the hog");
	close(hto);
	close(hfrom);
	close(gto);
	close(gfrom);
}

int main(int argc, char **argv)
{
	struct swt_opts o = { 0 };

	if (swt_getopt(argc, argv, "", &o) != -1) {
		fprintf(stderr, "usage: swaperr [-m RAM] [-s DEV]\n");
		return 2;
	}
	swt_start("swaperr", NCHECKS, &o);
	if (meminfo_kb("SwapTotal") <= 0)
		return swt_skip_rest(NCHECKS, "no swap area");
	if (find_fail_file())
		return swt_skip_rest(NCHECKS, "no /sys/block/DEV/make-it-fail for the swap device");
	diag("RAM %ld MiB, fault injection: %s", o.ram >> 20, fail_path);
	ok(!set_fail(1) && get_fail() == 1 && !set_fail(0) && get_fail() == 0,
	   "make-it-fail turns on and off");
	read_error(o.ram);
	swap_again(o.ram);
	write_error(o.ram);
	return ktap_done();
}
