/*
 * The memory manager's view of files (filemap.h), on top of the VFS and the
 * page cache: a VMA holds an inode reference; a mapped file page holds a
 * page-cache reference, taken by pcache_get and dropped by pcache_put_page.
 */
#include <kernel/filemap.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>

void filemap_get(struct inode *inode)
{
	inode_get(inode);
}

void filemap_put(struct inode *inode)
{
	inode_put(inode);
}

/* Past the end of the file there is nothing to map (Linux: SIGBUS). */
struct page *filemap_page(struct inode *inode, uint64_t index, bool *major,
			  int *err)
{
	struct page *p;

/* LAB filemap: BEGIN a page wholly past the end of the file is not mapped: fail with -EFAULT (the fault then sends SIGBUS) */
	if (index >= ALIGN_UP(inode->size, PAGE_SIZE) >> PAGE_SHIFT) {
		*err = -EFAULT;
		return NULL;
	}
/* LAB filemap: END */
/* LAB filemap: STUB */
	*err = pcache_get(inode, index, true, &p, major);
	return *err ? NULL : p;
}

void filemap_release_page(struct page *p)
{
	pcache_put_page(p);
}

void filemap_dirty(struct page *p)
{
	pcache_set_dirty(p);
}
