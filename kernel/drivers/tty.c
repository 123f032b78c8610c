/*
 * The console TTY, in canonical mode as a terminal driver does it: typed
 * characters collect in an edit line (echoed; backspace and ^U edit it);
 * Enter moves the line to the input queue, where read() finds it, one line
 * per read. ^D on an empty line is end of file (read returns 0).
 *
 * Job control: the console is the controlling TTY of one session (init's,
 * session 1, from boot; TIOCSCTTY/TIOCNOTTY change it), and one process
 * group of it is in the foreground (TIOCSPGRP). With ISIG set in c_lflag
 * (the default), ^C sends SIGINT, ^\ SIGQUIT and ^Z SIGTSTP to the
 * foreground group (init only if it has a handler: Linux's init ignores
 * default actions). A background group that reads gets SIGTTIN, and one
 * that writes with TOSTOP set, or changes the settings, gets SIGTTOU
 * (kernel/proc/jobctl.c). With no session owning the console, ^C goes to
 * every process but init that has not ignored SIGINT.
 *
 * Input comes from the serial port, polled from CPU 0's timer tick
 * (tty_poll), so typing works without an interrupt controller set up for
 * the UART. Output goes straight to the console.
 *
 * Locking: tty.lock protects the edit line, the input queue, the session,
 * the foreground group and the flags; it is taken from the timer
 * interrupt, so always with interrupts off. It is never held while
 * proc_lock is taken (signals are sent after it is dropped).
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

#define LINE_MAX 255
#define ISIG   0x0001              /* c_lflag: ^C ^\ ^Z send signals */
#define TOSTOP 0x0100              /* c_lflag: background writes get SIGTTOU */
#define VINTR_CHAR 0x03
#define VQUIT_CHAR 0x1c
#define VSUSP_CHAR 0x1a
#define QUEUE 1024

static struct tty {
	struct spinlock lock;      /* everything below */
	char line[LINE_MAX];
	size_t len;
	char queue[QUEUE];         /* finished lines, read() takes from here */
	size_t head, count;
	int eofs;                  /* ^D's waiting at the end of the queue */
	struct waitq wait;
	int session;               /* sid of the session it controls, or 0 */
	int pgrp;                  /* that session's foreground group */
	uint32_t lflag;            /* ISIG, TOSTOP: what TCSETS may change */
} console = { .lock = SPINLOCK_INIT("tty"), .lflag = ISIG };

static void echo(const char *s, size_t n)
{
	console_write(s, n);
}

static void queue_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n && console.count < QUEUE; i++)
		console.queue[(console.head + console.count++) % QUEUE] = s[i];
}

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

