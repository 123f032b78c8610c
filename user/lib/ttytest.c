/* ttytest.c: see ttytest.h. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "ktap.h"
#include "ttytest.h"

void tty_type(int master, const char *name, const char *keys)
{
	if (master < 0) {
		printf("# type: %s\n", name);
		return;
	}
	if (write(master, keys, strlen(keys)) < 0)
		perror("write master");
}

const char *tty_output(int master, char *buf, size_t n)
{
	usleep(100 * 1000);
	ssize_t got = read(master, buf, n - 1);

	buf[got > 0 ? got : 0] = 0;
	return buf;
}

int tty_run_on_pty(int (*run)(int keys), int *tty, int *master)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), st;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		ktap_bail("no pseudo-terminal");
	pid_t c = fork();
	if (c == 0) {
		setsid();
		*tty = open(ptsname(m), O_RDWR);       /* becomes the controlling TTY */
		if (*tty < 0 || ioctl(*tty, TIOCSCTTY, 0) < 0)
			ktap_bail("cannot open the pty's slave");
		*master = m;
		fcntl(m, F_SETFL, O_NONBLOCK);
		exit(run(1));
	}
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
