/* Working directories (cwd.h). */
#include <kernel/cwd.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

/* Append one component (len bytes) to out, handling "." and "..". */
static int push(char *out, size_t *len, size_t size, const char *c, size_t n)
{
	if (n == 1 && c[0] == '.')
		return 0;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		while (*len > 1 && out[*len - 1] != '/')
			(*len)--;
		if (*len > 1)
			(*len)--;                    /* the slash too, unless root */
		out[*len] = 0;
		return 0;
	}
	if (*len + (*len > 1) + n + 1 > size)
		return -ENAMETOOLONG;
	if (*len > 1)
		out[(*len)++] = '/';
	memcpy(out + *len, c, n);
	*len += n;
	out[*len] = 0;
	return 0;
}

static int push_all(char *out, size_t *len, size_t size, const char *path)
{
	while (*path) {
		while (*path == '/')
			path++;
		size_t n = 0;
		while (path[n] && path[n] != '/')
			n++;
		if (n && push(out, len, size, path, n))
			return -ENAMETOOLONG;
		path += n;
	}
	return 0;
}

int path_normalize(const char *base, const char *path, char *out, size_t size)
{
	size_t len = 1;

	if (size < 2)
		return -ENAMETOOLONG;
	strlcpy(out, "/", size);
	if (path[0] != '/' && push_all(out, &len, size, base))
		return -ENAMETOOLONG;
	return push_all(out, &len, size, path);
}

/* Take the first component of *rest (skipping slashes) into c[0..*n). */
static const char *next_component(const char **rest, size_t *n)
{
	const char *c = *rest;

	while (*c == '/')
		c++;
	*n = 0;
	while (c[*n] && c[*n] != '/')
		(*n)++;
	*rest = c + *n;
	return c;
}

/* Replace rest (size bytes) with link (n bytes) followed by what rest
 * held; out goes back to "/" when link is absolute. */
static int splice_link(char *rest, size_t size, const char *link, size_t n,
		       char *out, size_t *len)
{
	size_t tail = strlen(rest);

	if (n + 1 + tail + 1 > size)
		return -ENAMETOOLONG;
	memmove(rest + n + 1, rest, tail + 1);
	memcpy(rest, link, n);
	rest[n] = '/';
	if (link[0] == '/') {
		*len = 1;
		out[1] = 0;
	}
	return 0;
}

/* One step of path_resolve: component c (n bytes) onto out, then, when
 * out names a symbolic link, the link's target spliced in front of rest.
 * Returns 0, or a negative errno from the lookup. */
static int resolve_step(char *out, size_t *len, size_t size, const char *c, size_t n,
			char *rest, char *link, int *links)
{
	size_t before = *len;

	if (n == 2 && c[0] == '.' && c[1] == '.')
		return push(out, len, size, c, n);  /* out has no links: textual is right */
	if (push(out, len, size, c, n))
		return -ENAMETOOLONG;
	if (*len == before)
		return 0;                            /* "." */
	int r = vfs_readlink(NULL, out, link, PATH_MAX - 1);
	if (r == -EINVAL)
		return 0;                            /* not a symbolic link */
	if (r < 0)
		return r;
	if (++*links > 40)
		return -ELOOP;
	*len = before;
	out[before] = 0;
	return splice_link(rest, PATH_MAX, link, (size_t)r, out, len);
}

/*
 * Resolve path (relative to base, itself resolved) into out as Linux names
 * the file a lookup reaches: absolute, with no ".", "..", "//" and no
 * symbolic link, each link met being read and its target walked in its
 * place (at most 40 links: -ELOOP). Reads links through the VFS, so it may
 * sleep: call it with no spinlock held. Returns 0 or a negative errno
 * (-ENOENT for a missing component, -ENAMETOOLONG, -ENOMEM).
 */
int path_resolve(const char *base, const char *path, char *out, size_t size)
{
	char *rest = kmalloc(PATH_MAX), *link = kmalloc(PATH_MAX);
	int err = path_normalize(base, path[0] == '/' ? "/" : ".", out, size);
	size_t len = strlen(out);
	int links = 0;

	if (!rest || !link || strlcpy(rest, path, PATH_MAX) >= PATH_MAX)
		err = err ? err : (rest && link ? -ENAMETOOLONG : -ENOMEM);
	while (!err) {
		const char *cur = rest;
		size_t n;
		const char *c = next_component(&cur, &n);
		if (!n)
			break;
		char comp[256];
		if (n >= sizeof(comp)) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, c, n);
		memmove(rest, cur, strlen(cur) + 1);   /* rest: what follows c */
		err = resolve_step(out, &len, size, comp, n, rest, link, &links);
	}
	kfree(rest);
	kfree(link);
	return err;
}

/*
 * Make path the working directory of p (and of every task sharing its
 * fs_struct). The directory's inode is looked up first and its normalized
 * path made second; on any failure nothing of p changes and the inode
 * reference (if one was taken) is dropped. No lock held.
 */
int cwd_change(struct proc *p, const char *path)
{
	struct inode *dir = NULL, *cwd = fs_cwd(p);
	char *norm = kmalloc(PATH_MAX), *base = fs_cwd_path(p);
	int err = norm && base ? 0 : -ENOMEM;

	if (!err)
		err = vfs_lookup(cwd, path, LOOKUP_FOLLOW, &dir);
	if (!err && !S_ISDIR(dir->mode))
		err = -ENOTDIR;
	if (!err)
		err = path_resolve(base, path, norm, PATH_MAX);
	if (cwd)
		inode_put(cwd);
	kfree(base);
	if (err) {
		if (dir)
			inode_put(dir);
		kfree(norm);
		return err;
	}
	fs_set_cwd(p, dir, norm);        /* every CLONE_FS sharer sees it */
	return 0;
}

int64_t cwd_get(struct proc *p, char *ubuf, uint64_t size)
{
	char *path = fs_cwd_path(p);
	size_t len = path ? strlen(path) + 1 : 0;
	int64_t ret = !path ? -ENOMEM : size == 0 && ubuf ? -EINVAL : len > size ? -ERANGE :
		      copy_to_user(ubuf, path, len) ? -EFAULT : (int64_t)len;

	kfree(path);
	return ret;
}
