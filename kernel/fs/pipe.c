/*
 * Pipes: a 16-page ring buffer between a read end and a write end.
 * read() blocks while the pipe is empty and a writer exists (then returns
 * 0: end of file); write() blocks while it is full and a reader exists,
 * and with no reader fails with -EPIPE after sending SIGPIPE. A write of
 * at most PIPE_BUF bytes goes in whole (POSIX), never interleaved. A wait
 * cut short by a signal returns -ERESTARTSYS: EINTR if a handler without
 * SA_RESTART runs, else the call starts again (kernel/proc/signal.c).
 *
 * A FIFO (a named pipe, mkfifo) is the same pipe reached through an
 * inode: the first open makes it, each open adds a reader or a writer (or
 * both, O_RDWR), and the last close frees it. As on Linux, an open for
 * reading waits for a writer and one for writing waits for a reader,
 * unless O_NONBLOCK: then the read side opens at once and the write side
 * fails with -ENXIO while there is no reader.
 *
 * Locking: pipe->lock protects the buffer, the counts and the ends.
 * fifo_lock, taken before it, protects every FIFO inode's ->pipe and the
 * last reader's or writer's leaving (so an open never finds a pipe being
 * freed). Copies to and from user memory happen without either (they may
 * fault), so each side copies through a kernel bounce buffer in chunks.
 */
#include <kernel/pipe.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/slab.h>
#include <kernel/signal.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define PIPE_SIZE (16 * PAGE_SIZE)
#define CHUNK 512
#define PIPE_BUF 4096              /* writes this small are atomic (POSIX) */

struct pipe {
	struct spinlock lock;      /* everything below */
	char *buf;
	size_t head, count;        /* next byte to read, bytes held */
	int readers, writers;
	unsigned r_opens, w_opens; /* opens ever, for a FIFO open waiting for its partner */
	struct inode *fifo;        /* the FIFO's inode, or NULL (pipe(2)) */
	struct waitq wait;         /* readers and writers (and FIFO opens) wait here */
};

static struct spinlock fifo_lock = SPINLOCK_INIT("fifo");  /* FIFO inodes' ->pipe */

static const struct file_ops pipe_read_ops, pipe_write_ops, pipe_rdwr_ops;

bool pipe_is(const struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops || f->ops == &pipe_rdwr_ops;
}

static size_t take(struct pipe *p, char *dst, size_t n)
{
	n = MIN(n, p->count);
	for (size_t i = 0; i < n; i++)
		dst[i] = p->buf[(p->head + i) % PIPE_SIZE];
	p->head = (p->head + n) % PIPE_SIZE;
	p->count -= n;
	return n;
}

static size_t put(struct pipe *p, const char *src, size_t n)
{
	n = MIN(n, PIPE_SIZE - p->count);
	for (size_t i = 0; i < n; i++)
		p->buf[(p->head + p->count + i) % PIPE_SIZE] = src[i];
	p->count += n;
	return n;
}

static ssize_t pipe_read(struct file *f, struct uio *u, uint64_t *pos)
{
	struct pipe *p = f->priv;
	char chunk[CHUNK];
	ssize_t done = 0;

	while (u->resid) {
		spin_lock(&p->lock);
		size_t n = take(p, chunk, MIN(u->resid, CHUNK));
		bool eof = !p->count && !p->writers;
		spin_unlock(&p->lock);
		if (n) {
			wake_up_all(&p->wait);
			ssize_t c = uio_copy_out(u, chunk, n);
			if (c < 0)
				return done ? done : c;    /* the bytes are lost, as Linux */
			done += c;
			continue;
		}
		if (done || eof)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event(&p->wait, READ_ONCE(p->count) || !READ_ONCE(p->writers)))
			return -ERESTARTSYS;       /* EINTR, or again (signal.c) */
	}
	return done;
}

/* Put n bytes of chunk into the pipe, waiting for room; returns the
 * bytes put, or -EPIPE / -EAGAIN / -ERESTARTSYS if none could be. */
