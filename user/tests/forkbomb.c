/*
 * forkbomb: fork until fork fails (at most MAX_CHILDREN times), then get
 * rid of every child and check that nothing is lost (after xv6's
 * usertests forktest).
 *
 * Each child blocks reading a pipe that never gets data. The parent then
 * kills every other child with SIGKILL and closes the pipe's write end,
 * which makes the rest read end-of-file and exit 0; it reaps them all.
 *
 * On Numbat (512 MiB by default) fork must run out of memory or processes
 * first, failing with EAGAIN or ENOMEM, and afterwards MemFree in
 * /proc/meminfo must come back to what it was. On a Linux host the limits
 * are far away, so there we only check that all children were reaped; the
 * memory check, too noisy on a busy host, is skipped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define MAX_CHILDREN 10000

static pid_t pids[MAX_CHILDREN];

/* Fork children that wait on fd until EOF. Returns how many were made;
 * *err is the errno of the fork that failed, or 0. */
static int fork_until_failure(int fds[2], int *err)
{
	int n;

	*err = 0;
	for (n = 0; n < MAX_CHILDREN; n++) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(fds[1]);
			_exit(read(fds[0], &c, 1) == 0 ? 0 : 1);
		}
		if (pid < 0) {
			*err = errno;
			break;
		}
		pids[n] = pid;
	}
	return n;
}

/* Wait for every child; count those that ended as expected: odd-numbered
 * ones killed by SIGKILL, even-numbered ones exit 0. */
static int reap_all(int n, int *good)
{
	int reaped = 0, status;
	pid_t pid;

	*good = 0;
	while (reaped < n + 16 && (pid = wait(&status)) > 0) {
		int i;
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		reaped++;
		if (i < n && (i % 2 ? killed_by(status, SIGKILL) : exited_with(status, 0)))
			(*good)++;
	}
	return reaped;
}

static void exit_with(void *code)
{
	_exit((int)(long)code);
}

/* MemFree after the children are gone: a kernel may free their memory a
 * little later, so wait up to a second for it to reach target. */
static long free_after(long target)
{
	struct timespec tenth = { 0, 100 * 1000 * 1000 };
	long now = meminfo_kb("MemFree");

	for (int i = 0; i < 10 && now < target; i++) {
		nanosleep(&tenth, NULL);
		now = meminfo_kb("MemFree");
	}
	return now;
}

int main(void)
{
	int numbat = is_numbat();
	int fds[2], err, n, good, reaped, status;
	long before, after, slack;

	ktap_plan("forkbomb", 6);

	/* Warm up (first-use allocations in the kernel), then measure. */
	run_child(exit_with, (void *)0);
	before = meminfo_kb("MemFree");
	if (pipe(fds) < 0)
		ktap_bail("pipe failed");

	n = fork_until_failure(fds, &err);
	diag("forked %d children; %s", n, err ? strerror(err) : "no fork failed");
	if (numbat)
		ok_why(err == EAGAIN || err == ENOMEM, err ? strerror(err) : "no failure",
		       "fork eventually fails with EAGAIN or ENOMEM");
	else
		ok(n == MAX_CHILDREN || err == EAGAIN || err == ENOMEM,
		   "fork %d times or until EAGAIN/ENOMEM (Linux)", MAX_CHILDREN);

	for (int i = 1; i < n; i += 2)
		kill(pids[i], SIGKILL);
	close(fds[1]);
	close(fds[0]);
	reaped = reap_all(n, &good);
	ok_why(reaped == n, "reaped a different number", "every child reaped (%d of %d)", reaped, n);
	ok(good == n, "each child was killed (odd) or exited 0 (even): %d of %d", good, n);
	ok_errno(wait(&status), ECHILD, "no child left: wait says ECHILD");

	status = run_child(exit_with, (void *)7);
	ok_why(exited_with(status, 7), status_str(status), "fork works again afterwards");

	if (!numbat) {
		skip("MemFree is noisy on a Linux host", "free memory comes back");
		return ktap_done();
	}
	/* Allow 1% of memory for caches the kernel keeps; a leak of a page
	 * per process would be several times that. */
	slack = meminfo_kb("MemTotal") / 100;
	after = free_after(before - slack);
	ok_why(before > 0 && after >= before - slack, "MemFree dropped",
	       "free memory comes back: MemFree %ld kB before, %ld kB after", before, after);
	return ktap_done();
}
