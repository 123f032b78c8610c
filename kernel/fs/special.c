/*
 * Special inodes (device.h): the open of a device, FIFO or socket inode is
 * handed to a driver, so their data blocks (where ext2 keeps the device
 * number) are never read or written as file data.
 */
#include <kernel/pipe.h>
#include <kernel/device.h>
#include <kernel/blkdev.h>
#include <kernel/vfs.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/usercopy.h>

struct chrdev {
	uint32_t major, minor, count;
	const char *name;
	const struct file_ops *fops;
};

#define MAX_CHRDEVS 16
/* Filled at boot by chrdev_register, read-only afterwards: no lock. */
static struct chrdev chrdevs[MAX_CHRDEVS];
static int nr_chrdevs;

static const struct chrdev *chrdev_find(uint64_t rdev)
{
	uint32_t major = dev_major(rdev), minor = dev_minor(rdev);

	for (int i = 0; i < nr_chrdevs; i++) {
		const struct chrdev *c = &chrdevs[i];
		if (c->major == major && minor >= c->minor && minor - c->minor < c->count)
			return c;
	}
	return NULL;
}

int chrdev_register(uint32_t major, uint32_t minor, uint32_t count,
		    const char *name, const struct file_ops *fops)
{
	for (uint32_t m = minor; m < minor + count; m++)
		if (chrdev_find(dev_encode(major, m)))
			return -EBUSY;
	if (nr_chrdevs == MAX_CHRDEVS)
		return -ENOSPC;
	chrdevs[nr_chrdevs++] = (struct chrdev){ major, minor, count, name, fops };
	return 0;
}

void chrdev_for_each(void (*fn)(const char *name, uint32_t major, uint32_t minor))
{
	for (int i = 0; i < nr_chrdevs; i++)
		for (uint32_t m = 0; m < chrdevs[i].count; m++)
			fn(chrdevs[i].name, chrdevs[i].major, chrdevs[i].minor + m);
}

/* ------------------------------------------------------------ block device files */

static uint64_t blkfile_size(struct blkdev *d)
{
	return d->nr_blocks * d->block_size;
}

/*
 * Move up to one page between the device at *pos and u, through a page
 * of the kernel: whole blocks are read, changed and written back, so a
 * write of part of a block keeps the rest. Returns bytes moved or -errno.
 */
static ssize_t blkfile_chunk(struct blkdev *d, struct uio *u, uint64_t pos,
			     bool write, char *bounce)
{
	uint32_t bs = d->block_size;
	uint64_t first = pos / bs, off = pos % bs;
	size_t n = MIN(MIN((size_t)PAGE_SIZE - off, u->resid), blkfile_size(d) - pos);
	uint32_t count = (uint32_t)DIV_ROUND_UP(off + n, bs);
	int err = 0;

	if (!write || off || n % bs)
		err = blk_read(d, first, count, bounce);
	if (err)
		return err;
	ssize_t c = write ? uio_copy_in(u, bounce + off, n) : uio_copy_out(u, bounce + off, n);
	if (c > 0 && write)
		err = blk_write(d, first, count, bounce);
	return err ? err : c;
}

static ssize_t blkfile_rw(struct file *f, struct uio *u, uint64_t *pos, bool write)
{
	struct blkdev *d = f->priv;
	char *bounce = kmalloc(PAGE_SIZE);
	ssize_t done = 0, c = 0;

	if (!bounce)
		return -ENOMEM;
	while (u->resid && *pos < blkfile_size(d)) {
		c = blkfile_chunk(d, u, *pos, write, bounce);
		if (c <= 0)
			break;
		*pos += (uint64_t)c;
		done += c;
	}
	kfree(bounce);
	if (!done && write && u->resid && *pos >= blkfile_size(d))
		return -ENOSPC;               /* Linux: writing at the end of a disk */
	return done ? done : c;
}

static ssize_t blkfile_read(struct file *f, struct uio *u, uint64_t *pos)
{
	return blkfile_rw(f, u, pos, false);
}

static ssize_t blkfile_write(struct file *f, struct uio *u, uint64_t *pos)
{
	return blkfile_rw(f, u, pos, true);
}

static int64_t blkfile_lseek(struct file *f, int64_t off, int whence)
{
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)f->pos :
		       whence == SEEK_END ? (int64_t)blkfile_size(f->priv) : -1;

	if (base < 0 || (off < 0 && -off > base))
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (int64_t)f->pos;
}

static int blkfile_fsync(struct file *f)
{
	return blk_flush(f->priv);
}

#define BLKSSZGET     0x1268
#define BLKGETSIZE64  0x80081272

/* The two size queries mkswap and mkfs make. */
static int64_t blkfile_ioctl(struct file *f, uint64_t cmd, void *arg)
{
	struct blkdev *d = f->priv;
	uint64_t bytes = blkfile_size(d);
	int sector = (int)d->block_size;

	if (cmd == BLKGETSIZE64)
		return copy_to_user(arg, &bytes, sizeof(bytes)) ? -EFAULT : 0;
	if (cmd == BLKSSZGET)
		return copy_to_user(arg, &sector, sizeof(sector)) ? -EFAULT : 0;
	return -ENOTTY;
}

static const struct file_ops blkfile_ops = {
	.read = blkfile_read, .write = blkfile_write, .lseek = blkfile_lseek,
	.fsync = blkfile_fsync, .ioctl = blkfile_ioctl,
};

/* ------------------------------------------------------------ open */

/*
 * The open of every special inode: find the driver by the inode's type and
 * number, give the file its operations and call the driver's open.
 * A FIFO opens its pipe (pipe.c). -ENXIO when nothing serves the number
 * (and for sockets).
 */
static int special_open(struct inode *in, struct file *f)
{
	if (S_ISCHR(in->mode)) {
		const struct chrdev *c = chrdev_find(in->rdev);
		if (!c)
			return -ENXIO;
		f->ops = c->fops;
		return c->fops->open ? c->fops->open(in, f) : 0;
	}
	if (S_ISBLK(in->mode)) {
		struct blkdev *d = blk_find_dev(dev_major(in->rdev), dev_minor(in->rdev));
		if (!d)
			return -ENXIO;
		f->ops = &blkfile_ops;
		f->priv = d;
		return 0;
	}
	if (S_ISFIFO(in->mode))
		return fifo_open(in, f);
	return -ENXIO;
}

static const struct file_ops special_fops = { .open = special_open };
static const struct inode_ops special_iops = { 0 };

void special_inode_init(struct inode *in, uint32_t mode, uint64_t rdev)
{
	in->mode = mode;
	in->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
	in->iops = &special_iops;
	in->fops = &special_fops;
}
