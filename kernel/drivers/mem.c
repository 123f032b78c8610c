/*
 * The memory character devices, Linux's major 1:
 *
 *   /dev/null     1:3  reads end at once; writes are accepted and dropped
 *   /dev/zero     1:5  reads give zero bytes; writes are dropped
 *   /dev/full     1:7  reads give zero bytes; writes fail with ENOSPC
 *   /dev/random   1:8  reads give pseudo-random bytes (see below)
 *   /dev/urandom  1:9  the same
 *
 * The random bytes come from a per-open xorshift generator seeded from the
 * time-stamp counter: unpredictable enough for hash seeds and temporary
 * names, not for cryptography (Numbat has no entropy pool).
 */
#include <kernel/device.h>
#include <kernel/vfs.h>
#include <kernel/random.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <arch/io.h>

static ssize_t null_read(struct file *f, struct uio *u, uint64_t *pos)
{
	return 0;
}

static ssize_t sink_write(struct file *f, struct uio *u, uint64_t *pos)
{
	ssize_t n = (ssize_t)u->resid;

	u->resid = 0;
	return n;
}

static ssize_t full_write(struct file *f, struct uio *u, uint64_t *pos)
{
	return -ENOSPC;
}

/* Fill u from fill(buf) a chunk at a time; a bad buffer part-way gives a
 * short count, as every read does. */
static ssize_t fill_read(struct uio *u, void (*fill)(char *buf, size_t n, void *arg),
			 void *arg)
{
	char buf[256];
	ssize_t done = 0;

	while (u->resid) {
		size_t n = MIN(u->resid, sizeof(buf));
		fill(buf, n, arg);
		ssize_t c = uio_copy_out(u, buf, n);
		if (c < 0)
			return done ? done : c;
		done += c;
		if ((size_t)c < n)
			break;
	}
	return done;
}

static void fill_zero(char *buf, size_t n, void *arg)
{
	memset(buf, 0, n);
}

static ssize_t zero_read(struct file *f, struct uio *u, uint64_t *pos)
{
	return fill_read(u, fill_zero, NULL);
}

static void fill_random(char *buf, size_t n, void *state)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = xorshift64(state);
		memcpy(buf + i, &r, MIN(8, n - i));
	}
}

static ssize_t random_read(struct file *f, struct uio *u, uint64_t *pos)
{
	return fill_read(u, fill_random, &f->priv);
}

static int random_open(struct inode *in, struct file *f)
{
	f->priv = (void *)(rdtsc() ^ ((uint64_t)f << 17));
	return 0;
}

/* Seeking these devices is no error: Linux returns 0 and moves nothing. */
static int64_t mem_lseek(struct file *f, int64_t off, int whence)
{
	return 0;
}

static const struct file_ops null_ops = { .read = null_read, .write = sink_write, .lseek = mem_lseek };
static const struct file_ops zero_ops = { .read = zero_read, .write = sink_write, .lseek = mem_lseek };
static const struct file_ops full_ops = { .read = zero_read, .write = full_write, .lseek = mem_lseek };
static const struct file_ops random_ops = {
	.open = random_open, .read = random_read, .write = sink_write, .lseek = mem_lseek,
};

void mem_devices_init(void)
{
	chrdev_register(1, 3, 1, "null", &null_ops);
	chrdev_register(1, 5, 1, "zero", &zero_ops);
	chrdev_register(1, 7, 1, "full", &full_ops);
	chrdev_register(1, 8, 1, "random", &random_ops);
	chrdev_register(1, 9, 1, "urandom", &random_ops);
}
