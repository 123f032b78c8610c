/*
 * VFS tests (ktest=vfs): descriptor tables, open flags, lseek, getdents64,
 * procfs files and dynamic directories.
 */
#include "fs_test_util.h"
#include <kernel/fdtable.h>
#include <kernel/procfs.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static ssize_t null_read(struct file *f, struct uio *u, uint64_t *pos)
{
	return 0;
}

static int released;

static void count_release(struct file *f)
{
	released++;
}

static const struct file_ops null_ops = { .read = null_read, .release = count_release };

KTEST(vfs, fdtable)
{
	struct fdtable *ft = fdtable_alloc();

	KTEST_ASSERT(t, ft != NULL);
	released = 0;
	struct file *f = file_alloc(&null_ops, NULL, O_RDONLY);
	KTEST_EXPECT_EQ(t, fd_install(ft, f, 0, false), 0);
	KTEST_EXPECT_EQ(t, fd_dup(ft, 0, 0, true), 1);
	KTEST_EXPECT_EQ(t, fd_get_cloexec(ft, 1), 1);
	KTEST_EXPECT_EQ(t, fd_dup2(ft, 0, 100), 100);        /* grows the table */
	KTEST_EXPECT_EQ(t, fd_dup3(ft, 0, 0, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, fd_close(ft, 5), -EBADF);
	struct fdtable *child = fdtable_copy(ft);
	KTEST_ASSERT(t, child != NULL);
	fdtable_close_on_exec(child);
	KTEST_EXPECT(t, fd_get(child, 1) == NULL);
	struct file *g = fd_get(child, 100);
	KTEST_EXPECT(t, g == f);
	file_put(g);
	fdtable_free(child);
	KTEST_EXPECT_EQ(t, released, 0);
	fdtable_free(ft);
	KTEST_EXPECT_EQ(t, released, 1);
	ft = fdtable_alloc();
	int last = 0;
	for (int i = 0; i < FD_MAX + 1 && last >= 0; i++)
		last = fd_install(ft, file_alloc(&null_ops, NULL, 0), 0, false);
	KTEST_EXPECT_EQ(t, last, -EMFILE);
	fdtable_free(ft);
}

KTEST(vfs, open_flags_and_seek)
{
	struct file *f;
	char buf[8];

	if (fst_no_root(t))
		return;
	fst_mkdir("/ktest");
	KTEST_ASSERT(t, fst_write("/ktest/v1", 0, 100, 31, O_TRUNC) == 0);
	KTEST_ASSERT(t, vfs_open(NULL, "/ktest/v1", O_RDWR | O_APPEND, 0, &f) == 0);
	struct uio u = UIO_KERNEL("abc", 3);
	KTEST_EXPECT_EQ(t, vfs_write(f, &u), 3);
	KTEST_EXPECT_EQ(t, vfs_lseek(f, 0, SEEK_CUR), 103);
	KTEST_EXPECT_EQ(t, vfs_lseek(f, -3, SEEK_END), 100);
	u = UIO_KERNEL(buf, 8);
	KTEST_EXPECT_EQ(t, vfs_read(f, &u), 3);
	KTEST_EXPECT(t, !memcmp(buf, "abc", 3));
	KTEST_EXPECT_EQ(t, vfs_lseek(f, -1, SEEK_SET), -EINVAL);
	file_put(f);
	KTEST_ASSERT(t, vfs_open(NULL, "/ktest/v1", O_WRONLY | O_TRUNC, 0, &f) == 0);
	u = UIO_KERNEL(buf, 8);
	KTEST_EXPECT_EQ(t, vfs_read(f, &u), -EBADF);
	file_put(f);
	struct kstat st;
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/v1", 0, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 0);
	KTEST_EXPECT_EQ(t, vfs_open(NULL, "/ktest/v1", O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
	KTEST_EXPECT_EQ(t, vfs_open(NULL, "/ktest", O_RDWR, 0, &f), -EISDIR);
	KTEST_EXPECT_EQ(t, vfs_symlink(NULL, "v1", "/ktest/v1link"), 0);
	KTEST_EXPECT_EQ(t, vfs_open(NULL, "/ktest/v1link", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/ktest/v1link"), 0);
}

KTEST(vfs, getdents64)
{
	struct file *f;

	if (fst_no_root(t))
		return;
	KTEST_ASSERT(t, fst_mkdir("/ktest/gd") == 0);
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/ktest/gd/e%d", i);
		KTEST_EXPECT_EQ(t, fst_write(name, 0, 1, 1, 0), 0);
	}
	KTEST_ASSERT(t, vfs_open(NULL, "/ktest/gd", O_RDONLY | O_DIRECTORY, 0, &f) == 0);
	char *buf = kmalloc(64);     /* room for two records at a time */
	int n = 0, calls = 0, found_dir = 0;
	ssize_t r;
	do {
		struct uio u = UIO_KERNEL(buf, 64);
		r = vfs_getdents64(f, &u);
		for (ssize_t off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			n++;
			found_dir += d->d_type == DT_DIR;
			off += d->d_reclen;
		}
		calls++;
	} while (r > 0 && calls < 50);
	KTEST_EXPECT_EQ(t, r, 0);
	KTEST_EXPECT_EQ(t, n, 7);
	KTEST_EXPECT_EQ(t, found_dir, 2);
	struct uio tiny = UIO_KERNEL(buf, 8);
	vfs_lseek(f, 0, SEEK_SET);
	KTEST_EXPECT_EQ(t, vfs_getdents64(f, &tiny), -EINVAL);
	kfree(buf);
	file_put(f);
}

static int read_all(const char *path, char *buf, size_t n)
{
	struct file *f;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);

	if (err)
		return err;
	struct uio u = UIO_KERNEL(buf, n - 1);
	ssize_t r = vfs_read(f, &u);
	file_put(f);
	buf[r > 0 ? r : 0] = 0;
	return (int)r;
}

static int show_hello(struct pbuf *b, void *data)
{
	for (int i = 0; i < (int)(uintptr_t)data; i++)
		pbuf_printf(b, "hello %d\n", i);
	return 0;
}

static int target_fn(char *buf, size_t n, void *data)
{
	strlcpy(buf, "123", n);
	return 3;
}

KTEST(vfs, procfs)
{
	char *buf = kmalloc(16384);

	if (fst_no_root(t)) {
		kfree(buf);
		return;
	}
	KTEST_EXPECT(t, read_all("/proc/mounts", buf, 16384) > 0);
	KTEST_EXPECT(t, strncmp(buf, "vda / ext2 rw", 13) == 0);
	KTEST_EXPECT(t, read_all("/proc/diskstats", buf, 16384) > 0);
	KTEST_EXPECT(t, strchr(buf, 'v') != NULL);
	struct procfs_entry *dir = procfs_mkdir(procfs_root(), "123");
	KTEST_ASSERT(t, dir != NULL);
	KTEST_EXPECT(t, procfs_create_file(dir, "status", show_hello, (void *)1000) != NULL);
	struct procfs_entry *self = procfs_symlink(procfs_root(), "ktest-self", target_fn, NULL);
	KTEST_EXPECT(t, self != NULL);
	int n = read_all("/proc/ktest-self/status", buf, 16384);
	KTEST_EXPECT(t, n > 9000);           /* more than one page: regenerated */
	KTEST_EXPECT(t, !strncmp(buf, "hello 0\n", 8));
	procfs_remove(dir);
	struct kstat st;
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/proc/123", 0, &st), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/proc/ktest-self/status", LOOKUP_FOLLOW, &st), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/proc/..", 0, &st), 0);
	KTEST_EXPECT_EQ(t, st.ino, 2);      /* out of the mount to ext2's root */
	if (self)
		procfs_remove(self);
	kfree(buf);
}

/* The super block of the file system path is on, or NULL. */
static struct super_block *sb_of(const char *path)
{
	struct inode *in;

	if (vfs_lookup(NULL, path, LOOKUP_FOLLOW, &in))
		return NULL;
	struct super_block *sb = in->sb;
	inode_put(in);
	return sb;
}

/* Create (or remove) /ktest/icache/f0 .. f<n-1>; returns the most unused
 * inodes sb had after any one of them was closed, or -errno. */
static int icache_files(struct super_block *sb, int n, bool create)
{
	char path[48];
	int peak = 0;

	for (int i = 0; i < n; i++) {
		struct file *f;
		snprintf(path, sizeof(path), "/ktest/icache/f%d", i);
		int err = create ? vfs_open(NULL, path, O_CREAT | O_WRONLY, 0644, &f) :
				   vfs_unlink(NULL, path);
		if (err)
			return err;
		if (create)
			file_put(f);
		if (icache_unused_count(sb) > peak)
			peak = icache_unused_count(sb);
	}
	return peak;
}

/*
 * Closed files stay cached (unused inodes), but no more than about
 * ICACHE_UNUSED_MAX per file system: past it each new inode frees some of
 * the oldest. Before, the cache grew without bound and every process exit
 * walked all of it.
 */
KTEST(vfs, icache_unused_bounded)
{
	int n = ICACHE_UNUSED_MAX + 8 * ICACHE_TRIM_BATCH;

	if (fst_no_root(t))
		return;
	struct super_block *sb = sb_of("/ktest");
	KTEST_ASSERT(t, sb != NULL);
	KTEST_ASSERT(t, fst_mkdir("/ktest/icache") == 0);
	int peak = icache_files(sb, n, true);
	KTEST_EXPECT(t, peak > ICACHE_UNUSED_MAX / 2);      /* they are cached */
	KTEST_EXPECT(t, peak <= ICACHE_UNUSED_MAX + ICACHE_TRIM_BATCH);
	KTEST_EXPECT(t, icache_unused_count(sb) <= ICACHE_UNUSED_MAX + ICACHE_TRIM_BATCH);
	KTEST_EXPECT(t, icache_files(sb, n, false) >= 0);
	KTEST_EXPECT_EQ(t, vfs_rmdir(NULL, "/ktest/icache"), 0);
}

/* procfs inodes are freed at their last reference (as Linux's): none is
 * left cached unused to keep a removed entry, or to be pruned at exit. */
KTEST(vfs, procfs_inodes_not_cached)
{
	struct kstat st;

	if (fst_no_root(t))
		return;
	struct super_block *sb = sb_of("/proc/mounts");
	KTEST_ASSERT(t, sb != NULL);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/proc/mounts", 0, &st), 0);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/proc/diskstats", 0, &st), 0);
	KTEST_EXPECT_EQ(t, icache_unused_count(sb), 0);
}
