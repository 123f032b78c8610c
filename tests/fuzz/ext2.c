/*
 * Fuzz target: ext2's parsing of what it finds on disk (kernel/fs/ext2/):
 * the superblock and group descriptors at mount, inode records, the block
 * map (direct and indirect blocks), directory entries, symlinks, and the
 * bitmaps when a file is created and removed.
 *
 * The input is a disk image (512-byte sectors), mounted as the kernel
 * mounts the root disk. Then, as a program would: list every directory
 * (depth <= 3), look each name up, read regular files and symlinks; on a
 * writable mount, create a file and a directory, remove both, write back
 * and unmount. Every error is the file system's to report; the target
 * checks that nothing is left referenced or allocated afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kernel/ext2.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include "shim.h"

#define MAX_NAMES 32        /* names looked up per directory */
#define MAX_DEPTH 3
#define MAX_PAGES 16        /* pages read per file */

void icache_init(void);

static char *disk;
static int seen[3];           /* directories, files, symlinks visited */
static size_t disk_len;

static int disk_rw(struct blkdev *d, int op, uint64_t block, uint32_t count,
		   void *buf)
{
	char *p = disk + block * d->block_size;
	size_t n = (size_t)count * d->block_size;

	if (op == BLK_READ)
		memcpy(buf, p, n);
	else
		memcpy(p, buf, n);
	return 0;
}

static const struct blkdev_ops disk_ops = { .rw = disk_rw };

struct names {
	int n;
	char name[MAX_NAMES][NAME_MAX + 1];
	uint8_t len[MAX_NAMES];
};

static int collect(void *ctx, const char *name, size_t len, uint64_t ino,
		   unsigned dtype, uint64_t next_pos)
{
	struct names *nm = ctx;

	if (len > NAME_MAX)
		abort();            /* readdir handed out an impossible name */
	if (nm->n == MAX_NAMES)
		return 1;
	memcpy(nm->name[nm->n], name, len);
	nm->len[nm->n++] = (uint8_t)len;
	return 0;
}

static void visit(struct inode *in, int depth);

static void walk_dir(struct inode *dir, int depth)
{
	struct names *nm = calloc(1, sizeof(*nm));
	uint64_t pos = 0;

	dir->iops->readdir(dir, &pos, collect, nm);
	for (int i = 0; i < nm->n; i++) {
		struct inode *child;
		if ((nm->len[i] == 1 && nm->name[i][0] == '.') ||
		    (nm->len[i] == 2 && !memcmp(nm->name[i], "..", 2)))
			continue;
		if (dir->iops->lookup(dir, nm->name[i], nm->len[i], &child))
			continue;
		visit(child, depth + 1);
		inode_put(child);
	}
	free(nm);
}

/* The first MAX_PAGES pages and the last one (deep in the block map). */
static void read_file(struct inode *in)
{
	uint64_t pages = (in->size + PAGE_SIZE - 1) / PAGE_SIZE;
	struct page *p;

	for (uint64_t i = 0; i < pages && i < MAX_PAGES; i++) {
		if (pcache_get(in, i, true, &p, NULL))
			return;
		pcache_put_page(p);
	}
	if (pages > MAX_PAGES && !pcache_get(in, pages - 1, true, &p, NULL))
		pcache_put_page(p);
}

/* Write page `index` of f as the VFS write path does: allocate its
 * blocks, fill the cached page, mark it dirty (written back at unmount). */
static int write_page(struct inode *f, uint64_t index)
{
	struct page *p;
	int err = f->mapping.ops->prepare_write(f, index, 0, PAGE_SIZE);

	if (!err)
		err = pcache_get(f, index, false, &p, NULL);
	if (err)
		return err;
	memset(page_address(p), 0x5a, PAGE_SIZE);
	pcache_set_dirty(p);
	pcache_put_page(p);
	f->size = MAX(f->size, (index + 1) * PAGE_SIZE);
	return 0;
}

static void visit(struct inode *in, int depth)
{
	static char link[PAGE_SIZE];

	if (S_ISDIR(in->mode) && depth <= MAX_DEPTH) {
		seen[0]++;
		walk_dir(in, depth);
	} else if (S_ISREG(in->mode)) {
		seen[1]++;
		read_file(in);
	} else if (S_ISLNK(in->mode)) {
		seen[2]++;
		in->iops->readlink(in, link, sizeof(link));
	}
}

/* A new file: blocks allocated and freed, a hard link renamed, then a
 * symlink renamed over the file's name (the entry rewritten in place). */
