/* mmap of files: finding the inode behind a descriptor and writing
 * shared mappings back (kernel/mm/mmap_file.c). */
#ifndef KERNEL_MMAP_FILE_H
#define KERNEL_MMAP_FILE_H

#include <kernel/types.h>

struct inode;
struct mm;

/* The inode behind fd, with a reference, if its open mode allows prot
 * with this mapping type; -EBADF, -EACCES or -ENODEV otherwise. For
 * /dev/zero, 0 with *out NULL: the mapping is anonymous memory. */
int mmap_file_inode(int fd, uint64_t prot, uint64_t type, struct inode **out);
void mmap_file_done(struct inode *inode);       /* drops that reference */
/* msync: write dirty shared file pages of [addr, addr+len) back (shmem
 * mappings have nothing to write: skipped). */
int mmap_file_sync(struct mm *mm, uint64_t addr, uint64_t len);

#endif
