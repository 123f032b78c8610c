/*
 * ext2 directories: a directory's data (in the page cache) is a sequence
 * of blocks, each a chain of entries that exactly covers it:
 *
 *   | ino 2, rec 12, "."  | ino 2, rec 12, ".." | ino 12, rec 1000, "f" |
 *
 * A deleted entry is merged into the one before it (or gets inode 0 when
 * it is first in its block); a new entry goes into the slack after an
 * entry or into an unused one, or into a new block at the end.
 * Every block is checked before use: rec_len a multiple of 4, at least
 * the entry's size, inside the block; name_len inside rec_len; inode
 * number in range. A bad block gives -EUCLEAN.
 */
#include <kernel/ext2.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/string.h>

static uint32_t name_len(struct ext2_fs *fs, const struct ext2_dirent *d)
{
	return fs->filetype ? d->name_len : d->name_len | (uint32_t)d->file_type << 8;
}

static int check_block(struct inode *dir, const char *blk, uint64_t bno)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);

	for (uint32_t off = 0; off < fs->bs;) {
		const struct ext2_dirent *d = (const void *)(blk + off);
		uint32_t rec = d->rec_len;
		if (off + 8 > fs->bs || rec < 8 || rec % 4 || off + rec > fs->bs ||
		    EXT2_DIRENT_LEN(name_len(fs, d)) > rec)
			return ext2_error(dir->sb, "directory entry length in inode", dir->ino);
		if (d->inode > fs->ninodes)
			return ext2_error(dir->sb, "inode number in directory entry", d->inode);
		off += rec;
	}
	(void)bno;
	return 0;
}

/* Directory block bno: its page (referenced) and where it starts. */
static int get_block(struct inode *dir, uint64_t bno, struct page **p, char **blk)
{
	uint32_t bs = dir->sb->block_size;
	uint64_t byte = bno * bs;
	int err = pcache_get(dir, byte >> PAGE_SHIFT, true, p, NULL);

	if (err)
		return err;
	*blk = (char *)page_address(*p) + (byte & (PAGE_SIZE - 1));
	if ((err = check_block(dir, *blk, bno)))
		pcache_put_page(*p);
	return err;
}

static uint64_t nr_blocks(struct inode *dir)
{
	return dir->size / dir->sb->block_size;
}

void ext2_slot_done(struct ext2_slot *s)
{
	if (s->page)
		pcache_put_page(s->page);
	s->page = NULL;
}

/* The entry called name: 0 (s filled, page referenced) or -ENOENT. */
int ext2_find_entry(struct inode *dir, const char *name, size_t len,
		    struct ext2_slot *s)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);

	s->page = NULL;
	for (uint64_t b = 0; b < nr_blocks(dir); b++) {
		int err = get_block(dir, b, &s->page, &s->blk);
		if (err)
			return err;
		for (uint32_t off = 0, prev = 0; off < fs->bs;) {
			struct ext2_dirent *d = (void *)(s->blk + off);
			if (d->inode && name_len(fs, d) == len && !memcmp(d->name, name, len)) {
				s->off = off;
				s->prev = prev;
				return 0;
			}
			prev = off;
			off += d->rec_len;
		}
		ext2_slot_done(s);
	}
	return -ENOENT;
}

static uint8_t ftype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 1;
	case S_IFDIR: return 2;
	case S_IFCHR: return 3;
	case S_IFBLK: return 4;
	case S_IFIFO: return 5;
	case S_IFSOCK: return 6;
	case S_IFLNK: return 7;
	}
	return 0;
}

static void fill_entry(struct ext2_fs *fs, struct ext2_dirent *d, const char *name,
		       size_t len, uint32_t ino, uint32_t mode)
{
	d->inode = ino;
	d->name_len = (uint8_t)len;
	d->file_type = fs->filetype ? ftype(mode) : 0;
	memcpy(d->name, name, len);
}

/* We keep hashed (dir_index) directories linear: once changed, the
 * hash tree would be stale, so the flag goes (as Linux's ext2 does). */
static void dir_changed(struct inode *dir, struct page *p)
{
	pcache_set_dirty(p);
	EXT2_I(dir)->flags &= ~EXT2_INDEX_FL;
	dir->mtime = dir->ctime = fs_now();
}

/* Put the entry into an unused entry or the slack after one, in blk. */
static bool add_in_block(struct ext2_fs *fs, char *blk, const char *name,
			 size_t len, uint32_t ino, uint32_t mode)
{
	uint32_t need = EXT2_DIRENT_LEN(len);

	for (uint32_t off = 0; off < fs->bs;) {
		struct ext2_dirent *d = (void *)(blk + off);
		uint32_t used = d->inode ? EXT2_DIRENT_LEN(name_len(fs, d)) : 0;
		if (d->rec_len - used >= need) {
			if (used) {
				struct ext2_dirent *n = (void *)(blk + off + used);
				n->rec_len = (uint16_t)(d->rec_len - used);
				d->rec_len = (uint16_t)used;
				d = n;
			}
			fill_entry(fs, d, name, len, ino, mode);
			return true;
		}
		off += d->rec_len;
	}
	return false;
}

