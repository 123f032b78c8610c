/*
 * The console TTY: its file operations, its settings (termios) and job
 * control. What typed bytes become, by the settings, is its line
 * discipline (tty_ldisc.c, with the drawing of the input path): with
 * ICANON (the default) read() returns one edited line; without it, the
 * bytes as they come, by VMIN and VTIME.
 *
 * Job control: the console is the controlling TTY of one session (init's,
 * session 1, from boot; TIOCSCTTY/TIOCNOTTY change it), and one process
 * group of it is in the foreground (TIOCSPGRP). With ISIG set in c_lflag
 * (the default), VINTR (^C) sends SIGINT, VQUIT (^\) SIGQUIT and VSUSP
 * (^Z) SIGTSTP to the foreground group (init only if it has a handler:
 * Linux's init ignores default actions). A background group that reads
 * gets SIGTTIN, and one that writes with TOSTOP set, or changes the
 * settings, gets SIGTTOU (kernel/proc/jobctl.c). With no session owning
 * the console, ^C goes to every process but init that has not ignored
 * SIGINT.
 *
 * Input comes from the serial port, polled from CPU 0's timer tick
 * (tty_poll), so typing works without an interrupt controller set up for
 * the UART. Output goes straight to the console (OPOST, ONLCR: \n as
 * \r\n).
 *
 * Flow control: with IXON, VSTOP (^S) stops the console's output and
 * VSTART (^Q) restarts it (IXANY: any key); TCXONC (tcflow) does it
 * from a program. A writer sleeps on write_wait while output is
 * stopped; the kernel's own messages (printk) are never stopped.
 *
 * Locking: tty.lock protects the settings, the edit line, the input
 * queue, the output state (stopped, column, held echo), the session and
 * the foreground group; it is taken from the
 * timer interrupt, so always with interrupts off. It is never held while
 * proc_lock is taken (signals are sent after it is dropped), nor across
 * a user copy or a sleep.
 */
#include <kernel/tty.h>
#include <kernel/poll.h>
#include <kernel/jobctl.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/printk.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/usercopy.h>
#include <kernel/device.h>
#include <arch/serial.h>
#include "tty_ldisc.h"

#define NS_PER_DECISECOND 100000000ULL

/* Linux's defaults (tty_std_termios): ICRNL IXON, OPOST ONLCR, B38400
 * CS8 CREAD HUPCL, ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN,
 * and INIT_C_CC. */
struct tty tty_console = {
	.lock = SPINLOCK_INIT("tty"),
	.tio = { .iflag = ICRNL | IXON, .oflag = OPOST | ONLCR, .cflag = CFLAG_DEFAULT,
		 .lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
		 .cc = { [VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025,
			 [VEOF] = 004, [VTIME] = 0, [VMIN] = 1, [VSTART] = 021,
			 [VSTOP] = 023, [VSUSP] = 032, [VREPRINT] = 022, [VDISCARD] = 017,
			 [VWERASE] = 027, [VLNEXT] = 026 } },
	.ws = { 24, 80, 0, 0 },
};

static void interrupt_all(void)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	int pids[64], n = 0;

