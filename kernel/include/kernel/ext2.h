/*
 * ext2, revision 1 (and 0), read-write, block sizes 1, 2 and 4 KiB.
 *
 * On disk (block size B; groups of s_blocks_per_group blocks):
 *
 *   byte 0     1024        block s_first_data_block+1
 *   | boot    | superblock | group descriptors | reserved GDT |
 *   group g:  | (sb+gdt copy if sparse) | block bitmap | inode bitmap |
 *             | inode table (s_inodes_per_group * s_inode_size bytes) | data ...
 *
 * An inode's data: i_block[0..11] point at data blocks, i_block[12] at an
 * indirect block of B/4 pointers, [13] double, [14] triple indirect.
 * A directory is a file of entries {inode, rec_len, name_len, file_type,
 * name} that never cross a block; rec_len chains them to the block's end.
 *
 * Numbat keeps the superblock and group descriptors in memory (written at
 * sync), metadata blocks in the buffer cache, and file and directory data
 * in the page cache. Every number read from disk is checked before use;
 * a bad one gives -EUCLEAN (Linux's EFSCORRUPTED) and a log line.
 * All entry points run with the super_block's lock held (vfs.h).
 */
#ifndef KERNEL_EXT2_H
#define KERNEL_EXT2_H

#include <kernel/vfs.h>
#include <kernel/blkdev.h>
#include <kernel/bcache.h>

#define EXT2_MAGIC 0xEF53
#define EXT2_ROOT_INO 2
#define EXT2_NDIR 12
#define EXT2_IND 12
#define EXT2_DIND 13
#define EXT2_TIND 14
#define EXT2_N_BLOCKS 15

#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR 0x0004
#define EXT2_INDEX_FL 0x00001000  /* hashed directory: we keep it linear */

struct ext2_super {
	uint32_t s_inodes_count, s_blocks_count, s_r_blocks_count;
	uint32_t s_free_blocks_count, s_free_inodes_count;
	uint32_t s_first_data_block, s_log_block_size, s_log_frag_size;
	uint32_t s_blocks_per_group, s_frags_per_group, s_inodes_per_group;
	uint32_t s_mtime, s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic, s_state, s_errors, s_minor_rev_level;
	uint32_t s_lastcheck, s_checkinterval, s_creator_os, s_rev_level;
	uint16_t s_def_resuid, s_def_resgid;
	uint32_t s_first_ino;
	uint16_t s_inode_size, s_block_group_nr;
	uint32_t s_feature_compat, s_feature_incompat, s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	uint8_t rest[1024 - 136];    /* up to s_want_extra_isize and beyond */
} __packed;

_Static_assert(sizeof(struct ext2_super) == 1024, "ext2 superblock is 1 KiB");
#define EXT2_WANT_EXTRA_ISIZE_OFF 350   /* u16 in the superblock */

struct ext2_group_desc {
	uint32_t bg_block_bitmap, bg_inode_bitmap, bg_inode_table;
	uint16_t bg_free_blocks_count, bg_free_inodes_count, bg_used_dirs_count;
	uint16_t bg_flags;
	uint8_t bg_reserved[12];
} __packed;

struct ext2_inode {
	uint16_t i_mode, i_uid;
	uint32_t i_size, i_atime, i_ctime, i_mtime, i_dtime;
	uint16_t i_gid, i_links_count;
	uint32_t i_blocks, i_flags, i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation, i_file_acl, i_size_high, i_faddr;
	uint16_t i_blocks_hi, i_file_acl_high, i_uid_high, i_gid_high;
	uint16_t i_checksum_lo, i_reserved;
	uint16_t i_extra_isize;      /* only if s_inode_size > 128 */
} __packed;

struct ext2_dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type;           /* name_len high byte without FILETYPE */
	char name[];
} __packed;

#define EXT2_DIRENT_LEN(n) ALIGN_UP(8 + (uint32_t)(n), 4)

/* Per-mount state (super_block->fs_info). */
struct ext2_fs {
	struct ext2_super es;        /* in-memory copy, written at sync */
	struct ext2_group_desc *gd;  /* all of them, written at sync */
	uint32_t ngroups, gd_blocks;
	uint32_t bs, spb;            /* block size, device sectors per block */
	uint32_t apb;                /* block pointers per indirect block */
	uint32_t bpg, ipg, isz, first_ino;
	uint64_t nblocks, ninodes;
	bool filetype;
};

/* The in-memory inode: the VFS inode and ext2's own fields. */
struct ext2_inode_info {
	struct inode vfs;
	uint32_t block[EXT2_N_BLOCKS];
	uint32_t flags, dtime, file_acl;
};

static inline struct ext2_inode_info *EXT2_I(struct inode *i)
{
	return container_of(i, struct ext2_inode_info, vfs);
}

static inline struct ext2_fs *EXT2_FS(struct super_block *sb)
{
	return sb->fs_info;
}

/* Read the file system on d and return its super_block (not mounted). */
int ext2_mount(struct blkdev *d, struct super_block **out);

/* super.c */
int ext2_error(struct super_block *sb, const char *what, uint64_t n);
bool ext2_block_ok(struct super_block *sb, uint64_t b);
int ext2_bread(struct super_block *sb, uint64_t b, struct buf **out);
/* balloc.c */
int ext2_new_block(struct super_block *sb, uint32_t group, uint32_t *out);
int ext2_free_block(struct super_block *sb, uint32_t b);
int ext2_new_inode(struct super_block *sb, uint32_t group, bool dir, uint32_t *out);
int ext2_free_inode(struct super_block *sb, uint32_t ino, bool dir);
/* inode.c */
extern const struct super_ops ext2_super_ops;
extern const struct address_space_ops ext2_aops;
void ext2_set_ops(struct inode *in);
int ext2_get_block(struct inode *in, uint64_t lblock, bool create, uint32_t *out);
int ext2_truncate(struct inode *in, uint64_t size);
int ext2_write_inode(struct inode *in);
bool ext2_fast_symlink(struct inode *in);
/* dir.c */
struct ext2_slot {
	struct page *page;           /* referenced; NULL if not found */
	char *blk;                   /* the directory block */
	uint32_t off, prev;          /* entry offset; previous entry (or off) */
};
int ext2_find_entry(struct inode *dir, const char *name, size_t len,
		    struct ext2_slot *s);
void ext2_slot_done(struct ext2_slot *s);
int ext2_add_entry(struct inode *dir, const char *name, size_t len,
		   uint32_t ino, uint32_t mode);
int ext2_delete_entry(struct inode *dir, struct ext2_slot *s);
void ext2_set_entry(struct inode *dir, struct ext2_slot *s, uint32_t ino,
		    uint32_t mode);
int ext2_make_empty(struct inode *dir, uint32_t parent);
int ext2_dir_empty(struct inode *dir);
int ext2_readdir(struct inode *dir, uint64_t *pos, filldir_t fill, void *ctx);
/* namei.c, rename.c */
int ext2_rename(struct inode *odir, const char *oname, size_t olen,
		struct inode *ndir, const char *nname, size_t nlen);
extern const struct inode_ops ext2_dir_iops;
extern const struct inode_ops ext2_file_iops;
extern const struct inode_ops ext2_symlink_iops;

#endif
