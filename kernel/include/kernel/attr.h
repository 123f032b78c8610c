/* Changing an inode's mode, owner and times (kernel/fs/attr.c). */
#ifndef KERNEL_ATTR_H
#define KERNEL_ATTR_H

#include <kernel/types.h>

struct inode;

#define ATTR_MODE      0x01
#define ATTR_UID       0x02
#define ATTR_GID       0x04
#define ATTR_ATIME     0x08
#define ATTR_MTIME     0x10
#define ATTR_KILL_SUID 0x20        /* chown: drop set-user/group-ID bits */

/* What to change: the fields named by valid. Times in seconds since 1970. */
struct iattr {
	unsigned valid;
	uint32_t mode, uid, gid;
	int64_t atime, mtime;
};

int vfs_setattr(struct inode *in, const struct iattr *ia);

#endif
