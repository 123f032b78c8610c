/*
 * Open files: struct file, open(), and read/write/seek/getdents through
 * the file's operations. Regular files read and write through the page
 * cache (vfs_file_read/vfs_file_write); directories list through the file
 * system's readdir.
 *
 * The offset: vfs_read takes f->pos, calls the operation and stores the
 * new offset; two CPUs reading one shared file at once may both read at
 * the same offset (Linux before 3.14 behaved so too). No permission
 * checks yet: every caller is root.
 */
#include <kernel/replicate.h>
#include <kernel/vfs.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static struct kmem_cache file_cache;
static bool file_cache_ready;

struct file *file_alloc(const struct file_ops *ops, void *priv, uint32_t flags)
{
	if (!file_cache_ready) {          /* first use, at boot, one CPU */
		kmem_cache_init(&file_cache, "file", sizeof(struct file), 8);
		file_cache_ready = true;
	}
	struct file *f = kmem_cache_alloc(&file_cache, NUMA_NO_NODE);
	if (!f)
		return NULL;
	*f = (struct file){ .refcount = 1, .flags = flags, .ops = ops, .priv = priv };
	return f;
}

struct file *file_get(struct file *f)
{
	__atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
	return f;
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->inode)
		inode_put(f->inode);
	kfree(f->path);
	kmem_cache_free(&file_cache, f);
}

ssize_t vfs_file_read(struct file *f, struct uio *u, uint64_t *pos)
{
	struct inode *in = f->inode;
	ssize_t done = 0;

	while (u->resid) {
		uint64_t size = READ_ONCE(in->size);
		if (*pos >= size)
			break;
		uint32_t off = *pos & (PAGE_SIZE - 1);
		size_t n = MIN(PAGE_SIZE - off, size - *pos);
		struct page *p;
		int err = pcache_get(in, *pos >> PAGE_SHIFT, true, &p, NULL);
		if (err)
			return done ? done : err;
		ssize_t c = uio_copy_out(u, (char *)page_address(p) + off, n);
		pcache_put_page(p);
		if (c < 0)
			return done ? done : c;
		*pos += (uint64_t)c;
		done += c;
	}
	return done;
}

/* Copy up to one page of u into the file at *pos. */
static ssize_t write_page(struct inode *in, struct uio *u, uint64_t pos)
{
	uint64_t idx = pos >> PAGE_SHIFT;
	uint32_t off = pos & (PAGE_SIZE - 1);
	size_t n = MIN(PAGE_SIZE - off, u->resid);
	bool whole = off == 0 && n == PAGE_SIZE;
	bool past_eof = (idx << PAGE_SHIFT) >= in->size;
	struct page *p;

	int err = in->mapping.ops->prepare_write(in, idx, off, off + n);
	if (!err)
		err = pcache_get(in, idx, !whole && !past_eof, &p, NULL);
	if (err)
		return err;
	replica_before_write(p);            /* no stale copy may stay mapped */
	ssize_t c = uio_copy_in(u, (char *)page_address(p) + off, n);
	if (c > 0)
		pcache_set_dirty(p);
	pcache_put_page(p);
	return c;
}

/*
 * Write through the page cache: blocks are allocated first (so -ENOSPC is
 * returned now), the bytes copied into the cached page, the page marked
 * dirty; writeback writes it later. On an error after some bytes, returns
 * the bytes written. Blocks allocated for bytes not written are freed, so
 * nothing lies past i_size.
 */
ssize_t vfs_file_write(struct file *f, struct uio *u, uint64_t *pos)
{
	struct inode *in = f->inode;
	ssize_t done = 0, c = 0;

	if (in->sb->rdonly)
		return -EROFS;
	fs_lock(&in->sb->lock);
	if (f->flags & O_APPEND)
		*pos = in->size;
	while (u->resid) {
		if (*pos >= in->sb->maxbytes) {
			c = -EFBIG;
			break;
		}
		c = write_page(in, u, *pos);
		if (c <= 0)
			break;
		*pos += (uint64_t)c;
		done += c;
		if (*pos > in->size)
			in->size = *pos;
	}
	if (c < 0 && in->iops->truncate)
		in->iops->truncate(in, in->size);     /* free blocks past EOF */
	if (done) {
		in->mtime = in->ctime = fs_now();
		in->sb->ops->write_inode(in);
	}
	fs_unlock(&in->sb->lock);
	return done ? done : c;
}

