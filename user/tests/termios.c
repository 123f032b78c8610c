/*
 * termios: the console TTY's settings and line discipline, as Linux's
 * n_tty behaves: TCGETS's defaults, TCSETS keeping every field,
 * the window size, non-canonical reads by VMIN and VTIME (the four cases of termios(3)),
 * canonical editing (VERASE, VKILL, VWERASE, VEOF), the input map
 * (ICRNL, IGNCR), poll by the mode, TCSETSF's flush, and ISIG in raw mode.
 *
 * On Numbat, run as init (the console is its controlling TTY), the
 * harness types each key when this program prints "# type: NAME"
 * (tests/cases.py, USER_TEST_KEYS), and checks the echo on the console
 * (USER_TEST_CHECKS). On Linux the same checks run on a pseudo-terminal:
 * the keys are written to its master side, and the echo read back there.
 * Elsewhere (on Numbat not as init, as in run.sh) only the checks that
 * need no key run.
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
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "ktap.h"
#include "ttytest.h"

#define NKEYLESS 7
#define NKEYS 20
#define KEY_WAIT_S 5               /* a read for a typed key gives up then */

static int tty;                    /* the terminal under test */
static int master = -1;            /* Linux: the pty's master (keys, echo) */
static volatile sig_atomic_t got_sigint;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_sigint++;
}

/* Keys typed on the terminal: by the harness on its cue, or on the pty. */
static void type(const char *name, const char *keys)
{
	tty_type(master, name, keys);
}

/* What the terminal echoed since the last call (the pty only). */
static const char *echoed(void)
{
	static char buf[256];

	return tty_output(master, buf, sizeof(buf));
}

/* read() that gives up after KEY_WAIT_S seconds (EINTR): never hang. */
static ssize_t read_timed(char *buf, size_t n)
{
	alarm(KEY_WAIT_S);
	ssize_t r = read(tty, buf, n);
	int e = errno;
	alarm(0);
	errno = e;
	if (r >= 0 && (size_t)r < n)
		buf[r] = 0;
	return r;
}

/* Settings: base with lflag bits on and off, VMIN, VTIME. */
static void mode(const struct termios *base, tcflag_t on, tcflag_t off, int vmin, int vtime)
{
	struct termios t = *base;

	t.c_lflag = (t.c_lflag | on) & ~off;
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = vtime;
	tcsetattr(tty, TCSANOW, &t);
}

