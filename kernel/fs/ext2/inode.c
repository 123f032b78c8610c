/*
 * ext2 inodes: reading and writing the on-disk record, the block map
 * (logical block -> disk block through up to three levels of indirect
 * blocks), truncation, and the page cache's readpage/writepage.
 *
 *   i_block: [0..11] data   [12] -> [B/4 ptrs] -> data
 *                           [13] -> [B/4] -> [B/4] -> data
 *                           [14] -> [B/4] -> [B/4] -> [B/4] -> data
 */
#include <kernel/replicate.h>
#include <kernel/ext2.h>
#include <kernel/device.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static struct kmem_cache ext2_inode_cache;
static bool cache_ready;

static struct inode *ext2_alloc_inode(struct super_block *sb)
{
	if (!cache_ready) {
		kmem_cache_init(&ext2_inode_cache, "ext2_inode",
				sizeof(struct ext2_inode_info), 8);
		cache_ready = true;
	}
	struct ext2_inode_info *ei = kmem_cache_alloc(&ext2_inode_cache, NUMA_NO_NODE);
	if (!ei)
		return NULL;
	memset(ei, 0, sizeof(*ei));
	mapping_init(&ei->vfs.mapping, &ei->vfs, &ext2_aops);
	return &ei->vfs;
}

static void ext2_free_inode_mem(struct inode *in)
{
	kmem_cache_free(&ext2_inode_cache, EXT2_I(in));
}

/* Where inode ino's record is: buffer (referenced) and offset in it. */
static int locate(struct super_block *sb, uint64_t ino, struct buf **b,
		  uint32_t *off)
{
	struct ext2_fs *fs = EXT2_FS(sb);

	if (ino < 1 || ino > fs->ninodes)
		return ext2_error(sb, "inode number", ino);
	uint32_t g = (uint32_t)((ino - 1) / fs->ipg);
	uint64_t byte = (uint64_t)((ino - 1) % fs->ipg) * fs->isz;
	*off = byte % fs->bs;
	return ext2_bread(sb, fs->gd[g].bg_inode_table + byte / fs->bs, b);
}

bool ext2_fast_symlink(struct inode *in)
{
	struct ext2_inode_info *ei = EXT2_I(in);
	uint64_t acl = ei->file_acl ? in->sb->block_size / 512 : 0;

	return S_ISLNK(in->mode) && in->blocks == acl;
}

/* Regular files, directories and symlinks too long for i_block keep block
 * numbers in i_block; device inodes keep a device number there, and FIFOs
 * and sockets nothing. */
static bool maps_blocks(struct inode *in)
{
	return S_ISREG(in->mode) || S_ISDIR(in->mode) ||
	       (S_ISLNK(in->mode) && !ext2_fast_symlink(in));
}

void ext2_set_ops(struct inode *in)
{
	if (!S_ISREG(in->mode) && !S_ISDIR(in->mode) && !S_ISLNK(in->mode)) {
		special_inode_init(in, in->mode, in->rdev);
	} else if (S_ISDIR(in->mode)) {
		in->iops = &ext2_dir_iops;
		in->fops = &vfs_dir_ops;
	} else if (S_ISLNK(in->mode)) {
		in->iops = &ext2_symlink_iops;
		in->fops = &vfs_dir_ops;
	} else {
		in->iops = &ext2_file_iops;
		in->fops = &vfs_file_ops;
	}
}

