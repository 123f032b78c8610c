/*
 * The console's line discipline: what each typed byte becomes, by the
 * termios flags, as Linux's n_tty does it.
 *
 *   serial byte (tty_poll, timer tick)
 *     |
 *     v
 *   input map: IGNCR drops \r, ICRNL \r -> \n, INLCR \n -> \r
 *     |
 *     +-- ISIG and VINTR / VQUIT / VSUSP: a signal for the foreground
 *     |   group (tty.c sends it), echoed ^C; the input is flushed
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
 * Echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL) is written as the
 * byte comes, through the output flags (OPOST, ONLCR).
 *
 * Locking: every function here but tty_output is called with tty.lock
 * held (from the timer interrupt, or from a system call with interrupts
 * off); none sleeps. The echo goes to the console under that lock: the
 * console lock (printk.c) nests inside it.
 */
#include "tty_ldisc.h"
#include <kernel/printk.h>
#include <kernel/signal.h>

enum erase_kind { ERASE, WERASE, KILL };

/* Output to the console by the output flags: with OPOST and ONLCR a \n
 * goes out as \r\n. Any lock (or none) may be held. */
void tty_output(const struct tty *t, const char *s, size_t n)
{
	uint32_t o = READ_ONCE(t->tio.oflag);

	if ((o & OPOST) && (o & ONLCR))
		console_write(s, n);
	else
		console_write_raw(s, n);
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
		tty_output(t, s, 2);
	} else {
		tty_output(t, &c, 1);
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
		tty_output(t, "\b \b", 3);
}

/* VERASE, VWERASE, VKILL on the edit line, echoed as Linux's
 * n_tty eraser does: rubbed out with ECHOE (and ECHOKE for a kill),
 * else the key itself is echoed (and \n after a kill with ECHOK). */
static void erase(struct tty *t, enum erase_kind kind)
{
	bool echo = lflag(t, ECHO), seen_word = false;

	if (!t->len)
		return;
	if (echo && kind == ERASE && !lflag(t, ECHOE)) {
		t->len--;
		echo_char(t, (char)t->tio.cc[VERASE]);
		return;
	}
	if (kind == KILL && (!echo || !lflag(t, ECHOK) || !lflag(t, ECHOKE) || !lflag(t, ECHOE))) {
		t->len = 0;
		if (echo)
			echo_char(t, (char)t->tio.cc[VKILL]);
		if (echo && lflag(t, ECHOK))
			tty_output(t, "\n", 1);
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
			rubout(t, c);
		if (kind == ERASE)
			break;
	}
}

/* VREPRINT: the key, a new line, and the edit line again. */
static void reprint(struct tty *t, char c)
{
	echo_char(t, c);
	tty_output(t, "\n", 1);
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
		if (lflag(t, ECHO))
			echo_char(t, c);
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

/*
 * One typed byte. Returns the signal it sends (the caller sends it to
 * the foreground group once tty.lock is dropped), or 0; sets *wake when
 * read() may now find something. A signal key drops the pending input
 * (unless NOFLSH) and echoes as ^C and a new line (Linux echoes no new
 * line; the shell prints one). Caller holds tty.lock.
 */
int ldisc_input_locked(struct tty *t, char c, bool *wake)
{
	int m = t->lnext ? (uint8_t)c : map_input(t, c), sig;

	if (m < 0)
		return 0;
	c = (char)m;
	if (t->lnext) {
		t->lnext = false;              /* only set in canonical mode */
		if (lflag(t, ECHO) && lflag(t, ECHOCTL))
			tty_output(t, "\b", 1);
	} else if ((sig = signal_key(t, c))) {
		if (!lflag(t, NOFLSH))
			ldisc_flush_locked(t);
		if (lflag(t, ECHO)) {
			echo_char(t, c);
			tty_output(t, "\n", 1);
		}
		return sig;
	} else if (lflag(t, ICANON) && lflag(t, IEXTEN) && is_key(t, VLNEXT, c)) {
		t->lnext = true;
		if (lflag(t, ECHO) && lflag(t, ECHOCTL))
			tty_output(t, "^", 1);
		return 0;
	} else if (lflag(t, ICANON)) {
		*wake |= canon_input(t, c);
		return 0;
	}
	if (!lflag(t, ICANON)) {
		*wake |= queue_put(t, c, Q_DATA);
		if (lflag(t, ECHO))
			echo_char(t, c);
	} else if (line_has_room(t)) {         /* a literal byte after VLNEXT */
		t->line[t->len++] = c;
		if (lflag(t, ECHO))
			echo_char(t, c);
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

/* Drop all pending input: the edit line and the queue (TCFLSH, TCSETSF,
 * a signal key). Caller holds tty.lock. */
void ldisc_flush_locked(struct tty *t)
{
	t->len = t->head = t->count = t->lines = 0;
	t->lnext = false;
}

/*
 * New settings. Leaving canonical mode, the half-typed line becomes
 * readable bytes; entering it, bytes already queued become one line
 * (as Linux's n_tty_set_termios). The caller wakes the readers. Caller
 * holds tty.lock.
 */
void ldisc_set_termios_locked(struct tty *t, const struct termios *n)
{
	bool was_canon = lflag(t, ICANON);

	t->tio = *n;
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
