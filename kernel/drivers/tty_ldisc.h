/*
 * The console TTY's state, shared by the device (tty.c: file operations,
 * job control, ioctls) and its line discipline (tty_ldisc.c: what typed
 * bytes become, by the termios flags). Private to kernel/drivers.
 */
#ifndef DRIVERS_TTY_LDISC_H
#define DRIVERS_TTY_LDISC_H

#include <kernel/types.h>
#include <kernel/spinlock.h>
#include <kernel/waitq.h>

/* Linux's struct termios for TCGETS/TCSETS (not termios2): 36 bytes. */
struct termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};

/* c_cc indexes (asm-generic/termbits.h) */
enum { VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP,
       VSUSP, VEOL, VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2 };

/* c_iflag */
#define ISTRIP 0000040
#define INLCR  0000100
#define IGNCR  0000200
#define ICRNL  0000400
#define IUCLC  0001000
#define IXON   0002000
#define IXANY  0004000
/* c_oflag */
#define OPOST  0000001
#define OLCUC  0000002
#define ONLCR  0000004
#define OCRNL  0000010
#define ONOCR  0000020
#define ONLRET 0000040
#define TABDLY 0014000
#define XTABS  0014000             /* TAB3: tabs go out as spaces */
/* c_cflag: B38400 | CS8 | CREAD | HUPCL, Linux's default */
#define CFLAG_DEFAULT 0000277
/* c_lflag */
#define ISIG    0000001
#define ICANON  0000002
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHONL  0000100
#define NOFLSH  0000200
#define TOSTOP  0000400
#define ECHOCTL 0001000
#define ECHOPRT 0002000
#define ECHOKE  0004000
#define IEXTEN  0100000

#define TTY_LINE 255               /* the edit line (canonical mode) */
#define TTY_QUEUE 1024             /* bytes read() may take */
#define TTY_HELD 256               /* echo kept while output is stopped */

/* TCXONC's (tcflow's) actions */
enum { TCOOFF, TCOON, TCIOFF, TCION };

/* A queued byte's kind: data, a line's last byte, or an end of file (a
 * VEOF that ends a line: read() stops there and does not return it). */
enum { Q_DATA, Q_EOL, Q_EOF };

struct winsize {
	uint16_t rows, cols, xpixel, ypixel;
};

struct tty {
	struct spinlock lock;      /* everything below but the wait queues */
	struct termios tio;        /* as TCSETS left it */
	struct winsize ws;         /* TIOCSWINSZ's, for TIOCGWINSZ */
	char line[TTY_LINE];       /* canonical mode: the line being typed */
	size_t len;
	bool lnext;                /* VLNEXT typed: the next byte is literal */
	bool erasing;              /* ECHOPRT: inside a \...erased.../ run */
	bool stopped;              /* output stopped (VSTOP with IXON, TCOOFF) */
	bool tco_stopped;          /* stopped by TCOOFF: only TCOON restarts */
	unsigned column;           /* output column (OPOST): ONOCR, tabs */
	char held[TTY_HELD];       /* echo waiting for output to restart */
	size_t nheld;
	char queue[TTY_QUEUE];     /* what read() takes, in order */
	uint8_t kind[TTY_QUEUE];   /* Q_* of each queued byte */
	size_t head, count;
	size_t lines;              /* Q_EOL and Q_EOF bytes in the queue */
	struct waitq wait;         /* readers (and pollers) of the queue */
	struct waitq write_wait;   /* writers (and pollers) while stopped */
	int session;               /* sid of the session it controls, or 0 */
	int pgrp;                  /* that session's foreground group */
};

extern struct tty tty_console;        /* the one TTY: the serial console */

/* Line discipline (tty_ldisc.c); "locked": the caller holds tty.lock. */
int ldisc_input_locked(struct tty *t, char c, bool *wake);
size_t ldisc_take_locked(struct tty *t, char *buf, size_t max, bool canon);
size_t ldisc_readable_locked(const struct tty *t);
bool ldisc_ready_locked(const struct tty *t, bool poll);
void ldisc_flush_locked(struct tty *t);
void ldisc_set_termios_locked(struct tty *t, const struct termios *n);
int ldisc_flow_locked(struct tty *t, int how);
void tty_output(struct tty *t, const char *s, size_t n);

#endif
