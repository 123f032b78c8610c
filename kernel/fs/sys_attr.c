/*
 * System calls that change or check a file's attributes: chmod, chown,
 * utimensat and the older time calls, faccessat. Each finds its inode
 * (attr_target) and hands the change to vfs_setattr (attr.c).
 *
 * Every process has root's permissions (sys_ident.c): chmod and chown
 * need no ownership, access grants reading and writing and allows
 * executing what has an execute bit (or is a directory), as Linux does
 * for root.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <kernel/stat.h>
#include <kernel/attr.h>
#include <kernel/fdtable.h>
#include <kernel/time.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS          0x200
#define AT_EMPTY_PATH       0x1000

/* The inode behind descriptor fd, with a reference: -EBADF, or -EPERM
 * for a pipe or the TTY (no inode to record an attribute in). */
static int fd_inode(int64_t fd, struct inode **out)
{
	struct file *f = (fd < 0 || fd > INT32_MAX) ? NULL : fd_get(current->fdt, (int)fd);

	if (!f)
		return -EBADF;
	*out = f->inode ? inode_get(f->inode) : NULL;
	file_put(f);
	return *out ? 0 : -EPERM;
}

/* Is the user's path the empty string? -EFAULT if it cannot be read. */
static int path_empty(const char *upath)
{
	char c;

	return copy_from_user(&c, upath, 1) ? -EFAULT : c == '\0';
}

/*
 * The inode a *at() call names: path relative to dirfd (or the cwd),
 * following a final symlink unless AT_SYMLINK_NOFOLLOW; with
 * AT_EMPTY_PATH an empty path names dirfd itself (the cwd for AT_FDCWD).
 * *out gets a reference. Errors as path lookup's, -EBADF, -ENOTDIR.
 */
static int attr_target(int64_t dirfd, const char *upath, unsigned flags,
		       struct inode **out)
{
	struct inode *dir;
	char *path;

	if (flags & AT_EMPTY_PATH) {
		int e = path_empty(upath);
		if (e < 0)
			return e;
		if (e && dirfd == AT_FDCWD) {
			*out = fs_cwd(current);
			*out = *out ? *out : vfs_root();
			return *out ? 0 : -ENOENT;
		}
		if (e)
			return fd_inode(dirfd, out);
	}
	int err = path_from_user(upath, &path);
	if (err)
		return err;
	err = at_dir(dirfd, path, &dir);
	if (!err) {
		err = vfs_lookup(dir, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, out);
		if (dir)
			inode_put(dir);
	}
	kfree(path);
	return err;
}

/* Apply ia to the inode a *at() call names. */
static int setattr_at(int64_t dirfd, const char *upath, unsigned flags,
		      const struct iattr *ia)
{
	struct inode *in;
	int err = attr_target(dirfd, upath, flags, &in);

	if (err)
		return err;
	err = vfs_setattr(in, ia);
	inode_put(in);
	return err;
}

static int setattr_fd(int64_t fd, const struct iattr *ia)
{
	struct inode *in;
	int err = fd_inode(fd, &in);

	if (err)
		return err;
	err = vfs_setattr(in, ia);
	inode_put(in);
	return err;
}

/* ------------------------------------------------------------ chmod */

static struct iattr mode_attr(uint64_t mode)
{
	return (struct iattr){ .valid = ATTR_MODE, .mode = (uint32_t)mode & 07777 };
}

SYSCALL(chmod)
{
	struct iattr ia = mode_attr(a1);
	return setattr_at(AT_FDCWD, (const char *)a0, 0, &ia);
}

SYSCALL(fchmod)
{
	struct iattr ia = mode_attr(a1);
	return setattr_fd((int64_t)(int)a0, &ia);
}

/* fchmodat(dirfd, path, mode): the system call has no flags argument. */
SYSCALL(fchmodat)
{
	struct iattr ia = mode_attr(a2);
	return setattr_at((int64_t)(int)a0, (const char *)a1, 0, &ia);
}

/* ------------------------------------------------------------ chown */

/* uid or gid (uint32_t)-1 leaves that one as it is. */
static struct iattr owner_attr(uint64_t uid, uint64_t gid)
{
	struct iattr ia = { .valid = ATTR_KILL_SUID, .uid = (uint32_t)uid,
			    .gid = (uint32_t)gid };

	if (ia.uid != (uint32_t)-1)
		ia.valid |= ATTR_UID;
	if (ia.gid != (uint32_t)-1)
		ia.valid |= ATTR_GID;
	return ia;
}

SYSCALL(chown)
{
	struct iattr ia = owner_attr(a1, a2);
	return setattr_at(AT_FDCWD, (const char *)a0, 0, &ia);
}

SYSCALL(lchown)
{
	struct iattr ia = owner_attr(a1, a2);
	return setattr_at(AT_FDCWD, (const char *)a0, AT_SYMLINK_NOFOLLOW, &ia);
}

SYSCALL(fchown)
{
	struct iattr ia = owner_attr(a1, a2);
	return setattr_fd((int64_t)(int)a0, &ia);
}

