/*
 * More ways to read and write: preadv/pwritev (and their "2" forms),
 * fdatasync, sendfile and copy_file_range. The vectored calls are the single-buffer ones
 * (sys_file.c) applied to each segment in turn; sendfile copies through a
 * kernel buffer (as copy_file_range does), so it works between any
 * readable and writable files.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/fdtable.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define IOV_MAX 1024
#define MAX_RW_COUNT 0x7ffff000UL     /* Linux's cap on one transfer */
#define SENDFILE_CHUNK 16384          /* bytes copied per round */

struct iovec {
	void *base;
	uint64_t len;
};

static struct file *getf(uint64_t fd)
{
	return (int64_t)fd < 0 || fd > INT32_MAX ? NULL : fd_get(current->fdt, (int)fd);
}

/* -EBADF unless fd is open (the calls check it even for no segments). */
static int fd_check(uint64_t fd)
{
	struct file *f = getf(fd);

	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/*
 * Each segment in turn at off (off -1: at the file position, as
 * readv/writev), through the single-buffer calls, which check the
 * descriptor, its mode and the buffer. Stops at a short transfer. Returns
 * the bytes moved, or the first segment's error.
 */
static int64_t rw_vec(uint64_t fd, const struct iovec *uiov, uint64_t n, int64_t off,
		      bool write)
{
	int64_t total = 0;

	if (n > IOV_MAX)
		return -EINVAL;
	int err = fd_check(fd);
	if (err)
		return err;
	for (uint64_t i = 0; i < n; i++) {
		struct iovec v;
		if (copy_from_user(&v, &uiov[i], sizeof(v)))
			return total ? total : -EFAULT;
		if (!v.len)
			continue;
		int64_t got = off < 0 ?
			(write ? sys_write : sys_read)(fd, (uint64_t)v.base, v.len, 0, 0, 0) :
			(write ? sys_pwrite64 : sys_pread64)(fd, (uint64_t)v.base, v.len,
							    (uint64_t)(off + total), 0, 0);
		if (got < 0)
			return total ? total : got;
		total += got;
		if ((uint64_t)got < v.len)
			break;
	}
	return total;
}

SYSCALL(readv) { return rw_vec(a0, (const struct iovec *)a1, a2, -1, false); }
SYSCALL(writev) { return rw_vec(a0, (const struct iovec *)a1, a2, -1, true); }

/* preadv(fd, iov, n, pos_l, pos_h): on x86-64 pos_l is the whole offset. */
SYSCALL(preadv)
{
	return (int64_t)a3 < 0 ? -EINVAL : rw_vec(a0, (void *)a1, a2, (int64_t)a3, false);
}

SYSCALL(pwritev)
{
	return (int64_t)a3 < 0 ? -EINVAL : rw_vec(a0, (void *)a1, a2, (int64_t)a3, true);
}

/* preadv2/pwritev2: offset -1 means the file position; any RWF_* flag is
 * -EOPNOTSUPP here (Linux's answer for flags it does not know). */
static int64_t rw_vec2(uint64_t *a, bool write)
{
	if (a[5])
		return -EOPNOTSUPP;
	if ((int64_t)a[3] < -1)
		return -EINVAL;
	return rw_vec(a[0], (void *)a[1], a[2], (int64_t)a[3], write);
}

SYSCALL(preadv2)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	return rw_vec2(a, false);
}

SYSCALL(pwritev2)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	return rw_vec2(a, true);
}

/* fdatasync: as fsync (the inode is written with the data anyway). */
SYSCALL(fdatasync) { return sys_fsync(a0, 0, 0, 0, 0, 0); }

/* ------------------------------------------------------------ sendfile */

/*
 * One round of copying: read up to len bytes from in (at *ioff, or at its
 * position when ioff is NULL) into buf, write them to out (at *ooff, or
 * its position). Input read but not written is given back: the input
 * position or *ioff moves only by what was written. Returns the bytes
 * written, 0 at the end of the input, or -errno.
 */
static int64_t copy_round(struct file *in, uint64_t *ioff, struct file *out,
			  uint64_t *ooff, char *buf, size_t len)
{
	struct uio r = UIO_KERNEL(buf, len);
	int64_t got = ioff ? vfs_pread(in, &r, *ioff) : vfs_read(in, &r);

	if (got <= 0)
		return got;
	struct uio w = UIO_KERNEL(buf, (size_t)got);
	int64_t put = ooff ? vfs_pwrite(out, &w, *ooff) : vfs_write(out, &w);
	int64_t moved = put < 0 ? 0 : put;
	if (ioff)
		*ioff += (uint64_t)moved;
	else if (moved < got)
		in->pos -= (uint64_t)(got - moved);
	if (ooff)
		*ooff += (uint64_t)moved;
	return put;
}

