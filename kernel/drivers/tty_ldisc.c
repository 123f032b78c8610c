/*
 * The console's line discipline: what each typed byte becomes, by the
 * termios flags, as Linux's n_tty does it.
 *
 *   serial byte (tty_poll, timer tick)
 *     |
 *     v
 *   ISTRIP: 7 bits; IUCLC (with IEXTEN): upper case to lower
 *     |
 *     +-- IXON and VSTOP / VSTART: output stops / restarts (not input)
 *     |
 *     +-- ISIG and VINTR / VQUIT / VSUSP: a signal for the foreground
 *     |   group (tty.c sends it), echoed ^C; the input is flushed
 *     |
 *   IXANY: any other key restarts output
 *     |
 *     v
 *   input map: IGNCR drops \r, ICRNL \r -> \n, INLCR \n -> \r
 *     |
 *     +-- ICANON: the edit line (VERASE, VKILL, VWERASE, VREPRINT, VLNEXT
 *     |   edit it); \n, VEOL, VEOL2 or VEOF move it to the queue as one
 *     |   line; VEOF on an empty line queues an end of file
 *     |
 *     +-- no ICANON: straight to the queue
 *     |
 *     v
 *   queue (+ each byte's kind: data, end of line, end of file)
 *     -> read(): canonical, one line; otherwise by VMIN and VTIME (tty.c)
 *
 * Echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL, ECHOPRT) is written
 * as the byte comes, through the output flags (OPOST: ONLCR, OCRNL,
 * ONOCR, ONLRET, OLCUC, XTABS, as Linux's do_output_char); while output
 * is stopped it is held and written when output restarts.
 *
 * Locking: every function here (tty_output too: it keeps the column)
 * is called with tty.lock held (from the timer interrupt, or from a
 * system call with interrupts off); none sleeps. The echo and the writes
 * go to the console under that lock: the console lock (printk.c) nests
 * inside it.
 */
#include "tty_ldisc.h"
#include <kernel/printk.h>
#include <kernel/signal.h>
#include <kernel/string.h>
#include <kernel/errno.h>

enum erase_kind { ERASE, WERASE, KILL };

/*
 * One byte through the output flags (OPOST on), as Linux's n_tty
 * do_output_char: ONLCR \n -> \r\n; ONOCR drops a \r in column 0;
 * OCRNL \r -> \n; ONLRET: \n also returns to column 0; XTABS a tab
 * as spaces to the next multiple of 8; OLCUC lower case to upper. The
 * column is kept for ONOCR and the tabs. Writes the bytes to out (8 at
 * most); returns how many. Caller holds tty.lock.
 */
static size_t opost_char(struct tty *t, uint8_t c, char *out)
{
	uint32_t o = t->tio.oflag;
	size_t n;

	switch (c) {
	case '\n':
		if (o & (ONLRET | ONLCR))
			t->column = 0;
		if (!(o & ONLCR))
			break;
		out[0] = '\r', out[1] = '\n';
		return 2;
	case '\r':
		if ((o & ONOCR) && !t->column)
			return 0;
		if (o & OCRNL)
			c = '\n';
		if (!(o & OCRNL) || (o & ONLRET))
			t->column = 0;
		break;
	case '\t':
		n = 8 - (t->column & 7);
		t->column += n;
		if ((o & TABDLY) != XTABS)
			break;
		memset(out, ' ', n);
		return n;
	case '\b':
		if (t->column)
			t->column--;
		break;
	default:
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))     /* iscntrl */
			break;
		if ((o & OLCUC) && c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		t->column++;
	}
	out[0] = (char)c;
	return 1;
}

/* Output to the console by the output flags (without OPOST, the bytes
 * as they are). Caller holds tty.lock (for the column); the console
 * lock nests inside it. */
