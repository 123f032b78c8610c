/*
 * ttyflow: the console TTY's flow control and the termios flags that
 * change bytes on the way, as Linux's n_tty does them: TCXONC (tcflow:
 * TCOOFF stops output, a writer sleeps until TCOON; SIGKILL and a
 * handled signal end a stopped write, O_NONBLOCK gets EAGAIN;
 * TCIOFF/TCION send ^S/^Q), the output flags (OLCUC, OCRNL, ONOCR,
 * ONLRET, XTABS), and with keys typed: IXON (^S stops output and ^Q
 * restarts it, neither is input), IXANY, TCOOFF holding against ^Q,
 * clearing IXON restarting output, ISTRIP, IUCLC (only with IEXTEN),
 * ECHOPRT's echo and VDISCARD (^O: Linux does not act on it, so it is
 * data).
 *
 * While output is stopped this program prints nothing (it would sleep):
 * results are printed once output runs again. Last, as init on Numbat,
 * it exits with output stopped and a writer asleep: power-off must end
 * the writer all the same.
 *
 * On Numbat, run as init, the harness types each key when this program
 * prints "# type: NAME" (tests/cases.py USER_TEST_KEYS: some keys come a
 * few seconds after the cue), and checks the echo and the output flags'
 * bytes on the console (USER_TEST_CHECKS). On Linux the same checks run
 * on a pseudo-terminal: keys written to its master side, the output read
 * back there. Elsewhere (on Numbat not as init) only the keyless checks
 * run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "ktap.h"
#include "ttytest.h"

#define NKEYLESS 12
#define NKEYS 11
#define KEY_WAIT_MS 8000           /* a typed key is given up on then */

static int tty;                    /* the terminal under test */
static int master = -1;            /* Linux: the pty's master (keys, output) */
static struct termios base;        /* the settings at the start */

static void on_signal(int sig)
{
	(void)sig;
}

/* Keys typed on the terminal: by the harness on its cue, or on the pty. */
static void type(const char *name, const char *keys)
{
	tty_type(master, name, keys);
}

/* Keys the harness types by itself some seconds after a cue (the pause
 * in USER_TEST_KEYS); on the pty, written now. */
static void type_later(const char *keys)
{
	if (master >= 0 && write(master, keys, strlen(keys)) < 0)
		perror("write master");
}

/* What the pty's master got since the last call (the pty only). */
static const char *output(void)
{
	static char buf[512];

	return tty_output(master, buf, sizeof(buf));
}

