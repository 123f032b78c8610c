/*
 * ext2 tests (ktest=ext2), run on the root file system in /ktest. The
 * harness boots them on images of every block size (tests/cases.py:
 * ext2-b1024/2048/4096), then runs e2fsck -fn on the image and compares
 * the files under /ktest/host with what it expects (tests/fsimg.py), so
 * what these tests leave behind is part of the test.
 */
#include "fs_test_util.h"
#include <kernel/ext2.h>
#include <kernel/attr.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static struct ext2_fs *root_fs(void)
{
	struct inode *r = vfs_root();
	struct ext2_fs *fs = r && !strcmp(r->sb->type, "ext2") ? EXT2_FS(r->sb) : NULL;

	if (r)
		inode_put(r);
	return fs;
}

static uint64_t nlink_of(const char *path)
{
	struct kstat st;

	return vfs_stat(NULL, path, 0, &st) ? ~0ULL : st.nlink;
}

static uint64_t size_of(const char *path)
{
	struct kstat st;

	return vfs_stat(NULL, path, 0, &st) ? ~0ULL : (uint64_t)st.size;
}

KTEST(ext2, setup)
{
	if (fst_no_root(t))
		return;
	KTEST_ASSERT(t, root_fs() != NULL);
	KTEST_EXPECT_EQ(t, fst_mkdir("/ktest"), 0);
	KTEST_EXPECT_EQ(t, fst_mkdir("/ktest/host"), 0);
}

KTEST(ext2, create_write_read)
{
	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, fst_write("/ktest/a", 0, 10000, 1, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, size_of("/ktest/a"), 10000);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/a", 0, 10000, 1), 0);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/a", 777, 5000, 1), 0);
	struct file *f;
	KTEST_EXPECT_EQ(t, vfs_open(NULL, "/ktest/a", O_RDONLY | O_CREAT | O_EXCL, 0644, &f), -EEXIST);
}

/* One byte pattern at the first block reached through each level. */
KTEST(ext2, indirect_blocks)
{
	struct ext2_fs *fs = root_fs();

	if (fst_no_root(t) || !fs)
		return;
	uint64_t bs = fs->bs, apb = bs / 4;
	uint64_t at[4] = { 5 * bs, 12 * bs, (12 + apb) * bs, (12 + apb + apb * apb) * bs };
	for (int i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, fst_write("/ktest/sparse", at[i] - 100, 300, 2, 0), 0);
	for (int i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, fst_check("/ktest/sparse", at[i] - 100, 300, 2), 0);
	KTEST_EXPECT_EQ(t, size_of("/ktest/sparse"), at[3] + 200);
	uint8_t buf[64];
	KTEST_EXPECT_EQ(t, fst_read("/ktest/sparse", at[3] / 2, buf, 64), 64);
	bool zero = true;
	for (int i = 0; i < 64; i++)
		zero &= buf[i] == 0;
	KTEST_EXPECT(t, zero);           /* a hole reads as zeros */
	/* Truncating back below the double-indirect range frees its tree. */
	uint32_t before = fs->es.s_free_blocks_count;
	KTEST_EXPECT_EQ(t, vfs_truncate(NULL, "/ktest/sparse", at[2] - 200), 0);
	KTEST_EXPECT(t, fs->es.s_free_blocks_count >= before + 4);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/sparse", at[1] - 100, 300, 2), 0);
	/* and writing again past it builds a new one */
	KTEST_EXPECT_EQ(t, fst_write("/ktest/sparse", at[3], 100, 3, 0), 0);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/sparse", at[3], 100, 3), 0);
}

struct count_ctx {
	int n;
};

static int count_fill(void *arg, const char *name, size_t len, uint64_t ino,
		      unsigned dtype, uint64_t next)
{
	((struct count_ctx *)arg)->n++;
	return 0;
}

static int count_entries(const char *path)
{
	struct inode *d;
	struct count_ctx c = { 0 };
	uint64_t pos = 0;

	if (vfs_lookup(NULL, path, LOOKUP_FOLLOW, &d))
		return -1;
	fs_lock(&d->sb->lock);
	int err = d->iops->readdir(d, &pos, count_fill, &c);
	fs_unlock(&d->sb->lock);
	inode_put(d);
	return err ? err : c.n;
}

#define MANY 2000

