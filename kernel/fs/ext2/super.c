/*
 * ext2 mount and sync: reading and checking the superblock and the group
 * descriptors, and writing them back. See ext2.h for the layout.
 */
#include <kernel/ext2.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define SUPPORTED_INCOMPAT EXT2_FEATURE_INCOMPAT_FILETYPE
#define SUPPORTED_RO_COMPAT (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
			     EXT2_FEATURE_RO_COMPAT_LARGE_FILE | \
			     EXT2_FEATURE_RO_COMPAT_BTREE_DIR)

static uint32_t next_dev_id = 1;

/* Report damage found on disk; returns -EUCLEAN for the caller to pass up. */
int ext2_error(struct super_block *sb, const char *what, uint64_t n)
{
	printk("ext2: %s: corrupt: %s %lu\n", sb->dev->name, what, n);
	return -EUCLEAN;
}

/* A block number that may be used as data or metadata of this fs. */
bool ext2_block_ok(struct super_block *sb, uint64_t b)
{
	struct ext2_fs *fs = EXT2_FS(sb);

	return b >= fs->es.s_first_data_block && b < fs->nblocks;
}

int ext2_bread(struct super_block *sb, uint64_t b, struct buf **out)
{
	int err;

	if (!ext2_block_ok(sb, b))
		return ext2_error(sb, "block number", b);
	*out = bcache_read(sb->dev, b, sb->block_size, &err);
	return err;
}

/* The superblock's numbers, checked against each other and the device. */
static const char *check_super(struct ext2_fs *fs, struct blkdev *d)
{
	struct ext2_super *es = &fs->es;

	if (es->s_magic != EXT2_MAGIC)
		return "bad magic";
	if (es->s_log_block_size > 2)
		return "block size not 1, 2 or 4 KiB";
	fs->bs = 1024U << es->s_log_block_size;
	if (fs->bs < d->block_size || fs->bs % d->block_size)
		return "block size smaller than the device's";
	if (es->s_first_data_block != (fs->bs == 1024 ? 1U : 0U))
		return "bad first data block";
	if (!es->s_blocks_per_group || es->s_blocks_per_group > 8 * fs->bs ||
	    !es->s_inodes_per_group || es->s_inodes_per_group > 8 * fs->bs)
		return "bad group size";
	fs->isz = es->s_rev_level ? es->s_inode_size : 128;
	fs->first_ino = es->s_rev_level ? es->s_first_ino : 11;
	if (fs->isz < 128 || fs->isz > fs->bs || (fs->isz & (fs->isz - 1)))
		return "bad inode size";
	if ((uint64_t)es->s_blocks_count * (fs->bs / d->block_size) > d->nr_blocks)
		return "file system larger than the device";
	if (es->s_blocks_count <= es->s_first_data_block)
		return "no blocks";
	fs->ngroups = (es->s_blocks_count - es->s_first_data_block +
		       es->s_blocks_per_group - 1) / es->s_blocks_per_group;
	if ((uint64_t)fs->ngroups * es->s_inodes_per_group != es->s_inodes_count)
		return "inode count does not match the groups";
	if (fs->first_ino <= EXT2_ROOT_INO || fs->first_ino > es->s_inodes_count)
		return "bad first inode";
	if (es->s_feature_incompat & ~SUPPORTED_INCOMPAT)
		return "unsupported incompatible features";
	return NULL;
}

static bool in_fs(struct ext2_fs *fs, uint64_t b, uint64_t n)
{
	return b >= fs->es.s_first_data_block && b + n <= fs->nblocks && b + n >= b;
}

/* Read all group descriptors and check where they point. */
static const char *read_groups(struct ext2_fs *fs, struct blkdev *d)
{
	uint32_t per_block = fs->bs / sizeof(struct ext2_group_desc);
	uint64_t itable_blocks = ((uint64_t)fs->ipg * fs->isz + fs->bs - 1) / fs->bs;

	fs->gd_blocks = (fs->ngroups + per_block - 1) / per_block;
	fs->gd = kmalloc((uint64_t)fs->gd_blocks * fs->bs);
	if (!fs->gd)
		return "no memory for group descriptors";
	if (!in_fs(fs, fs->es.s_first_data_block + 1, fs->gd_blocks) ||
	    blk_read(d, (fs->es.s_first_data_block + 1) * (uint64_t)fs->spb,
		     fs->gd_blocks * fs->spb, fs->gd))
		return "cannot read group descriptors";
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		struct ext2_group_desc *gd = &fs->gd[g];
		if (!in_fs(fs, gd->bg_block_bitmap, 1) || !in_fs(fs, gd->bg_inode_bitmap, 1) ||
		    !in_fs(fs, gd->bg_inode_table, itable_blocks))
			return "group descriptor points outside the file system";
		if (gd->bg_free_inodes_count > fs->ipg || gd->bg_free_blocks_count > fs->bpg)
			return "group descriptor counts";
	}
	return NULL;
}

static void fs_free(struct ext2_fs *fs)
{
	if (fs)
		kfree(fs->gd);
	kfree(fs);
}

