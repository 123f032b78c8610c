/*
 * oom: running out of memory must not take the kernel down. A child maps
 * and touches memory until the kernel has no more to give; the kernel
 * ends it (Numbat: SIGKILL, as Linux's OOM killer; or mmap fails and the
 * child exits 3). Afterwards memory comes back, and fork and exec work.
 *
 * Numbat only: on a Linux host this would wake the host's OOM killer, so
 * there every check is skipped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define CHUNK (16 << 20)

static void hog(void *arg)
{
	(void)arg;
	for (;;) {
		char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (long i = 0; i < CHUNK; i += 4096)
			p[i] = 1;
	}
}

static void exit_zero(void *arg)
{
	(void)arg;
}

static void run_echo(void *arg)
{
	(void)arg;
	char *argv[] = { "/bin/echo", "oom: exec works after the storm", NULL };

	execve(argv[0], argv, NULL);
	_exit(127);
}

int main(void)
{
	ktap_plan("oom", 4);
	if (!is_numbat()) {
		for (int i = 1; i <= 4; i++)
			skip("would exhaust the Linux host's memory", "oom check %d", i);
		return ktap_done();
	}
	run_child(run_echo, NULL);                     /* warm up caches */
	long before = meminfo_kb("MemFree"), slack = meminfo_kb("MemTotal") / 100;
	int status = run_child(hog, NULL);
	ok_why(killed_by(status, SIGKILL) || exited_with(status, 3), status_str(status),
	       "the memory hog is stopped (SIGKILL, or mmap refuses)");
	long after = meminfo_kb("MemFree");
	ok_why(after >= before - slack, "MemFree dropped",
	       "its memory comes back: MemFree %ld kB before, %ld kB after", before, after);
	ok(exited_with(run_child(exit_zero, NULL), 0), "fork works afterwards");
	ok(exited_with(run_child(run_echo, NULL), 0), "exec works afterwards");
	return ktap_done();
}
