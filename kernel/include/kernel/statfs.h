/* statfs(2): what a mounted file system holds (kernel/fs/statfs.c). */
#ifndef KERNEL_STATFS_H
#define KERNEL_STATFS_H

#include <kernel/types.h>

/* f_type values, Linux's magic numbers. */
#define EXT2_SUPER_MAGIC  0xEF53
#define PROC_SUPER_MAGIC  0x9fa0
#define SYSFS_MAGIC       0x62656572
#define TMPFS_MAGIC       0x01021994

#define ST_RDONLY 0x0001
#define ST_VALID  0x0020           /* f_flags is filled in */

/* The kernel's view; sizes in f_bsize units, as struct statfs. */
struct kstatfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree;
	uint64_t fsid;
	uint64_t namelen, frsize, flags;
};

/* Linux's struct statfs on x86-64 (all 64-bit fields), 120 bytes. */
struct linux_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};

_Static_assert(sizeof(struct linux_statfs) == 120, "Linux x86-64 struct statfs is 120 bytes");

struct super_block;
int vfs_statfs(struct super_block *sb, struct kstatfs *st);
/* Pages of RAM the kernel manages (what sysinfo and tmpfs sizes use). */
uint64_t ram_total_pages(void);

#endif
