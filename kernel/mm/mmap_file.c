/*
 * mmap of files (mmap_file.h). Descriptors arrive with the VFS (issue 3);
 * until it is merged there are no open files, so every fd is bad, and
 * msync only checks that the range is mapped.
 */
#include <kernel/mmap_file.h>
#include <kernel/mm.h>
#include <kernel/errno.h>

int mmap_file_inode(int fd, uint64_t prot, uint64_t type, struct inode **out)
{
	return -EBADF;
}

void mmap_file_done(struct inode *inode)
{
}

int mmap_file_sync(struct mm *mm, uint64_t addr, uint64_t len)
{
	int err = 0;

	spin_lock(&mm->lock);
	for (uint64_t va = addr; va < addr + len && !err;) {
		struct vma *v = vma_find(mm, va);
		if (!v)
			err = -ENOMEM;
		else
			va = v->end;
	}
	spin_unlock(&mm->lock);
	return err;
}