	proc_for_each(p) {
		if (p->pid > 1 && p->mm && n < 64 && p->leader == p &&
		    p->sigactions[SIGINT].handler != SIG_IGN)
			pids[n++] = p->pid;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	for (int i = 0; i < n; i++)
		proc_kill(pids[i], SIGINT);
}

/* Send a key's signal (no lock held): to the foreground group, or with
 * no session on the console, SIGINT to every process but init. */
static void send_key_signal(int sig, int fg)
{
	if (fg)
		tty_kill_pgrp(fg, sig);
	else if (sig == SIGINT)
		interrupt_all();
}

/* A byte typed on the console, through the line discipline; a signal
 * key's signal is sent once tty.lock is dropped. Interrupts may be on or
 * off; no lock held. */
void tty_input(char c)
{
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	bool wake = false, was_stopped = tty_console.stopped;
	int sig = ldisc_input_locked(&tty_console, c, &wake), fg = tty_console.pgrp;
	bool started = was_stopped && !tty_console.stopped;

	spin_unlock_irqrestore(&tty_console.lock, flags);
	if (wake)
		wake_up_all(&tty_console.wait);
	if (started)
		wake_up_all(&tty_console.write_wait);
	if (sig)
		send_key_signal(sig, fg);
}

void tty_poll(void)
{
	int c;

	while ((c = serial_getc()) >= 0)
		tty_input((char)c);
}

/* Is the caller in a background group of the session the console
 * controls (not the foreground group)? */
static bool in_background(void)
{
	struct proc *p = current->leader;       /* the process's group */
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	bool bg = tty_console.session && p->sid == tty_console.session && tty_console.pgrp &&
		  p->pgid != tty_console.pgrp;

	spin_unlock_irqrestore(&tty_console.lock, flags);
	return bg;
}

/* 0 if the caller may go on, else -EIO or -ERESTARTSYS (sig sent). */
static int job_check(int sig)
{
	return in_background() ? jobctl_tty_background(sig) : 0;
}

/* Sleep until read() may find something (ldisc_ready_locked) or the
 * clock passes deadline (SCHED_FOREVER: no limit). Returns 0, or
 * -ERESTARTSYS if a signal came. No lock held. */
static int wait_input(uint64_t deadline)
{
	struct waiter w = { 0 };
	int r = 0;

	for (;;) {
		waitq_prepare(&tty_console.wait, &w);
		uint64_t flags = spin_lock_irqsave(&tty_console.lock);
		bool ready = ldisc_ready_locked(&tty_console, false);
		spin_unlock_irqrestore(&tty_console.lock, flags);
		if (ready)
			break;
		if (signal_pending(current)) {
			r = -ERESTARTSYS;
			break;
		}
		if (deadline != SCHED_FOREVER && clock_ns() >= deadline)
			break;
		sched_sleep_until(deadline);
	}
	waitq_finish(&tty_console.wait, &w);
	return r;
}

/*
 * Non-canonical: has a read that holds n of max bytes (got of them new)
 * finished? The four cases of termios(3): VMIN > 0, VTIME 0: VMIN bytes;
 * VMIN 0, VTIME 0: at once; VMIN 0, VTIME > 0: a byte, or VTIME tenths
 * of a second from the start; VMIN > 0, VTIME > 0: VMIN bytes, or VTIME
 * after the last byte (no limit before the first). Sets *deadline.
 */
static bool raw_done(size_t n, size_t max, size_t got, const uint8_t *cc, uint64_t *deadline)
{
	uint64_t now = clock_ns(), span = cc[VTIME] * NS_PER_DECISECOND;

	if (n == max || (cc[VMIN] && n >= cc[VMIN]))
		return true;
	if (!cc[VMIN] && (n || !cc[VTIME]))
		return true;
	if (*deadline != SCHED_FOREVER && now >= *deadline)
		return true;
	if (cc[VTIME] && (cc[VMIN] ? got : *deadline == SCHED_FOREVER))
		*deadline = now + span;
	return false;
}

/*
 * Take what a read returns into buf (max bytes at most): canonical, one
 * line, 0 at end of file; otherwise as raw_done says. Sleeps (no lock
 * held). Returns the bytes, or -EAGAIN (O_NONBLOCK, nothing there) or
 * -ERESTARTSYS (a signal, nothing taken).
 */
static ssize_t take_input(struct file *f, char *buf, size_t max)
{
	uint64_t deadline = SCHED_FOREVER;
	size_t n = 0;

	for (;;) {
		uint64_t flags = spin_lock_irqsave(&tty_console.lock);
		bool canon = tty_console.tio.lflag & ICANON, done;
		if (canon && !n && ldisc_ready_locked(&tty_console, false)) {
			n = ldisc_take_locked(&tty_console, buf, max, true);
			done = true;
		} else {
			size_t got = canon ? 0 : ldisc_take_locked(&tty_console, buf + n, max - n, false);
			n += got;
			done = (canon && n) || (!canon && raw_done(n, max, got, tty_console.tio.cc, &deadline));
		}
		spin_unlock_irqrestore(&tty_console.lock, flags);
		if (done)
			return n;
		if (f->flags & O_NONBLOCK)
			return n ? (ssize_t)n : -EAGAIN;
		int err = wait_input(deadline);
		if (err)
			return n ? (ssize_t)n : err;
	}
}

/* A read: a background reader gets SIGTTIN (or EIO); a signal while
 * waiting restarts the read if no handler runs (-ERESTARTSYS): a stopped
 * reader reads on. No lock held. */
static ssize_t tty_read(struct file *f, struct uio *u, uint64_t *pos)
{
	char buf[TTY_LINE + 1];
	int err = job_check(SIGTTIN);

	if (err)
		return err;
	ssize_t n = take_input(f, buf, MIN(u->resid, sizeof(buf)));
	return n > 0 ? uio_copy_out(u, buf, n) : n;
}

/* Sleep while console output is stopped (VSTOP, TCOOFF). Returns 0,
 * -EAGAIN (O_NONBLOCK) or -ERESTARTSYS (a signal: SIGKILL wakes a
 * stopped writer too). No lock held. */
static int wait_output(struct file *f)
{
	struct waiter w = { 0 };
	int r = 0;

	for (;;) {
		waitq_prepare(&tty_console.write_wait, &w);
		if (!READ_ONCE(tty_console.stopped))
			break;
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			r = -ERESTARTSYS;
			break;
		}
		sched_sleep_until(SCHED_FOREVER);
	}
	waitq_finish(&tty_console.write_wait, &w);
	return r;
}