static const char *load(struct ext2_fs *fs, struct blkdev *d)
{
	char *first = kmalloc(4096);   /* bytes 0..4095: the superblock at 1024 */
	const char *why = NULL;

	if (!first)
		return "no memory";
	if (d->nr_blocks * d->block_size < 4096 ||
	    blk_read(d, 0, 4096 / d->block_size, first))
		why = "cannot read the superblock";
	else
		memcpy(&fs->es, first + 1024, sizeof(fs->es));
	kfree(first);
	if (why || (why = check_super(fs, d)))
		return why;
	fs->spb = fs->bs / d->block_size;
	fs->apb = fs->bs / 4;
	fs->bpg = fs->es.s_blocks_per_group;
	fs->ipg = fs->es.s_inodes_per_group;
	fs->nblocks = fs->es.s_blocks_count;
	fs->ninodes = fs->es.s_inodes_count;
	fs->filetype = fs->es.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	return read_groups(fs, d);
}

/*
 * The largest file this ext2 can hold, as Linux computes it: the block
 * tree's reach (12 direct + one, two and three levels of indirect blocks),
 * unless i_blocks (32 bits, in 512-byte sectors) runs out first. Then the
 * limit is the blocks i_blocks can count less the indirect blocks needed
 * to address that many. With 4 KiB blocks i_blocks is the limit (about
 * 2 TiB); with 1 KiB and 2 KiB blocks the tree is.
 */
static uint64_t ext2_max_size(struct ext2_fs *fs)
{
	uint64_t apb = fs->apb, ndir = EXT2_NDIR;
	uint64_t tree = ndir + apb + apb * apb + apb * apb * apb;
	uint64_t tree_meta = 1 + (1 + apb) + (1 + apb + apb * apb);
	uint64_t limit = 0xffffffffULL / (fs->bs / 512);

	if (tree + tree_meta <= limit)
		return tree * fs->bs;
	uint64_t rest = limit - ndir - apb - apb * apb;   /* reached by the triple */
	uint64_t meta = 1 + (1 + apb) +
			1 + DIV_ROUND_UP(rest, apb) + DIV_ROUND_UP(rest, apb * apb);
	return (limit - meta) * fs->bs;
}

static struct super_block *sb_alloc(struct blkdev *d, struct ext2_fs *fs)
{
	struct super_block *sb = kzalloc(sizeof(*sb));

	if (!sb)
		return NULL;
	sb->type = "ext2";
	sb->ops = &ext2_super_ops;
	sb->dev = d;
	sb->fs_info = fs;
	sb->block_size = fs->bs;
	sb->maxbytes = ext2_max_size(fs);
	sb->dev_id = next_dev_id++;
	sb->rdonly = fs->es.s_feature_ro_compat & ~SUPPORTED_RO_COMPAT;
	fs_lock_init(&sb->lock, "ext2");
	list_init(&sb->list);
	icache_sb_init(sb);
	return sb;
}

int ext2_mount(struct blkdev *d, struct super_block **out)
{
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	const char *why = fs ? load(fs, d) : "no memory";

	if (why) {
		printk("ext2: %s: %s; not mounted\n", d->name, why);
		fs_free(fs);
		return -EINVAL;
	}
	struct super_block *sb = sb_alloc(d, fs);
	if (!sb) {
		fs_free(fs);
		return -ENOMEM;
	}
	fs_lock(&sb->lock);
	int err = iget(sb, EXT2_ROOT_INO, &sb->root);
	fs_unlock(&sb->lock);
	if (!err && !S_ISDIR(sb->root->mode))
		err = ext2_error(sb, "root is not a directory, mode", sb->root->mode);
	if (err) {
		printk("ext2: %s: cannot read the root directory (%d); not mounted\n",
		       d->name, err);
		if (sb->root) {
			inode_put(sb->root);
			icache_prune(sb);
		}
		kfree(sb);
		fs_free(fs);
		return err;
	}
	printk("ext2: %s: %lu blocks of %u bytes, %u groups, %lu inodes%s\n", d->name,
	       fs->nblocks, fs->bs, fs->ngroups, fs->ninodes, sb->rdonly ? " (read-only)" : "");
	*out = sb;
	return 0;
}

/* Copy the superblock and descriptors into their buffers, then write every
 * dirty metadata buffer and flush the device. sb->lock held. */
int ext2_sync(struct super_block *sb)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	struct buf *b;
	int err;

	if (sb->rdonly)
		return 0;
	fs->es.s_wtime = (uint32_t)fs_now();
	uint64_t sblk = fs->bs == 1024 ? 1 : 0;     /* byte 1024 */
	if ((err = ext2_bread(sb, sblk, &b)))
		return err;
	memcpy(b->data + (sblk ? 0 : 1024), &fs->es, sizeof(fs->es));
	bcache_dirty(b);
	bcache_put(b);
	for (uint32_t i = 0; i < fs->gd_blocks; i++) {
		if ((err = ext2_bread(sb, fs->es.s_first_data_block + 1 + i, &b)))
			return err;
		memcpy(b->data, (char *)fs->gd + (uint64_t)i * fs->bs, fs->bs);
		bcache_dirty(b);
		bcache_put(b);
	}
	err = bcache_sync(sb->dev);
	return err ? err : blk_flush(sb->dev);
}

void ext2_put_super(struct super_block *sb)
{
	ext2_sync(sb);
	bcache_invalidate(sb->dev);
	if (sb->root) {
		struct inode *r = sb->root;
		sb->root = NULL;
		inode_put(r);
		icache_prune(sb);
	}
	fs_free(EXT2_FS(sb));
	kfree(sb);
}
