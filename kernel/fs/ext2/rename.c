/*
 * ext2 rename: the one name operation that touches two directories and
 * possibly three inodes. In order:
 *
 *   1. find the source entry and its inode;
 *   2. a directory may not move below itself: walk ".." up from the
 *      target directory to the root; meeting the source is -EINVAL, and a
 *      walk that never reaches the root is a corrupt (cyclic) tree;
 *   3. the target name: point its entry at the source inode (dropping a
 *      link of what it named) or add a new entry;
 *   4. remove the source entry (found again: step 3 may have moved it);
 *   5. a moved directory's ".." now names its new parent: fix the link
 *      counts of both parents.
 */
#include <kernel/ext2.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define MAX_DEPTH 4096                /* deeper than this is a cycle */

/* 0 if dir is not inside `sub` (nor sub itself), -EINVAL if it is. */
static int check_not_below(struct inode *dir, struct inode *sub)
{
	struct inode *cur = inode_get(dir);
	int err = 0, steps = 0;

	while (!err && cur->ino != EXT2_ROOT_INO) {
		struct inode *up;
		if (cur->ino == sub->ino)
			err = -EINVAL;
		else if (++steps > MAX_DEPTH)
			err = ext2_error(dir->sb, "directory cycle through .. at inode", cur->ino);
		else if (!(err = dir->iops->lookup(cur, "..", 2, &up))) {
			if (up == cur)
				err = ext2_error(dir->sb, "directory is its own parent, inode", cur->ino);
			inode_put(cur);
			cur = up;
		}
	}
	inode_put(cur);
	return err;
}

/* May `old` replace `victim` (the inode the target name has)? */
static int check_replace(struct inode *old, struct inode *victim)
{
	if (S_ISDIR(old->mode) && !S_ISDIR(victim->mode))
		return -ENOTDIR;
	if (!S_ISDIR(old->mode) && S_ISDIR(victim->mode))
		return -EISDIR;
	if (S_ISDIR(victim->mode)) {
		if (victim->covered)
			return -EBUSY;
		int e = ext2_dir_empty(victim);
		return e < 0 ? e : e ? 0 : -ENOTEMPTY;
	}
	return 0;
}

/* Step 3: make nname in ndir name old. 1 if it already does. */
static int set_target(struct inode *ndir, const char *nname, size_t nlen,
		      struct inode *old)
{
	struct ext2_slot s;
	struct inode *victim;
	int err = ext2_find_entry(ndir, nname, nlen, &s);

	if (err == -ENOENT)
		return ext2_add_entry(ndir, nname, nlen, (uint32_t)old->ino, old->mode);
	if (err)
		return err;
	err = iget(ndir->sb, ((struct ext2_dirent *)(s.blk + s.off))->inode, &victim);
	if (err) {
		ext2_slot_done(&s);
		return err;
	}
	if (victim == old)
		err = 1;                  /* two names of one inode: nothing to do */
	else if (!(err = check_replace(old, victim))) {
		ext2_set_entry(ndir, &s, (uint32_t)old->ino, old->mode);
		if (S_ISDIR(victim->mode)) {
			victim->nlink = 0;
			ndir->nlink--;
		} else {
			victim->nlink--;
		}
		victim->ctime = fs_now();
		ext2_write_inode(victim);
	}
	ext2_slot_done(&s);
	inode_put(victim);
	return err;
}

/* Step 5: old (a directory) moved from odir to ndir. */
static int fix_dotdot(struct inode *old, struct inode *odir, struct inode *ndir)
{
	struct ext2_slot s;
	int err = ext2_find_entry(old, "..", 2, &s);

	if (err)
		return err == -ENOENT ? ext2_error(old->sb, "no .. in directory", old->ino) : err;
	ext2_set_entry(old, &s, (uint32_t)ndir->ino, S_IFDIR);
	ext2_slot_done(&s);
	odir->nlink--;
	ndir->nlink++;
	ext2_write_inode(odir);
	return ext2_write_inode(ndir);
}

static int lookup_source(struct inode *odir, const char *oname, size_t olen,
			 struct inode **old)
{
	struct ext2_slot s;
	int err = ext2_find_entry(odir, oname, olen, &s);

	if (err)
		return err;
	uint32_t ino = ((struct ext2_dirent *)(s.blk + s.off))->inode;
	ext2_slot_done(&s);
	return iget(odir->sb, ino, old);
}

static int remove_source(struct inode *odir, const char *oname, size_t olen)
{
	struct ext2_slot s;
	int err = ext2_find_entry(odir, oname, olen, &s);

	if (err)
		return err;
	err = ext2_delete_entry(odir, &s);
	ext2_slot_done(&s);
	return err;
}

int ext2_rename(struct inode *odir, const char *oname, size_t olen,
		struct inode *ndir, const char *nname, size_t nlen)
{
	struct inode *old;
	int err = lookup_source(odir, oname, olen, &old);

	if (err)
		return err;
	if (odir == ndir && olen == nlen && !memcmp(oname, nname, olen))
		goto out;
	if (S_ISDIR(old->mode) && odir != ndir && (err = check_not_below(ndir, old)))
		goto out;
	if ((err = set_target(ndir, nname, nlen, old))) {
		err = err == 1 ? 0 : err;
		goto out;
	}
	if ((err = remove_source(odir, oname, olen)))
		goto out;
	old->ctime = fs_now();
	ext2_write_inode(old);
	if (S_ISDIR(old->mode) && odir != ndir)
		err = fix_dotdot(old, odir, ndir);
out:
	inode_put(old);
	return err;
}