static void check_defaults(const struct termios *t)
{
	static const unsigned char cc[17] = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
		[VTIME] = 0, [VMIN] = 1, [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032,
		[VEOL] = 0, [VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027,
		[VLNEXT] = 026, [VEOL2] = 0 };
	tcflag_t l = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	int i = 0;

	while (i < 17 && t->c_cc[i] == cc[i])
		i++;
	ok(i == 17, "TCGETS: c_cc as Linux's defaults (first difference at %d)", i);
	ok(t->c_lflag == l && (t->c_iflag & (ICRNL | IXON | INLCR | IGNCR)) == (ICRNL | IXON) &&
	   (t->c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR),
	   "TCGETS: lflag %#o iflag %#o oflag %#o as Linux's defaults",
	   (unsigned)t->c_lflag, (unsigned)t->c_iflag, (unsigned)t->c_oflag);
}

/* TCSETS keeps every field, TCGETS gives it back. */
static void check_roundtrip(const struct termios *base)
{
	struct termios t = *base, back;

	t.c_iflag |= INLCR;
	t.c_lflag &= ~(ECHO | ICANON | ECHOCTL);
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 7;
	t.c_cc[VERASE] = 010;
	tcsetattr(tty, TCSANOW, &t);
	tcgetattr(tty, &back);
	tcsetattr(tty, TCSANOW, base);
	ok(back.c_iflag == t.c_iflag && back.c_oflag == t.c_oflag && back.c_lflag == t.c_lflag &&
	   !memcmp(back.c_cc, t.c_cc, 17), "TCSETS keeps iflag, lflag and c_cc (lflag %#o, VMIN %d)",
	   (unsigned)back.c_lflag, back.c_cc[VMIN]);
}

/* The checks no key is needed for: nothing is typed meanwhile. */
static void check_keyless(const struct termios *base)
{
	char buf[8];
	int avail = -1;

	check_defaults(base);
	check_roundtrip(base);
	int err = ioctl(tty, FIONREAD, &avail);
	ok(err == 0 && avail == 0, "FIONREAD: %d bytes waiting (%d)", avail, err);

	struct winsize ws, set = { .ws_row = 30, .ws_col = 100 }, back = { 0 };
	ioctl(tty, TIOCGWINSZ, &ws);
	int serr = ioctl(tty, TIOCSWINSZ, &set);
	ioctl(tty, TIOCGWINSZ, &back);
	ioctl(tty, TIOCSWINSZ, &ws);
	ok(serr == 0 && back.ws_row == 30 && back.ws_col == 100,
	   "TIOCSWINSZ: TIOCGWINSZ then says %dx%d (%d)", back.ws_row, back.ws_col, serr);

	mode(base, 0, ICANON | ECHO, 0, 0);
	uint64_t t0 = now_ms();
	ssize_t r = read_timed(buf, sizeof(buf));
	ok(r == 0 && (long)(now_ms() - t0) < 200, "VMIN 0 VTIME 0: read returns 0 at once (%zd, %ld ms)",
	   r, (long)(now_ms() - t0));

	mode(base, 0, ICANON | ECHO, 0, 5);
	t0 = now_ms();
	r = read_timed(buf, sizeof(buf));
	long took = (long)(now_ms() - t0);
	ok(r == 0 && took >= 400 && took < 2000, "VMIN 0 VTIME 5: read times out, 0 after %ld ms (%zd)",
	   took, r);
	tcsetattr(tty, TCSANOW, base);
}

/* Non-canonical reads of typed keys, by VMIN and VTIME. */
static void check_raw_reads(const struct termios *base)
{
	char buf[16];
	ssize_t r;

	mode(base, 0, ICANON | ECHO, 1, 0);
	type("k", "k");
	r = read_timed(buf, sizeof(buf));
	ok(r == 1 && buf[0] == 'k', "VMIN 1: read returns the one key typed (%zd)", r);

	mode(base, 0, ICANON | ECHO, 3, 0);
	type("abc", "abc");
	r = read_timed(buf, sizeof(buf));
	ok(r == 3 && !memcmp(buf, "abc", 3), "VMIN 3: read returns 3 bytes (%zd)", r);

	mode(base, 0, ICANON | ECHO, 5, 3);
	type("xy", "xy");
	r = read_timed(buf, sizeof(buf));
	ok(r == 2 && !memcmp(buf, "xy", 2), "VMIN 5 VTIME 3: 2 bytes when the timer runs out (%zd)", r);

	mode(base, 0, ICANON | ECHO, 0, 30);
	uint64_t t0 = now_ms();
	type("z", "z");
	r = read_timed(buf, sizeof(buf));
	ok(r == 1 && buf[0] == 'z' && (long)(now_ms() - t0) < 2500,
	   "VMIN 0 VTIME 30: the key, before the time is up (%zd, %ld ms)", r, (long)(now_ms() - t0));

	mode(base, 0, ICANON | ECHO, 1, 0);
	struct pollfd p = { tty, POLLIN, 0 };
	int before = poll(&p, 1, 0);
	type("p", "p");
	int after = poll(&p, 1, KEY_WAIT_S * 1000);
	r = read_timed(buf, sizeof(buf));
	ok(before == 0 && after == 1 && (p.revents & POLLIN) && r == 1,
	   "non-canonical poll: readable with one byte (before %d, after %d)", before, after);
	tcsetattr(tty, TCSANOW, base);
}

/* Type keys in canonical mode; does a read return want? */
static int canon_line(const char *name, const char *keys, const char *want)
{
	char buf[64];

	type(name, keys);
	ssize_t r = read_timed(buf, sizeof(buf) - 1);
	if (r < 0 || (size_t)r != strlen(want) || memcmp(buf, want, r)) {
		diag("%s: read %zd bytes '%.*s'", name, r, (int)(r > 0 ? r : 0), buf);
		return 0;
	}
	if (!r || buf[r - 1] != '\n')
		printf("\n");                 /* the echo ends no line: end it */
	return 1;
}

static void check_canon(const struct termios *base)
{
	char buf[16];

	if (master >= 0)
		echoed();
	ok(canon_line("erase", "ab\177c\n", "ac\n"), "VERASE: ab DEL c gives ac");
	if (master >= 0)
		ok(!strcmp(echoed(), "ab\b \bc\r\n"), "ECHOE: the erase echoed as \\b \\b");
	else
		skip("the harness checks the console", "ECHOE: the erase echoed as \\b \\b");
	ok(canon_line("kill", "xyz\025ok\n", "ok\n"), "VKILL: the line before ^U is gone");
	ok(canon_line("werase", "one two\027three\n", "one three\n"), "VWERASE: ^W erases a word");
	ok(canon_line("eof after ab", "ab\004", "ab"), "VEOF after text: read returns the text");
	ok(canon_line("eof", "\004", ""), "VEOF at the start of a line: read returns 0");
	ok(canon_line("cr", "cr\r", "cr\n"), "ICRNL: Enter's \\r reads as \\n");

	struct termios t = *base;
	t.c_iflag |= IGNCR;
	tcsetattr(tty, TCSANOW, &t);
	ok(canon_line("igncr", "i\rg\n", "ig\n"), "IGNCR: \\r is dropped");

	mode(base, 0, ECHO, 1, 0);
	if (master >= 0)
		echoed();
	ok(canon_line("hidden word", "secret\n", "secret\n"), "ECHO off: the line is read");
	if (master >= 0)
		ok(!strcmp(echoed(), ""), "ECHO off: nothing echoed");
	else
		skip("the harness checks the console", "ECHO off: nothing echoed");

	tcsetattr(tty, TCSANOW, base);
	struct pollfd p = { tty, POLLIN, 0 };
	type("q", "q");
	usleep(300 * 1000);
	int half = poll(&p, 1, 0);
	type("enter", "\n");
	int whole = poll(&p, 1, KEY_WAIT_S * 1000);
	ssize_t r = read_timed(buf, sizeof(buf));
	ok(half == 0 && whole == 1 && r == 2, "canonical poll: readable once the line ends (%d, %d, %zd)",
	   half, whole, r);
}

/* TCSETSF drops typed input that was not read. */
static void check_flush(const struct termios *base)
{
	int avail = 0;

	type("junk", "junk\n");
	for (int ms = 0; ms < KEY_WAIT_S * 1000 && avail < 5; ms += 20) {
		usleep(20 * 1000);
		ioctl(tty, FIONREAD, &avail);
	}
	ok(avail == 5, "FIONREAD: the typed line's 5 bytes (%d)", avail);
	tcsetattr(tty, TCSAFLUSH, base);
	ioctl(tty, FIONREAD, &avail);
	ok(avail == 0, "TCSETSF drops them (%d left)", avail);
}

/* ^C in raw mode: a signal with ISIG, a byte without. */
static void check_isig_raw(const struct termios *base)
{
	char buf[8];

	mode(base, ISIG, ICANON | ECHO, 1, 0);
	got_sigint = 0;
	type("^C raw", "\003");
	ssize_t r = read_timed(buf, sizeof(buf));
	ok(got_sigint == 1 && r < 0 && errno == EINTR, "raw mode, ISIG: ^C is SIGINT (%d, %zd)",
	   (int)got_sigint, r);

	mode(base, 0, ICANON | ECHO | ISIG, 1, 0);
	got_sigint = 0;
	type("^C raw no ISIG", "\003");
	r = read_timed(buf, sizeof(buf));
	ok(!got_sigint && r == 1 && buf[0] == 3, "raw mode, no ISIG: ^C is the byte 3 (%zd)", r);
	tcsetattr(tty, TCSANOW, base);
}

static int run(int keys)
{
	struct termios base;
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART */

	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (tcgetattr(tty, &base) < 0)
		ktap_bail("tcgetattr on the terminal failed");
	check_keyless(&base);
	if (!keys) {
		for (int i = 0; i < NKEYS; i++)
			skip("nobody types keys here (the harness does, for init=/tests/termios)",
			     "key check %d", i + 1);
		return ktap_done();
	}
	check_raw_reads(&base);
	check_canon(&base);
	check_flush(&base);
	check_isig_raw(&base);
	tcsetattr(tty, TCSANOW, &base);
	return ktap_done();
}

/* Linux: the checks on a new pty, in a session of their own whose
 * controlling terminal it is (so ^C reaches them). */

int main(void)
{
	ktap_plan("termios", NKEYLESS + NKEYS);
	if (!is_numbat())
		return tty_run_on_pty(run, &tty, &master);
	if (!isatty(0))
		ktap_bail("standard input is not the console");
	return run(getpid() == 1);
}