/* Write n bytes (a kernel copy) through the output flags once output
 * runs: under tty.lock (the column), if it has not stopped again since
 * the wait. Returns 0 or wait_output's error. No lock held. */
static int output_started(struct file *f, const char *buf, size_t n)
{
	for (;;) {
		int err = wait_output(f);
		if (err)
			return err;
		uint64_t flags = spin_lock_irqsave(&tty_console.lock);
		bool stopped = tty_console.stopped;
		if (!stopped)
			tty_output(&tty_console, buf, n);
		spin_unlock_irqrestore(&tty_console.lock, flags);
		if (!stopped)
			return 0;
	}
}

/* Through the output flags to the console; with TOSTOP, a background
 * writer gets SIGTTOU. While output is stopped the writer sleeps; a
 * signal then ends the write with the bytes written so far, or
 * -ERESTARTSYS if none (as Linux's n_tty_write). */
static ssize_t tty_write(struct file *f, struct uio *u, uint64_t *pos)
{
	char buf[256];
	ssize_t done = 0;
	int err = (READ_ONCE(tty_console.tio.lflag) & TOSTOP) ? job_check(SIGTTOU) : 0;

	if (err)
		return err;

	while (u->resid) {
		ssize_t n = uio_copy_in(u, buf, MIN(u->resid, sizeof(buf)));
		if (n < 0)
			return done ? done : n;
		if ((err = output_started(f, buf, n)))
			return done ? done : err;
		done += n;
	}
	return done;
}

static int64_t tty_lseek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}


#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCSBRK     0x5409
#define TCXONC     0x540A
#define TCFLSH     0x540B
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541B
#define TCIFLUSH   0
#define TCIOFLUSH  2

_Static_assert(sizeof(struct termios) == 36, "Linux's struct termios is 36 bytes");

#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCNOTTY 0x5422
#define TIOCGSID  0x5429

/* Is the console the caller's controlling TTY? */
static bool is_ctty(void)
{
	return READ_ONCE(tty_console.session) && READ_ONCE(tty_console.session) == current->leader->sid;
}

/* The console stops being session sid's controlling TTY: its foreground
 * group gets SIGHUP and SIGCONT, as Linux's disassociate_ctty. */
static void release_ctty(int sid)
{
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	int fg = tty_console.session == sid ? tty_console.pgrp : 0;

	if (tty_console.session == sid)
		tty_console.session = tty_console.pgrp = 0;
	spin_unlock_irqrestore(&tty_console.lock, flags);
	if (fg) {
		tty_kill_pgrp(fg, SIGHUP);
		tty_kill_pgrp(fg, SIGCONT);
	}
}

