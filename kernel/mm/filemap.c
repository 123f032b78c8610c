/*
 * The memory manager's view of files (filemap.h). Until the VFS and the
 * page cache are merged (issue 3), there are no files, so no VMA can be
 * file-backed and these are never reached with an inode.
 */
#include <kernel/filemap.h>
#include <kernel/printk.h>
#include <kernel/errno.h>

void filemap_get(struct inode *inode)
{
	BUG_ON(inode);
}

void filemap_put(struct inode *inode)
{
	BUG_ON(inode);
}

struct page *filemap_page(struct inode *inode, uint64_t index, bool *major,
			  int *err)
{
	*err = -ENODEV;
	return NULL;
}

void filemap_release_page(struct page *p)
{
	BUG_ON(p);
}

void filemap_dirty(struct page *p)
{
	BUG_ON(p);
}
