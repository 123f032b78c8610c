/* statfs for ext2: the superblock's counts, as Linux's ext2_statfs. */
#include <kernel/ext2.h>
#include <kernel/statfs.h>
#include <kernel/vfs.h>

/* With sparse_super only groups 0, 1 and powers of 3, 5 and 7 keep a
 * copy of the superblock and group descriptors. */
static bool power_of(uint32_t g, uint32_t base)
{
	uint64_t n = base;

	while (n < g)
		n *= base;
	return n == g;
}

static bool group_has_super(struct ext2_fs *fs, uint32_t g)
{
	if (!(fs->es.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	return g <= 1 || power_of(g, 3) || power_of(g, 5) || power_of(g, 7);
}

/* Blocks that hold metadata, not counted in f_blocks (Linux's "minix
 * df" overhead): superblock and descriptor copies, bitmaps, inode tables. */
static uint64_t overhead(struct ext2_fs *fs)
{
	uint64_t n = fs->es.s_first_data_block;
	uint64_t itb = ((uint64_t)fs->ipg * fs->isz + fs->bs - 1) / fs->bs;

	for (uint32_t g = 0; g < fs->ngroups; g++)
		if (group_has_super(fs, g))
			n += 1 + fs->gd_blocks;
	return n + fs->ngroups * (2 + itb);
}

/* Takes sb->lock for the free counts; may sleep. */
int ext2_statfs(struct super_block *sb, struct kstatfs *st)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	const uint8_t *u = fs->es.s_uuid;
	uint64_t lo = 0, hi = 0;

	fs_lock(&sb->lock);
	st->type = EXT2_SUPER_MAGIC;
	st->blocks = fs->es.s_blocks_count - overhead(fs);
	st->bfree = fs->es.s_free_blocks_count;
	st->bavail = st->bfree > fs->es.s_r_blocks_count ?
		     st->bfree - fs->es.s_r_blocks_count : 0;
	st->files = fs->es.s_inodes_count;
	st->ffree = fs->es.s_free_inodes_count;
	fs_unlock(&sb->lock);
	for (int i = 0; i < 8; i++) {
		lo |= (uint64_t)u[i] << (8 * i);
		hi |= (uint64_t)u[8 + i] << (8 * i);
	}
	st->fsid = lo ^ hi;                 /* as Linux: the uuid's halves */
	return 0;
}