static ssize_t put_all(struct file *f, struct pipe *p, const char *chunk, size_t n)
{
	size_t off = 0;

	while (off < n) {
		spin_lock(&p->lock);
		bool broken = !p->readers;
		size_t put_now = broken ? 0 : put(p, chunk + off, n - off);
		spin_unlock(&p->lock);
		if (broken) {
			proc_kill(current->pid, SIGPIPE);
			return off ? (ssize_t)off : -EPIPE;
		}
		if (put_now)
			wake_up_all(&p->wait);
		off += put_now;
		if (off == n)
			break;
		if (f->flags & O_NONBLOCK)
			return off ? (ssize_t)off : -EAGAIN;
		if (wait_event(&p->wait, READ_ONCE(p->count) < PIPE_SIZE || !READ_ONCE(p->readers)))
			return off ? (ssize_t)off : -ERESTARTSYS;
	}
	return off;
}

/* POSIX: a write of at most PIPE_BUF bytes goes in whole, never
 * interleaved with another writer's: wait for room for all of it. */
static ssize_t write_atomic(struct file *f, struct pipe *p, struct uio *u)
{
	char *buf = kmalloc(PIPE_BUF);
	size_t n = u->resid;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	r = uio_copy_in(u, buf, n);
	while (r > 0) {
		spin_lock(&p->lock);
		bool broken = !p->readers, room = PIPE_SIZE - p->count >= (size_t)r;
		if (!broken && room)
			put(p, buf, r);
		spin_unlock(&p->lock);
		if (broken) {
			proc_kill(current->pid, SIGPIPE);
			r = -EPIPE;
		} else if (room) {
			wake_up_all(&p->wait);
			break;
		} else if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
		} else if (wait_event(&p->wait, PIPE_SIZE - READ_ONCE(p->count) >= (size_t)r ||
				      !READ_ONCE(p->readers))) {
			r = -ERESTARTSYS;
		}
	}
	kfree(buf);
	return r;
}

static ssize_t pipe_write(struct file *f, struct uio *u, uint64_t *pos)
{
	struct pipe *p = f->priv;
	char chunk[CHUNK];
	ssize_t done = 0;

	if (u->resid <= PIPE_BUF)
		return write_atomic(f, p, u);

	while (u->resid) {
		ssize_t c = uio_copy_in(u, chunk, MIN(u->resid, CHUNK));
		if (c < 0)
			return done ? done : c;
		ssize_t n = put_all(f, p, chunk, c);
		if (n < 0)
			return done ? done : n;
		done += n;
		if (n < c)
			break;
	}
	return done;
}

/* Drop f's end(s) of p; returns true when it was the last. Caller holds
 * fifo_lock for a FIFO's pipe. */
static bool drop_ends(struct pipe *p, const struct file_ops *ops)
{
	spin_lock(&p->lock);
	if (ops != &pipe_write_ops)
		p->readers--;
	if (ops != &pipe_read_ops)
		p->writers--;
	bool last = !p->readers && !p->writers;
	if (last && p->fifo)
		p->fifo->pipe = NULL;            /* the next open makes a new one */
	spin_unlock(&p->lock);
	return last;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	bool fifo = p->fifo != NULL;         /* set at creation, never changed */

	if (fifo)
		spin_lock(&fifo_lock);
	bool last = drop_ends(p, f->ops);
	if (fifo)
		spin_unlock(&fifo_lock);
	wake_up_all(&p->wait);
	if (last) {
		kfree(p->buf);
		kfree(p);
	}
}

static int64_t pipe_lseek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}

/* poll: the read end is readable with bytes held and hung up without
 * writers; the write end is writable with room for an atomic write
 * (PIPE_BUF) and in error without readers; a FIFO opened O_RDWR is both
 * ends (and, being a reader and a writer itself, never hung up nor in
 * error), as on Linux. No lock: a snapshot, and a change after it wakes
 * p->wait, which poll has joined first. */
static uint32_t pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	uint32_t mask = 0;

	poll_wait(pt, &p->wait);
	if (f->ops != &pipe_write_ops) {
		if (READ_ONCE(p->count))
			mask |= POLLIN | POLLRDNORM;
		if (!READ_ONCE(p->writers))
			mask |= POLLHUP;
	}
	if (f->ops != &pipe_read_ops) {
		if (PIPE_SIZE - READ_ONCE(p->count) >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (!READ_ONCE(p->readers))
			mask |= POLLERR;
	}
	return mask;
}

static const struct file_ops pipe_read_ops = {
	.read = pipe_read, .lseek = pipe_lseek, .release = pipe_release,
	.poll = pipe_poll,
};
static const struct file_ops pipe_write_ops = {
	.write = pipe_write, .lseek = pipe_lseek, .release = pipe_release,
	.poll = pipe_poll,
};
static const struct file_ops pipe_rdwr_ops = {          /* a FIFO opened O_RDWR */
	.read = pipe_read, .write = pipe_write, .lseek = pipe_lseek, .release = pipe_release,
	.poll = pipe_poll,
};

