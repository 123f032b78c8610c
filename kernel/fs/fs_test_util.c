/* Helpers for the file-system tests (see fs_test_util.h). */
#include "fs_test_util.h"
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>

void fst_fill(uint8_t *buf, size_t n, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = fst_byte(off + i, seed);
}

int fst_write(const char *path, uint64_t off, size_t n, unsigned seed, uint32_t oflags)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | oflags, 0644, &f);
	uint8_t *buf = kmalloc(4096);

	if (err || !buf) {
		kfree(buf);
		return err ? err : -ENOMEM;
	}
	for (size_t done = 0; done < n && !err;) {
		size_t c = MIN(n - done, 4096 - ((off + done) & 4095));
		fst_fill(buf, c, off + done, seed);
		struct uio u = UIO_KERNEL(buf, c);
		ssize_t r = vfs_pwrite(f, &u, off + done);
		err = r < 0 ? (int)r : (size_t)r != c ? -EIO : 0;
		done += c;
	}
	kfree(buf);
	file_put(f);
	return err;
}

int fst_read(const char *path, uint64_t off, void *buf, size_t n)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);

	if (err)
		return err;
	struct uio u = UIO_KERNEL(buf, n);
	ssize_t r = vfs_pread(f, &u, off);
	file_put(f);
	return r < 0 ? (int)r : (int)r;
}

int fst_check(const char *path, uint64_t off, size_t n, unsigned seed)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f), bad = 0;
	uint8_t *buf = kmalloc(4096);

	if (err || !buf) {
		kfree(buf);
		return err ? err : -ENOMEM;
	}
	for (size_t done = 0; done < n && !err && !bad;) {
		size_t c = MIN(n - done, 4096);
		struct uio u = UIO_KERNEL(buf, c);
		ssize_t r = vfs_pread(f, &u, off + done);
		if (r < 0)
			err = (int)r;
		else if ((size_t)r != c)
			bad = 1;
		for (size_t i = 0; i < c && !err && !bad; i++)
			bad = buf[i] != fst_byte(off + done + i, seed);
		done += c;
	}
	kfree(buf);
	file_put(f);
	return err ? err : bad;
}

bool fst_no_root(struct ktest_ctx *t)
{
	struct inode *r = vfs_root();

	if (r) {
		inode_put(r);
		return false;
	}
	ktest_skip(t, "no root file system");
	return true;
}

int fst_mkdir(const char *path)
{
	int err = vfs_mkdir(NULL, path, 0755);

	return err == -EEXIST ? 0 : err;
}
