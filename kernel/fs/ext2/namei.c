/*
 * ext2 name operations: lookup, create, mkdir, rmdir, unlink, link,
 * symlink, readlink and rename. Each keeps the link counts, the directory
 * sizes and the free counts consistent, so that e2fsck finds nothing to fix
 * once everything is written back. Called with the sb lock held (vfs.h).
 */
#include <kernel/ext2.h>
#include <kernel/device.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#define EXT2_LINK_MAX 32000
#define FAST_SYMLINK_MAX 60          /* bytes that fit in i_block */

int ext2_init_record(struct inode *in);

static int ext2_lookup(struct inode *dir, const char *name, size_t len,
		       struct inode **out)
{
	struct ext2_slot s;
	int err = ext2_find_entry(dir, name, len, &s);
	if (err)
		return err;
	uint32_t ino = ((struct ext2_dirent *)(s.blk + s.off))->inode;
	ext2_slot_done(&s);
	return iget(dir->sb, ino, out);
}

/* A new on-disk inode of `mode` near dir, in the cache, referenced. */
static int new_inode(struct inode *dir, uint32_t mode, struct inode **out)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t ino;
	int err = ext2_new_inode(dir->sb, (uint32_t)((dir->ino - 1) / fs->ipg),
				 S_ISDIR(mode), &ino);

	if (err)
		return err;
	struct inode *in = inode_new(dir->sb, ino);
	if (!in || (err = ext2_init_record(in))) {
		if (in)
			dir->sb->ops->free_inode(in);
		ext2_free_inode(dir->sb, ino, S_ISDIR(mode));
		return in ? err : -ENOMEM;
	}
	in->mode = mode;
	in->nlink = 1;
	in->atime = in->mtime = in->ctime = fs_now();
	ext2_set_ops(in);
	inode_hash(in);
	*out = in;
	return ext2_write_inode(in);
}

/* Undo new_inode after a later step failed: the last put deletes it. */
static void drop_new(struct inode *in)
{
	in->nlink = 0;
	inode_put(in);
}

static int check_new_name(struct inode *dir, const char *name, size_t len)
{
	struct ext2_slot s;
	int err = ext2_find_entry(dir, name, len, &s);

	if (!err) {
		ext2_slot_done(&s);
		return -EEXIST;
	}
	return err == -ENOENT ? 0 : err;
}

static int ext2_create(struct inode *dir, const char *name, size_t len,
		       uint32_t mode, struct inode **out)
{
	int err = check_new_name(dir, name, len);

	if (err || (err = new_inode(dir, mode, out)))
		return err;
	if ((err = ext2_add_entry(dir, name, len, (uint32_t)(*out)->ino, mode)))
		drop_new(*out);
	return err;
}

static int ext2_mknod(struct inode *dir, const char *name, size_t len, uint32_t mode,
		      uint64_t rdev)
{
	struct inode *in;
	int err = check_new_name(dir, name, len);

	if (err || (err = new_inode(dir, mode, &in)))
		return err;
	in->rdev = rdev;
	special_inode_init(in, mode, rdev);
	err = ext2_write_inode(in);
	if (!err)
		err = ext2_add_entry(dir, name, len, (uint32_t)in->ino, mode);
	if (err)
		drop_new(in);
	else
		inode_put(in);
	return err;
}

static int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	struct inode *in;
	int err = check_new_name(dir, name, len);

	if (dir->nlink >= EXT2_LINK_MAX)
		return -EMLINK;
	if (err || (err = new_inode(dir, mode, &in)))
		return err;
	in->nlink = 2;
	err = ext2_make_empty(in, (uint32_t)dir->ino);
	if (!err)
		err = ext2_add_entry(dir, name, len, (uint32_t)in->ino, mode);
	if (err) {
		drop_new(in);
		return err;
	}
	dir->nlink++;
	ext2_write_inode(dir);
	inode_put(in);
	return 0;
}

/* Find name in dir and get its inode; s keeps the entry's page. */
static int find_victim(struct inode *dir, const char *name, size_t len,
		       struct ext2_slot *s, struct inode **out)
{
	int err = ext2_find_entry(dir, name, len, s);

	if (err)
		return err;
	err = iget(dir->sb, ((struct ext2_dirent *)(s->blk + s->off))->inode, out);
	if (err)
		ext2_slot_done(s);
	return err;
}

