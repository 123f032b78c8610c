/*
 * Host fuzzing shim for the file-system targets: a minimal page cache and
 * the VFS objects ext2 refers to. The buffer cache, the block layer and
 * the inode cache are the kernel's own (kernel/block, kernel/fs/vfs_inode.c).
 *
 * The page cache here keeps every page of every inode on one list. A page
 * holds one reference for the cache and one per user, as in the kernel;
 * "physical" addresses are host addresses (fuzz_phys_base is 0), so
 * page_address() gives the page's 4 KiB buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/printk.h>
#include "shim.h"

struct fuzz_page {
	struct page page;
	struct inode *inode;
	char *data;                  /* 4 KiB, 4 KiB aligned */
	bool dirty;
	struct fuzz_page *next;
};

static struct fuzz_page *pages;

const struct file_ops vfs_file_ops;
const struct file_ops vfs_dir_ops;

int64_t fs_now(void)
{
	return 1700000000;
}

uint64_t page_to_pfn(const struct page *p)
{
	return (uintptr_t)container_of(p, struct fuzz_page, page)->data >> PAGE_SHIFT;
}

void mapping_init(struct address_space *m, struct inode *host,
		  const struct address_space_ops *ops)
{
	memset(m, 0, sizeof(*m));
	m->host = host;
	m->ops = ops;
}

static struct fuzz_page *find(struct inode *inode, uint64_t index)
{
	for (struct fuzz_page *f = pages; f; f = f->next)
		if (f->inode == inode && f->page.index == index)
			return f;
	return NULL;
}

static void free_page(struct fuzz_page *f)
{
	struct fuzz_page **pp = &pages;

	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	f->inode->mapping.nrpages--;
	if (f->dirty)
		f->inode->mapping.ndirty--;
	kfree(f->data);
	kfree(f);
}

static struct fuzz_page *new_page(struct inode *inode, uint64_t index)
{
	struct fuzz_page *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->data = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!f->data) {
		kfree(f);
		return NULL;
	}
	fuzz_live_allocs++;          /* kfree'd with the page */
	f->inode = inode;
	f->page.index = index;
	f->page.mapping = &inode->mapping;
	f->page.refcount = 1;        /* the cache's */
	f->next = pages;
	pages = f;
	inode->mapping.nrpages++;
	return f;
}

int pcache_get(struct inode *inode, uint64_t index, bool fill,
	       struct page **out, bool *major)
{
	struct fuzz_page *f = find(inode, index);
	int err = 0;

	if (major)
		*major = !f;
	if (!f) {
		if (!(f = new_page(inode, index)))
			return -ENOMEM;
		memset(f->data, 0, PAGE_SIZE);
		if (fill)
			err = inode->mapping.ops->readpage(inode, &f->page);
		if (err) {
			free_page(f);
			return err;
		}
	}
	f->page.refcount++;
	*out = &f->page;
	return 0;
}

void pcache_put_page(struct page *page)
{
	BUG_ON(page->refcount <= 1);
	page->refcount--;
}

void pcache_set_dirty(struct page *page)
{
	struct fuzz_page *f = container_of(page, struct fuzz_page, page);

	if (!f->dirty)
		f->inode->mapping.ndirty++;
	f->dirty = true;
}

/* Drop the pages of inode from index `from` on. A page somebody still
 * holds would be freed under them: a reference leak, so a bug. */
void pcache_truncate(struct inode *inode, uint64_t from)
{
	for (struct fuzz_page *f = pages, *n; f; f = n) {
		n = f->next;
		if (f->inode != inode || f->page.index < from)
			continue;
		BUG_ON(f->page.refcount != 1);
		free_page(f);
	}
}

/* Write back every dirty page through its file system (sync). */
int fuzz_pcache_writeback(void)
{
	int err = 0;

	for (struct fuzz_page *f = pages; f; f = f->next) {
		if (!f->dirty)
			continue;
		int r = f->inode->mapping.ops->writepage(f->inode, &f->page);
		if (!r) {
			f->dirty = false;
			f->inode->mapping.ndirty--;
		}
		err = err ? err : r;
	}
	return err;
}

/* After a run: no page may be left (every inode was pruned). */
void fuzz_pcache_check_empty(void)
{
	if (pages)
		panic("page cache: page %lu of inode %lu left after unmount",
		      pages->page.index, pages->inode->ino);
}

/* Device files (kernel/fs/special.c, kernel/fs/devtmpfs.c): a device inode
 * gets operations that do nothing; its data blocks are never touched, which
 * is what the fuzzer checks of ext2 (the driver side is not parsed data). */
static const struct inode_ops special_iops;
static const struct file_ops special_fops;

void special_inode_init(struct inode *in, uint32_t mode, uint64_t rdev)
{
	in->mode = mode;
	in->rdev = rdev;
	in->iops = &special_iops;
	in->fops = &special_fops;
}

void devtmpfs_add_blkdev(const char *name, uint32_t major, uint32_t minor)
{
}

/* No sysfs on the host: /sys/block entries are not made. */
void blk_sysfs_add(struct blkdev *d)
{
}

void blk_sysfs_remove(struct blkdev *d)
{
}

/* No mappings on the host, so no page is ever replicated (replicate.c). */
void replica_before_write(struct page *p)
{
}
