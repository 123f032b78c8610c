/*
 * The block layer: devices that store fixed-size blocks (sectors), found by
 * name in a registry, read and written whole blocks at a time.
 *
 *   struct blkdev *d = blk_find("vda");
 *   blk_read(d, 8, 2, buf);      // blocks 8 and 9 (2 * d->block_size bytes)
 *
 * Requests are synchronous: blk_read/blk_write return when the data is in
 * the buffer or on the device. A driver fills in a struct blkdev (name,
 * block_size, nr_blocks, ops) and calls blk_register(). Buffers must be in
 * the direct map or the kernel image (drivers may DMA into them).
 *
 * Every device counts its requests and bytes (struct blk_stats); tests use
 * the counters to prove that a cached read did no I/O, and /proc/diskstats
 * prints them.
 *
 * Fault injection (Linux's CONFIG_FAIL_MAKE_REQUEST, simplified): while a
 * device's make_it_fail is set, every request to it fails with -EIO and
 * counts as an error, without reaching the driver. /sys/block/NAME/make-it-fail
 * sets and clears it (blk_sysfs.c); tests use it to see what a read or
 * write error on a swap device does.
 */
#ifndef KERNEL_BLKDEV_H
#define KERNEL_BLKDEV_H

#include <kernel/types.h>
#include <kernel/list.h>
#include <kernel/spinlock.h>

#define BLK_READ  0
#define BLK_WRITE 1

struct blkdev;

struct blkdev_ops {
	/* Transfer count blocks starting at block; 0 or -EIO. The block
	 * layer has checked the range and holds the device lock. */
	int (*rw)(struct blkdev *d, int op, uint64_t block, uint32_t count,
		  void *buf);
	int (*flush)(struct blkdev *d);   /* optional: make writes durable */
};

struct blk_stats {
	uint64_t reads, writes;           /* requests completed */
	uint64_t read_bytes, write_bytes;
	uint64_t errors;
};

struct blkdev {
	char name[16];                    /* "vda", "ram0" */
	uint32_t block_size;              /* bytes per block: 512 .. 4096 */
	uint64_t nr_blocks;
	int node;                         /* NUMA node of the medium, or -1 */
	int major, minor;                 /* for /proc/diskstats */
	const struct blkdev_ops *ops;
	void *priv;                       /* the driver's */
	struct spinlock lock;             /* one request at a time; stats */
	struct blk_stats stats;
	bool make_it_fail;                /* fail every request (-EIO) */
	struct procfs_entry *sysfs;       /* /sys/block/NAME, or NULL */
	struct list_head list;            /* the registry */
};

void blk_register(struct blkdev *d);
void blk_unregister(struct blkdev *d);
struct blkdev *blk_find(const char *name);
/* The device with this major and minor number, or NULL. */
struct blkdev *blk_find_dev(uint32_t major, uint32_t minor);
/* Call fn for each registered device, in registration order. */
void blk_for_each(void (*fn)(struct blkdev *d, void *arg), void *arg);

/* Whole blocks; 0, -EIO, or -EINVAL when the range passes the end. */
int blk_read(struct blkdev *d, uint64_t block, uint32_t count, void *buf);
int blk_write(struct blkdev *d, uint64_t block, uint32_t count, const void *buf);
int blk_flush(struct blkdev *d);
/* A copy of the counters, taken under the device lock. */
struct blk_stats blk_get_stats(struct blkdev *d);

/* /sys/block (blk_sysfs.c): blk_sysfs_init() once sysfs exists makes a
 * directory per device registered so far; blk_register and
 * blk_unregister add and remove the later ones. */
void blk_sysfs_init(void);
void blk_sysfs_add(struct blkdev *d);
void blk_sysfs_remove(struct blkdev *d);

/* RAM disks (kernel/block/ramdisk.c): `ramdisk=SIZE[@NODE][,SIZE[@NODE]]`. */
void ramdisk_init(void);
struct blkdev *ramdisk_create(uint64_t bytes, int node);
void ramdisk_destroy(struct blkdev *d);
/* "SIZE[@NODE]" (K, M or G; without @NODE this CPU's node) in the first
 * len bytes of s: false if malformed. */
bool ramdisk_parse_size(const char *s, size_t len, uint64_t *bytes, int *node);

#endif