/* TIOCSCTTY: a session leader takes the console; from another session
 * only with arg 1 (stealing: Numbat's processes are all root). */
static int64_t set_ctty(uint64_t steal)
{
	struct proc *p = current->leader;
	int64_t r = 0;

	if (p->pid != p->sid)
		return -EPERM;
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	if (tty_console.session && tty_console.session != p->sid && steal != 1)
		r = -EPERM;
	else if (tty_console.session != p->sid)
		tty_console.session = p->sid, tty_console.pgrp = p->pgid;
	spin_unlock_irqrestore(&tty_console.lock, flags);
	return r;
}

/* TIOCSPGRP: make pgid (a group of the caller's session) the foreground. */
static int64_t set_pgrp(const int *uarg)
{
	int pgid, err = job_check(SIGTTOU);

	if (err)
		return err;
	if (copy_from_user(&pgid, uarg, sizeof(pgid)))
		return -EFAULT;
	if (pgid < 0)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	bool ours = pgrp_in_session(pgid, current->leader->sid), any = false;
	proc_for_each(q)
		any |= q->leader == q && q->nr_threads && q->pgid == pgid;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!ours)
		return any ? -EPERM : -ESRCH;
	flags = spin_lock_irqsave(&tty_console.lock);
	tty_console.pgrp = pgid;
	spin_unlock_irqrestore(&tty_console.lock, flags);
	return 0;
}

/* The job-control ioctls; -ENOTTY from a process whose controlling TTY
 * the console is not (but TIOCSCTTY, which makes it so). */
static int64_t tty_job_ioctl(uint64_t cmd, void *arg)
{
	int v;

	if (cmd == TIOCSCTTY)
		return set_ctty((uint64_t)arg);
	if (!is_ctty())
		return -ENOTTY;
	switch (cmd) {
	case TIOCGPGRP:
	case TIOCGSID:
		v = cmd == TIOCGPGRP ? READ_ONCE(tty_console.pgrp) : READ_ONCE(tty_console.session);
		return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
	case TIOCSPGRP:
		return set_pgrp(arg);
	case TIOCNOTTY:
		if (current->tgid == current->leader->sid)
			release_ctty(current->leader->sid);
		return 0;
	}
	return -EINVAL;
}

/* TCSETS, TCSETSW (output is never queued: nothing to wait for) and
 * TCSETSF (pending input dropped first): every field is kept. A
 * background group gets SIGTTOU first. */
static int64_t set_termios(uint64_t cmd, const void *arg)
{
	struct termios t;
	int err = job_check(SIGTTOU);

	if (err)
		return err;
	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	if (cmd == TCSETSF)
		ldisc_flush_locked(&tty_console);
	ldisc_set_termios_locked(&tty_console, &t);
	spin_unlock_irqrestore(&tty_console.lock, flags);
	wake_up_all(&tty_console.wait);            /* a mode change may make input readable */
	wake_up_all(&tty_console.write_wait);      /* clearing IXON restarts output */
	return 0;
}

/* TCFLSH: TCIFLUSH and TCIOFLUSH drop pending input; TCOFLUSH has
 * nothing to drop (output is written at once). */
static int64_t flush_input(uint64_t how)
{
	int err = job_check(SIGTTOU);

	if (err)
		return err;
	if (how > TCIOFLUSH)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	if (how == TCIFLUSH || how == TCIOFLUSH)
		ldisc_flush_locked(&tty_console);
	spin_unlock_irqrestore(&tty_console.lock, flags);
	return 0;
}

/* TCXONC (tcflow): ldisc_flow_locked; a background caller gets SIGTTOU
 * first. Writers are woken if output restarted. */
static int64_t flow_control(uint64_t how)
{
	int err = job_check(SIGTTOU);

	if (err)
		return err;
	if (how > TCION)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	bool was_stopped = tty_console.stopped;
	ldisc_flow_locked(&tty_console, (int)how);
	bool started = was_stopped && !tty_console.stopped;
	spin_unlock_irqrestore(&tty_console.lock, flags);
	if (started)
		wake_up_all(&tty_console.write_wait);
	return 0;
}

