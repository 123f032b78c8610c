/*
 * statfs and fstatfs: what a mounted file system holds. ext2 counts its
 * blocks and inodes (its statfs op); /proc and /sys hold nothing and say
 * so, as Linux; /dev (devtmpfs) reports as Linux's tmpfs does, with its
 * default size limit of half the RAM and nothing used.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <kernel/stat.h>
#include <kernel/statfs.h>
#include <kernel/fdtable.h>
#include <kernel/numa.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/string.h>
#include <kernel/errno.h>

uint64_t ram_total_pages(void)
{
	uint64_t total = 0;
	int nid;

	for_each_online_node(nid)
		total += numa_nodes[nid].managed_pages;
	return total;
}

/* The in-memory file systems: by type name. */
static void statfs_virtual(struct super_block *sb, struct kstatfs *st)
{
	if (!strcmp(sb->type, "sysfs")) {
		st->type = SYSFS_MAGIC;
	} else if (!strcmp(sb->type, "proc")) {
		st->type = PROC_SUPER_MAGIC;
	} else {                            /* devtmpfs, shm: tmpfs */
		st->type = TMPFS_MAGIC;
		st->blocks = st->bfree = st->bavail = ram_total_pages() / 2;
		st->files = st->ffree = ram_total_pages() / 2;
	}
}

/* Fill st for sb; may sleep (the file system's lock). 0 or -errno. */
int vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
	memset(st, 0, sizeof(*st));
	st->bsize = sb->block_size ? sb->block_size : PAGE_SIZE;
	st->namelen = NAME_MAX;
	st->flags = ST_VALID | (sb->rdonly ? ST_RDONLY : 0);
	if (!sb->ops->statfs) {
		statfs_virtual(sb, st);
	} else {
		int err = sb->ops->statfs(sb, st);
		if (err)
			return err;
	}
	st->frsize = st->bsize;
	return 0;
}

static int statfs_to_user(struct super_block *sb, void *ubuf)
{
	struct kstatfs st;
	struct linux_statfs ls;
	int err = vfs_statfs(sb, &st);

	if (err)
		return err;
	memset(&ls, 0, sizeof(ls));
	ls.f_type = (int64_t)st.type;
	ls.f_bsize = (int64_t)st.bsize;
	ls.f_blocks = st.blocks;
	ls.f_bfree = st.bfree;
	ls.f_bavail = st.bavail;
	ls.f_files = st.files;
	ls.f_ffree = st.ffree;
	ls.f_fsid[0] = (int32_t)st.fsid;
	ls.f_fsid[1] = (int32_t)(st.fsid >> 32);
	ls.f_namelen = (int64_t)st.namelen;
	ls.f_frsize = (int64_t)st.frsize;
	ls.f_flags = (int64_t)st.flags;
	return copy_to_user(ubuf, &ls, sizeof(ls)) ? -EFAULT : 0;
}

/* statfs(path, buf): the file system that holds path (followed). */
SYSCALL(statfs)
{
	struct inode *in;
	char *path;
	int err = path_from_user((const char *)a0, &path);

	if (err)
		return err;
	struct inode *cwd = fs_cwd(current);
	err = vfs_lookup(cwd, path, LOOKUP_FOLLOW, &in);
	if (cwd)
		inode_put(cwd);
	kfree(path);
	if (err)
		return err;
	err = statfs_to_user(in->sb, (void *)a1);
	inode_put(in);
	return err;
}

/* fstatfs(fd, buf). Pipes and the TTY have no file system here: Linux
 * reports its pipefs and devpts; Numbat says -EINVAL. */
SYSCALL(fstatfs)
{
	struct file *f = (int64_t)a0 < 0 || a0 > INT32_MAX ? NULL :
			 fd_get(current->fdt, (int)a0);

	if (!f)
		return -EBADF;
	int err = f->inode ? statfs_to_user(f->inode->sb, (void *)a1) : -EINVAL;
	file_put(f);
	return err;
}