KTEST(ext2, thousands_of_entries)
{
	char name[48];
	int bad = 0;

	if (fst_no_root(t))
		return;
	KTEST_ASSERT(t, fst_mkdir("/ktest/many") == 0);
	for (int i = 0; i < MANY && !bad; i++) {
		snprintf(name, sizeof(name), "/ktest/many/file-with-a-longish-name-%d", i);
		struct file *f;
		bad = vfs_open(NULL, name, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
		if (!bad)
			file_put(f);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, count_entries("/ktest/many"), MANY + 2);
	KTEST_EXPECT(t, size_of("/ktest/many") > 12 * root_fs()->bs);   /* indirect */
	struct kstat st;
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/many/file-with-a-longish-name-1999", 0, &st), 0);
	for (int i = 0; i < MANY && !bad; i += 2) {
		snprintf(name, sizeof(name), "/ktest/many/file-with-a-longish-name-%d", i);
		bad = vfs_unlink(NULL, name);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, count_entries("/ktest/many"), MANY / 2 + 2);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/many/file-with-a-longish-name-0", 0, &st), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_rmdir(NULL, "/ktest/many"), -ENOTEMPTY);
}

KTEST(ext2, mkdir_rmdir)
{
	if (fst_no_root(t))
		return;
	uint64_t n0 = nlink_of("/ktest");
	KTEST_EXPECT_EQ(t, vfs_mkdir(NULL, "/ktest/d1", 0755), 0);
	KTEST_EXPECT_EQ(t, vfs_mkdir(NULL, "/ktest/d1", 0755), -EEXIST);
	KTEST_EXPECT_EQ(t, vfs_mkdir(NULL, "/ktest/d1/d2", 0755), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest"), n0 + 1);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/d1"), 3);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/d1/d2"), 2);
	KTEST_EXPECT_EQ(t, vfs_rmdir(NULL, "/ktest/d1"), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, vfs_rmdir(NULL, "/ktest/d1/d2"), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/d1"), 2);
	KTEST_EXPECT_EQ(t, vfs_rmdir(NULL, "/ktest/d1"), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest"), n0);
	KTEST_EXPECT_EQ(t, vfs_rmdir(NULL, "/ktest/a"), -ENOTDIR);
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/ktest/host"), -EISDIR);
	KTEST_EXPECT_EQ(t, vfs_mkdir(NULL, "/ktest/keep", 0700), 0);
}

KTEST(ext2, rename)
{
	struct kstat st, st2;

	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, fst_write("/ktest/r1", 0, 5000, 4, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/r1", "/ktest/r2"), 0);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/r1", 0, &st), -ENOENT);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/r2", 0, 5000, 4), 0);
	/* over an existing file: the old one goes */
	KTEST_EXPECT_EQ(t, fst_write("/ktest/r3", 0, 100, 5, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/r2", "/ktest/r3"), 0);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/r3", 0, 5000, 4), 0);
	/* a directory to another parent: ".." and link counts follow */
	KTEST_EXPECT_EQ(t, fst_mkdir("/ktest/p1"), 0);
	KTEST_EXPECT_EQ(t, fst_mkdir("/ktest/p2"), 0);
	KTEST_EXPECT_EQ(t, fst_mkdir("/ktest/p1/sub"), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/p1/sub", "/ktest/p2/sub"), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/p1"), 2);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/p2"), 3);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/p2/sub/..", 0, &st), 0);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/p2", 0, &st2), 0);
	KTEST_EXPECT_EQ(t, st.ino, st2.ino);
	/* not below itself */
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/p2", "/ktest/p2/sub/x"), -EINVAL);
	/* a directory over an empty one, and not over a non-empty one */
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/p1", "/ktest/p2/sub"), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/p2"), 3);
	KTEST_EXPECT_EQ(t, fst_mkdir("/ktest/p3"), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/p3", "/ktest"), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/r3", "/ktest/p3"), -EISDIR);
}

KTEST(ext2, truncate)
{
	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, fst_write("/ktest/tr", 0, 3 * 4096 + 10, 6, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_truncate(NULL, "/ktest/tr", 5000), 0);
	KTEST_EXPECT_EQ(t, size_of("/ktest/tr"), 5000);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/tr", 0, 5000, 6), 0);
	KTEST_EXPECT_EQ(t, vfs_truncate(NULL, "/ktest/tr", 9000), 0);
	uint8_t buf[100];
	KTEST_EXPECT_EQ(t, fst_read("/ktest/tr", 5000, buf, 100), 100);
	bool zero = true;
	for (int i = 0; i < 100; i++)
		zero &= buf[i] == 0;
	KTEST_EXPECT(t, zero);           /* the old bytes do not come back */
	KTEST_EXPECT_EQ(t, vfs_truncate(NULL, "/ktest/tr", 0), 0);
	struct kstat st;
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/tr", 0, &st), 0);
	KTEST_EXPECT_EQ(t, st.blocks, 0);
}

