/*
 * ttykeys: the console's job-control keys. Run as init (session 1, whose
 * controlling TTY is the console); the harness types each key when this
 * program prints "# type: KEY" (tests/cases.py, Case.keys).
 *
 * A child in a group of its own is put in the foreground (tcsetpgrp);
 * ^C must kill it with SIGINT, ^Z stop it with SIGTSTP (seen by wait4
 * WUNTRACED), ^\ kill it with SIGQUIT; with ISIG cleared in c_lflag, ^C
 * is no signal (ECHO is cleared too: the ^C is then a character, which
 * the console would echo as ^C, as Linux's does). This program stays in the background meanwhile and
 * ignores SIGTTOU to take the foreground back, as a shell does.
 *
 * Elsewhere (on Linux, or not as init, as in run.sh) nobody types the
 * keys: the checks are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ktap.h"

#define NCHECKS 6
#define KEY_WAIT_MS 10000          /* how long a key may take to come */

/* A child in its own group, in the foreground, waiting for signals. */
static pid_t foreground_child(void)
{
	pid_t c = fork();

	if (c == 0) {
		setpgid(0, 0);
		signal(SIGTTOU, SIG_DFL);
		for (;;)
			pause();
	}
	setpgid(c, c);
	tcsetpgrp(0, c);
	return c;
}

static void nap(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Type key (the harness does), then wait for the child with options. */
static int key_then_wait(pid_t c, const char *key, int options)
{
	int st = 0;

	nap(50);                       /* the child is waiting in pause() */
	printf("# type: %s\n", key);
	for (int ms = 0; ms < KEY_WAIT_MS; ms += 20) {   /* never hang: no key, no result */
		if (waitpid(c, &st, options | WNOHANG) == c)
			break;
		nap(20);
	}
	tcsetpgrp(0, getpgrp());       /* the foreground back to us */
	return st;
}

static void check_keys(void)
{
	pid_t c = foreground_child();
	int st = key_then_wait(c, "^C", 0);
	ok(killed_by(st, SIGINT), "^C kills the foreground group with SIGINT (%s)", status_str(st));

	c = foreground_child();
	st = key_then_wait(c, "^Z", WUNTRACED);
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "^Z stops it with SIGTSTP (%#x)", st);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);

	c = foreground_child();
	st = key_then_wait(c, "^\\", 0);
	ok(killed_by(st, SIGQUIT), "^\\ kills it with SIGQUIT (%s)", status_str(st));
}

static void check_noisig(void)
{
	struct termios t, back;
	int st;

	tcgetattr(0, &t);
	ok(t.c_lflag & ISIG, "ISIG is set by default");
	t.c_lflag &= ~(ISIG | ECHO);   /* ^C is then a character: not echoed as one */
	tcsetattr(0, TCSANOW, &t);
	tcgetattr(0, &back);
	ok(!(back.c_lflag & ISIG), "TCSETS clears ISIG, TCGETS says so");
	pid_t c = foreground_child();
	nap(50);
	printf("# type: ^C without ISIG\n");
	nap(300);
	int alive = waitpid(c, &st, WNOHANG) == 0;
	tcsetpgrp(0, getpgrp());
	t.c_lflag |= ISIG | ECHO;
	tcsetattr(0, TCSAFLUSH, &t);   /* and the typed ^C goes */
	ok(alive, "without ISIG, ^C sends nothing");
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
}

int main(void)
{
	ktap_plan("ttykeys", NCHECKS);
	if (!is_numbat() || getpid() != 1 || tcgetpgrp(0) < 0) {
		for (int i = 0; i < NCHECKS; i++)
			skip("nobody types keys here (the harness does, for init=/tests/ttykeys)",
			     "key check %d", i + 1);
		return ktap_done();
	}
	signal(SIGTTOU, SIG_IGN);
	check_keys();
	check_noisig();
	return ktap_done();
}