/* The signal a key sends with ISIG on (0: none); echo it as ^X. */
static int isig_key(char c)
{
	static const char echo_of[][4] = { "^C\n", "^\\\n", "^Z\n" };
	int sig = c == VINTR_CHAR ? SIGINT : c == VQUIT_CHAR ? SIGQUIT :
		  c == VSUSP_CHAR ? SIGTSTP : 0;

	if (!sig || !(console.lflag & ISIG))
		return 0;
	console.len = 0;
	echo(echo_of[sig == SIGINT ? 0 : sig == SIGQUIT ? 1 : 2], 3);
	return sig;
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

void tty_input(char c)
{
	uint64_t flags = spin_lock_irqsave(&console.lock);
	bool wake = false;
	int sig = isig_key(c), fg = console.pgrp;

	if (sig) {
		/* sent below, once the lock is dropped */
	} else if (c == '\r' || c == '\n') {
		console.line[console.len++] = '\n';
		queue_line(console.line, console.len);
		console.len = 0;
		echo("\n", 1);
		wake = true;
	} else if (c == 0x7f || c == '\b') {
		if (console.len) {
			console.len--;
			echo("\b \b", 3);
		}
	} else if (c == 0x15) {            /* ^U: erase the line */
		while (console.len--)
			echo("\b \b", 3);
		console.len = 0;
	} else if (c == 0x04) {            /* ^D */
		if (console.len)
			queue_line(console.line, console.len);
		else
			console.eofs++;
		console.len = 0;
		wake = true;
	} else if ((unsigned char)c >= ' ' && console.len < LINE_MAX - 1) {
		console.line[console.len++] = c;
		echo(&c, 1);
	}
	spin_unlock_irqrestore(&console.lock, flags);
	if (wake)
		wake_up_all(&console.wait);
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
	uint64_t flags = spin_lock_irqsave(&console.lock);
	bool bg = console.session && p->sid == console.session && console.pgrp &&
		  p->pgid != console.pgrp;

	spin_unlock_irqrestore(&console.lock, flags);
	return bg;
}

/* 0 if the caller may go on, else -EIO or -ERESTARTSYS (sig sent). */
static int job_check(int sig)
{
	return in_background() ? jobctl_tty_background(sig) : 0;
}

/* One line (or what fits) from the queue; 0 at end of file. A background
 * reader gets SIGTTIN (or EIO); a signal while waiting restarts the read
 * if no handler runs (-ERESTARTSYS): a stopped reader reads on. */
static ssize_t tty_read(struct file *f, struct uio *u, uint64_t *pos)
{
	char buf[LINE_MAX + 1];
	size_t n = 0;
	int err = job_check(SIGTTIN);

	if (err)
		return err;

	for (;;) {
		uint64_t flags = spin_lock_irqsave(&console.lock);
		if (console.count) {
			while (n < MIN(u->resid, sizeof(buf)) && console.count) {
				char c = console.queue[console.head];
				console.head = (console.head + 1) % QUEUE;
				console.count--;
				buf[n++] = c;
				if (c == '\n')
					break;
			}
		} else if (console.eofs) {
			console.eofs--;            /* n stays 0: end of file */
		} else {
			spin_unlock_irqrestore(&console.lock, flags);
			if (wait_event(&console.wait, READ_ONCE(console.count) || READ_ONCE(console.eofs)))
				return -ERESTARTSYS;
			continue;
		}
		spin_unlock_irqrestore(&console.lock, flags);
		return uio_copy_out(u, buf, n);
	}
}

/* Straight to the console; with TOSTOP, a background writer gets SIGTTOU. */
static ssize_t tty_write(struct file *f, struct uio *u, uint64_t *pos)
{
	char buf[256];
	ssize_t done = 0;
	int err = (READ_ONCE(console.lflag) & TOSTOP) ? job_check(SIGTTOU) : 0;

	if (err)
		return err;

	while (u->resid) {
		ssize_t n = uio_copy_in(u, buf, MIN(u->resid, sizeof(buf)));
		if (n < 0)
			return done ? done : n;
		console_write(buf, n);
		done += n;
	}
	return done;
}

static int64_t tty_lseek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}


#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGWINSZ 0x5413

struct winsize {
	uint16_t rows, cols, xpixel, ypixel;
};

/* The kernel's struct termios for TCGETS/TCSETS (not termios2): 36 bytes. */
struct termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};

_Static_assert(sizeof(struct termios) == 36, "Linux's struct termios is 36 bytes");

#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCNOTTY 0x5422
#define TIOCGSID  0x5429

/* Is the console the caller's controlling TTY? */
static bool is_ctty(void)
{
	return READ_ONCE(console.session) && READ_ONCE(console.session) == current->leader->sid;
}

/* The console stops being session sid's controlling TTY: its foreground
 * group gets SIGHUP and SIGCONT, as Linux's disassociate_ctty. */