KTEST(ext2, hard_links)
{
	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, fst_write("/ktest/l1", 0, 3000, 7, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_link(NULL, "/ktest/l1", "/ktest/l2"), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/l1"), 2);
	KTEST_EXPECT_EQ(t, vfs_link(NULL, "/ktest/l1", "/ktest/l2"), -EEXIST);
	KTEST_EXPECT_EQ(t, vfs_link(NULL, "/ktest", "/ktest/l3"), -EPERM);
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/ktest/l1"), 0);
	KTEST_EXPECT_EQ(t, nlink_of("/ktest/l2"), 1);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/l2", 0, 3000, 7), 0);
	/* an open file survives its last unlink until closed */
	struct file *f;
	KTEST_ASSERT(t, vfs_open(NULL, "/ktest/l2", O_RDONLY, 0, &f) == 0);
	uint32_t free0 = root_fs()->es.s_free_inodes_count;
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/ktest/l2"), 0);
	KTEST_EXPECT_EQ(t, root_fs()->es.s_free_inodes_count, free0);
	char buf[16];
	struct uio u = UIO_KERNEL(buf, sizeof(buf));
	KTEST_EXPECT_EQ(t, vfs_read(f, &u), 16);
	file_put(f);
	KTEST_EXPECT_EQ(t, root_fs()->es.s_free_inodes_count, free0 + 1);
}

KTEST(ext2, symlinks)
{
	char buf[300], longt[200];
	struct kstat st;

	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, vfs_symlink(NULL, "keep", "/ktest/s1"), 0);
	KTEST_EXPECT_EQ(t, vfs_readlink(NULL, "/ktest/s1", buf, sizeof(buf)), 4);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/s1", LOOKUP_FOLLOW, &st), 0);
	KTEST_EXPECT(t, S_ISDIR(st.mode));
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/s1", 0, &st), 0);
	KTEST_EXPECT(t, S_ISLNK(st.mode));
	/* a long (slow) symlink lives in a data block */
	strlcpy(longt, "/ktest/", sizeof(longt));      /* "/ktest/././.../a" */
	for (int i = 0; i < 71; i++)
		memcpy(longt + 7 + 2 * i, "./", 3);
	strlcpy(longt + 149, "a", 2);
	KTEST_EXPECT_EQ(t, vfs_symlink(NULL, longt, "/ktest/s2"), 0);
	KTEST_EXPECT_EQ(t, vfs_readlink(NULL, "/ktest/s2", buf, sizeof(buf)), (int)strlen(longt));
	KTEST_EXPECT(t, !memcmp(buf, longt, strlen(longt)));
	KTEST_EXPECT_EQ(t, fst_check("/ktest/s2", 0, 10000, 1), 0);
	/* loops end with -ELOOP */
	KTEST_EXPECT_EQ(t, vfs_symlink(NULL, "loop2", "/ktest/loop1"), 0);
	KTEST_EXPECT_EQ(t, vfs_symlink(NULL, "loop1", "/ktest/loop2"), 0);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/loop1", LOOKUP_FOLLOW, &st), -ELOOP);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/s1/../a", LOOKUP_FOLLOW, &st), 0);
}

KTEST(ext2, lookup_errors)
{
	char name[300];
	struct kstat st;

	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/none", 0, &st), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/a/x", 0, &st), -ENOTDIR);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/a/", 0, &st), -ENOTDIR);
	memset(name, 'n', sizeof(name));
	memcpy(name, "/ktest/", 7);
	name[299] = 0;
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, name, 0, &st), -ENAMETOOLONG);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/../ktest/./keep/../a", 0, &st), 0);
	struct inode *cwd;
	KTEST_ASSERT(t, vfs_lookup(NULL, "/ktest/keep", 0, &cwd) == 0);
	KTEST_EXPECT_EQ(t, vfs_stat(cwd, "../a", 0, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 10000);
	inode_put(cwd);
}