/* Append an empty block to the directory; returns its page and address. */
static int grow_dir(struct inode *dir, struct page **p, char **blk)
{
	uint32_t bs = dir->sb->block_size, pb;
	uint64_t bno = nr_blocks(dir), byte = bno * bs;
	int err = ext2_get_block(dir, bno, true, &pb);

	if (err)
		return err;
	err = pcache_get(dir, byte >> PAGE_SHIFT, byte & (PAGE_SIZE - 1), p, NULL);
	if (err)
		return err;
	*blk = (char *)page_address(*p) + (byte & (PAGE_SIZE - 1));
	memset(*blk, 0, bs);
	((struct ext2_dirent *)*blk)->rec_len = (uint16_t)bs;
	dir->size += bs;
	return 0;
}

/* Add name -> ino (the caller checked it is not there). */
int ext2_add_entry(struct inode *dir, const char *name, size_t len,
		   uint32_t ino, uint32_t mode)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct page *p;
	char *blk;
	int err;

	for (uint64_t b = 0; b < nr_blocks(dir); b++) {
		if ((err = get_block(dir, b, &p, &blk)))
			return err;
		if (add_in_block(fs, blk, name, len, ino, mode))
			goto done;
		pcache_put_page(p);
	}
	if ((err = grow_dir(dir, &p, &blk)))
		return err;
	add_in_block(fs, blk, name, len, ino, mode);
done:
	dir_changed(dir, p);
	pcache_put_page(p);
	return ext2_write_inode(dir);
}

int ext2_delete_entry(struct inode *dir, struct ext2_slot *s)
{
	struct ext2_dirent *d = (void *)(s->blk + s->off);

	if (s->off == 0) {
		d->inode = 0;
	} else {
		struct ext2_dirent *prev = (void *)(s->blk + s->prev);
		prev->rec_len = (uint16_t)(prev->rec_len + d->rec_len);
	}
	dir_changed(dir, s->page);
	return ext2_write_inode(dir);
}

/* Point an existing entry at another inode (rename over a file, ".."). */
void ext2_set_entry(struct inode *dir, struct ext2_slot *s, uint32_t ino,
		    uint32_t mode)
{
	struct ext2_dirent *d = (void *)(s->blk + s->off);

	d->inode = ino;
	if (EXT2_FS(dir->sb)->filetype)
		d->file_type = ftype(mode);
	dir_changed(dir, s->page);
	ext2_write_inode(dir);
}

/* The first block of a new directory: "." and "..". */
int ext2_make_empty(struct inode *dir, uint32_t parent)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct page *p;
	char *blk;
	int err = grow_dir(dir, &p, &blk);

	if (err)
		return err;
	struct ext2_dirent *dot = (void *)blk;
	fill_entry(fs, dot, ".", 1, (uint32_t)dir->ino, S_IFDIR);
	dot->rec_len = 12;
	struct ext2_dirent *dotdot = (void *)(blk + 12);
	fill_entry(fs, dotdot, "..", 2, parent, S_IFDIR);
	dotdot->rec_len = (uint16_t)(fs->bs - 12);
	dir_changed(dir, p);
	pcache_put_page(p);
	return ext2_write_inode(dir);
}

static bool is_dots(struct ext2_fs *fs, const struct ext2_dirent *d)
{
	uint32_t n = name_len(fs, d);

	return (n == 1 && d->name[0] == '.') ||
	       (n == 2 && d->name[0] == '.' && d->name[1] == '.');
}

/* 1 if the directory holds nothing but "." and "..", 0 if it does. */
int ext2_dir_empty(struct inode *dir)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct page *p;
	char *blk;

	for (uint64_t b = 0; b < nr_blocks(dir); b++) {
		int err = get_block(dir, b, &p, &blk);
		if (err)
			return err;
		for (uint32_t off = 0; off < fs->bs;) {
			struct ext2_dirent *d = (void *)(blk + off);
			if (d->inode && !is_dots(fs, d)) {
				pcache_put_page(p);
				return 0;
			}
			off += d->rec_len;
		}
		pcache_put_page(p);
	}
	return 1;
}

static const uint8_t dtypes[8] = { DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR,
				   DT_BLK, DT_FIFO, DT_SOCK, DT_LNK };

/* Emit the entries of one block from byte `from`; updates *pos. 1 if
 * fill asked to stop. */
static int readdir_block(struct inode *dir, char *blk, uint64_t base,
			 uint64_t *pos, filldir_t fill, void *ctx)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t off = 0;

	while (off < fs->bs) {
		struct ext2_dirent *d = (void *)(blk + off);
		uint32_t next = off + d->rec_len;
		if (base + off >= *pos && d->inode) {
			unsigned t = fs->filetype && d->file_type < 8 ? dtypes[d->file_type] : DT_UNKNOWN;
			if (fill(ctx, d->name, name_len(fs, d), d->inode, t, base + next))
				return 1;
		}
		if (base + off >= *pos)
			*pos = base + next;
		off = next;
	}
	return 0;
}

/* List entries from byte offset *pos (always an entry boundary that an
 * earlier readdir returned, or 0). 0 at the end, 1 if fill stopped. */
int ext2_readdir(struct inode *dir, uint64_t *pos, filldir_t fill, void *ctx)
{
	uint32_t bs = dir->sb->block_size;

	for (uint64_t b = *pos / bs; b < nr_blocks(dir); b++) {
		struct page *p;
		char *blk;
		int err = get_block(dir, b, &p, &blk);
		if (err)
			return err;
		int stop = readdir_block(dir, blk, b * bs, pos, fill, ctx);
		pcache_put_page(p);
		if (stop)
			return 1;
	}
	return 0;
}
