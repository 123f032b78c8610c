/*
 * Path lookup: from a path to an inode, one component at a time.
 *
 *   "/usr/../etc/motd"   start at the root; "usr": look up in "/";
 *                        "..": up; "etc": look up; "motd": the result.
 *
 * Each step holds a reference on the directory it is in and takes one on
 * the next inode before dropping the old. Mount points are crossed on the
 * way down (a covered directory is replaced by the mounted root) and on the
 * way up ("..' at a mounted root goes to the covered directory first).
 * Symlinks are expanded by looking up their target from the directory that
 * holds them: at most SYMLOOP_MAX per lookup, nested at most MAX_NEST deep
 * (each nesting level is a recursion: the limit bounds the stack).
 */
#include <kernel/vfs.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define MAX_NEST 8

struct nameidata {
	struct inode *root;        /* "/" for this lookup (referenced) */
	int links;                 /* symlinks followed so far */
	int depth;                 /* symlink nesting */
};

static int walk(struct nameidata *nd, struct inode *start, const char *path,
		int flags, struct inode **out);

/* Replace a covered directory by the root mounted on it. */
static struct inode *cross_down(struct inode *i)
{
	while (i->covered) {
		struct inode *r = inode_get(i->covered->sb->root);
		inode_put(i);
		i = r;
	}
	return i;
}

static int fs_lookup(struct inode *dir, const char *name, size_t len,
		     struct inode **out)
{
	fs_lock(&dir->sb->lock);
	int err = dir->iops->lookup(dir, name, len, out);
	fs_unlock(&dir->sb->lock);
	return err;
}

/* "..": at the lookup's root stay; at a mounted root, first step out. */
static int step_up(struct nameidata *nd, struct inode *dir, struct inode **out)
{
	inode_get(dir);
	while (dir != nd->root && dir == dir->sb->root && dir->sb->mnt &&
	       dir->sb->mnt->mountpoint) {
		struct inode *mp = inode_get(dir->sb->mnt->mountpoint);
		inode_put(dir);
		dir = mp;
	}
	if (dir == nd->root) {
		*out = dir;
		return 0;
	}
	int err = fs_lookup(dir, "..", 2, out);
	inode_put(dir);
	return err;
}

static int lookup_one(struct nameidata *nd, struct inode *dir, const char *name,
		      size_t len, struct inode **out)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 1 && name[0] == '.') {
		*out = inode_get(dir);
		return 0;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return step_up(nd, dir, out);
	int err = fs_lookup(dir, name, len, out);
	if (!err)
		*out = cross_down(*out);
	return err;
}

/* Replace *link (a symlink found in dir) by what its target names. */
static int follow(struct nameidata *nd, struct inode *dir, struct inode **link)
{
	if (++nd->links > SYMLOOP_MAX || nd->depth >= MAX_NEST)
		return -ELOOP;
	char *buf = kmalloc(PATH_MAX);
	if (!buf)
		return -ENOMEM;
	struct inode *l = *link;
	fs_lock(&l->sb->lock);
	int n = l->iops->readlink ? l->iops->readlink(l, buf, PATH_MAX - 1) : -EINVAL;
	fs_unlock(&l->sb->lock);
	int err = n < 0 ? n : n == 0 ? -ENOENT : 0;
	if (!err) {
		struct inode *target;
		buf[n] = 0;
		nd->depth++;
		err = walk(nd, dir, buf, LOOKUP_FOLLOW, &target);
		nd->depth--;
		if (!err) {
			inode_put(l);
			*link = target;
		}
	}
	kfree(buf);
	return err;
}

/* One component [p, e) of a walk: look it up in *cur and move there. */
static int step(struct nameidata *nd, struct inode **cur, const char *p,
		const char *e, bool follow_it)
{
	struct inode *next;
	int err = lookup_one(nd, *cur, p, (size_t)(e - p), &next);

	if (err)
		return err;
	if (S_ISLNK(next->mode) && follow_it) {
		err = follow(nd, *cur, &next);
		if (err) {
			inode_put(next);
			return err;
		}
	}
	inode_put(*cur);
	*cur = next;
	return 0;
}

static int walk(struct nameidata *nd, struct inode *start, const char *path,
		int flags, struct inode **out)
{
	struct inode *cur = inode_get(path[0] == '/' || !start ? nd->root : start);
	const char *p = path;
	bool dir_wanted = false;

	if (!*path) {
		inode_put(cur);
		return -ENOENT;
	}
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		const char *rest = e;
		while (*rest == '/')
			rest++;
		bool last = !*rest;
		dir_wanted = *e == '/';
		int err = step(nd, &cur, p, e, !last || dir_wanted ||
			       (flags & LOOKUP_FOLLOW));
		if (err) {
			inode_put(cur);
			return err;
		}
		p = e;
	}
	if (dir_wanted && !S_ISDIR(cur->mode)) {
		inode_put(cur);
		return -ENOTDIR;
	}
	*out = cur;
	return 0;
}

int vfs_lookup(struct inode *cwd, const char *path, int flags, struct inode **out)
{
	struct nameidata nd = { vfs_root(), 0, 0 };

	*out = NULL;                         /* callers may test it on failure */
	if (!nd.root)
		return -ENOENT;
	if (strnlen(path, PATH_MAX) >= PATH_MAX) {
		inode_put(nd.root);
		return -ENAMETOOLONG;
	}
	int err = walk(&nd, cwd, path, flags, out);
	inode_put(nd.root);
	return err;
}

/*
 * Split path into its directory (looked up, referenced) and last name.
 * Trailing slashes are ignored ("a/b/" names "b" in "a"). A path with no
 * last name ("/", "") gives -EEXIST and -ENOENT.
 */
int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir,
		      char name[NAME_MAX + 1])
{
	size_t n = strnlen(path, PATH_MAX);

	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	if (s == n)
		return -EEXIST;              /* "/" */
	if (n - s > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, path + s, n - s);
	name[n - s] = 0;
	char *head = kmalloc(s + 2);
	if (!head)
		return -ENOMEM;
	if (s == 0)
		strlcpy(head, ".", 2);
	else
		strlcpy(head, path, s + 1);
	int err = vfs_lookup(cwd, head, LOOKUP_FOLLOW, dir);
	kfree(head);
	if (!err && !S_ISDIR((*dir)->mode)) {
		inode_put(*dir);
		err = -ENOTDIR;
	}
	return err;
}
