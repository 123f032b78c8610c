/*
 * Memory system calls: mmap, munmap, mprotect, brk, madvise, msync. They
 * check their arguments as Linux does (same errors), then work on the
 * VMAs under mm->lock.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/mmap_file.h>
#include <kernel/shmem.h>
#include <kernel/errno.h>

#define MADV_NORMAL 0
#define MADV_DONTNEED 4
#define MADV_MAX_HINT 3            /* 1 random, 2 sequential, 3 willneed */

static bool page_aligned(uint64_t a)
{
	return !(a & (PAGE_SIZE - 1));
}

/* Round len up to pages; 0 if it overflows or leaves user space. */
static uint64_t page_len(uint64_t len)
{
	uint64_t l = ALIGN_UP(len, PAGE_SIZE);

	return l < len || l > USER_TOP ? 0 : l;
}

/* [addr, addr + len) inside user space, without wrapping around. */
static bool range_ok(uint64_t addr, uint64_t len)
{
	return addr + len >= addr && addr + len <= USER_TOP;
}

static uint64_t pick_addr(struct mm *mm, uint64_t addr, uint64_t len,
			  uint64_t flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		return addr;
	if (addr && page_aligned(addr) && addr + len <= USER_TOP &&
	    vma_free_area(mm, addr, len) == addr)
		return addr;                 /* the hint is free */
	return vma_free_area(mm, 0, len);
}

/*
 * The object an mmap maps: NULL for private anonymous memory, the file's
 * inode, or a new shmem object of len bytes for shared anonymous memory
 * (MAP_SHARED|MAP_ANONYMOUS, or /dev/zero with MAP_SHARED). *out holds a
 * reference (mmap_file_done drops it). No spinlock held. 0 or -errno.
 */
static int mmap_object(uint64_t flags, int fd, uint64_t prot, uint64_t len,
		       struct inode **out)
{
	uint64_t type = flags & (MAP_SHARED | MAP_PRIVATE);

	*out = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		int err = mmap_file_inode(fd, prot, type, out);
		if (err || *out)
			return err;
	}
	return type == MAP_SHARED ? shmem_create(len, out) : 0;
}

SYSCALL(mmap)
{
	uint64_t addr = a0, prot = a2, flags = a3, off = a5;
	uint64_t type = flags & (MAP_SHARED | MAP_PRIVATE);
	struct mm *mm = current->mm;

	if (!a1 || !page_aligned(off) || (prot & ~7UL) || !type ||
	    type == (MAP_SHARED | MAP_PRIVATE))
		return -EINVAL;
	uint64_t len = page_len(a1);
	if (!len)
		return -ENOMEM;
	/* The address is taken as it is with either flag (pick_addr): it
	 * must be aligned and the whole range in user space. */
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	    (!page_aligned(addr) || !range_ok(addr, len)))
		return page_aligned(addr) ? -ENOMEM : -EINVAL;
	struct inode *inode;
	int err = mmap_object(flags, (int)a4, prot, len, &inode);
	if (err)
		return err;
	spin_lock(&mm->lock);
	addr = pick_addr(mm, addr, len, flags);
	err = !addr ? -ENOMEM :
		  (flags & MAP_FIXED_NOREPLACE) && vma_find_any(mm, addr, len) ? -EEXIST :
		  vma_map(mm, addr, len, prot, type | (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0),
			  inode, shmem_inode(inode) ? 0 : off >> PAGE_SHIFT);
	mm_unlock(mm);
	mmap_file_done(inode);
	if (!err && (flags & MAP_POPULATE))
		vm_populate(mm, addr, addr + len);
	return err ? err : (int64_t)addr;
}

SYSCALL(munmap)
{
	uint64_t len = page_len(a1);
	struct mm *mm = current->mm;

	if (!page_aligned(a0) || !a1 || !len || !range_ok(a0, len))
		return -EINVAL;
	spin_lock(&mm->lock);
	int err = vma_unmap(mm, a0, len);
	mm_unlock(mm);
	return err;
}

SYSCALL(mprotect)
{
	uint64_t len = page_len(a1);
	struct mm *mm = current->mm;

	if (!page_aligned(a0) || (a2 & ~7UL))
		return -EINVAL;
	if (!a1)
		return 0;
	if (!len || !range_ok(a0, len))
		return -ENOMEM;
	spin_lock(&mm->lock);
	int err = vma_protect(mm, a0, len, a2);
	spin_unlock(&mm->lock);
	return err;
}

/* Grow the heap's last VMA (ending at old_end) to new_end, as Linux merges
 * a brk extension into it, so /proc/PID/maps shows one [heap] line; false
 * if that VMA is not a plain heap one (mprotect or mbind changed it).
 * mm->lock held; [old_end, new_end) is free. */
static bool heap_extend(struct mm *mm, uint64_t old_end, uint64_t new_end)
{
	struct vma *v = old_end > mm->brk_start ? vma_find(mm, old_end - 1) : NULL;

	if (!v || v->end != old_end || v->start < mm->brk_start || v->inode ||
	    v->flags != MAP_PRIVATE || v->prot != (PROT_READ | PROT_WRITE) ||
	    v->mpol.mode != MPOL_DEFAULT)
		return false;
	v->end = new_end;                /* anon_pgoff still names v->start */
	return true;
}

/* brk(addr): move the end of the heap; returns the (new or old) end. */
SYSCALL(brk)
{
	struct mm *mm = current->mm;
	uint64_t want = a0;

	spin_lock(&mm->lock);
	uint64_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
	uint64_t new_end = ALIGN_UP(want, PAGE_SIZE);
	bool ok = want >= mm->brk_start && new_end >= want &&
		  new_end <= mm->stack_top - STACK_MAX - STACK_GUARD;

	if (ok && new_end > old_end)
		ok = !vma_find_any(mm, old_end, new_end - old_end) &&
		     (heap_extend(mm, old_end, new_end) ||
		      !vma_map(mm, old_end, new_end - old_end, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE, NULL, 0));
	else if (ok && new_end < old_end)
		ok = !vma_unmap(mm, new_end, old_end - new_end);
	if (ok)
		mm->brk = want;
	uint64_t ret = mm->brk;
	mm_unlock(mm);
	return ret;
}

SYSCALL(madvise)
{
	uint64_t len = page_len(a1);
	struct mm *mm = current->mm;

	if (!page_aligned(a0) || (a1 && (!len || !range_ok(a0, len))))
		return -EINVAL;
	if (a2 != MADV_DONTNEED && a2 > MADV_MAX_HINT)
		return -EINVAL;
	if (!len || a2 != MADV_DONTNEED)
		return 0;                    /* hints: accepted, nothing to do */
	spin_lock(&mm->lock);
	/* DONTNEED: the next touch refaults the pages (zero for private
	 * anonymous memory, the file's data for file pages, and for shared
	 * anonymous memory its shmem object's data). */
	int err = vma_range_mapped(mm, a0, a0 + len) ? 0 : -ENOMEM;
	if (!err)
		vma_zap(mm, a0, a0 + len);
	spin_unlock(&mm->lock);
	return err;
}

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

SYSCALL(msync)
{
	uint64_t len = page_len(a1);

	if (!page_aligned(a0) || (a2 & ~7UL) || ((a2 & MS_ASYNC) && (a2 & MS_SYNC)))
		return -EINVAL;
	return mmap_file_sync(current->mm, a0, len);
}
