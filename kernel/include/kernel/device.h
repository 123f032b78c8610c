/*
 * Device files: character and block devices reached through inodes.
 *
 * A device inode (S_IFCHR or S_IFBLK) holds a device number, rdev, in
 * Linux's encoding (what stat's st_rdev shows and mknod takes):
 *
 *   bits  31..20     19..8      7..0
 *        minor>>8    major    minor&0xff        (major < 4096, minor < 2^20)
 *
 * Opening one never reads or writes the inode's data blocks: the open is
 * handed to the driver that registered the number (chrdev_register for
 * character devices; block devices are found in the block layer by their
 * major and minor). No driver: -ENXIO, as on Linux. FIFOs and sockets have
 * no driver yet and give -ENXIO too.
 *
 * Numbers Numbat uses (Linux's): mem 1 (null 3, zero 5, full 7, random 8,
 * urandom 9), tty 5 (tty 0, console 1), RAM disks 1 (ram0 0, ram1 1, ...),
 * virtio disks 254.
 */
#ifndef KERNEL_DEVICE_H
#define KERNEL_DEVICE_H

#include <kernel/types.h>

struct inode;
struct file_ops;

static inline uint64_t dev_encode(uint32_t major, uint32_t minor)
{
	return (minor & 0xff) | ((uint64_t)(major & 0xfff) << 8) |
	       ((uint64_t)(minor & ~0xffu) << 12);
}

static inline uint32_t dev_major(uint64_t dev) { return (dev >> 8) & 0xfff; }

static inline uint32_t dev_minor(uint64_t dev)
{
	return (dev & 0xff) | ((dev >> 12) & 0xfff00);
}

/*
 * A character device driver: minors [minor, minor + count) of major are
 * opened with fops (its open, if any, is called; f->priv is left for it).
 * Registered once at boot, never removed. -EBUSY if a number is taken.
 */
int chrdev_register(uint32_t major, uint32_t minor, uint32_t count,
		    const char *name, const struct file_ops *fops);

/* Call fn for each registered character device minor (devtmpfs). */
void chrdev_for_each(void (*fn)(const char *name, uint32_t major, uint32_t minor));

/* Make in a special inode (device, FIFO or socket) of the given mode and
 * rdev: its file operations open the driver, never the inode's data. */
void special_inode_init(struct inode *in, uint32_t mode, uint64_t rdev);

/* Boot: the memory devices (null, zero, full, random, urandom). */
void mem_devices_init(void);
/* Boot: /dev with a node for every character and block device. */
void devtmpfs_init(void);
/* A block device registered after devtmpfs_init gets its node too. */
void devtmpfs_add_blkdev(const char *name, uint32_t major, uint32_t minor);

#endif