static bool mode_ok(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

/*
 * A device number in i_block, as Linux's ext2 keeps it: the old 16-bit
 * form (major << 8 | minor) in i_block[0] when both fit in 8 bits, else 0
 * there and the new 32-bit form (device.h's encoding) in i_block[1].
 */
static uint64_t rdev_from_disk(const uint32_t *blk)
{
	if (blk[0])
		return dev_encode((blk[0] >> 8) & 0xff, blk[0] & 0xff);
	return blk[1];
}

static void rdev_to_disk(uint64_t rdev, uint32_t *blk)
{
	uint32_t major = dev_major(rdev), minor = dev_minor(rdev);

	memset(blk, 0, EXT2_N_BLOCKS * sizeof(uint32_t));
	if (major < 256 && minor < 256)
		blk[0] = major << 8 | minor;
	else
		blk[1] = (uint32_t)dev_encode(major, minor);
}

static void from_disk(struct inode *in, const struct ext2_inode *r)
{
	struct ext2_inode_info *ei = EXT2_I(in);

	in->mode = r->i_mode;
	in->uid = r->i_uid | (uint32_t)r->i_uid_high << 16;
	in->gid = r->i_gid | (uint32_t)r->i_gid_high << 16;
	in->nlink = r->i_links_count;
	in->size = r->i_size;
	if (S_ISREG(in->mode))
		in->size |= (uint64_t)r->i_size_high << 32;
	in->blocks = r->i_blocks;
	in->atime = r->i_atime;
	in->mtime = r->i_mtime;
	in->ctime = r->i_ctime;
	memcpy(ei->block, r->i_block, sizeof(ei->block));
	if (S_ISCHR(in->mode) || S_ISBLK(in->mode))
		in->rdev = rdev_from_disk(ei->block);
	ei->flags = r->i_flags;
	ei->dtime = r->i_dtime;
	ei->file_acl = r->i_file_acl;
}

static int ext2_read_inode(struct inode *in)
{
	struct buf *b;
	uint32_t off;
	int err = locate(in->sb, in->ino, &b, &off);

	if (err)
		return err;
	from_disk(in, (struct ext2_inode *)(b->data + off));
	bcache_put(b);
	if (in->nlink == 0 || !mode_ok(in->mode))
		return ext2_error(in->sb, "inode not in use", in->ino);
	ext2_set_ops(in);
	return 0;
}

static void to_disk(struct inode *in, struct ext2_inode *r)
{
	struct ext2_inode_info *ei = EXT2_I(in);

	r->i_mode = (uint16_t)in->mode;
	r->i_uid = (uint16_t)in->uid;
	r->i_uid_high = (uint16_t)(in->uid >> 16);
	r->i_gid = (uint16_t)in->gid;
	r->i_gid_high = (uint16_t)(in->gid >> 16);
	r->i_links_count = (uint16_t)in->nlink;
	r->i_size = (uint32_t)in->size;
	if (S_ISREG(in->mode))
		r->i_size_high = (uint32_t)(in->size >> 32);
	r->i_blocks = (uint32_t)in->blocks;
	r->i_atime = (uint32_t)in->atime;
	r->i_mtime = (uint32_t)in->mtime;
	r->i_ctime = (uint32_t)in->ctime;
	r->i_dtime = ei->dtime;
	r->i_flags = ei->flags;
	if (S_ISCHR(in->mode) || S_ISBLK(in->mode))
		rdev_to_disk(in->rdev, ei->block);
	memcpy(r->i_block, ei->block, sizeof(ei->block));
}

/* The in-memory inode into its record (a dirty buffer; written at sync).
 * A file past 2 GiB needs the large_file feature: set it if missing. */
int ext2_write_inode(struct inode *in)
{
	struct buf *b;
	uint32_t off;
	int err = locate(in->sb, in->ino, &b, &off);

	if (err)
		return err;
	if (in->size >> 31)
		EXT2_FS(in->sb)->es.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
	to_disk(in, (struct ext2_inode *)(b->data + off));
	bcache_dirty(b);
	bcache_put(b);
	return 0;
}

/* A new inode's record: zeroed, with i_extra_isize as mke2fs sets it. */
int ext2_init_record(struct inode *in)
{
	struct ext2_fs *fs = EXT2_FS(in->sb);
	struct buf *b;
	uint32_t off;
	int err = locate(in->sb, in->ino, &b, &off);

	if (err)
		return err;
	struct ext2_inode *r = (struct ext2_inode *)(b->data + off);
	memset(r, 0, fs->isz);
	if (fs->isz > 128) {
		uint16_t want;
		memcpy(&want, (char *)&fs->es + EXT2_WANT_EXTRA_ISIZE_OFF, 2);
		r->i_extra_isize = want && want <= fs->isz - 128 ? want : 32;
	}
	bcache_dirty(b);
	bcache_put(b);
	return 0;
}

/* ------------------------------------------------------------ block map */

/* Logical block -> path of slot indexes; returns depth (1..4) or -EFBIG. */
static int block_path(struct ext2_fs *fs, uint64_t lb, uint32_t off[4])
{
	uint64_t apb = fs->apb;

	if (lb < EXT2_NDIR) {
		off[0] = (uint32_t)lb;
		return 1;
	}
	lb -= EXT2_NDIR;
	if (lb < apb) {
		off[0] = EXT2_IND, off[1] = (uint32_t)lb;
		return 2;
	}
	lb -= apb;
	if (lb < apb * apb) {
		off[0] = EXT2_DIND, off[1] = (uint32_t)(lb / apb), off[2] = lb % apb;
		return 3;
	}
	lb -= apb * apb;
	if (lb < apb * apb * apb) {
		off[0] = EXT2_TIND, off[1] = (uint32_t)(lb / (apb * apb));
		off[2] = (lb / apb) % apb, off[3] = lb % apb;
		return 4;
	}
	return -EFBIG;
}

static uint32_t goal_group(struct inode *in)
{
	return (uint32_t)((in->ino - 1) / EXT2_FS(in->sb)->ipg);
}

/* Fill an empty slot with a new block (zeroed through the buffer cache
 * when it will hold pointers). */
static int alloc_into(struct inode *in, uint32_t *slot, bool indirect)
{
	uint32_t nb;
	int err = ext2_new_block(in->sb, goal_group(in), &nb);

	if (err)
		return err;
	if (indirect) {
		struct buf *b = bcache_zero(in->sb->dev, nb, in->sb->block_size, &err);
		if (!b) {
			ext2_free_block(in->sb, nb);
			return err;
		}
		bcache_put(b);
	}
	*slot = nb;
	in->blocks += in->sb->block_size / 512;
	return 0;
}

/* Follow one indirect block: *b is the block, idx the slot in it. */
static int step_indirect(struct inode *in, uint32_t *b, uint32_t idx,
			 bool create, bool indirect_child)
{
	struct buf *buf;
	int err = ext2_bread(in->sb, *b, &buf);

	if (err)
		return err;
	uint32_t *slots = (uint32_t *)buf->data;
	if (!slots[idx] && create) {
		err = alloc_into(in, &slots[idx], indirect_child);
		if (!err)
			bcache_dirty(buf);
	}
	*b = slots[idx];
	bcache_put(buf);
	return err;
}

/*
 * The disk block behind logical block lb of the inode, or 0 for a hole.
 * With create, holes (and missing indirect blocks) are allocated. Every
 * pointer is checked against the file system's size: -EUCLEAN if bad.
 */
int ext2_get_block(struct inode *in, uint64_t lb, bool create, uint32_t *out)
{
	struct ext2_inode_info *ei = EXT2_I(in);
	uint32_t off[4];
	int depth = block_path(EXT2_FS(in->sb), lb, off), err = 0;

	if (depth < 0)
		return depth;
	uint32_t *slot = &ei->block[off[0]];
	bool changed = false;
	if (!*slot && create) {
		if ((err = alloc_into(in, slot, depth > 1)))
			return err;
		changed = true;
	}
	uint32_t b = *slot;
	for (int level = 1; level < depth && b && !err; level++) {
		if (!ext2_block_ok(in->sb, b))
			return ext2_error(in->sb, "block pointer in inode", in->ino);
		uint64_t before = in->blocks;
		err = step_indirect(in, &b, off[level], create, level + 1 < depth);
		changed |= in->blocks != before;
	}
	if (!err && b && !ext2_block_ok(in->sb, b))
		err = ext2_error(in->sb, "block pointer in inode", in->ino);
	if (changed)
		ext2_write_inode(in);
	*out = err ? 0 : b;
	return err;
}

/* ------------------------------------------------------------ truncate */

/*
 * Free the blocks of the subtree in *slot (depth levels of indirection
 * below it; 0: a data block) whose index in the subtree is >= from.
 */
static int trunc_tree(struct inode *in, uint32_t *slot, int depth, uint64_t from)
{
	struct ext2_fs *fs = EXT2_FS(in->sb);
	uint32_t b = *slot;
	int err = 0;

	uint64_t span = 1;             /* data blocks under one child */

	for (int i = 1; i < depth; i++)
		span *= fs->apb;
	if (!b || (depth > 0 && from >= span * fs->apb))
		return 0;
	if (!ext2_block_ok(in->sb, b))
		return ext2_error(in->sb, "block pointer in inode", in->ino);
	if (depth > 0) {
		struct buf *buf;
		if ((err = ext2_bread(in->sb, b, &buf)))
			return err;
		uint32_t *slots = (uint32_t *)buf->data;
		for (uint32_t c = (uint32_t)(from / span); c < fs->apb && !err; c++) {
			uint64_t start = c * span;
			if (!slots[c])
				continue;
			err = trunc_tree(in, &slots[c], depth - 1, from > start ? from - start : 0);
			bcache_dirty(buf);
		}
		bcache_put(buf);
	}
	if (from == 0 && !err) {
		err = ext2_free_block(in->sb, b);
		in->blocks -= in->sb->block_size / 512;
		*slot = 0;
	}
	return err;
}

/* Free every block at logical index >= first. */
static int free_from(struct inode *in, uint64_t first)
{
	struct ext2_inode_info *ei = EXT2_I(in);
	uint64_t apb = EXT2_FS(in->sb)->apb, start = EXT2_NDIR;
	uint64_t span[3] = { apb, apb * apb, apb * apb * apb };
	int err = 0;

	for (uint64_t i = first; i < EXT2_NDIR && !err; i++)
		err = trunc_tree(in, &ei->block[i], 0, 0);
	for (int d = 0; d < 3 && !err; d++) {
		err = trunc_tree(in, &ei->block[EXT2_IND + d], d + 1,
				 first > start ? first - start : 0);
		start += span[d];
	}
	return err;
}

/* Zero the cached tail of the page holding byte `size`, so that a later
 * extension reads zeros there (the block is written back as a whole). */
static int zero_tail(struct inode *in, uint64_t size)
{
	uint32_t off = size & (PAGE_SIZE - 1);
	struct page *p;

	if (!off || size >= in->size)
		return 0;
	int err = pcache_get(in, size >> PAGE_SHIFT, true, &p, NULL);
	if (err)
		return err;
	replica_before_write(p);
	memset((char *)page_address(p) + off, 0, PAGE_SIZE - off);
	pcache_set_dirty(p);
	pcache_put_page(p);
	return 0;
}

int ext2_truncate(struct inode *in, uint64_t size)
{
	uint32_t bs = in->sb->block_size;
	int err = 0;

	if (ext2_fast_symlink(in))
		return -EINVAL;
	if (size < in->size) {
		if ((err = zero_tail(in, size)))
			return err;
		pcache_truncate(in, ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT);
	}
	err = free_from(in, (size + bs - 1) / bs);
	if (size != in->size)
		in->mtime = in->ctime = fs_now();
	in->size = size;
	ext2_write_inode(in);
	return err;
}

/* Last reference to an unlinked inode: free its blocks and the inode. */
static void ext2_evict_inode(struct inode *in)
{
	struct ext2_inode_info *ei = EXT2_I(in);

	if (maps_blocks(in))
		free_from(in, 0);
	ei->dtime = (uint32_t)fs_now();
	in->size = 0;
	ext2_write_inode(in);
	ext2_free_inode(in->sb, (uint32_t)in->ino, S_ISDIR(in->mode));
}

/* ------------------------------------------------------------ pages */

static int page_io(struct inode *in, struct page *p, int op)
{
	struct ext2_fs *fs = EXT2_FS(in->sb);
	uint32_t per_page = PAGE_SIZE / fs->bs;
	char *data = page_address(p);

	for (uint32_t i = 0; i < per_page; i++) {
		uint64_t lb = p->index * per_page + i;
		uint32_t pb = 0;
		if (lb * fs->bs >= ALIGN_UP(in->size, fs->bs))
			pb = 0;             /* past EOF: nothing on disk */
		else if (ext2_fast_symlink(in))
			return -EINVAL;
		else {
			int err = ext2_get_block(in, lb, false, &pb);
			if (err)
				return err;
		}
		char *d = data + i * fs->bs;
		int err = 0;
		if (op == BLK_READ && !pb)
			memset(d, 0, fs->bs);
		else if (op == BLK_READ)
			err = blk_read(in->sb->dev, (uint64_t)pb * fs->spb, fs->spb, d);
		else if (pb)
			err = blk_write(in->sb->dev, (uint64_t)pb * fs->spb, fs->spb, d);
		if (err)
			return -EIO;
	}
	return 0;
}

static int ext2_readpage(struct inode *in, struct page *p)
{
	return page_io(in, p, BLK_READ);
}

static int ext2_writepage(struct inode *in, struct page *p)
{
	return page_io(in, p, BLK_WRITE);
}

static int ext2_prepare_write(struct inode *in, uint64_t index, uint32_t from,
			      uint32_t to)
{
	uint32_t bs = in->sb->block_size, pb;
	uint64_t first = (index * PAGE_SIZE + from) / bs;
	uint64_t last = (index * PAGE_SIZE + to - 1) / bs;

	for (uint64_t lb = first; lb <= last; lb++) {
		int err = ext2_get_block(in, lb, true, &pb);
		if (err)
			return err;
	}
	return 0;
}

const struct address_space_ops ext2_aops = {
	.readpage = ext2_readpage,
	.writepage = ext2_writepage,
	.prepare_write = ext2_prepare_write,
};

int ext2_sync(struct super_block *sb);
void ext2_put_super(struct super_block *sb);
int ext2_statfs(struct super_block *sb, struct kstatfs *st);

const struct super_ops ext2_super_ops = {
	.alloc_inode = ext2_alloc_inode,
	.free_inode = ext2_free_inode_mem,
	.read_inode = ext2_read_inode,
	.write_inode = ext2_write_inode,
	.evict_inode = ext2_evict_inode,
	.sync = ext2_sync,
	.put_super = ext2_put_super,
	.statfs = ext2_statfs,
};
