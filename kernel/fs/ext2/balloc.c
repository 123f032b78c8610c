/*
 * ext2 block and inode allocation: one bitmap block per group for each,
 * plus free counts kept in three places that must agree (the bitmap, the
 * group descriptor, the superblock). Every change updates all three.
 *
 * Blocks: bit i of group g's block bitmap is block
 *   s_first_data_block + g * s_blocks_per_group + i.
 * Inodes: bit i of group g's inode bitmap is inode g * s_inodes_per_group + i + 1.
 */
#include <kernel/ext2.h>
#include <kernel/errno.h>
#include <kernel/printk.h>

/* Blocks in group g (the last group may be short). */
static uint32_t group_blocks(struct ext2_fs *fs, uint32_t g)
{
	uint64_t start = fs->es.s_first_data_block + (uint64_t)g * fs->bpg;

	return (uint32_t)MIN((uint64_t)fs->bpg, fs->nblocks - start);
}

/* First clear bit in [from, n) of a bitmap, or -1. */
static int64_t find_zero(const uint8_t *map, uint32_t from, uint32_t n)
{
	for (uint32_t i = from; i < n; i++) {
		if ((i & 63) == 0 && i + 64 <= n &&
		    *(const uint64_t *)(map + i / 8) == ~0ULL) {
			i += 63;
			continue;
		}
		if (!(map[i / 8] & (1 << (i % 8))))
			return i;
	}
	return -1;
}

/* Take the first free bit of a group's bitmap; the index or -errno. */
static int64_t take_bit(struct super_block *sb, uint32_t bitmap, uint32_t from,
			uint32_t n)
{
	struct buf *b;
	int err = ext2_bread(sb, bitmap, &b);

	if (err)
		return err;
	int64_t i = find_zero((uint8_t *)b->data, from, n);
	if (i >= 0) {
		b->data[i / 8] |= (char)(1 << (i % 8));
		bcache_dirty(b);
	}
	bcache_put(b);
	return i;
}

/* Clear a bit that must be set; -EUCLEAN if it was already clear. */
static int clear_bit(struct super_block *sb, uint32_t bitmap, uint32_t i,
		     const char *what, uint64_t n)
{
	struct buf *b;
	int err = ext2_bread(sb, bitmap, &b);

	if (err)
		return err;
	if (!(b->data[i / 8] & (1 << (i % 8)))) {
		bcache_put(b);
		return ext2_error(sb, what, n);
	}
	b->data[i / 8] &= (char)~(1 << (i % 8));
	bcache_dirty(b);
	bcache_put(b);
	return 0;
}

/*
 * Allocate a block, preferring `group`, then the groups after it. The
 * block is not zeroed. 0, -ENOSPC, or -EUCLEAN/-EIO.
 */
int ext2_new_block(struct super_block *sb, uint32_t group, uint32_t *out)
{
	struct ext2_fs *fs = EXT2_FS(sb);

	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (group + k) % fs->ngroups;
		struct ext2_group_desc *gd = &fs->gd[g];
		if (!gd->bg_free_blocks_count)
			continue;
		int64_t i = take_bit(sb, gd->bg_block_bitmap, 0, group_blocks(fs, g));
		if (i == -1)
			return ext2_error(sb, "free block count of group", g);
		if (i < 0)
			return (int)i;
		gd->bg_free_blocks_count--;
		fs->es.s_free_blocks_count--;
		*out = fs->es.s_first_data_block + g * fs->bpg + (uint32_t)i;
		return 0;
	}
	return -ENOSPC;
}

int ext2_free_block(struct super_block *sb, uint32_t b)
{
	struct ext2_fs *fs = EXT2_FS(sb);

	if (!ext2_block_ok(sb, b))
		return ext2_error(sb, "freeing block", b);
	uint32_t g = (b - fs->es.s_first_data_block) / fs->bpg;
	uint32_t i = (b - fs->es.s_first_data_block) % fs->bpg;
	int err = clear_bit(sb, fs->gd[g].bg_block_bitmap, i, "freeing free block", b);
	if (err)
		return err;
	fs->gd[g].bg_free_blocks_count++;
	fs->es.s_free_blocks_count++;
	bcache_forget(sb->dev, b, fs->bs);
	return 0;
}

/* Allocate an inode number, preferring `group`. Reserved inodes (below
 * s_first_ino) are never handed out. */
int ext2_new_inode(struct super_block *sb, uint32_t group, bool dir, uint32_t *out)
{
	struct ext2_fs *fs = EXT2_FS(sb);

	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (group + k) % fs->ngroups;
		struct ext2_group_desc *gd = &fs->gd[g];
		uint32_t from = g == 0 ? fs->first_ino - 1 : 0;
		if (!gd->bg_free_inodes_count)
			continue;
		int64_t i = take_bit(sb, gd->bg_inode_bitmap, from, fs->ipg);
		if (i == -1)
			continue;          /* only reserved inodes were free */
		if (i < 0)
			return (int)i;
		gd->bg_free_inodes_count--;
		fs->es.s_free_inodes_count--;
		if (dir)
			gd->bg_used_dirs_count++;
		*out = g * fs->ipg + (uint32_t)i + 1;
		return 0;
	}
	return -ENOSPC;
}

int ext2_free_inode(struct super_block *sb, uint32_t ino, bool dir)
{
	struct ext2_fs *fs = EXT2_FS(sb);

	if (ino < fs->first_ino || ino > fs->ninodes)
		return ext2_error(sb, "freeing inode", ino);
	uint32_t g = (ino - 1) / fs->ipg, i = (ino - 1) % fs->ipg;
	int err = clear_bit(sb, fs->gd[g].bg_inode_bitmap, i, "freeing free inode", ino);
	if (err)
		return err;
	fs->gd[g].bg_free_inodes_count++;
	fs->es.s_free_inodes_count++;
	if (dir && fs->gd[g].bg_used_dirs_count)
		fs->gd[g].bg_used_dirs_count--;
	return 0;
}