static void release_ctty(int sid)
{
	uint64_t flags = spin_lock_irqsave(&console.lock);
	int fg = console.session == sid ? console.pgrp : 0;

	if (console.session == sid)
		console.session = console.pgrp = 0;
	spin_unlock_irqrestore(&console.lock, flags);
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
	uint64_t flags = spin_lock_irqsave(&console.lock);
	if (console.session && console.session != p->sid && steal != 1)
		r = -EPERM;
	else if (console.session != p->sid)
		console.session = p->sid, console.pgrp = p->pgid;
	spin_unlock_irqrestore(&console.lock, flags);
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
	flags = spin_lock_irqsave(&console.lock);
	console.pgrp = pgid;
	spin_unlock_irqrestore(&console.lock, flags);
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
		v = cmd == TIOCGPGRP ? READ_ONCE(console.pgrp) : READ_ONCE(console.session);
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

/* TCSETS*: only ISIG and TOSTOP can change (input stays canonical, with
 * echo); a background group gets SIGTTOU first. */
static int64_t set_termios(const void *arg)
{
	struct termios t;
	int err = job_check(SIGTTOU);

	if (err)
		return err;
	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	uint64_t flags = spin_lock_irqsave(&console.lock);
	console.lflag = t.lflag & (ISIG | TOSTOP);
	spin_unlock_irqrestore(&console.lock, flags);
	return 0;
}

static int64_t tty_ioctl(struct file *f, uint64_t cmd, void *arg)
{
	static const struct winsize ws = { 24, 80, 0, 0 };
	struct termios t = { .iflag = 0x500 /* ICRNL|IXON */, .oflag = 0x5 /* OPOST|ONLCR */,
			     .cflag = 0xbf, .lflag = 0x8a3a /* ICANON|ECHO... */ };

	switch (cmd) {
	case TIOCGWINSZ:
		return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	case TCGETS:
		t.lflag |= READ_ONCE(console.lflag);
		t.cc[0] = VINTR_CHAR;
		t.cc[1] = VQUIT_CHAR;
		t.cc[2] = 0x7f;                /* VERASE */
		t.cc[3] = 0x15;                /* VKILL = ^U */
		t.cc[4] = 4;                   /* VEOF = ^D */
		t.cc[10] = VSUSP_CHAR;
		return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
	case TCSETS: case TCSETSW: case TCSETSF:
		return set_termios(arg);
	}
	return tty_job_ioctl(cmd, arg);
}

/* Boot: session 1 (init's) gets the console as its controlling TTY, with
 * group 1 in the foreground, so a shell run as init has job control. */
void tty_console_ctty(int sid, int pgrp)
{
	uint64_t flags = spin_lock_irqsave(&console.lock);

	console.session = sid;
	console.pgrp = pgrp;
	spin_unlock_irqrestore(&console.lock, flags);
}

/* The leader of session sid ended (its last thread exited): if the
 * console belongs to that session, it is released (its foreground group
 * gets SIGHUP). No lock held. */
void tty_session_exit(int sid)
{
	if (READ_ONCE(console.session) == sid)
		release_ctty(sid);
}

/* /dev/tty and /dev/console (5:0, 5:1) are both the one console. */
static int tty_open(struct inode *in, struct file *f)
{
	f->priv = &console;
	return 0;
}

/* poll: readable with a finished line or a ^D queued; always writable
 * (output goes straight to the console). */
static uint32_t tty_pollmask(struct file *f, struct poll_table *pt)
{
	uint32_t mask = POLLOUT | POLLWRNORM;

	poll_wait(pt, &console.wait);
	if (READ_ONCE(console.count) || READ_ONCE(console.eofs))
		mask |= POLLIN | POLLRDNORM;
	return mask;
}

static const struct file_ops tty_ops = {
	.read = tty_read, .write = tty_write, .lseek = tty_lseek,
	.ioctl = tty_ioctl, .open = tty_open, .poll = tty_pollmask,
};

/* Boot: the console's wait queue, and its device numbers for /dev. */
void tty_init(void)
{
	waitq_init(&console.wait);
	chrdev_register(5, 0, 1, "tty", &tty_ops);
	chrdev_register(5, 1, 1, "console", &tty_ops);
}

struct file *tty_open_console(void)
{
	return file_alloc(&tty_ops, &console, O_RDWR);
}
