/* Linux's struct stat for x86-64, and filling it (kernel/fs/stat.c). */
#ifndef KERNEL_STAT_H
#define KERNEL_STAT_H

#include <kernel/vfs.h>

struct linux_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	int64_t unused[3];
};

_Static_assert(sizeof(struct linux_stat) == 144, "Linux x86-64 struct stat is 144 bytes");

/* Attributes of an open file: its inode's, or made up for pipes/TTYs. */
int file_getattr(struct file *f, struct kstat *st);
/* Copy st to user memory as a struct linux_stat: 0 or -EFAULT. */
int stat_to_user(const struct kstat *st, void *ustat);
/* Directory for *at() calls (sys_file.c): a reference or NULL (root). */
int at_dir(int64_t dirfd, const char *path, struct inode **dir);
/* A user path copied into a kmalloc'd PATH_MAX buffer (sys_path.c); the
 * caller kfrees *out. -EFAULT, -ENAMETOOLONG, -ENOENT if empty, -ENOMEM. */
int path_from_user(const char *upath, char **out);

#endif
