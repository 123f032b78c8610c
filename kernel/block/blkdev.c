/*
 * The block device registry and the request path (see blkdev.h). Each
 * request is checked against the device size, passed to the driver under
 * the device lock (or failed at once while fault injection is on), and
 * counted.
 */
#include <kernel/blkdev.h>
#include <kernel/device.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/string.h>

static struct list_head blkdevs = LIST_HEAD_INIT(blkdevs);
static struct spinlock blkdevs_lock = SPINLOCK_INIT("blkdevs"); /* blkdevs list */

void blk_register(struct blkdev *d)
{
	spin_init(&d->lock, d->name);
	memset(&d->stats, 0, sizeof(d->stats));
	d->make_it_fail = false;
	d->sysfs = NULL;
	uint64_t f = spin_lock_irqsave(&blkdevs_lock);
	list_add_tail(&d->list, &blkdevs);
	spin_unlock_irqrestore(&blkdevs_lock, f);
	printk("blk: %s: %lu blocks of %u bytes (%lu KiB), node %d\n", d->name,
	       d->nr_blocks, d->block_size, d->nr_blocks * d->block_size >> 10,
	       d->node);
	devtmpfs_add_blkdev(d->name, (uint32_t)d->major, (uint32_t)d->minor);
	blk_sysfs_add(d);
}

/* Remove d from the registry (RAM disks made by tests). */
void blk_unregister(struct blkdev *d)
{
	blk_sysfs_remove(d);
	uint64_t f = spin_lock_irqsave(&blkdevs_lock);
	list_del(&d->list);
	spin_unlock_irqrestore(&blkdevs_lock, f);
}

/* The first registered device that match() accepts, or NULL. */
static struct blkdev *blk_find_by(bool (*match)(struct blkdev *d, const void *key),
				  const void *key)
{
	struct list_head *p;
	struct blkdev *found = NULL;
	uint64_t f = spin_lock_irqsave(&blkdevs_lock);

	list_for_each(p, &blkdevs) {
		struct blkdev *d = list_entry(p, struct blkdev, list);
		if (match(d, key)) {
			found = d;
			break;
		}
	}
	spin_unlock_irqrestore(&blkdevs_lock, f);
	return found;
}

static bool name_is(struct blkdev *d, const void *name)
{
	return !strcmp(d->name, name);
}

static bool number_is(struct blkdev *d, const void *key)
{
	const uint32_t *mm = key;

	return d->major == (int)mm[0] && d->minor == (int)mm[1];
}

struct blkdev *blk_find(const char *name)
{
	return blk_find_by(name_is, name);
}

struct blkdev *blk_find_dev(uint32_t major, uint32_t minor)
{
	uint32_t key[2] = { major, minor };

	return blk_find_by(number_is, key);
}

/* Devices are never freed while listed except by their creator, so the
 * walk may call fn without the registry lock. */
void blk_for_each(void (*fn)(struct blkdev *d, void *arg), void *arg)
{
	struct list_head *p;

	list_for_each(p, &blkdevs)
		fn(list_entry(p, struct blkdev, list), arg);
}

static int blk_rw(struct blkdev *d, int op, uint64_t block, uint32_t count,
		  void *buf)
{
	if (count == 0 || block >= d->nr_blocks || count > d->nr_blocks - block)
		return -EINVAL;
	uint64_t f = spin_lock_irqsave(&d->lock);
	int r = READ_ONCE(d->make_it_fail) ? -EIO : d->ops->rw(d, op, block, count, buf);
	uint64_t bytes = (uint64_t)count * d->block_size;

	if (r < 0) {
		d->stats.errors++;
	} else if (op == BLK_READ) {
		d->stats.reads++;
		d->stats.read_bytes += bytes;
	} else {
		d->stats.writes++;
		d->stats.write_bytes += bytes;
	}
	spin_unlock_irqrestore(&d->lock, f);
	return r;
}

int blk_read(struct blkdev *d, uint64_t block, uint32_t count, void *buf)
{
	return blk_rw(d, BLK_READ, block, count, buf);
}

int blk_write(struct blkdev *d, uint64_t block, uint32_t count, const void *buf)
{
	return blk_rw(d, BLK_WRITE, block, count, (void *)buf);
}

int blk_flush(struct blkdev *d)
{
	if (READ_ONCE(d->make_it_fail))
		return -EIO;
	if (!d->ops->flush)
		return 0;
	uint64_t f = spin_lock_irqsave(&d->lock);
	int r = d->ops->flush(d);
	spin_unlock_irqrestore(&d->lock, f);
	return r;
}

struct blk_stats blk_get_stats(struct blkdev *d)
{
	uint64_t f = spin_lock_irqsave(&d->lock);
	struct blk_stats s = d->stats;

	spin_unlock_irqrestore(&d->lock, f);
	return s;
}