void tty_output(struct tty *t, const char *s, size_t n)
{
	char buf[64];
	size_t len = 0;

	if (!(t->tio.oflag & OPOST)) {
		console_write_raw(s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (len > sizeof(buf) - 8) {
			console_write_raw(buf, len);
			len = 0;
		}
		len += opost_char(t, (uint8_t)s[i], buf + len);
	}
	console_write_raw(buf, len);
}

/* Echo (the line discipline's own output): held while output is
 * stopped, as Linux's echo buffer (what does not fit is dropped), and
 * written when it restarts. */
static void echo_out(struct tty *t, const char *s, size_t n)
{
	if (!t->stopped) {
		tty_output(t, s, n);
		return;
	}
	for (size_t i = 0; i < n && t->nheld < TTY_HELD; i++)
		t->held[t->nheld++] = s[i];
}

/* Output stops (VSTOP with IXON, or TCOOFF): writers sleep, echo is
 * held; the kernel's own messages still go out. */
static void stop_output(struct tty *t)
{
	t->stopped = true;
}

/* Output restarts, unless TCOOFF holds it (as Linux's start_tty): the
 * held echo goes out. The caller wakes the writers (tty.c). */
static void start_output(struct tty *t)
{
	if (!t->stopped || t->tco_stopped)
		return;
	t->stopped = false;
	tty_output(t, t->held, t->nheld);
	t->nheld = 0;
}

static bool lflag(const struct tty *t, uint32_t f)
{
	return t->tio.lflag & f;
}

/* A key in c_cc: c is it, and it is not disabled (0, _POSIX_VDISABLE). */
static bool is_key(const struct tty *t, int idx, char c)
{
	return c && t->tio.cc[idx] == (uint8_t)c;
}

/* Echoed as two columns (^X) with ECHOCTL: control bytes but \t, \n. */
static bool shown_as_ctl(const struct tty *t, char c)
{
	uint8_t u = (uint8_t)c;

	return lflag(t, ECHOCTL) && (u < 0x20 || u == 0x7f) && c != '\t' && c != '\n';
}

static void echo_char(struct tty *t, char c)
{
	if (shown_as_ctl(t, c)) {
		char s[2] = { '^', (char)(c ^ 0x40) };
		echo_out(t, s, 2);
	} else {
		echo_out(t, &c, 1);
	}
}

/* Put a byte in the queue; false (dropped) when it is full. */
static bool queue_put(struct tty *t, char c, uint8_t kind)
{
	size_t i = (t->head + t->count) % TTY_QUEUE;

	if (t->count == TTY_QUEUE)
		return false;
	t->queue[i] = c;
	t->kind[i] = kind;
	t->count++;
	if (kind != Q_DATA)
		t->lines++;
	return true;
}

/* The edit line goes to the queue, its last byte marked kind (Q_DATA
 * for none); an end of file is a marker of its own after the line. */
static void push_line(struct tty *t, uint8_t kind)
{
	for (size_t i = 0; i < t->len; i++)
		queue_put(t, t->line[i], kind == Q_EOL && i + 1 == t->len ? Q_EOL : Q_DATA);
	if (kind == Q_EOF)
		queue_put(t, 0, Q_EOF);
	t->len = 0;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Take back the echo of c from the screen. */
static void rubout(struct tty *t, char c)
{
	for (int cols = shown_as_ctl(t, c) ? 2 : 1; cols; cols--)
		echo_out(t, "\b \b", 3);
}

/* ECHOPRT: an erase run ends (a key other than an erase is echoed, or
 * the line is empty): its closing '/'. */
static void finish_erasing(struct tty *t)
{
	if (t->erasing)
		echo_out(t, "/", 1);
	t->erasing = false;
}

/* The echo of one erased byte c: with ECHOPRT printed ('\' before the
 * first of a run), for VERASE without ECHOE the erase key, else
 * rubbed out. */
static void echo_erased(struct tty *t, char c, enum erase_kind kind)
{
	if (lflag(t, ECHOPRT)) {
		if (!t->erasing)
			echo_out(t, "\\", 1);
		t->erasing = true;
		echo_char(t, c);
	} else if (kind == ERASE && !lflag(t, ECHOE)) {
		echo_char(t, (char)t->tio.cc[VERASE]);
	} else {
		rubout(t, c);
	}
}

/* A typed byte's echo: the end of an ECHOPRT erase run, then the byte. */
static void echo_typed(struct tty *t, char c)
{
	if (!lflag(t, ECHO))
		return;
	finish_erasing(t);
	echo_char(t, c);
}

/* VERASE, VWERASE, VKILL on the edit line, echoed as Linux's n_tty
 * eraser does: each erased byte by echo_erased; a kill without all of
 * ECHOK, ECHOKE and ECHOE echoes the kill key (and \n with ECHOK). */
static void erase(struct tty *t, enum erase_kind kind)
{
	bool echo = lflag(t, ECHO), seen_word = false;

	if (!t->len)
		return;
	if (kind == KILL && (!echo || !lflag(t, ECHOK) || !lflag(t, ECHOKE) || !lflag(t, ECHOE))) {
		t->len = 0;
		if (echo) {
			finish_erasing(t);
			echo_char(t, (char)t->tio.cc[VKILL]);
		}
		if (echo && lflag(t, ECHOK))
			echo_out(t, "\n", 1);
		return;
	}
	while (t->len) {
		char c = t->line[t->len - 1];
		if (kind == WERASE && word_char(c))
			seen_word = true;
		else if (kind == WERASE && seen_word)
			break;
		t->len--;
		if (echo)
			echo_erased(t, c, kind);
		if (kind == ERASE)
			break;
	}
	if (!t->len && echo)
		finish_erasing(t);
}

/* VREPRINT: the key, a new line, and the edit line again. */
static void reprint(struct tty *t, char c)
{
	finish_erasing(t);
	echo_char(t, c);
	echo_out(t, "\n", 1);
	for (size_t i = 0; i < t->len; i++)
		echo_char(t, t->line[i]);
}

/* May the edit line take one more byte? It keeps room for the byte
 * that ends it, and the queue for the whole line and its end (so that
 * a line is never cut in the queue: a full queue refuses keys, as
 * Linux's does). */
static bool line_has_room(const struct tty *t)
{
	return t->len < TTY_LINE - 1 && t->count + t->len + 2 <= TTY_QUEUE;
}

/* A line ends (\n, VEOL, VEOL2: kept; VEOF: not): to the queue. */
static void end_line(struct tty *t, char c, bool eof)
{
	if (!eof) {
		t->line[t->len++] = c;
		if (lflag(t, ECHO) || (c == '\n' && lflag(t, ECHONL)))
			echo_char(t, c);
	}
	push_line(t, eof ? Q_EOF : Q_EOL);
}

/* A byte in canonical mode; true if a line is ready for read(). */
static bool canon_input(struct tty *t, char c)
{
	bool ext = lflag(t, IEXTEN);

	if (c == '\n' || is_key(t, VEOL, c) || is_key(t, VEOL2, c) || is_key(t, VEOF, c)) {
		end_line(t, c, is_key(t, VEOF, c) && c != '\n');
		return true;
	}
	if (is_key(t, VERASE, c) || is_key(t, VKILL, c) || (ext && is_key(t, VWERASE, c)))
		erase(t, is_key(t, VERASE, c) ? ERASE : is_key(t, VKILL, c) ? KILL : WERASE);
	else if (ext && is_key(t, VREPRINT, c) && lflag(t, ECHO))
		reprint(t, c);
	else if (line_has_room(t)) {
		t->line[t->len++] = c;
		echo_typed(t, c);
	}
	return false;
}

/* With ISIG, the signal key c stands for (0: none). */
static int signal_key(const struct tty *t, char c)
{
	if (!lflag(t, ISIG))
		return 0;
	return is_key(t, VINTR, c) ? SIGINT : is_key(t, VQUIT, c) ? SIGQUIT :
	       is_key(t, VSUSP, c) ? SIGTSTP : 0;
}

/* The input map of c_iflag; -1: drop the byte (IGNCR). */
static int map_input(const struct tty *t, char c)
{
	uint32_t i = t->tio.iflag;

	if (c == '\r')
		return (i & IGNCR) ? -1 : (i & ICRNL) ? '\n' : '\r';
	if (c == '\n' && (i & INLCR))
		return '\r';
	return (uint8_t)c;
}

/* ISTRIP (7 bits) and IUCLC (upper to lower, only with IEXTEN, as
 * Linux): done to every typed byte first, even after VLNEXT. */
static char strip_case(const struct tty *t, char c)
{
	if (t->tio.iflag & ISTRIP)
		c &= 0x7f;
	if ((t->tio.iflag & IUCLC) && lflag(t, IEXTEN) && c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c;
}

/* IXON: VSTART restarts output, VSTOP stops it; neither is input.
 * Returns true if c was one of them. */
static bool flow_key(struct tty *t, char c)
{
	if (!(t->tio.iflag & IXON))
		return false;
	if (is_key(t, VSTART, c))
		start_output(t);
	else if (is_key(t, VSTOP, c))
		stop_output(t);
	else
		return false;
	return true;
}

/* IXANY: any other key restarts output stopped by VSTOP (not TCOOFF). */
static void any_key_starts(struct tty *t)
{
	if ((t->tio.iflag & (IXON | IXANY)) == (IXON | IXANY))
		start_output(t);
}

/* A signal key: the input dropped (unless NOFLSH), output restarted
 * (IXON), the key echoed as ^C and a new line (Linux echoes no new
 * line; the shell prints one). */
static void signal_input(struct tty *t, char c)
{
	if (!lflag(t, NOFLSH))
		ldisc_flush_locked(t);
	if (t->tio.iflag & IXON)
		start_output(t);
	if (lflag(t, ECHO)) {
		echo_char(t, c);
		echo_out(t, "\n", 1);
	}
}

/* The byte after VLNEXT (canonical mode only): literal, in the line. */
static void literal_input(struct tty *t, char c)
{
	t->lnext = false;
	if (lflag(t, ECHO) && lflag(t, ECHOCTL))
		echo_out(t, "\b", 1);
	any_key_starts(t);
	if (line_has_room(t)) {
		t->line[t->len++] = c;
		echo_typed(t, c);
	}
}

/*
 * One typed byte, in Linux's n_tty order: ISTRIP and IUCLC, the flow
 * keys (IXON), the signal keys (ISIG), IXANY, the input map (ICRNL...),
 * then the edit line or the queue. Returns the signal it sends (the
 * caller sends it to the foreground group once tty.lock is dropped), or
 * 0; sets *wake when read() may now find something. The caller wakes
 * the writers if output restarted. Caller holds tty.lock.
 */
int ldisc_input_locked(struct tty *t, char c, bool *wake)
{
	int m, sig;

	c = strip_case(t, c);
	if (t->lnext) {
		literal_input(t, c);
		return 0;
	}
	if (flow_key(t, c))
		return 0;
	if ((sig = signal_key(t, c))) {
		signal_input(t, c);
		return sig;
	}
	any_key_starts(t);
	if ((m = map_input(t, c)) < 0)
		return 0;
	c = (char)m;
	if (lflag(t, ICANON) && lflag(t, IEXTEN) && is_key(t, VLNEXT, c)) {
		t->lnext = true;
		finish_erasing(t);
		if (lflag(t, ECHO) && lflag(t, ECHOCTL))
			echo_out(t, "^", 1);
	} else if (lflag(t, ICANON)) {
		*wake |= canon_input(t, c);
	} else {
		*wake |= queue_put(t, c, Q_DATA);
		echo_typed(t, c);
	}
	return 0;
}

/*
 * Move up to max queued bytes to buf. Canonical (canon): up to and with
 * the end of one line; an end-of-file marker ends the take and is not
 * copied (so a take of 0 bytes is end of file). Otherwise any bytes, the
 * markers skipped. Returns the bytes copied. Caller holds tty.lock.
 */
size_t ldisc_take_locked(struct tty *t, char *buf, size_t max, bool canon)
{
	size_t n = 0;

	while (t->count && n < max) {
		char c = t->queue[t->head];
		uint8_t kind = t->kind[t->head];
		t->head = (t->head + 1) % TTY_QUEUE;
		t->count--;
		if (kind != Q_DATA)
			t->lines--;
		if (kind != Q_EOF)
			buf[n++] = c;
		if (canon && kind != Q_DATA)
			break;
	}
	return n;
}

/* FIONREAD: the bytes read() could take (end-of-file markers are none).
 * Caller holds tty.lock. */
size_t ldisc_readable_locked(const struct tty *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->count; i++)
		n += t->kind[(t->head + i) % TTY_QUEUE] != Q_EOF;
	return n;
}

/* Would read() return now? Canonical: a whole line (or end of file) is
 * queued. Otherwise a byte is; for poll with VMIN > 0 and VTIME 0,
 * VMIN bytes (Linux's input_available_p). Caller holds tty.lock. */
bool ldisc_ready_locked(const struct tty *t, bool poll)
{
	size_t need = 1;

	if (lflag(t, ICANON))
		return t->lines > 0;
	if (poll && !t->tio.cc[VTIME] && t->tio.cc[VMIN])
		need = t->tio.cc[VMIN];
	return t->count >= need;
}

/* Drop all pending input: the edit line, the queue and the echo held
 * while stopped (TCFLSH, TCSETSF, a signal key), as Linux's
 * n_tty_flush_buffer. Caller holds tty.lock. */
void ldisc_flush_locked(struct tty *t)
{
	t->len = t->head = t->count = t->lines = t->nheld = 0;
	t->lnext = t->erasing = false;
}

/*
 * New settings. Leaving canonical mode, the half-typed line becomes
 * readable bytes; entering it, bytes already queued become one line
 * (as Linux's n_tty_set_termios). Clearing IXON restarts output that
 * VSTOP stopped (not TCOOFF). The caller wakes the readers and writers.
 * Caller holds tty.lock.
 */
void ldisc_set_termios_locked(struct tty *t, const struct termios *n)
{
	bool was_canon = lflag(t, ICANON), was_ixon = t->tio.iflag & IXON;

	t->tio = *n;
	if (was_ixon && !(n->iflag & IXON))
		start_output(t);
	if (was_canon != lflag(t, ICANON))
		t->erasing = false;
	if (was_canon && !lflag(t, ICANON)) {
		push_line(t, Q_DATA);
	} else if (!was_canon && lflag(t, ICANON) && t->count) {
		size_t last = (t->head + t->count - 1) % TTY_QUEUE;
		if (t->kind[last] == Q_DATA) {
			t->kind[last] = Q_EOL;
			t->lines++;
		}
	}
	t->lnext = false;
}

/*
 * TCXONC (tcflow), as Linux: TCOOFF stops output until TCOON (VSTART
 * does not restart it); TCOON undoes only TCOOFF; TCIOFF and TCION send
 * the VSTOP or VSTART byte to the terminal (even while output is
 * stopped; nothing if the key is disabled). Returns 0 or -EINVAL. The
 * caller wakes the writers if output restarted. Caller holds tty.lock.
 */
int ldisc_flow_locked(struct tty *t, int how)
{
	char c;

	switch (how) {
	case TCOOFF:
		t->tco_stopped = true;
		stop_output(t);
		return 0;
	case TCOON:
		if (t->tco_stopped) {
			t->tco_stopped = false;
			start_output(t);
		}
		return 0;
	case TCIOFF:
	case TCION:
		if ((c = (char)t->tio.cc[how == TCIOFF ? VSTOP : VSTART]))
			console_write_raw(&c, 1);
		return 0;
	}
	return -EINVAL;
}