/* Copy count bytes (or to the end of in) from in to out, in rounds. */
static int64_t copy_all(struct file *in, uint64_t *ioff, struct file *out, uint64_t *ooff,
			uint64_t count)
{
	char *buf = kmalloc(SENDFILE_CHUNK);
	int64_t done = 0;

	if (!buf)
		return -ENOMEM;
	while ((uint64_t)done < count) {
		size_t len = MIN(count - (uint64_t)done, (uint64_t)SENDFILE_CHUNK);
		int64_t n = copy_round(in, ioff, out, ooff, buf, len);
		if (n < 0 && !done)
			done = n;
		if (n <= 0)
			break;
		done += n;
		if ((size_t)n < len && !ioff && !in->inode)
			break;                 /* a pipe gave what it had */
	}
	kfree(buf);
	return done;
}

static bool mode_ok(struct file *f, uint32_t bad) { return (f->flags & O_ACCMODE) != bad; }

/* A user offset pointer's value: -EFAULT, or -EINVAL if negative. */
static int get_off(uint64_t uptr, uint64_t *off)
{
	if (copy_from_user(off, (void *)uptr, sizeof(*off)))
		return -EFAULT;
	return (int64_t)*off < 0 ? -EINVAL : 0;
}

/* sendfile(out_fd, in_fd, offset, count): -EBADF unless in is readable and
 * out writable, -EINVAL if out is O_APPEND or *offset is negative,
 * -EFAULT for a bad offset pointer, -ESPIPE for an offset on a pipe. */
SYSCALL(sendfile)
{
	struct file *out = getf(a0), *in = getf(a1);
	uint64_t off = 0;
	int64_t r = 0;

	if (!out || !in || !mode_ok(in, O_WRONLY) || !mode_ok(out, O_RDONLY))
		r = -EBADF;
	else if (out->flags & O_APPEND)
		r = -EINVAL;
	else if (a2)
		r = get_off(a2, &off);
	if (!r)
		r = copy_all(in, a2 ? &off : NULL, out, NULL, MIN(a3, MAX_RW_COUNT));
	if (r >= 0 && a2 && copy_to_user((void *)a2, &off, sizeof(off)))
		r = -EFAULT;
	if (out)
		file_put(out);
	if (in)
		file_put(in);
	return r;
}

/* ------------------------------------------------------------ copy_file_range */

/* copy_file_range's checks on the two files, as Linux's: -EBADF for the
 * wrong access mode or an O_APPEND output, -EISDIR for a directory,
 * -EINVAL for anything but regular files, -EXDEV between file systems of
 * different kinds. */
static int cfr_files(struct file *in, struct file *out)
{
	if (!in || !out || !mode_ok(in, O_WRONLY) || !mode_ok(out, O_RDONLY) ||
	    (out->flags & O_APPEND))
		return -EBADF;
	if (!in->inode || !out->inode)
		return -EINVAL;
	if (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode))
		return -EISDIR;
	if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode))
		return -EINVAL;
	if (strcmp(in->inode->sb->type, out->inode->sb->type))
		return -EXDEV;             /* Linux: only within one kind */
	return 0;
}

/* Both offsets (user pointers or NULL: the file positions) and the
 * overlap rule: within one file the ranges may not overlap (-EINVAL). */
static int cfr_offsets(struct file *in, struct file *out, uint64_t *a, uint64_t *io,
		       uint64_t *oo, uint64_t len)
{
	int err = 0;

	*io = in->pos;
	*oo = out->pos;
	if (a[1])
		err = get_off(a[1], io);
	if (!err && a[3])
		err = get_off(a[3], oo);
	if (err == -EINVAL)
		err = -EOVERFLOW;          /* Linux's answer for a negative offset here */
	if (!err && in->inode == out->inode && *io < *oo + len && *oo < *io + len)
		err = -EINVAL;
	return err;
}

/* Where an offset ends up: *uptr, or the file's position (no pointer). */
static int cfr_store(uint64_t uptr, struct file *f, uint64_t off)
{
	if (!uptr) {
		f->pos = off;
		return 0;
	}
	return copy_to_user((void *)uptr, &off, sizeof(off)) ? -EFAULT : 0;
}

/*
 * copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): between
 * two regular files (of one kind of file system), through a kernel buffer. flags
 * must be 0. An offset pointer is read and updated; without one the
 * file's position is used and moved.
 */
SYSCALL(copy_file_range)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 }, io, oo;
	struct file *in = getf(a0), *out = getf(a2);
	int64_t r = a5 ? -EINVAL : cfr_files(in, out);
	uint64_t len = MIN(a4, MAX_RW_COUNT);

	if (!r)
		r = cfr_offsets(in, out, a, &io, &oo, len);
	if (!r)
		r = copy_all(in, &io, out, &oo, len);
	if (r >= 0 && (cfr_store(a1, in, io) || cfr_store(a3, out, oo)))
		r = -EFAULT;
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}
