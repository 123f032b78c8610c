/*
 * /dev, as Linux's devtmpfs: the kernel makes a node for each of its
 * devices, with Linux's names and numbers (device.h), in a procfs tree
 * mounted at boot. Nodes are made, not stored: a fresh boot always has
 * the full set, and nothing on the root disk is needed for them.
 *
 *   $ ls -l /dev        (busybox or stat(1) shows the numbers)
 *   crw-rw-rw- 1,3 null   crw-rw-rw- 1,5 zero   brw-rw---- 254,0 vda ...
 */
#include <kernel/device.h>
#include <kernel/procfs.h>
#include <kernel/blkdev.h>
#include <kernel/printk.h>

static bool mounted;           /* set once at boot; later block devices add nodes */

static void add_chr(const char *name, uint32_t major, uint32_t minor)
{
	uint32_t mode = S_IFCHR | (major == 5 && minor == 1 ? 0600 : 0666);

	procfs_mknod(devtmpfs_root(), name, mode, dev_encode(major, minor));
}

void devtmpfs_add_blkdev(const char *name, uint32_t major, uint32_t minor)
{
	if (mounted)
		procfs_mknod(devtmpfs_root(), name, S_IFBLK | 0660, dev_encode(major, minor));
}

static void add_blk(struct blkdev *d, void *arg)
{
	devtmpfs_add_blkdev(d->name, (uint32_t)d->major, (uint32_t)d->minor);
}

/* Boot, after the root is mounted: the nodes, then the mount on /dev. */
void devtmpfs_init(void)
{
	mounted = true;
	chrdev_for_each(add_chr);
	blk_for_each(add_blk, NULL);
	if (procfs_mount("/dev", devtmpfs_root()) == 0)
		printk("vfs: mounted devtmpfs on /dev\n");
	else
		mounted = false;
}