/* TIOCSWINSZ: a new size; if it changed, SIGWINCH to the foreground. */
static int64_t set_winsize(const void *arg)
{
	struct winsize ws;

	if (copy_from_user(&ws, arg, sizeof(ws)))
		return -EFAULT;
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	bool changed = memcmp(&ws, &tty_console.ws, sizeof(ws)) != 0;
	int fg = tty_console.pgrp;
	tty_console.ws = ws;
	spin_unlock_irqrestore(&tty_console.lock, flags);
	if (changed && fg)
		tty_kill_pgrp(fg, SIGWINCH);
	return 0;
}

/* TCGETS, TIOCGWINSZ, FIONREAD: a copy taken under the lock, then
 * copied out. */
static int64_t get_state(uint64_t cmd, void *arg)
{
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	struct termios t = tty_console.tio;
	struct winsize ws = tty_console.ws;
	int nread = (int)ldisc_readable_locked(&tty_console);
	spin_unlock_irqrestore(&tty_console.lock, flags);

	if (cmd == TCGETS)
		return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
	if (cmd == TIOCGWINSZ)
		return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	return copy_to_user(arg, &nread, sizeof(nread)) ? -EFAULT : 0;
}

static int64_t tty_ioctl(struct file *f, uint64_t cmd, void *arg)
{
	switch (cmd) {
	case TCGETS: case TIOCGWINSZ: case FIONREAD:
		return get_state(cmd, arg);
	case TCSETS: case TCSETSW: case TCSETSF:
		return set_termios(cmd, arg);
	case TCFLSH:
		return flush_input((uint64_t)arg);
	case TIOCSWINSZ:
		return set_winsize(arg);
	case TCSBRK:                           /* tcdrain: output is never queued */
		return 0;
	case TCXONC:
		return flow_control((uint64_t)arg);
	}
	return tty_job_ioctl(cmd, arg);
}

/* Boot: session 1 (init's) gets the console as its controlling TTY, with
 * group 1 in the foreground, so a shell run as init has job control. */
void tty_console_ctty(int sid, int pgrp)
{
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);

	tty_console.session = sid;
	tty_console.pgrp = pgrp;
	spin_unlock_irqrestore(&tty_console.lock, flags);
}

/* The leader of session sid ended (its last thread exited): if the
 * console belongs to that session, it is released (its foreground group
 * gets SIGHUP). No lock held. */
void tty_session_exit(int sid)
{
	if (READ_ONCE(tty_console.session) == sid)
		release_ctty(sid);
}

/* /dev/tty and /dev/console (5:0, 5:1) are both the one tty_console. */
static int tty_open(struct inode *in, struct file *f)
{
	f->priv = &tty_console;
	return 0;
}

/* poll: readable as the mode says (ldisc_ready_locked: a whole line or
 * end of file when canonical, else bytes); writable unless output is
 * stopped (output goes straight to the console). */
static uint32_t tty_pollmask(struct file *f, struct poll_table *pt)
{
	uint32_t mask = 0;

	poll_wait(pt, &tty_console.wait);
	poll_wait(pt, &tty_console.write_wait);
	uint64_t flags = spin_lock_irqsave(&tty_console.lock);
	if (ldisc_ready_locked(&tty_console, true))
		mask |= POLLIN | POLLRDNORM;
	if (!tty_console.stopped)
		mask |= POLLOUT | POLLWRNORM;
	spin_unlock_irqrestore(&tty_console.lock, flags);
	return mask;
}

static const struct file_ops tty_ops = {
	.read = tty_read, .write = tty_write, .lseek = tty_lseek,
	.ioctl = tty_ioctl, .open = tty_open, .poll = tty_pollmask,
};

/* Boot: the console's wait queue, and its device numbers for /dev. */
void tty_init(void)
{
	waitq_init(&tty_console.wait);
	waitq_init(&tty_console.write_wait);
	chrdev_register(5, 0, 1, "tty", &tty_ops);
	chrdev_register(5, 1, 1, "console", &tty_ops);
}

struct file *tty_open_console(void)
{
	return file_alloc(&tty_ops, &tty_console, O_RDWR);
}
