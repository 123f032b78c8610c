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
		err = path_normalize(base, path, norm, PATH_MAX);
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