/* Fill the disk: -ENOSPC, and everything given back after. */
KTEST(ext2, full_disk)
{
	struct ext2_fs *fs = root_fs();

	if (fst_no_root(t) || !fs)
		return;
	if ((uint64_t)fs->es.s_free_blocks_count * fs->bs > (24 << 20)) {
		ktest_skip(t, "more than 24 MiB free: too slow to fill here");
		return;
	}
	uint32_t free0 = fs->es.s_free_blocks_count, ifree0 = fs->es.s_free_inodes_count;
	struct file *f;
	KTEST_ASSERT(t, vfs_open(NULL, "/ktest/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644, &f) == 0);
	char *buf = kzalloc(65536);
	ssize_t r = 0;
	while (buf && (r = ({ struct uio u = UIO_KERNEL(buf, 65536); vfs_write(f, &u); })) > 0)
		;
	KTEST_EXPECT_EQ(t, r, -ENOSPC);
	file_put(f);
	kfree(buf);
	/* The big file may stop with a block or two left (a data block that
	 * also needs a new indirect block): top up with one-block files. */
	char name[32];
	int n = 0, err = 0;
	while (!err && n < 64) {
		snprintf(name, sizeof(name), "/ktest/top%d", n++);
		err = fst_write(name, 0, 1, 1, 0);
	}
	KTEST_EXPECT_EQ(t, err, -ENOSPC);
	KTEST_EXPECT_EQ(t, fs->es.s_free_blocks_count, 0);
	KTEST_EXPECT_EQ(t, vfs_mkdir(NULL, "/ktest/nospace", 0755), -ENOSPC);
	KTEST_EXPECT_EQ(t, vfs_stat(NULL, "/ktest/nospace", 0, &(struct kstat){0}), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/ktest/fill"), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "/ktest/top%d", i);
		vfs_unlink(NULL, name);
	}
	KTEST_EXPECT_EQ(t, fs->es.s_free_blocks_count, free0);
	KTEST_EXPECT_EQ(t, fs->es.s_free_inodes_count, ifree0);
}

/* Files the host checks byte for byte after power-off (tests/fsimg.py). */
KTEST(ext2, host_files)
{
	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, fst_write("/ktest/host/h1", 0, 300000, 11, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, fst_write("/ktest/host/tmp", 0, 70000, 12, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(NULL, "/ktest/host/tmp", "/ktest/host/h2"), 0);
	KTEST_EXPECT_EQ(t, fst_write("/ktest/host/h3", 0, 50000, 13, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_truncate(NULL, "/ktest/host/h3", 12345), 0);
	KTEST_EXPECT_EQ(t, fst_write("/ktest/host/gone", 0, 8000, 14, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/ktest/host/gone"), 0);
	/* appended after a sync: must survive power-off without another */
	KTEST_EXPECT_EQ(t, vfs_sync(), 0);
	KTEST_EXPECT_EQ(t, fst_write("/ktest/host/h4", 0, 20000, 15, O_TRUNC), 0);
	KTEST_EXPECT_EQ(t, fst_write("/ktest/host/h4", 20000, 5000, 15, O_APPEND), 0);
}

/* Mode, owner and times set through vfs_setattr reach the on-disk inode:
 * the host reads /ktest/host/owned with debugfs (tests/fsimg.py), where
 * ids above 65535 need the high halves ext2 keeps in osd2. */
KTEST(ext2, attrs_on_disk)
{
	struct iattr ia = { .valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
			    .mode = 04711, .uid = 70000, .gid = 80001,
			    .atime = 1000000000, .mtime = 1200000000 };
	struct inode *in;

	if (fst_no_root(t))
		return;
	KTEST_ASSERT(t, fst_write("/ktest/host/owned", 0, 100, 16, O_TRUNC) == 0);
	KTEST_ASSERT(t, vfs_lookup(NULL, "/ktest/host/owned", 0, &in) == 0);
	KTEST_EXPECT_EQ(t, vfs_setattr(in, &ia), 0);
	KTEST_EXPECT_EQ(t, in->mode, S_IFREG | 04711);
	KTEST_EXPECT_EQ(t, in->uid, 70000);
	KTEST_EXPECT_EQ(t, in->gid, 80001);
	KTEST_EXPECT_EQ(t, in->mtime, 1200000000);
	KTEST_EXPECT(t, in->ctime >= fs_now() - 2);
	inode_put(in);
}
