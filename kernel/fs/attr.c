/*
 * Changing an inode's attributes: mode (chmod), owner (chown) and times
 * (utimensat). The system calls are in sys_attr.c; this is the VFS side.
 *
 * Locking: the change is made under in->sb->lock (the mutex every inode
 * operation of that file system runs under) and written to disk with the
 * file system's write_inode before it is dropped.
 */
#include <kernel/vfs.h>
#include <kernel/attr.h>
#include <kernel/errno.h>

/* Apply ia to in: caller holds in->sb->lock. */
static void apply(struct inode *in, const struct iattr *ia)
{
	if (ia->valid & ATTR_MODE)
		in->mode = (in->mode & S_IFMT) | (ia->mode & 07777);
	if (ia->valid & ATTR_UID)
		in->uid = ia->uid;
	if (ia->valid & ATTR_GID)
		in->gid = ia->gid;
	/* chown of anything but a directory clears set-user-ID, and
	 * set-group-ID when the group may execute (else it marks mandatory
	 * locking), even for root, as Linux. */
	if ((ia->valid & ATTR_KILL_SUID) && !S_ISDIR(in->mode)) {
		in->mode &= ~04000u;
		if (in->mode & 0010)
			in->mode &= ~02000u;
	}
	if (ia->valid & ATTR_ATIME)
		in->atime = ia->atime;
	if (ia->valid & ATTR_MTIME)
		in->mtime = ia->mtime;
	in->ctime = fs_now();           /* every change is a status change */
}

/*
 * Change in's attributes as ia says, and set its ctime to now. Takes and
 * drops in->sb->lock; may sleep. 0, -EROFS on a read-only mount, -EPERM
 * where the file system cannot record it (procfs, sysfs, /dev: no
 * write_inode), or the file system's error writing the inode.
 */
int vfs_setattr(struct inode *in, const struct iattr *ia)
{
	if (in->sb->rdonly)
		return -EROFS;
	if (!in->sb->ops->write_inode)
		return -EPERM;
	fs_lock(&in->sb->lock);
	apply(in, ia);
	int err = in->sb->ops->write_inode(in);
	fs_unlock(&in->sb->lock);
	return err;
}