static void change_file(struct inode *root, int err[3])
{
	struct inode *f;

	if ((err[0] = root->iops->create(root, "fuzzfile", 8, S_IFREG | 0644, &f)))
		return;
	if (!(err[1] = write_page(f, 0)) && !(err[1] = write_page(f, 80)))
		err[1] = f->iops->truncate(f, 5000);
	read_file(f);
	if (!(err[2] = root->iops->link(f, root, "fuzzhard", 8)))
		err[2] = root->iops->rename(root, "fuzzhard", 8, root, "fuzzmoved", 9);
	inode_put(f);
	if (!root->iops->symlink(root, "fuzzsym", 7, "t"))     /* over fuzzfile */
		root->iops->rename(root, "fuzzsym", 7, root, "fuzzfile", 8);
	root->iops->unlink(root, "fuzzfile", 8);
	root->iops->unlink(root, "fuzzmoved", 9);
}

/* A new directory moved into another (its ".." rewritten) and removed; a
 * symlink and two device nodes made and removed. */
static void change_dir(struct inode *root, int err[3])
{
	struct inode *d2;

	if (!(err[0] = root->iops->mkdir(root, "fuzzdir", 7, S_IFDIR | 0755)) &&
	    !(err[0] = root->iops->mkdir(root, "fuzzdir2", 8, S_IFDIR | 0755)) &&
	    !(err[0] = root->iops->lookup(root, "fuzzdir2", 8, &d2))) {
		if (!(err[1] = root->iops->rename(root, "fuzzdir", 7, d2, "sub", 3)))
			d2->iops->rmdir(d2, "sub", 3);
		inode_put(d2);
	}
	root->iops->rmdir(root, "fuzzdir", 7);
	root->iops->rmdir(root, "fuzzdir2", 8);
	if (!(err[2] = root->iops->symlink(root, "fuzzlink", 8, "target")))
		root->iops->unlink(root, "fuzzlink", 8);
	/* Device nodes keep their number in i_block: unlinking must free no
	 * block (c 1:3 in the old encoding, c 1:300 in the new). */
	if (!root->iops->mknod(root, "fuzzdev", 7, S_IFCHR | 0644, 0x103))
		root->iops->unlink(root, "fuzzdev", 7);
	if (!root->iops->mknod(root, "fuzzdev2", 8, S_IFCHR | 0644, 0x12c01))
		root->iops->unlink(root, "fuzzdev2", 8);
}

/* Remove what the image holds in its root: frees the blocks of files as
 * the disk describes them (indirect blocks included). */
static void remove_root_entries(struct inode *root)
{
	struct names *nm = calloc(1, sizeof(*nm));
	uint64_t pos = 0;

	root->iops->readdir(root, &pos, collect, nm);
	for (int i = 0; i < nm->n; i++)
		if (root->iops->unlink(root, nm->name[i], nm->len[i]) == -EISDIR)
			root->iops->rmdir(root, nm->name[i], nm->len[i]);
	free(nm);
}

/* Allocate inodes and blocks, add, rename and remove directory entries. */
static void change(struct inode *root)
{
	int err[6] = { 0 };

	change_file(root, err);
	change_dir(root, err + 3);
	printk("fuzz-ext2: create %d write+truncate %d link+rename %d mkdir %d "
	       "move dir %d symlink %d\n", err[0], err[1], err[2], err[3], err[4], err[5]);
	remove_root_entries(root);
}

/* FUZZ_EXT2_OUT=file: keep the image as the unmount left it (to check a
 * seed with e2fsck -fn: a sound image must stay sound). */
static void save_disk(void)
{
	const char *path = getenv("FUZZ_EXT2_OUT");
	FILE *f = path ? fopen(path, "wb") : NULL;

	if (f) {
		fwrite(disk, 1, disk_len, f);
		fclose(f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct blkdev d = { .name = "fuzz", .block_size = 512, .node = -1,
			    .ops = &disk_ops };
	struct super_block *sb;
	long before;

	if (!ready) {
		bcache_init();
		icache_init();
		ready = true;
	}
	spin_init(&d.lock, "fuzz");
	d.nr_blocks = size / 512;
	disk_len = size;
	disk = malloc(size ? size : 1);
	memcpy(disk, data, size);
	before = fuzz_live_allocs;
	if (ext2_mount(&d, &sb) == 0) {
		fs_lock(&sb->lock);
		memset(seen, 0, sizeof(seen));
		visit(sb->root, 0);
		printk("fuzz-ext2: %d directories, %d files, %d symlinks\n",
		       seen[0], seen[1], seen[2]);
		if (!sb->rdonly)
			change(sb->root);
		fuzz_pcache_writeback();
		fs_unlock(&sb->lock);
		icache_prune(sb);
		sb->ops->put_super(sb);
	}
	bcache_invalidate(&d);
	fuzz_pcache_check_empty();
	fuzz_check_no_leak(before, "mount, walk and unmount");
	save_disk();
	free(disk);
	return 0;
}
