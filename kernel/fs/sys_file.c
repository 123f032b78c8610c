/*
 * System calls on file descriptors: read/write and friends, open/close,
 * dup, fcntl, ioctl, getdents64, fstat. A descriptor is looked up in the
 * process's table (fdtable.h) and the work is the VFS's (vfs.h).
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/fdtable.h>
#include <kernel/vfs.h>
#include <kernel/stat.h>
#include <kernel/pipe.h>
#include <kernel/tty.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/slab.h>
#include <kernel/cwd.h>

#define AT_FDCWD (-100)
static struct file *getf(uint64_t fd)
{
	return (int64_t)fd < 0 || fd > INT32_MAX ? NULL : fd_get(current->fdt, (int)fd);
}

static bool can_read(struct file *f) { return (f->flags & O_ACCMODE) != O_WRONLY; }
static bool can_write(struct file *f) { return (f->flags & O_ACCMODE) != O_RDONLY; }

static ssize_t rw(uint64_t fd, void *buf, uint64_t len, bool write, int64_t off)
{
	struct file *f = getf(fd);
	ssize_t n;

	if (!f)
		return -EBADF;
	if (write ? !can_write(f) : !can_read(f)) {
		file_put(f);
		return -EBADF;
	}
	if (!user_range_ok(buf, len)) {
		file_put(f);
		return -EFAULT;
	}
	struct uio u = UIO_USER(buf, len);
	if (off < 0)
		n = write ? vfs_write(f, &u) : vfs_read(f, &u);
	else
		n = write ? vfs_pwrite(f, &u, off) : vfs_pread(f, &u, off);
	file_put(f);
	return n;
}

SYSCALL(read) { return rw(a0, (void *)a1, a2, false, -1); }
SYSCALL(write) { return rw(a0, (void *)a1, a2, true, -1); }

SYSCALL(pread64)
{
	return (int64_t)a3 < 0 ? -EINVAL : rw(a0, (void *)a1, a2, false, a3);
}

SYSCALL(pwrite64)
{
	return (int64_t)a3 < 0 ? -EINVAL : rw(a0, (void *)a1, a2, true, a3);
}

/* The directory a *at() call starts from: cwd, or dirfd's inode. */
int at_dir(int64_t dirfd, const char *path, struct inode **dir)
{
	if (dirfd == AT_FDCWD || path[0] == '/') {
		*dir = fs_cwd(current);
		return 0;
	}
	struct file *f = getf(dirfd);
	if (!f)
		return -EBADF;
	if (!f->inode || !S_ISDIR(f->inode->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	*dir = inode_get(f->inode);
	file_put(f);
	return 0;
}

/* The absolute path of what open(dirfd, path) opened, for /proc/PID/fd:
 * kmalloc'd, or NULL when no memory or the directory's path is unknown. */
static char *open_path(int64_t dirfd, const char *path)
{
	struct file *d = NULL;
	char *cwd = fs_cwd_path(current);
	const char *base = cwd;
	char *out = kmalloc(PATH_MAX);

	if (path[0] != '/' && dirfd != AT_FDCWD) {
		d = getf(dirfd);
		base = d ? d->path : NULL;
	}
	if (out && (!base || path_normalize(base, path, out, PATH_MAX))) {
		kfree(out);
		out = NULL;
	}
	if (d)
		file_put(d);
	kfree(cwd);
	char *path_copy = out ? kmalloc(strlen(out) + 1) : NULL;
	if (path_copy)
		memcpy(path_copy, out, strlen(out) + 1);
	kfree(out);
	return path_copy;
}

static int64_t do_open(int64_t dirfd, const char *upath, uint64_t flags, uint64_t mode)
{
	char path[PATH_MAX];
	struct inode *dir;
	struct file *f;
	ssize_t n = strncpy_from_user(path, upath, sizeof(path));

	if (n < 0)
		return n;
	if (!n)
		return -ENOENT;
	int err = at_dir(dirfd, path, &dir);
	if (err)
		return err;
	err = vfs_open(dir, path, flags, mode & 07777 & ~fs_umask(current), &f);
	if (dir)
		inode_put(dir);
	if (err)
		return err;
	f->path = open_path(dirfd, path);
	int fd = fd_install(current->fdt, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL(open) { return do_open(AT_FDCWD, (const char *)a0, a1, a2); }
SYSCALL(openat) { return do_open((int64_t)(int)a0, (const char *)a1, a2, a3); }

SYSCALL(close)
{
	return (int64_t)a0 < 0 || a0 > INT32_MAX ? -EBADF : fd_close(current->fdt, (int)a0);
}

SYSCALL(lseek)
{
	struct file *f = getf(a0);

	if (!f)
		return -EBADF;
	int64_t r = a2 > SEEK_END ? -EINVAL : vfs_lseek(f, (int64_t)a1, (int)a2);
	file_put(f);
	return r;
}

SYSCALL(getdents64)
{
	struct file *f = getf(a0);

	if (!f)
		return -EBADF;
	if (!user_range_ok((void *)a1, a2)) {
		file_put(f);
		return -EFAULT;
	}
	struct uio u = UIO_USER((void *)a1, a2);
	ssize_t n = vfs_getdents64(f, &u);
	file_put(f);
	return n;
}

SYSCALL(fstat)
{
	struct file *f = getf(a0);
	struct kstat st;

	if (!f)
		return -EBADF;
	int err = file_getattr(f, &st);
	file_put(f);
	return err ? err : stat_to_user(&st, (void *)a1);
}

SYSCALL(dup)
{
	return (int64_t)a0 < 0 || a0 > INT32_MAX ? -EBADF : fd_dup(current->fdt, (int)a0, 0, false);
}

SYSCALL(dup2)
{
	if ((int64_t)a0 < 0 || a0 > INT32_MAX || (int64_t)a1 < 0 || a1 > INT32_MAX)
		return -EBADF;
	return fd_dup2(current->fdt, (int)a0, (int)a1);
}

SYSCALL(dup3)
{
	if ((int64_t)a0 < 0 || a0 > INT32_MAX || (int64_t)a1 < 0 || a1 > INT32_MAX)
		return -EBADF;
	return fd_dup3(current->fdt, (int)a0, (int)a1, (uint32_t)a2);
}

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

SYSCALL(fcntl)
{
	struct file *f = getf(a0);
	int fd = (int)a0;
	int64_t r = -EINVAL;

	if (!f)
		return -EBADF;
	switch (a1) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = (int64_t)a2 < 0 || a2 >= FD_MAX ? -EINVAL :
		    fd_dup(current->fdt, fd, (int)a2, a1 == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		r = fd_get_cloexec(current->fdt, fd);
		break;
	case F_SETFD:
		r = fd_set_cloexec(current->fdt, fd, a2 & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
		break;
	case F_SETFL:
		f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (a2 & (O_APPEND | O_NONBLOCK));
		r = 0;
		break;
	}
	file_put(f);
	return r;
}

SYSCALL(ioctl)
{
	struct file *f = getf(a0);

	if (!f)
		return -EBADF;
	/* The request is an unsigned int: musl passes an int, sign-extended. */
	int64_t r = f->ops->ioctl ? f->ops->ioctl(f, (uint32_t)a1, (void *)a2) : -ENOTTY;
	file_put(f);
	return r;
}

SYSCALL(fsync)
{
	struct file *f = getf(a0);

	if (!f)
		return -EBADF;
	int err = vfs_fsync(f);
	file_put(f);
	return err;
}

SYSCALL(ftruncate)
{
	struct file *f = getf(a0);

	if (!f)
		return -EBADF;
	int err = (int64_t)a1 < 0 ? -EINVAL : !can_write(f) ? -EINVAL : vfs_ftruncate(f, a1);
	file_put(f);
	return err;
}

static int64_t do_pipe(int *ufds, uint64_t flags)
{
	struct file *r, *w;
	int fds[2];

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!user_range_ok(ufds, sizeof(fds)))
		return -EFAULT;
	int err = pipe_create(&r, &w, flags & O_NONBLOCK);
	if (err)
		return err;
	fds[0] = fd_install(current->fdt, r, 0, flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(current->fdt, w, 0, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			fd_close(current->fdt, fds[0]);
		else
			file_put(r);
		file_put(w);
		return -EMFILE;
	}
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close(current->fdt, fds[0]);
		fd_close(current->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL(pipe) { return do_pipe((int *)a0, 0); }
SYSCALL(pipe2) { return do_pipe((int *)a0, a1); }
