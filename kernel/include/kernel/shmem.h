/*
 * shmem: the object behind MAP_SHARED|MAP_ANONYMOUS memory (and a shared
 * mapping of /dev/zero), as Linux has it. Each such mmap call makes an
 * unlinked in-memory file of the mapping's length on a pseudo file system
 * "shm" that is never mounted; the VMA maps that file MAP_SHARED, so fork,
 * faults, madvise(MADV_DONTNEED) and migration treat it as any shared file
 * mapping, and a page first touched after a fork is still one page for
 * both processes.
 *
 *   VMA (parent) --+                     shm inode (nlink 0, size = len)
 *                  +--inode reference--> mapping.pages: index -> page (page cache)
 *   VMA (child) ---+                     swap:          index -> swap slot
 *
 * A page of the object is in the page cache, or in a swap slot, or both,
 * or neither (never touched: it reads as zeros). writepage puts it in a
 * slot (reclaim then drops the clean page); readpage fills it from the
 * slot, or with zeros. /proc/PID/maps shows "/dev/zero (deleted)", as
 * Linux. The last reference (the last VMA unmapped) frees its pages and
 * slots.
 *
 * Locking: the shm super block's lock (a file-system lock, vfs.h) protects
 * every object's swap table; the page cache and the VFS take it around
 * readpage, writepage and the last inode_put, as for any file system.
 * shmem_list_lock (a leaf spinlock) protects the list of live objects.
 */
#ifndef KERNEL_SHMEM_H
#define KERNEL_SHMEM_H

#include <kernel/types.h>

struct inode;

void shmem_init(void);
/* A new object of size bytes (rounded up to pages), all zero, with one
 * reference for the caller (inode_put drops it; the last one frees it).
 * Call with no spinlock held. 0 or -ENOMEM. */
int shmem_create(uint64_t size, struct inode **out);
/* Is inode a shmem object? */
bool shmem_inode(const struct inode *inode);
/* Pages of every shmem object in memory now (/proc/meminfo's Shmem). */
uint64_t shmem_resident_pages(void);
/* Pages of inode (a shmem object) that have a copy in swap. */
uint64_t shmem_swapped_pages(struct inode *inode);

#endif
