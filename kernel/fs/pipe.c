/*
 * Pipes: a 16-page ring buffer between a read end and a write end.
 * read() blocks while the pipe is empty and a writer exists (then returns
 * 0: end of file); write() blocks while it is full and a reader exists,
 * and with no reader fails with -EPIPE after sending SIGPIPE. A write of
 * at most PIPE_BUF bytes goes in whole (POSIX), never interleaved. A wait
 * cut short by a signal returns -ERESTARTSYS: EINTR if a handler without
 * SA_RESTART runs, else the call starts again (kernel/proc/signal.c).
 *
 * Locking: pipe->lock protects the buffer, the counts and the ends.
 * Copies to and from user memory happen without it (they may fault), so
 * each side copies through a kernel bounce buffer in chunks.
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
	struct waitq wait;         /* readers and writers wait here */
};

static const struct file_ops pipe_read_ops, pipe_write_ops;

bool pipe_is(const struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops;
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

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;

	spin_lock(&p->lock);
	if (f->ops == &pipe_read_ops)
		p->readers--;
	else
		p->writers--;
	bool last = !p->readers && !p->writers;
	spin_unlock(&p->lock);
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
 * (PIPE_BUF) and in error without readers. No lock: a snapshot, and a
 * change after it wakes p->wait, which poll has joined first. */
static uint32_t pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	uint32_t mask = 0;

	poll_wait(pt, &p->wait);
	if (f->ops == &pipe_read_ops) {
		if (READ_ONCE(p->count))
			mask |= POLLIN | POLLRDNORM;
		if (!READ_ONCE(p->writers))
			mask |= POLLHUP;
	} else {
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

int pipe_create(struct file **r, struct file **w, bool nonblock)
{
	struct pipe *p = kzalloc(sizeof(*p));
	char *buf = kmalloc(PIPE_SIZE);

	if (!p || !buf)
		goto fail;
	spin_init(&p->lock, "pipe");
	waitq_init(&p->wait);
	p->buf = buf;
	p->readers = 1;
	*r = file_alloc(&pipe_read_ops, p, O_RDONLY | (nonblock ? O_NONBLOCK : 0));
	if (!*r)
		goto fail;
	p->writers = 1;
	*w = file_alloc(&pipe_write_ops, p, O_WRONLY | (nonblock ? O_NONBLOCK : 0));
	if (*w)
		return 0;
	p->writers = 0;
	file_put(*r);                            /* its release frees p */
	return -ENOMEM;
fail:
	kfree(buf);
	kfree(p);
	return -ENOMEM;
}
