/*
 * The console TTY, in canonical mode as a terminal driver does it: typed
 * characters collect in an edit line (echoed; backspace and ^U edit it);
 * Enter moves the line to the input queue, where read() finds it, one line
 * per read. ^D on an empty line is end of file (read returns 0); ^C sends
 * SIGINT to every process except init that has not ignored it (there are
 * no process groups: the shell ignores SIGINT, its children do not).
 *
 * Input comes from the serial port, polled from CPU 0's timer tick
 * (tty_poll), so typing works without an interrupt controller set up for
 * the UART. Output goes straight to the console.
 *
 * Locking: tty.lock protects the edit line and the input queue; it is
 * taken from the timer interrupt, so always with interrupts off.
 */
#include <kernel/tty.h>
#include <kernel/poll.h>
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
#define QUEUE 1024

static struct tty {
	struct spinlock lock;      /* everything below */
	char line[LINE_MAX];
	size_t len;
	char queue[QUEUE];         /* finished lines, read() takes from here */
	size_t head, count;
	int eofs;                  /* ^D's waiting at the end of the queue */
	struct waitq wait;
} console = { .lock = SPINLOCK_INIT("tty") };

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
		if (p->pid > 1 && p->mm && n < 64 && p->sigactions[SIGINT].handler != SIG_IGN)
			pids[n++] = p->pid;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	for (int i = 0; i < n; i++)
		proc_kill(pids[i], SIGINT);
}

void tty_input(char c)
{
	uint64_t flags = spin_lock_irqsave(&console.lock);
	bool wake = false, intr = false;

	if (c == '\r' || c == '\n') {
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
	} else if (c == 0x03) {            /* ^C */
		console.len = 0;
		echo("^C\n", 3);
		intr = true;
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
	if (intr)
		interrupt_all();
}

void tty_poll(void)
{
	int c;

	while ((c = serial_getc()) >= 0)
		tty_input((char)c);
}

/* One line (or what fits) from the queue; 0 at end of file. */
static ssize_t tty_read(struct file *f, struct uio *u, uint64_t *pos)
{
	char buf[LINE_MAX + 1];
	size_t n = 0;

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
				return -EINTR;
			continue;
		}
		spin_unlock_irqrestore(&console.lock, flags);
		return uio_copy_out(u, buf, n);
	}
}

static ssize_t tty_write(struct file *f, struct uio *u, uint64_t *pos)
{
	char buf[256];
	ssize_t done = 0;

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

static int64_t tty_ioctl(struct file *f, uint64_t cmd, void *arg)
{
	static const struct winsize ws = { 24, 80, 0, 0 };
	struct termios t = { .iflag = 0x500 /* ICRNL|IXON */, .oflag = 0x5 /* OPOST|ONLCR */,
			     .cflag = 0xbf, .lflag = 0x8a3b /* ISIG|ICANON|ECHO... */ };

	switch (cmd) {
	case TIOCGWINSZ:
		return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	case TCGETS:
		t.cc[4] = 4;                   /* VEOF = ^D */
		t.cc[0] = 3;                   /* VINTR = ^C */
		return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
	case TCSETS: case TCSETSW: case TCSETSF:
		return 0;                      /* settings are fixed: canonical, echo */
	}
	return -EINVAL;
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
