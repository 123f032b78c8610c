/*
 * The path-based calls: open, mkdir, rmdir, unlink, rename, link, symlink,
 * readlink, truncate, stat. Each looks up what it needs, checks what the
 * VFS can check (types, read-only mounts, ".", "..", cross-device), and
 * calls the file system's inode operation under its lock.
 */
#include <kernel/vfs.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Look up the directory that holds path's last name, and check that its
 * file system is writable. (Each caller checks its own operation exists.) */
static int parent_for(struct inode *cwd, const char *path, struct inode **dir,
		      char *name)
{
	int err = vfs_lookup_parent(cwd, path, dir, name);

	if (!err && (*dir)->sb->rdonly) {
		inode_put(*dir);
		err = -EROFS;
	}
	return err;
}

/* Call op(dir, name) for the directory-entry calls. */
#define DIR_CALL(dir, expr)                                           \
	({                                                             \
		fs_lock(&(dir)->sb->lock);                             \
		int r_ = (expr);                                       \
		fs_unlock(&(dir)->sb->lock);                           \
		r_;                                                    \
	})

static int open_create(struct inode *cwd, const char *path, uint32_t flags,
		       uint32_t mode, struct inode **out)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	int err = vfs_lookup_parent(cwd, path, &dir, name);

	if (err)
		return err;
	err = vfs_lookup(dir, name, (flags & (O_EXCL | O_NOFOLLOW)) ? 0 : LOOKUP_FOLLOW, out);
	if (!err && (flags & O_EXCL)) {
		inode_put(*out);
		err = -EEXIST;
	} else if (err == -ENOENT) {
		if (dir->sb->rdonly || !dir->iops->create)
			err = dir->sb->rdonly ? -EROFS : -EPERM;
		else
			err = DIR_CALL(dir, dir->iops->create(dir, name, strlen(name),
					      S_IFREG | (mode & 07777), out));
	}
	inode_put(dir);
	return err;
}

/* What open may do with the inode it found. */
static int open_check(struct inode *in, uint32_t flags)
{
	uint32_t acc = flags & O_ACCMODE;

	if (S_ISLNK(in->mode))
		return -ELOOP;              /* O_NOFOLLOW on a symlink */
	if ((flags & O_DIRECTORY) && !S_ISDIR(in->mode))
		return -ENOTDIR;
	if (S_ISDIR(in->mode) && acc != O_RDONLY)
		return -EISDIR;
	if (acc != O_RDONLY && in->sb->rdonly && (S_ISREG(in->mode) || S_ISDIR(in->mode)))
		return -EROFS;              /* a device on a read-only disk is writable */
	if (acc == 3)
		return -EINVAL;
	return 0;
}

int vfs_open(struct inode *cwd, const char *path, uint32_t flags, uint32_t mode,
	     struct file **out)
{
	struct inode *in;
	int err = (flags & O_CREAT) ? open_create(cwd, path, flags, mode, &in) :
		  vfs_lookup(cwd, path, (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &in);

	if (err)
		return err;
	err = open_check(in, flags);
	if (!err && (flags & O_TRUNC) && S_ISREG(in->mode) &&
	    (flags & O_ACCMODE) != O_RDONLY && in->size)
		err = DIR_CALL(in, in->iops->truncate(in, 0));
	struct file *f = err ? NULL : file_alloc(in->fops, NULL,
			flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY));
	if (!err && !f)
		err = -ENOMEM;
	if (err) {
		inode_put(in);
		return err;
	}
	f->inode = in;
	if (in->fops->open && (err = in->fops->open(in, f))) {
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

int vfs_mkdir(struct inode *cwd, const char *path, uint32_t mode)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	int err = vfs_lookup_parent(cwd, path, &dir, name);

	if (err)
		return err;
	if (is_dot(name))
		err = -EEXIST;
	else if (dir->sb->rdonly || !dir->iops->mkdir)
		err = dir->sb->rdonly ? -EROFS : -EPERM;
	else
		err = DIR_CALL(dir, dir->iops->mkdir(dir, name, strlen(name),
						      S_IFDIR | (mode & 07777)));
	inode_put(dir);
	return err;
}

/* The type mknod makes: a regular file when mode has none; 0 if invalid. */
static uint32_t mknod_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case 0: return S_IFREG;
	case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return mode & S_IFMT;
	}
	return 0;
}

/* mknod of a regular file: create it, keep no reference. */
static int mknod_regular(struct inode *dir, const char *name, uint32_t mode)
{
	struct inode *in;

	if (!dir->iops->create)
		return -EPERM;
	int err = DIR_CALL(dir, dir->iops->create(dir, name, strlen(name), mode, &in));
	if (!err)
		inode_put(in);
	return err;
}

/* As Linux's mknod: EPERM for a directory (mkdir makes those), EINVAL for
 * an unknown type, EEXIST if the name is taken. */
int vfs_mknod(struct inode *cwd, const char *path, uint32_t mode, uint64_t rdev)
{
	uint32_t type = mknod_type(mode);
	char name[NAME_MAX + 1];
	struct inode *dir;

	if ((mode & S_IFMT) == S_IFDIR)
		return -EPERM;
	if (!type)
		return -EINVAL;
	int err = vfs_lookup_parent(cwd, path, &dir, name);
	if (err)
		return err;
	mode = type | (mode & 07777);
	if (is_dot(name))
		err = -EEXIST;
	else if (dir->sb->rdonly)
		err = -EROFS;
	else if (type == S_IFREG)
		err = mknod_regular(dir, name, mode);
	else if (!dir->iops->mknod)
		err = -EPERM;
	else
		err = DIR_CALL(dir, dir->iops->mknod(dir, name, strlen(name), mode, rdev));
	inode_put(dir);
	return err;
}

