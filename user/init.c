/*
 * init: the first user process when the kernel command line has no init=
 * (as Linux's init= does; docs/processes.md). The kernel starts it with fds 0, 1 and 2 already
 * open on the console, so init opens nothing: it runs /bin/sh (busybox's
 * ash) on the console as a login shell (argv[0] "-sh": ash reads
 * /etc/profile) and starts a new one whenever it exits. As the first
 * process it also inherits every orphan, so it reaps whatever child exits.
 *
 * Why not busybox's init: it wants /etc/inittab (or starts shells on
 * tty2..tty4, which Numbat has not), a controlling terminal for each shell
 * (setsid, TIOCSCTTY) and reboot(2) to stop; this one is fifty lines a
 * student reads at once, and the GDB walkthroughs stop in its fork.
 *
 * A shell that exits within a second of starting (no console input, or no
 * /bin/sh) is restarted after a second's pause, so init never spins.
 *
 * System calls: fork, execve, wait4, write, clock_gettime, nanosleep.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
	char *argv[] = { "-sh", NULL };

	for (;;) {
		struct timespec start, end;
		pid_t pid, w;
		int status;

		clock_gettime(CLOCK_MONOTONIC, &start);
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
		clock_gettime(CLOCK_MONOTONIC, &end);
		if (end.tv_sec - start.tv_sec < 1)
			sleep(1);
	}
}
