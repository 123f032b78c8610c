/*
 * /sys/block: one directory per block device, as Linux has it.
 *
 *   /sys/block/ram0/size           the device's size in 512-byte sectors
 *   /sys/block/ram0/make-it-fail   0, or 1: every request fails with -EIO
 *
 * make-it-fail is Linux's CONFIG_FAIL_MAKE_REQUEST switch. In Linux it
 * only marks the device, and /sys/kernel/debug/fail_make_request/
 * (probability, times, interval) decides which requests fail; Numbat has
 * no such knobs: writing 1 fails every request to the device until 0 is
 * written.
 *
 * Devices registered before sysfs exists get their directory from
 * blk_sysfs_init(); later ones from blk_register(). The files' data is
 * the struct blkdev, so blk_unregister() removes the directory before
 * the device can be freed.
 */
#include <kernel/blkdev.h>
#include <kernel/errno.h>
#include <kernel/procfs.h>

static struct procfs_entry *block_dir;   /* /sys/block, once made */

static int show_size(struct pbuf *b, void *data)
{
	struct blkdev *d = data;

	pbuf_printf(b, "%lu\n", d->nr_blocks * d->block_size / 512);
	return 0;
}

static int show_fail(struct pbuf *b, void *data)
{
	struct blkdev *d = data;

	pbuf_printf(b, "%d\n", READ_ONCE(d->make_it_fail) ? 1 : 0);
	return 0;
}

/* A decimal number, a newline allowed after it: 0 turns injection off,
 * any other number on (as Linux reads it). -EINVAL if not a number. */
static int write_fail(void *data, const char *buf, size_t len)
{
	struct blkdev *d = data;
	bool on = false;
	size_t i = 0;

	while (i < len && buf[i] >= '0' && buf[i] <= '9')
		on |= buf[i++] != '0';
	if (i == 0 || (i < len && !(buf[i] == '\n' && i + 1 == len)))
		return -EINVAL;
	WRITE_ONCE(d->make_it_fail, on);
	return 0;
}

/* Make /sys/block/NAME for d (no-op before blk_sysfs_init). No lock is
 * held: procfs has its own. */
void blk_sysfs_add(struct blkdev *d)
{
	if (!block_dir)
		return;
	d->sysfs = procfs_mkdir(block_dir, d->name);
	if (!d->sysfs)
		return;
	procfs_create_file(d->sysfs, "size", show_size, d);
	procfs_create_rw(d->sysfs, "make-it-fail", show_fail, write_fail, d);
}

void blk_sysfs_remove(struct blkdev *d)
{
	if (d->sysfs)
		procfs_remove(d->sysfs);
	d->sysfs = NULL;
}

static void add_one(struct blkdev *d, void *arg)
{
	(void)arg;
	blk_sysfs_add(d);
}

/* Boot, once sysfs_root() exists: /sys/block and the devices so far. */
void blk_sysfs_init(void)
{
	block_dir = procfs_mkdir(sysfs_root(), "block");
	blk_for_each(add_one, NULL);
}