/* Is the terminal writable (poll's POLLOUT)? */
static int writable(void)
{
	struct pollfd p = { tty, POLLOUT, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* Wait up to KEY_WAIT_MS for writable() to become want; 1 if it did. */
static int wait_writable(int want)
{
	for (int ms = 0; ms < KEY_WAIT_MS; ms += 20) {
		if (writable() == want)
			return 1;
		usleep(20 * 1000);
	}
	return 0;
}

/* Settings: base with lflag bits on and off, iflag bits on, no VMIN/VTIME
 * wait (a read returns what is there). */
static void mode(tcflag_t lon, tcflag_t loff, tcflag_t ion)
{
	struct termios t = base;

	t.c_lflag = (t.c_lflag | lon) & ~loff;
	t.c_iflag |= ion;
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(tty, TCSANOW, &t);
}

static int queued(void)
{
	int n = -1;

	ioctl(tty, FIONREAD, &n);
	return n;
}

/* A child that writes a line to the terminal, then tells the pipe fd
 * (one byte: 1 if the write wrote it all, 0 if it failed with EINTR). */
static pid_t start_writer(int fd, int handle_usr1)
{
	pid_t c = fork();

	if (c == 0) {
		struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART */
		static const char line[] = "# ttyflow: the stopped writer's line\n";
		if (handle_usr1)
			sigaction(SIGUSR1, &sa, NULL);
		ssize_t n = write(tty, line, sizeof(line) - 1);
		char r = n == (ssize_t)sizeof(line) - 1 ? 1 : (n < 0 && errno == EINTR) ? 0 : 2;
		if (write(fd, &r, 1) < 0)
			_exit(3);
		_exit(0);
	}
	return c;
}

/* Wait up to ms for the writer's byte; -1 if none came. */
static int writer_result(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char r;

	if (poll(&p, 1, ms) != 1 || read(fd, &r, 1) != 1)
		return -1;
	return r;
}

/* TCOOFF stops output: not writable, a writer sleeps; TCOON restarts
 * it and the write completes. */
static void check_tcooff(void)
{
	int pfd[2];

	if (pipe(pfd) < 0)
		ktap_bail("pipe");
	int off = ioctl(tty, TCXONC, TCOOFF), stopped = !writable();
	pid_t c = start_writer(pfd[1], 0);
	int early = writer_result(pfd[0], 500);
	int fl = fcntl(tty, F_GETFL);
	fcntl(tty, F_SETFL, fl | O_NONBLOCK);
	errno = 0;
	ssize_t nb = write(tty, "x", 1);
	int nb_errno = errno;
	fcntl(tty, F_SETFL, fl);
	int on = ioctl(tty, TCXONC, TCOON), again = wait_writable(1);
	int late = writer_result(pfd[0], KEY_WAIT_MS);
	waitpid(c, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	if (master >= 0)
		output();
	ok(off == 0 && stopped, "TCOOFF: the terminal is not writable (%d, %d)", off, stopped);
	ok(early == -1 && on == 0 && again && late == 1,
	   "TCOOFF: a writer sleeps until TCOON (before %d, after %d, %d)", early, late, on);
	ok(nb == -1 && nb_errno == EAGAIN, "TCOOFF: an O_NONBLOCK write fails with EAGAIN (%zd, %s)",
	   nb, strerror(nb_errno));
}

/* A writer asleep on stopped output: SIGKILL ends it, and a handled
 * signal (no SA_RESTART) ends its write with EINTR, nothing written. */
static void check_signals(void)
{
	int pfd[2], st = 0;

	if (pipe(pfd) < 0)
		ktap_bail("pipe");
	ioctl(tty, TCXONC, TCOOFF);
	pid_t k = start_writer(pfd[1], 0), u = start_writer(pfd[1], 1);
	usleep(300 * 1000);
	kill(k, SIGKILL);
	int killed = 0;
	for (int ms = 0; ms < KEY_WAIT_MS && !killed; ms += 20) {
		killed = waitpid(k, &st, WNOHANG) == k;
		usleep(20 * 1000);
	}
	kill(u, SIGUSR1);
	int r = writer_result(pfd[0], KEY_WAIT_MS);
	ioctl(tty, TCXONC, TCOON);
	waitpid(u, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	if (master >= 0)
		output();
	ok(killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	   "TCOOFF: SIGKILL ends a writer asleep on the stopped terminal");
	ok(r == 0, "TCOOFF: a handled signal ends the stopped write with EINTR (%d)", r);
}

/* TCIOFF and TCION send VSTOP and VSTART to the terminal (the harness
 * checks the console's bytes: "<" ^S ^Q ">"); a bad action is EINVAL. */
static void check_tcioff(void)
{
	if (master >= 0)
		output();
	fputs("# tcflow: <", stdout);
	fflush(stdout);
	int a = ioctl(tty, TCXONC, TCIOFF), b = ioctl(tty, TCXONC, TCION);
	fputs(">\n", stdout);
	fflush(stdout);
	if (master >= 0)
		ok(a == 0 && b == 0 && !strcmp(output(), "\023\021"),
		   "TCIOFF, TCION: ^S and ^Q sent to the terminal");
	else
		ok(a == 0 && b == 0, "TCIOFF, TCION: accepted (%d, %d; the harness checks the bytes)",
		   a, b);
	errno = 0;
	int bad = ioctl(tty, TCXONC, 7);
	ok_errno(bad, EINVAL, "TCXONC 7: EINVAL");
}

/* One output flag: text written with oflag; on the pty, is the output
 * want? (On Numbat the harness checks the console's bytes.) */
static void out_flag(const char *name, tcflag_t oflag, const char *text, const char *want)
{
	struct termios t = base;

	if (master >= 0)
		output();
	t.c_oflag = oflag;
	tcsetattr(tty, TCSADRAIN, &t);
	if (write(tty, text, strlen(text)) < 0)
		perror("write");
	tcsetattr(tty, TCSADRAIN, &base);
	if (master >= 0)
		ok(!strcmp(output(), want), "%s: the output as Linux's n_tty writes it", name);
	else
		skip("the harness checks the console", "%s: the output as Linux's n_tty writes it",
		     name);
}

static void check_oflags(void)
{
	out_flag("OLCUC", OPOST | ONLCR | OLCUC, "# olcuc: Mixed\n", "# OLCUC: MIXED\r\n");
	out_flag("OCRNL", OPOST | ONLCR | OCRNL, "# ocrnl a\rb\n", "# ocrnl a\nb\r\n");
	out_flag("ONOCR", OPOST | ONLCR | ONOCR, "# onocr\n\r# c\n", "# onocr\r\n# c\r\n");
	out_flag("XTABS", OPOST | ONLCR | XTABS, "# tab\tx\n", "# tab   x\r\n");
	out_flag("ONLRET", OPOST | ONLRET | ONOCR, "# onlret\n\r# d\n", "# onlret\n# d\n");
}

/* ^S stops output (not writable, a writer sleeps), ^Q restarts it;
 * neither is input. */
static void check_ixon(void)
{
	int pfd[2];

	if (pipe(pfd) < 0)
		ktap_bail("pipe");
	mode(0, ICANON | ECHO, 0);
	type("^S, ^Q 3 s later", "\023");
	int stopped = wait_writable(0);
	pid_t c = start_writer(pfd[1], 0);
	int early = writer_result(pfd[0], 500), still = !writable();
	type_later("\021");
	int late = writer_result(pfd[0], KEY_WAIT_MS), again = wait_writable(1);
	waitpid(c, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	int n = queued();
	tcsetattr(tty, TCSAFLUSH, &base);
	if (master >= 0)
		output();
	ok(stopped && n == 0, "IXON: ^S stops output, and neither ^S nor ^Q is input (%d, %d)",
	   stopped, n);
	ok(early == -1 && still && late == 1 && again,
	   "IXON: a writer sleeps until ^Q (before %d, after %d)", early, late);
}

/* IXANY: any key restarts output, and is input; TCOOFF holds against ^Q. */
static void check_ixany(void)
{
	char buf[8] = { 0 };

	mode(0, ICANON | ECHO, IXANY);
	type("^S, x 3 s later", "\023");
	int stopped = wait_writable(0);
	type_later("x");
	int again = wait_writable(1);
	usleep(100 * 1000);
	ssize_t r = read(tty, buf, sizeof(buf));
	ok(stopped && again && r == 1 && buf[0] == 'x',
	   "IXANY: any key restarts output, and is read (%d, %d, %zd)", stopped, again, r);

	mode(0, ICANON | ECHO, 0);
	type("^Q 2 s later", "");
	ioctl(tty, TCXONC, TCOOFF);
	type_later("\021");
	usleep(master >= 0 ? 300 * 1000 : 4000 * 1000);
	int held = !writable(), n = queued();
	ioctl(tty, TCXONC, TCOON);
	int on = writable();
	tcsetattr(tty, TCSAFLUSH, &base);
	if (master >= 0)
		output();
	ok(held && n == 0 && on, "TCOOFF: ^Q does not restart output, TCOON does (%d, %d, %d)",
	   held, n, on);
}

/* Clearing IXON restarts output that ^S stopped (Linux's
 * n_tty_set_termios). */
static void check_ixon_off(void)
{
	struct termios t = base;

	mode(0, ICANON | ECHO, 0);
	type("^S, then -ixon", "\023");
	int stopped = wait_writable(0);
	t.c_iflag &= ~IXON;
	tcsetattr(tty, TCSANOW, &t);
	int again = writable();
	tcsetattr(tty, TCSAFLUSH, &base);
	if (master >= 0)
		output();
	ok(stopped && again, "IXON cleared: output stopped by ^S restarts (%d, %d)", stopped, again);
}

/* Type keys in canonical mode (base with iflag on, lflag on/off); does
 * a read return want? */
static int line_is(const char *name, const char *keys, const char *want, tcflag_t ion,
		   tcflag_t lon, tcflag_t loff)
{
	struct termios t = base;
	char buf[64];

	t.c_iflag |= ion;
	t.c_lflag = (t.c_lflag | lon) & ~loff;
	tcsetattr(tty, TCSANOW, &t);
	if (master >= 0)
		output();
	type(name, keys);
	alarm(KEY_WAIT_MS / 1000);
	ssize_t r = read(tty, buf, sizeof(buf) - 1);
	alarm(0);
	tcsetattr(tty, TCSANOW, &base);
	if (r < 0 || (size_t)r != strlen(want) || memcmp(buf, want, r)) {
		diag("%s: read %zd bytes '%.*s'", name, r, (int)(r > 0 ? r : 0), buf);
		return 0;
	}
	return 1;
}

static void check_input_flags(void)
{
	ok(line_is("istrip", "\341\302\n", "aB\n", ISTRIP, 0, 0), "ISTRIP: bytes read as 7 bits");
	ok(line_is("iuclc", "MiXed\n", "mixed\n", IUCLC, 0, 0), "IUCLC with IEXTEN: read in lower case");
	ok(line_is("iuclc no iexten", "MiXed\n", "MiXed\n", IUCLC, 0, IEXTEN),
	   "IUCLC without IEXTEN: unchanged (as Linux)");
	ok(line_is("discard", "a\017b\n", "a\017b\n", 0, 0, 0),
	   "VDISCARD: ^O is data (Linux's n_tty does not act on it)");
}

/* ECHOPRT: erased bytes are echoed between \ and /. */
static void check_echoprt(void)
{
	int a = line_is("echoprt erase", "abc\177\177x\n", "ax\n", 0, ECHOPRT, 0);
	if (master >= 0)
		a = a && !strcmp(output(), "abc\\cb/x\r\n");
	ok(a, "ECHOPRT: abc DEL DEL x reads ax (echo: the erased bytes between \\ and /)");
	int k = line_is("echoprt kill", "xy\025z\n", "z\n", 0, ECHOPRT, 0);
	if (master >= 0)
		k = k && !strcmp(output(), "xy\\yx/z\r\n");
	ok(k, "ECHOPRT: xy ^U z reads z (echo: the killed bytes between \\ and /)");
}

/* Numbat as init: exit with output stopped (TCOOFF) and a child asleep
 * in a write. Power-off must still end it, and the kernel's messages
 * still come out (the harness checks "power: killed 1 processes" and
 * that the line is never written). */
static void exit_stopped(void)
{
	static const char line[] = "# ttyflow: written after power-off\n";

	ioctl(tty, TCXONC, TCOOFF);
	if (fork() == 0) {
		if (write(tty, line, sizeof(line) - 1) < 0)
			_exit(1);
		_exit(0);
	}
	usleep(300 * 1000);
}

static int run(int keys)
{
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART */

	sigaction(SIGALRM, &sa, NULL);
	if (tcgetattr(tty, &base) < 0)
		ktap_bail("tcgetattr on the terminal failed");
	check_tcooff();
	check_signals();
	check_tcioff();
	check_oflags();
	if (!keys) {
		for (int i = 0; i < NKEYS; i++)
			skip("nobody types keys here (the harness does, for init=/tests/ttyflow)",
			     "key check %d", i + 1);
		return ktap_done();
	}
	check_ixon();
	check_ixany();
	check_ixon_off();
	check_input_flags();
	check_echoprt();
	tcsetattr(tty, TCSANOW, &base);
	int status = ktap_done();
	if (master < 0)
		exit_stopped();
	return status;
}

/* Linux: the checks on a new pty, in a session of their own whose
 * controlling terminal it is. */

int main(void)
{
	ktap_plan("ttyflow", NKEYLESS + NKEYS);
	if (!is_numbat())
		return tty_run_on_pty(run, &tty, &master);
	if (!isatty(0))
		ktap_bail("standard input is not the console");
	return run(getpid() == 1);
}
