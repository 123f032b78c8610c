/*
 * The buffer cache: file-system metadata blocks (superblock, group
 * descriptors, bitmaps, inode tables, indirect blocks) cached in memory,
 * one struct buf per (device, block number, block size). File *data* does
 * not come here; it lives in the page cache (pcache.h).
 *
 *   struct buf *b = bcache_read(dev, blockno, 1024, &err);
 *   ... read or change b->data ...
 *   bcache_dirty(b);            // if changed: written back by bcache_sync
 *   bcache_put(b);
 *
 * Writes are delayed: a dirty buffer reaches the device at bcache_sync()
 * (called by sync/fsync and at power-off) or when it is evicted. At most
 * BCACHE_MAX buffers are kept; unreferenced ones are evicted oldest first.
 *
 * Locking: bcache_lock protects the hash, the LRU list and every buffer's
 * refcount and flags. A buffer's data is protected by its user: the file
 * system's lock (one file system per device).
 */
#ifndef KERNEL_BCACHE_H
#define KERNEL_BCACHE_H

#include <kernel/blkdev.h>

struct buf {
	struct blkdev *dev;
	uint64_t blockno;          /* in units of size */
	uint32_t size;             /* bytes, a multiple of dev->block_size */
	int refcount;
	bool dirty;
	char *data;
	struct list_head hash;     /* bucket chain */
	struct list_head lru;      /* all buffers, least recently used first */
};

#define BCACHE_MAX 4096

void bcache_init(void);
/* The block, read from the device if not cached; NULL and *err on error. */
struct buf *bcache_read(struct blkdev *d, uint64_t blockno, uint32_t size,
			int *err);
/* A zeroed buffer for a newly allocated block (nothing is read). */
struct buf *bcache_zero(struct blkdev *d, uint64_t blockno, uint32_t size,
			int *err);
void bcache_dirty(struct buf *b);
void bcache_put(struct buf *b);
/* Forget a block the file system freed: a stale dirty copy must never be
 * written over the block's next owner. */
void bcache_forget(struct blkdev *d, uint64_t blockno, uint32_t size);
/* Write every dirty buffer of d; 0 or the first error. */
int bcache_sync(struct blkdev *d);
/* Sync, then drop every unreferenced buffer of d (unmount, tests). */
int bcache_invalidate(struct blkdev *d);

#endif