static bool readable(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool writable(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

ssize_t vfs_read(struct file *f, struct uio *u)
{
	if (!readable(f) || !f->ops->read)
		return -EBADF;
	uint64_t pos = f->pos;
	ssize_t r = f->ops->read(f, u, &pos);
	if (r >= 0)
		f->pos = pos;
	return r;
}

ssize_t vfs_write(struct file *f, struct uio *u)
{
	if (!writable(f) || !f->ops->write)
		return -EBADF;
	uint64_t pos = f->pos;
	ssize_t r = f->ops->write(f, u, &pos);
	if (r >= 0)
		f->pos = pos;
	return r;
}

/*
 * May pread/pwrite address this file by offset? Linux refuses pipes,
 * FIFOs, sockets and terminals (ESPIPE); regular files and disks are
 * fine, and so are character devices that accept a seek (/dev/zero).
 */
static bool positional(struct file *f)
{
	struct inode *in = f->inode;

	if (!in)
		return false;
	if (S_ISREG(in->mode) || S_ISBLK(in->mode))
		return true;
	return S_ISCHR(in->mode) && f->ops->lseek && f->ops->lseek(f, 0, SEEK_CUR) >= 0;
}

ssize_t vfs_pread(struct file *f, struct uio *u, uint64_t off)
{
	if (!readable(f) || !f->ops->read)
		return -EBADF;
	if (!positional(f))
		return -ESPIPE;
	return f->ops->read(f, u, &off);
}

ssize_t vfs_pwrite(struct file *f, struct uio *u, uint64_t off)
{
	if (!writable(f) || !f->ops->write)
		return -EBADF;
	if (!positional(f))
		return -ESPIPE;
	return f->ops->write(f, u, &off);
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	if (f->ops->lseek)
		return f->ops->lseek(f, off, whence);
	if (!f->inode)
		return -ESPIPE;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ?
		       (int64_t)f->pos : whence == SEEK_END ?
		       (int64_t)f->inode->size : -1;
	if (base < 0)
		return -EINVAL;
	if (base + off < 0)
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (int64_t)f->pos;
}

struct dents_ctx {
	struct uio *u;
	ssize_t done;
	int err;
};

/* readdir callback: one linux_dirent64 into the caller's buffer. */
static int fill_dirent64(void *arg, const char *name, size_t len, uint64_t ino,
			 unsigned dtype, uint64_t next_pos)
{
	struct dents_ctx *c = arg;
	char rec[sizeof(struct linux_dirent64) + NAME_MAX + 8];
	struct linux_dirent64 *d = (struct linux_dirent64 *)rec;
	size_t reclen = ALIGN_UP(sizeof(*d) + len + 1, 8);

	if (reclen > c->u->resid)
		return 1;
	memset(rec, 0, reclen);
	d->d_ino = ino;
	d->d_off = (int64_t)next_pos;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = (uint8_t)dtype;
	memcpy(d->d_name, name, len);
	ssize_t r = uio_copy_out(c->u, rec, reclen);
	if (r != (ssize_t)reclen) {      /* a record goes whole or not at all */
		c->err = -EFAULT;
		return 1;
	}
	c->done += r;
	return 0;
}

ssize_t vfs_getdents64(struct file *f, struct uio *u)
{
	if (f->ops->getdents64)
		return f->ops->getdents64(f, u);
	struct inode *in = f->inode;
	if (!in || !S_ISDIR(in->mode) || !in->iops->readdir)
		return -ENOTDIR;
	struct dents_ctx c = { u, 0, 0 };
	fs_lock(&in->sb->lock);
	int err = in->iops->readdir(in, &f->pos, fill_dirent64, &c);
	fs_unlock(&in->sb->lock);
	if (c.err)
		return c.done ? c.done : c.err;
	if (err < 0)
		return c.done ? c.done : err;
	if (!c.done && err > 0)
		return -EINVAL;             /* buffer too small for one entry */
	return c.done;
}

int vfs_fsync(struct file *f)
{
	if (f->ops->fsync)
		return f->ops->fsync(f);
	struct inode *in = f->inode;
	if (!in)
		return -EINVAL;
	int err = pcache_writeback(in);
	fs_lock(&in->sb->lock);
	int r = in->sb->ops->sync ? in->sb->ops->sync(in->sb) : 0;
	fs_unlock(&in->sb->lock);
	return err ? err : r;
}

const struct file_ops vfs_file_ops = {
	.read = vfs_file_read,
	.write = vfs_file_write,
};

const struct file_ops vfs_dir_ops = { 0 };