/* A new empty pipe with its buffer, no ends; NULL without memory. */
static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));
	char *buf = kmalloc(PIPE_SIZE);

	if (!p || !buf) {
		kfree(buf);
		kfree(p);
		return NULL;
	}
	spin_init(&p->lock, "pipe");
	waitq_init(&p->wait);
	p->buf = buf;
	return p;
}

/* Join in's pipe (made from spare when it has none) with f's ends: the
 * counts go up under fifo_lock. Returns the pipe; *used says whether spare
 * was taken; NULL with -ENXIO in *err for a non-blocking writer alone. */
static struct pipe *fifo_join(struct inode *in, const struct file_ops *ops, bool nonblock,
			      struct pipe *spare, bool *used, int *err)
{
	spin_lock(&fifo_lock);
	struct pipe *p = in->pipe;
	*used = !p;
	if (!p) {
		p = in->pipe = spare;
		p->fifo = in;
	}
	spin_lock(&p->lock);
	if (ops == &pipe_write_ops && nonblock && !p->readers) {
		*err = -ENXIO;
		if (*used)
			in->pipe = NULL;
		spin_unlock(&p->lock);
		spin_unlock(&fifo_lock);
		return NULL;
	}
	if (ops != &pipe_write_ops) {
		p->readers++;
		p->r_opens++;
	}
	if (ops != &pipe_read_ops) {
		p->writers++;
		p->w_opens++;
	}
	spin_unlock(&p->lock);
	spin_unlock(&fifo_lock);
	return p;
}

/* Wait until the other side is there: *count above zero, or *opens moved
 * (a partner that opened and closed again still counts, as on Linux). */
static int fifo_wait_partner(struct pipe *p, int *count, unsigned *opens)
{
	unsigned seen = READ_ONCE(*opens);

	if (READ_ONCE(*count))
		return 0;
	return wait_event(&p->wait, READ_ONCE(*count) || READ_ONCE(*opens) != seen);
}

/*
 * open() of a FIFO inode (special.c): join its pipe, then wait, as Linux,
 * for the other side: a reader until some writer has opened (or one is
 * there), a writer until a reader has; O_RDWR and O_NONBLOCK readers never
 * wait. Sleeps; no lock held. Returns 0, -ENXIO (O_NONBLOCK writer without
 * a reader), -ENOMEM, or -EINTR when a signal ends the wait.
 */
int fifo_open(struct inode *in, struct file *f)
{
	uint32_t acc = f->flags & O_ACCMODE;
	const struct file_ops *ops = acc == O_RDONLY ? &pipe_read_ops :
				     acc == O_WRONLY ? &pipe_write_ops : &pipe_rdwr_ops;
	bool nonblock = f->flags & O_NONBLOCK, used;
	struct pipe *spare = pipe_alloc(), *p;
	int err = 0;

	if (!spare)
		return -ENOMEM;
	p = fifo_join(in, ops, nonblock, spare, &used, &err);
	if (!used) {
		kfree(spare->buf);
		kfree(spare);
	}
	if (!p)
		return err;
	f->ops = ops;
	f->priv = p;
	wake_up_all(&p->wait);                     /* a partner waiting in open */
	if (ops == &pipe_read_ops && !nonblock)
		err = fifo_wait_partner(p, &p->writers, &p->w_opens);
	else if (ops == &pipe_write_ops)
		err = fifo_wait_partner(p, &p->readers, &p->r_opens);
	return err;      /* on error vfs_open's file_put drops the ends again */
}

int pipe_create(struct file **r, struct file **w, bool nonblock)
{
	struct pipe *p = pipe_alloc();

	if (!p)
		return -ENOMEM;
	p->readers = 1;
	*r = file_alloc(&pipe_read_ops, p, O_RDONLY | (nonblock ? O_NONBLOCK : 0));
	if (!*r) {
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	p->writers = 1;
	*w = file_alloc(&pipe_write_ops, p, O_WRONLY | (nonblock ? O_NONBLOCK : 0));
	if (*w)
		return 0;
	p->writers = 0;
	file_put(*r);                            /* its release frees p */
	return -ENOMEM;
}
