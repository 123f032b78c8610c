/*
 * replay.c: `fuzz -W N -R FILE` makes the calls listed in FILE, literally,
 * as worker N after its usual set-up (same directory, descriptors, arena
 * and, the binary being the same, the same addresses for its buffers).
 * tests/syzfuzz.py --shrink writes such files from a failing log to find
 * a short sequence that still crashes the kernel. One call a line:
 *
 *     NR ARG0 ARG1 ... ARG5          (NR decimal, arguments hexadecimal)
 *
 * NR -1 is a touch (address, write?, byte); fork and vfork make a child
 * that exits at once. What the generator had put in memory behind pointer
 * arguments (iovecs, sigactions, page lists) is not in the log: a replay
 * reproduces what the numbers alone trigger.
 */
#include "fuzz.h"

static char text[1 << 18];

static const char *parse_hex(const char *p, long *v)
{
	unsigned long x = 0;
	int neg = *p == '-';

	p += neg;
	for (;; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			break;
		x = x * 16 + (unsigned long)d;
	}
	*v = neg ? -(long)x : (long)x;
	return p;
}

/* One line: its call, as the generator would have made it. */
static void replay_one(struct worker *w, struct call *c)
{
	int status;

	fz_log(w, c);
	if (c->nr == -1 && c->a[1])
		*(volatile unsigned char *)c->a[0] = (unsigned char)c->a[2];
	else if (c->nr == -1)
		(void)*(volatile unsigned char *)c->a[0];
	else if (c->nr == 57 || c->nr == 58) {
		long pid = fz_sys(57, 0, 0, 0, 0, 0, 0);
		if (pid == 0)
			fz_sys(231, 0, 0, 0, 0, 0, 0);
		if (pid > 0)
			fz_sys(61, pid, (long)&status, 0, 0, 0, 0);
	} else
		fz_sys(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

/* Replay every line of path. Returns the number of calls made. */
long fz_replay(struct worker *w, const char *path)
{
	long fd = fz_sys(2, (long)path, 0, 0, 0, 0, 0), n = 0, got;

	while (fd >= 0 && n < (long)sizeof(text) - 1 &&
	       (got = fz_sys(0, fd, (long)text + n, (long)sizeof(text) - 1 - n, 0, 0, 0)) > 0)
		n += got;
	text[n > 0 ? n : 0] = 0;
	const char *p = text;
	for (w->i = 0; *p; w->i++) {
		long dec = 0, neg = *p == '-';
		static char name[24];
		struct call c = { name, 0, { 0 }, 6 };
		for (p += neg; *p >= '0' && *p <= '9'; p++)
			dec = dec * 10 + (*p - '0');
		c.nr = neg ? -dec : dec;
		fz_fmt(name, "#", c.nr, "");
		for (int k = 0; k < 6 && *p == ' '; k++)
			p = parse_hex(p + 1, &c.a[k]);
		while (*p && *p != '\n')
			p++;
		p += *p == '\n';
		replay_one(w, &c);
	}
	return w->i;
}
