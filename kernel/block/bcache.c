/*
 * The metadata buffer cache (see bcache.h): a hash table of buffers and one
 * LRU list. Device I/O happens with bcache_lock held: requests are polled
 * and short, and the lock is never taken in interrupts.
 */
#include <kernel/bcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define NR_HASH 1024

static struct list_head hash[NR_HASH];
static struct list_head lru = LIST_HEAD_INIT(lru);
static int nr_bufs;
/* bcache_lock: hash chains, lru, nr_bufs, every buf's refcount and dirty. */
static struct spinlock bcache_lock = SPINLOCK_INIT("bcache");

static struct list_head *bucket(struct blkdev *d, uint64_t blockno)
{
	uint64_t h = ((uint64_t)d >> 4) * 31 + blockno;

	return &hash[h % NR_HASH];
}

void bcache_init(void)
{
	for (int i = 0; i < NR_HASH; i++)
		list_init(&hash[i]);
}

static struct buf *lookup(struct blkdev *d, uint64_t blockno, uint32_t size)
{
	struct list_head *h = bucket(d, blockno), *p;

	list_for_each(p, h) {
		struct buf *b = list_entry(p, struct buf, hash);
		if (b->dev == d && b->blockno == blockno && b->size == size)
			return b;
	}
	return NULL;
}

static int write_buf(struct buf *b)
{
	uint32_t spb = b->size / b->dev->block_size;
	int r = blk_write(b->dev, b->blockno * spb, spb, b->data);

	if (r == 0)
		b->dirty = false;
	return r;
}

static void free_buf(struct buf *b)
{
	list_del(&b->hash);
	list_del(&b->lru);
	kfree(b->data);
	kfree(b);
	nr_bufs--;
}

/* Make room: evict the oldest unreferenced buffer (writing it if dirty). */
static void evict_one(void)
{
	struct list_head *p;

	list_for_each(p, &lru) {
		struct buf *b = list_entry(p, struct buf, lru);
		if (b->refcount)
			continue;
		if (b->dirty && write_buf(b) < 0)
			continue;
		free_buf(b);
		return;
	}
}

/* Find or create the buffer; *fresh says whether its data must be filled. */
static struct buf *get_buf(struct blkdev *d, uint64_t blockno, uint32_t size,
			   bool *fresh)
{
	struct buf *b = lookup(d, blockno, size);

	*fresh = false;
	if (b) {
		b->refcount++;
		list_del(&b->lru);
		list_add_tail(&b->lru, &lru);
		return b;
	}
	if (nr_bufs >= BCACHE_MAX)
		evict_one();
	b = kzalloc(sizeof(*b));
	char *data = kmalloc(size);
	if (!b || !data) {
		kfree(b);
		kfree(data);
		return NULL;
	}
	*b = (struct buf){ .dev = d, .blockno = blockno, .size = size,
			   .refcount = 1, .data = data };
	list_add(&b->hash, bucket(d, blockno));
	list_add_tail(&b->lru, &lru);
	nr_bufs++;
	*fresh = true;
	return b;
}

struct buf *bcache_read(struct blkdev *d, uint64_t blockno, uint32_t size,
			int *err)
{
	bool fresh;

	spin_lock(&bcache_lock);
	struct buf *b = get_buf(d, blockno, size, &fresh);
	*err = 0;
	if (!b) {
		*err = -ENOMEM;
	} else if (fresh) {
		uint32_t spb = size / d->block_size;
		*err = blk_read(d, blockno * spb, spb, b->data);
		if (*err) {
			free_buf(b);
			b = NULL;
		}
	}
	spin_unlock(&bcache_lock);
	return b;
}

struct buf *bcache_zero(struct blkdev *d, uint64_t blockno, uint32_t size,
			int *err)
{
	bool fresh;

	spin_lock(&bcache_lock);
	struct buf *b = get_buf(d, blockno, size, &fresh);
	if (b) {
		memset(b->data, 0, size);
		b->dirty = true;
	}
	*err = b ? 0 : -ENOMEM;
	spin_unlock(&bcache_lock);
	return b;
}

void bcache_dirty(struct buf *b)
{
	spin_lock(&bcache_lock);
	b->dirty = true;
	spin_unlock(&bcache_lock);
}

void bcache_put(struct buf *b)
{
	spin_lock(&bcache_lock);
	BUG_ON(b->refcount <= 0);
	b->refcount--;
	spin_unlock(&bcache_lock);
}

void bcache_forget(struct blkdev *d, uint64_t blockno, uint32_t size)
{
	spin_lock(&bcache_lock);
	struct buf *b = lookup(d, blockno, size);
	if (b && !b->refcount)
		free_buf(b);
	else if (b)
		b->dirty = false;     /* a holder still reads it; never write it */
	spin_unlock(&bcache_lock);
}

int bcache_sync(struct blkdev *d)
{
	struct list_head *p;
	int err = 0;

	spin_lock(&bcache_lock);
	list_for_each(p, &lru) {
		struct buf *b = list_entry(p, struct buf, lru);
		if (b->dev == d && b->dirty) {
			int r = write_buf(b);
			err = err ? err : r;
		}
	}
	spin_unlock(&bcache_lock);
	return err;
}

int bcache_invalidate(struct blkdev *d)
{
	int err = bcache_sync(d);

	spin_lock(&bcache_lock);
	for (struct list_head *p = lru.next, *n; p != &lru; p = n) {
		struct buf *b = list_entry(p, struct buf, lru);
		n = p->next;
		if (b->dev == d && !b->refcount && !b->dirty)
			free_buf(b);
	}
	spin_unlock(&bcache_lock);
	return err;
}