SYSCALL(fchownat)
{
	struct iattr ia = owner_attr(a2, a3);

	if (a4 & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return setattr_at((int64_t)(int)a0, (const char *)a1, (unsigned)a4, &ia);
}

/* ------------------------------------------------------------ times */

#define UTIME_NOW  ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)

/* One requested time into ia: now, omitted, or its seconds (ext2 keeps
 * seconds only). -EINVAL for nanoseconds out of range. */
static int one_time(const struct kernel_timespec *ts, int64_t now, unsigned bit,
		    int64_t *field, struct iattr *ia)
{
	if (ts->nsec == UTIME_OMIT)
		return 0;
	if (ts->nsec != UTIME_NOW && (ts->nsec < 0 || ts->nsec >= (int64_t)NSEC_PER_SEC))
		return -EINVAL;
	ia->valid |= bit;
	*field = ts->nsec == UTIME_NOW ? now : ts->sec;
	return 0;
}

/*
 * utimensat's work, also for the older calls: ts NULL means both now.
 * A NULL path with a real dirfd changes dirfd's file (flags must be 0).
 */
static int do_utimes(int64_t dirfd, const char *upath,
		     const struct kernel_timespec *ts, unsigned flags)
{
	struct kernel_timespec now2[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct iattr ia = { 0 };
	int64_t now = fs_now();

	if (!ts)
		ts = now2;
	int err = one_time(&ts[0], now, ATTR_ATIME, &ia.atime, &ia);
	if (!err)
		err = one_time(&ts[1], now, ATTR_MTIME, &ia.mtime, &ia);
	if (err)
		return err;
	if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!upath && dirfd != AT_FDCWD)
		return flags ? -EINVAL : setattr_fd(dirfd, &ia);
	return upath ? setattr_at(dirfd, upath, flags, &ia) : -EFAULT;
}

/* utimensat(dirfd, path, times[2], flags): both UTIME_OMIT does nothing,
 * not even look the path up (as Linux). */
SYSCALL(utimensat)
{
	struct kernel_timespec ts[2];

	if (!a2)
		return do_utimes((int)a0, (const char *)a1, NULL, (unsigned)a3);
	if (copy_from_user(ts, (void *)a2, sizeof(ts)))
		return -EFAULT;
	if (ts[0].nsec == UTIME_OMIT && ts[1].nsec == UTIME_OMIT)
		return 0;
	return do_utimes((int)a0, (const char *)a1, ts, (unsigned)a3);
}

/* futimesat and utimes: struct timeval[2], microseconds in 0..999999. */
static int timeval_utimes(int64_t dirfd, const char *upath, const void *utv)
{
	struct kernel_timeval tv[2];
	struct kernel_timespec ts[2];

	if (!utv)
		return do_utimes(dirfd, upath, NULL, 0);
	if (copy_from_user(tv, utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].usec < 0 || tv[i].usec >= 1000000)
			return -EINVAL;
		ts[i] = (struct kernel_timespec){ tv[i].sec, tv[i].usec * (int64_t)NSEC_PER_USEC };
	}
	return do_utimes(dirfd, upath, ts, 0);
}

SYSCALL(futimesat) { return timeval_utimes((int)a0, (const char *)a1, (void *)a2); }
SYSCALL(utimes) { return timeval_utimes(AT_FDCWD, (const char *)a0, (void *)a1); }

/* utime(path, struct utimbuf { actime, modtime }): NULL means now. */
SYSCALL(utime)
{
	int64_t buf[2];
	struct kernel_timespec ts[2];

	if (!a1)
		return do_utimes(AT_FDCWD, (const char *)a0, NULL, 0);
	if (copy_from_user(buf, (void *)a1, sizeof(buf)))
		return -EFAULT;
	ts[0] = (struct kernel_timespec){ buf[0], 0 };
	ts[1] = (struct kernel_timespec){ buf[1], 0 };
	return do_utimes(AT_FDCWD, (const char *)a0, ts, 0);
}

/* ------------------------------------------------------------ access */

#define X_OK 1
#define W_OK 2

/* Root's access check on in: write is refused on a read-only mount for
 * files, directories and symlinks (-EROFS); execute needs an execute bit
 * somewhere unless in is a directory (-EACCES). */
static int root_may(struct inode *in, unsigned mode)
{
	bool data = S_ISREG(in->mode) || S_ISDIR(in->mode) || S_ISLNK(in->mode);

	if ((mode & W_OK) && in->sb->rdonly && data)
		return -EROFS;
	if ((mode & X_OK) && !S_ISDIR(in->mode) && !(in->mode & 0111))
		return -EACCES;
	return 0;
}

/* faccessat2(dirfd, path, mode, flags). AT_EACCESS (check with the
 * effective ids) changes nothing here: both are root's. */
static int do_access(int64_t dirfd, const char *upath, uint64_t mode, uint64_t flags)
{
	struct inode *in;

	if (mode & ~7UL)
		return -EINVAL;
	if (flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int err = attr_target(dirfd, upath, (unsigned)flags, &in);
	if (err)
		return err;
	err = root_may(in, (unsigned)mode);
	inode_put(in);
	return err;
}

SYSCALL(access) { return do_access(AT_FDCWD, (const char *)a0, a1, 0); }
SYSCALL(faccessat) { return do_access((int)a0, (const char *)a1, a2, 0); }
SYSCALL(faccessat2) { return do_access((int)a0, (const char *)a1, a2, a3); }