int vfs_rmdir(struct inode *cwd, const char *path)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	int err = parent_for(cwd, path, &dir, name);

	if (err)
		return err;
	if (!strcmp(name, "."))
		err = -EINVAL;
	else if (!strcmp(name, ".."))
		err = -ENOTEMPTY;
	else
		err = DIR_CALL(dir, dir->iops->rmdir ?
			       dir->iops->rmdir(dir, name, strlen(name)) : -EPERM);
	inode_put(dir);
	return err;
}

int vfs_unlink(struct inode *cwd, const char *path)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	int err = parent_for(cwd, path, &dir, name);

	if (err)
		return err;
	if (is_dot(name))
		err = -EISDIR;
	else
		err = DIR_CALL(dir, dir->iops->unlink ?
			       dir->iops->unlink(dir, name, strlen(name)) : -EPERM);
	inode_put(dir);
	return err;
}

int vfs_rename(struct inode *cwd, const char *from, const char *to)
{
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct inode *odir, *ndir;
	int err = parent_for(cwd, from, &odir, oname);

	if (err)
		return err;
	err = parent_for(cwd, to, &ndir, nname);
	if (err) {
		inode_put(odir);
		return err;
	}
	if (is_dot(oname) || is_dot(nname))
		err = -EBUSY;
	else if (odir->sb != ndir->sb)
		err = -EXDEV;
	else
		err = DIR_CALL(odir, odir->iops->rename ?
			       odir->iops->rename(odir, oname, strlen(oname), ndir,
						  nname, strlen(nname)) : -EPERM);
	inode_put(odir);
	inode_put(ndir);
	return err;
}

int vfs_link(struct inode *cwd, const char *from, const char *to)
{
	char name[NAME_MAX + 1];
	struct inode *old, *dir;
	int err = vfs_lookup(cwd, from, 0, &old);

	if (err)
		return err;
	err = parent_for(cwd, to, &dir, name);
	if (!err) {
		if (S_ISDIR(old->mode))
			err = -EPERM;
		else if (old->sb != dir->sb)
			err = -EXDEV;
		else if (is_dot(name))
			err = -EEXIST;
		else
			err = DIR_CALL(dir, dir->iops->link ?
				       dir->iops->link(old, dir, name, strlen(name)) : -EPERM);
		inode_put(dir);
	}
	inode_put(old);
	return err;
}

int vfs_symlink(struct inode *cwd, const char *target, const char *path)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	size_t tlen = strnlen(target, PATH_MAX);

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= PATH_MAX)
		return -ENAMETOOLONG;
	int err = parent_for(cwd, path, &dir, name);
	if (err)
		return err;
	err = is_dot(name) ? -EEXIST :
	      DIR_CALL(dir, dir->iops->symlink ?
		       dir->iops->symlink(dir, name, strlen(name), target) : -EPERM);
	inode_put(dir);
	return err;
}

int vfs_readlink(struct inode *cwd, const char *path, char *buf, size_t size)
{
	struct inode *in;
	int err = vfs_lookup(cwd, path, 0, &in);

	if (err)
		return err;
	if (!S_ISLNK(in->mode) || !in->iops->readlink)
		err = -EINVAL;
	else
		err = DIR_CALL(in, in->iops->readlink(in, buf, size));
	inode_put(in);
	return err;
}

static int truncate_inode(struct inode *in, uint64_t size)
{
	if (S_ISDIR(in->mode))
		return -EISDIR;
	if (!S_ISREG(in->mode))
		return -EINVAL;
	if (in->sb->rdonly)
		return -EROFS;
	if (!in->iops->truncate)
		return -EPERM;
	if (size > in->sb->maxbytes)
		return -EFBIG;
	return DIR_CALL(in, in->iops->truncate(in, size));
}

int vfs_truncate(struct inode *cwd, const char *path, uint64_t size)
{
	struct inode *in;
	int err = vfs_lookup(cwd, path, LOOKUP_FOLLOW, &in);

	if (err)
		return err;
	err = truncate_inode(in, size);
	inode_put(in);
	return err;
}

int vfs_ftruncate(struct file *f, uint64_t size)
{
	if (!f->inode || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	return truncate_inode(f->inode, size);
}

int vfs_getattr(struct inode *in, struct kstat *st)
{
	*st = (struct kstat){
		.dev = in->sb->dev_id, .ino = in->ino, .mode = in->mode,
		.nlink = in->nlink, .uid = in->uid, .gid = in->gid,
		.rdev = in->rdev, .size = (int64_t)in->size,
		.blksize = in->sb->block_size ? in->sb->block_size : PAGE_SIZE,
		.blocks = in->blocks, .atime = in->atime, .mtime = in->mtime,
		.ctime = in->ctime,
	};
	return 0;
}

int vfs_stat(struct inode *cwd, const char *path, int flags, struct kstat *st)
{
	struct inode *in;
	int err = vfs_lookup(cwd, path, flags, &in);

	if (err)
		return err;
	err = vfs_getattr(in, st);
	inode_put(in);
	return err;
}
