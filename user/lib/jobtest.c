/*
 * jobtest.c: helpers of the job-control tests (jobtest.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtest.h"

void catch(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigaction(sig, &sa, NULL);
}

pid_t waiting_child(const int p[2], int own_group)
{
	pid_t pid = fork();

	if (pid == 0) {
		char c = 99;
		close(p[1]);
		if (own_group)
			setpgid(0, 0);
		if (read(p[0], &c, 1) < 0)
			_exit(98);                   /* EINTR: the read was not restarted */
		_exit((unsigned char)c);
	}
	return pid;
}

void nap(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int wait_for(pid_t pid, int options)
{
	int st = -1;

	while (waitpid(pid, &st, options) < 0 && errno == EINTR)
		;
	return st;
}
