/*
 * mmap of files (mmap_file.h): which inode a descriptor stands for, and
 * msync's write-back of shared mappings. /dev/zero stands for anonymous
 * memory, as on Linux: private, or a new shmem object when shared.
 */
#include <kernel/replicate.h>
#include <kernel/mmap_file.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/fdtable.h>
#include <kernel/pcache.h>
#include <kernel/shmem.h>
#include <kernel/device.h>
#include <kernel/errno.h>

static bool is_dev_zero(const struct inode *in)
{
	return S_ISCHR(in->mode) && in->rdev == dev_encode(1, 5);
}

int mmap_file_inode(int fd, uint64_t prot, uint64_t type, struct inode **out)
{
	struct file *f = fd < 0 ? NULL : fd_get(current->fdt, fd);
	int err = 0;

	if (!f)
		return -EBADF;
	uint32_t acc = f->flags & O_ACCMODE;
	if (!f->inode || !(S_ISREG(f->inode->mode) || is_dev_zero(f->inode)))
		err = -ENODEV;
	else if (S_ISREG(f->inode->mode) && !f->inode->mapping.ops)
		err = -ENODEV;              /* no page cache (/proc): nothing to map */
	else if (acc == O_WRONLY)
		err = -EACCES;              /* every mapping must be readable */
	else if (type == MAP_SHARED && (prot & PROT_WRITE) && acc != O_RDWR)
		err = -EACCES;
	if (!err)
		*out = S_ISREG(f->inode->mode) ? inode_get(f->inode) : NULL;
	if (!err && *out && type == MAP_SHARED && acc == O_RDWR)
		replica_forbid(*out);          /* it may be written through the mapping */
	file_put(f);
	return err;
}

void mmap_file_done(struct inode *inode)
{
	if (inode)
		inode_put(inode);
}

/* LAB filemap: BEGIN msync: move the PTE dirty bits of the shared file mappings of [addr, addr+len) to the page cache, write those files back */
/* Move the dirty bits of one leaf table's PTEs to their page-cache pages. */
static int clean_table(struct mm *mm, pte_t *pte, uint64_t va, uint64_t next, void *arg)
{
	(void)mm;
	(void)arg;
	for (; va < next; va += PAGE_SIZE, pte++) {
		if (pte_present(*pte) && pte_dirty(*pte)) {
			pcache_set_dirty(pfn_to_page(pte_pfn(*pte)));
			*pte = pte_mkclean(*pte);
		}
	}
	return 0;
}

#define MSYNC_BATCH 8                /* files written back per lock hold */

/*
 * Move the dirty bits of the shared file mappings in [va, end) to the page
 * cache, taking a reference on each file, until MSYNC_BATCH files are held
 * or end is reached. Caller holds mm->lock; returns where it stopped.
 */
static uint64_t msync_collect(struct mm *mm, uint64_t va, uint64_t end,
			      struct inode **files, int *n)
{
	while (va < end && *n < MSYNC_BATCH) {
		struct vma *v = vma_find(mm, va);
		uint64_t stop = MIN(v->end, end);
		/* shmem has nothing to write to: only reclaim swaps it */
		if (v->inode && (v->flags & MAP_SHARED) && !shmem_inode(v->inode)) {
			pgtable_range(mm, va, stop, clean_table, NULL);
			files[(*n)++] = inode_get(v->inode);
		}
		va = stop;
	}
	return va;
}

/* Mark the pages shared mappings dirtied (PTE dirty bits) in the page
 * cache (visiting only the page tables that exist), then write the files
 * back, a batch of files at a time: mm->lock is held while collecting, not
 * while writing. -ENOMEM if part of the range is not mapped. */
int mmap_file_sync(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t va = addr, end = addr + len;
	int err = 0;

	do {
		struct inode *files[MSYNC_BATCH];
		int n = 0;

		spin_lock(&mm->lock);
		if (!vma_range_mapped(mm, va, end))
			err = -ENOMEM;
		else
			va = msync_collect(mm, va, end, files, &n);
		mm_flush_tlb_all(mm);
		spin_unlock(&mm->lock);
		for (int i = 0; i < n; i++) {
			if (!err)
				err = pcache_writeback(files[i]);
			inode_put(files[i]);
		}
	} while (!err && va < end);
	return err;
}
/* LAB filemap: END */
/* LAB filemap: STUB
int mmap_file_sync(struct mm *mm, uint64_t addr, uint64_t len)
{
	return -ENOSYS;
}
*/
