/* stat(2) and friends: struct kstat to Linux's struct stat. */
#include <kernel/stat.h>
#include <kernel/pipe.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

int file_getattr(struct file *f, struct kstat *st)
{
	if (f->inode)
		return vfs_getattr(f->inode, st);
	memset(st, 0, sizeof(*st));
	st->mode = (pipe_is(f) ? S_IFIFO : S_IFCHR) | 0600;
	st->nlink = 1;
	st->blksize = 4096;
	return 0;
}

int stat_to_user(const struct kstat *st, void *ustat)
{
	struct linux_stat ls;

	memset(&ls, 0, sizeof(ls));
	ls.st_dev = st->dev;
	ls.st_ino = st->ino;
	ls.st_nlink = st->nlink;
	ls.st_mode = st->mode;
	ls.st_uid = st->uid;
	ls.st_gid = st->gid;
	ls.st_rdev = st->rdev;
	ls.st_size = st->size;
	ls.st_blksize = st->blksize;
	ls.st_blocks = st->blocks;
	ls.st_atime = st->atime;
	ls.st_mtime = st->mtime;
	ls.st_ctime = st->ctime;
	return copy_to_user(ustat, &ls, sizeof(ls)) ? -EFAULT : 0;
}
