/*
 * init: the first user process when the kernel command line has no init=
 * (DESIGN.md section 7). The kernel starts it with fds 0, 1 and 2 already
 * open on the console, so init opens nothing: it runs /bin/sh on the console
 * and starts a new one whenever it exits. As the first process it also
 * inherits every orphan, so it reaps whatever child exits.
 *
 * System calls: fork, execve, wait4, write, nanosleep, exit.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
	char *argv[] = { "sh", NULL };

	for (;;) {
		pid_t pid, w;
		int status;

		dprintf(2, "init: starting sh\n");
		pid = fork();
		if (pid < 0) {
			dprintf(2, "init: fork failed, retrying\n");
			sleep(1);
			continue;
		}
		if (pid == 0) {
			execve("/bin/sh", argv, environ);
			dprintf(2, "init: exec /bin/sh failed (errno %d)\n", errno);
			_exit(127);
		}
		/* Reap orphans until our shell is the one that exits. */
		while ((w = wait(&status)) != pid)
			if (w < 0 && errno != EINTR)
				break;
		if (w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 127)
			sleep(1);                  /* don't spin if sh is missing */
	}
}