static int ext2_unlink(struct inode *dir, const char *name, size_t len)
{
	struct ext2_slot s;
	struct inode *in;
	int err = find_victim(dir, name, len, &s, &in);

	if (err)
		return err;
	if (S_ISDIR(in->mode))
		err = -EISDIR;
	else if (!(err = ext2_delete_entry(dir, &s))) {
		in->nlink--;
		in->ctime = fs_now();
		ext2_write_inode(in);
	}
	ext2_slot_done(&s);
	inode_put(in);
	return err;
}

static int ext2_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct ext2_slot s;
	struct inode *in;
	int err = find_victim(dir, name, len, &s, &in);

	if (err)
		return err;
	if (!S_ISDIR(in->mode))
		err = -ENOTDIR;
	else if (in->covered || in == in->sb->root)
		err = -EBUSY;
	else if ((err = ext2_dir_empty(in)) >= 0)
		err = err ? ext2_delete_entry(dir, &s) : -ENOTEMPTY;
	if (!err) {
		in->nlink = 0;
		dir->nlink--;
		ext2_write_inode(in);
		ext2_write_inode(dir);
	}
	ext2_slot_done(&s);
	inode_put(in);
	return err;
}

static int ext2_link(struct inode *old, struct inode *dir, const char *name,
		     size_t len)
{
	int err = check_new_name(dir, name, len);

	if (err)
		return err;
	if (old->nlink >= EXT2_LINK_MAX)
		return -EMLINK;
	if ((err = ext2_add_entry(dir, name, len, (uint32_t)old->ino, old->mode)))
		return err;
	old->nlink++;
	old->ctime = fs_now();
	return ext2_write_inode(old);
}

/* Short targets live in i_block (a "fast" symlink); longer ones in a block. */
static int write_target(struct inode *in, const char *target, size_t len)
{
	if (len < FAST_SYMLINK_MAX) {
		memcpy(EXT2_I(in)->block, target, len);
		in->size = len;
		return ext2_write_inode(in);
	}
	if (len >= in->sb->block_size)
		return -ENAMETOOLONG;
	struct page *p;
	int err = in->mapping.ops->prepare_write(in, 0, 0, (uint32_t)len);
	if (!err)
		err = pcache_get(in, 0, false, &p, NULL);
	if (err)
		return err;
	memcpy(page_address(p), target, len);
	pcache_set_dirty(p);
	pcache_put_page(p);
	in->size = len;
	return ext2_write_inode(in);
}

static int ext2_symlink(struct inode *dir, const char *name, size_t len,
			const char *target)
{
	struct inode *in;
	int err = check_new_name(dir, name, len);

	if (err || (err = new_inode(dir, S_IFLNK | 0777, &in)))
		return err;
	err = write_target(in, target, strlen(target));
	if (!err)
		err = ext2_add_entry(dir, name, len, (uint32_t)in->ino, in->mode);
	if (err)
		drop_new(in);
	else
		inode_put(in);
	return err;
}

static int ext2_readlink(struct inode *in, char *buf, size_t size)
{
	size_t n = MIN(size, in->size);

	if (in->size > PAGE_SIZE || in->size >= in->sb->block_size)
		return ext2_error(in->sb, "symlink size in inode", in->ino);
	if (ext2_fast_symlink(in)) {
		if (in->size >= FAST_SYMLINK_MAX)
			return ext2_error(in->sb, "fast symlink size in inode", in->ino);
		memcpy(buf, EXT2_I(in)->block, n);
		return (int)n;
	}
	struct page *p;
	int err = pcache_get(in, 0, true, &p, NULL);
	if (err)
		return err;
	memcpy(buf, page_address(p), n);
	pcache_put_page(p);
	return (int)n;
}


const struct inode_ops ext2_dir_iops = {
	.lookup = ext2_lookup,
	.create = ext2_create,
	.mkdir = ext2_mkdir,
	.mknod = ext2_mknod,
	.rmdir = ext2_rmdir,
	.unlink = ext2_unlink,
	.link = ext2_link,
	.symlink = ext2_symlink,
	.rename = ext2_rename,
	.readdir = ext2_readdir,
};

const struct inode_ops ext2_file_iops = {
	.truncate = ext2_truncate,
};

const struct inode_ops ext2_symlink_iops = {
	.readlink = ext2_readlink,
};
