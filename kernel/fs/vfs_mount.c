/*
 * Super blocks and mounts: the list of mounted file systems, the root,
 * mounting and unmounting, sync, and the boot-time setup of / and /proc.
 *
 * A mount attaches one super_block at a directory of another file system
 * (the covered directory's inode->covered points at the mount). The root
 * mount covers nothing. Each super_block is mounted at most once.
 */
#include <kernel/vfs.h>
#include <arch/timer.h>
#include <kernel/blkdev.h>
#include <kernel/bcache.h>
#include <kernel/ext2.h>
#include <kernel/pcache.h>
#include <kernel/procfs.h>
#include <kernel/device.h>
#include <kernel/tty.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <arch/pci.h>

struct list_head vfs_super_blocks = LIST_HEAD_INIT(vfs_super_blocks);
static struct list_head mounts = LIST_HEAD_INIT(mounts);
static struct inode *root_inode;
/* mount_lock: mounts, vfs_super_blocks, root_inode, inode->covered. Only
 * mount and unmount change them, and both run at boot or from tests. */
static struct spinlock mount_lock = SPINLOCK_INIT("mount");

void icache_init(void);

struct inode *vfs_root(void)
{
	spin_lock(&mount_lock);
	struct inode *r = root_inode ? inode_get(root_inode) : NULL;
	spin_unlock(&mount_lock);
	return r;
}

static int attach(struct super_block *sb, struct inode *dir, const char *path,
		  const char *devname)
{
	struct mount *m = kzalloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->sb = sb;
	m->mountpoint = dir;
	strlcpy(m->path, path, sizeof(m->path));
	strlcpy(m->devname, devname, sizeof(m->devname));
	spin_lock(&mount_lock);
	sb->mnt = m;
	if (dir)
		dir->covered = m;
	else
		root_inode = inode_get(sb->root);
	list_add_tail(&m->list, &mounts);
	list_add_tail(&sb->list, &vfs_super_blocks);
	spin_unlock(&mount_lock);
	return 0;
}

int vfs_mount_sb(struct super_block *sb, const char *path, const char *devname)
{
	struct inode *dir = NULL;

	if (strcmp(path, "/") || root_inode) {
		int err = vfs_lookup(NULL, path, LOOKUP_FOLLOW, &dir);
		if (err)
			return err;
		err = !S_ISDIR(dir->mode) ? -ENOTDIR : dir->covered ? -EBUSY : 0;
		if (err) {
			inode_put(dir);
			return err;
		}
	}
	int err = attach(sb, dir, path, devname);
	if (err && dir)
		inode_put(dir);
	return err;
}

int vfs_mount_dev(const char *name, const char *path)
{
	struct blkdev *d = blk_find(name);
	struct super_block *sb;

	if (!d)
		return -ENODEV;
	int err = ext2_mount(d, &sb);
	if (err)
		return err;
	err = vfs_mount_sb(sb, path, name);
	if (err)
		sb->ops->put_super(sb);
	return err;
}

static int sync_sb(struct super_block *sb)
{
	int err = 0;

	if (sb->ops->sync) {
		fs_lock(&sb->lock);
		err = sb->ops->sync(sb);
		fs_unlock(&sb->lock);
	}
	return err;
}

/* Write back every file system: data pages, then metadata, then flush. */
int vfs_sync(void)
{
	struct list_head *l;
	int err = pcache_writeback_all();

	list_for_each(l, &vfs_super_blocks) {
		int r = sync_sb(list_entry(l, struct super_block, list));
		err = err ? err : r;
	}
	return err;
}

/* Unmount the file system mounted at path; -EBUSY if any of its inodes
 * besides the root is still in use or something is mounted inside it. */
int vfs_umount(const char *path)
{
	struct inode *in;
	int err = vfs_lookup(NULL, path, LOOKUP_FOLLOW, &in);

	if (err)
		return err;
	struct super_block *sb = in->sb;
	struct mount *m = sb->mnt;
	inode_put(in);
	if (!m || !m->mountpoint)
		return -EINVAL;           /* not a mount point, or the root */
	pcache_writeback_all();
	sync_sb(sb);
	icache_prune(sb);
	if (sb->root->refcount != 1)
		return -EBUSY;
	spin_lock(&mount_lock);
	m->mountpoint->covered = NULL;
	list_del(&m->list);
	list_del(&sb->list);
	spin_unlock(&mount_lock);
	inode_put(m->mountpoint);
	sb->ops->put_super(sb);
	kfree(m);
	return 0;
}

void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg)
{
	struct list_head *l;

	list_for_each(l, &mounts)
		fn(list_entry(l, struct mount, list), arg);
}

/* The ext2 root from vda, then procfs on /proc, sysfs on /sys and the
 * device nodes on /dev. A
 * missing or damaged disk is reported; the kernel goes on without a root. */
void fs_init(void)
{
	rtc_init();
	bcache_init();
	icache_init();
	pcache_init();
	tty_init();
	mem_devices_init();
	ramdisk_init();
	pci_init();
	procfs_init();
	blk_sysfs_init();
	int err = blk_find("vda") ? vfs_mount_dev("vda", "/") : -ENODEV;
	if (err) {
		printk("vfs: no root file system (vda: error %d); going on without one\n", err);
		return;
	}
	printk("vfs: mounted vda (ext2) on /\n");
	if (procfs_mount("/proc", procfs_root()) == 0)
		printk("vfs: mounted proc on /proc\n");
	if (procfs_mount("/sys", sysfs_root()) == 0)
		printk("vfs: mounted sysfs on /sys\n");
	devtmpfs_init();
}
