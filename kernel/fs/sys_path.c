/*
 * System calls on path names: stat, mkdir, unlink, rename, link,
 * symlink, readlink, chdir, getcwd, truncate, execve, sync. Each copies
 * the path in from user space first (-EFAULT, -ENAMETOOLONG).
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <kernel/stat.h>
#include <kernel/exec.h>
#include <kernel/cwd.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000

/* A user path in a kmalloc'd buffer (PATH_MAX bytes). */
static int get_path(const char *upath, char **out)
{
	char *buf = kmalloc(PATH_MAX);

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	ssize_t n = strncpy_from_user(buf, upath, PATH_MAX);
	if (n < 0 || n == 0) {
		kfree(buf);
		return n < 0 ? (int)n : -ENOENT;
	}
	*out = buf;
	return 0;
}

/* The same for the other path calls (stat.h). */
int path_from_user(const char *upath, char **out)
{
	return get_path(upath, out);
}

static int stat_at(int64_t dirfd, const char *upath, void *ustat, uint64_t flags)
{
	struct kstat st;
	struct inode *dir;
	char *path = NULL;
	int err;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	char first;
	if ((flags & AT_EMPTY_PATH) && !copy_from_user(&first, upath, 1) && !first)
		return sys_fstat(dirfd, (uint64_t)ustat, 0, 0, 0, 0);
	err = get_path(upath, &path);
	if (err)
		return err;
	err = at_dir(dirfd, path, &dir);
	if (!err) {
		err = vfs_stat(dir, path, flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &st);
		if (dir)
			inode_put(dir);
	}
	kfree(path);
	return err ? err : stat_to_user(&st, ustat);
}

SYSCALL(stat) { return stat_at(AT_FDCWD, (const char *)a0, (void *)a1, 0); }
SYSCALL(lstat) { return stat_at(AT_FDCWD, (const char *)a0, (void *)a1, AT_SYMLINK_NOFOLLOW); }
SYSCALL(newfstatat) { return stat_at((int)a0, (const char *)a1, (void *)a2, a3); }

/* Run op on one user path relative to the cwd (a reference: another
 * CLONE_FS task may chdir meanwhile). */
#define PATH_CALL(name, expr)                                              \
	SYSCALL(name)                                                      \
	{                                                                  \
		char *path;                                                \
		int err = get_path((const char *)a0, &path);               \
		if (err)                                                   \
			return err;                                        \
		struct inode *cwd = fs_cwd(current);                       \
		err = (expr);                                              \
		if (cwd)                                                   \
			inode_put(cwd);                                    \
		kfree(path);                                               \
		return err;                                                \
	}

/* The creating calls apply the process's umask (umask(2)). */
PATH_CALL(mkdir, vfs_mkdir(cwd, path, a1 & 07777 & ~fs_umask(current)))
PATH_CALL(rmdir, vfs_rmdir(cwd, path))
PATH_CALL(unlink, vfs_unlink(cwd, path))
PATH_CALL(truncate, (int64_t)a1 < 0 ? -EINVAL : vfs_truncate(cwd, path, a1))
PATH_CALL(chdir, cwd_change(current, path))
PATH_CALL(mknod, vfs_mknod(cwd, path, (uint32_t)a1 & ~fs_umask(current), (uint32_t)a2))

SYSCALL(mknodat)
{
	struct inode *dir;
	char *path;
	int err = get_path((const char *)a1, &path);

	if (err)
		return err;
	err = at_dir((int64_t)(int)a0, path, &dir);
	if (!err) {
		err = vfs_mknod(dir, path, (uint32_t)a2 & ~fs_umask(current), (uint32_t)a3);
		if (dir)
			inode_put(dir);
	}
	kfree(path);
	return err;
}

/* Two user paths. */
#define PATH2_CALL(name, expr)                                             \
	SYSCALL(name)                                                      \
	{                                                                  \
		char *p1, *p2;                                             \
		int err = get_path((const char *)a0, &p1);                 \
		if (err)                                                   \
			return err;                                        \
		err = get_path((const char *)a1, &p2);                     \
		if (!err) {                                                \
			struct inode *cwd = fs_cwd(current);               \
			err = (expr);                                      \
			if (cwd)                                           \
				inode_put(cwd);                            \
			kfree(p2);                                         \
		}                                                          \
		kfree(p1);                                                 \
		return err;                                                \
	}

PATH2_CALL(rename, vfs_rename(cwd, p1, p2))
PATH2_CALL(link, vfs_link(cwd, p1, p2))
PATH2_CALL(symlink, vfs_symlink(cwd, p1, p2))

SYSCALL(readlink)
{
	char *path, *buf;
	int err;

	if ((int64_t)a2 <= 0)
		return -EINVAL;
	err = get_path((const char *)a0, &path);
	if (err)
		return err;
	buf = kmalloc(PATH_MAX);
	struct inode *cwd = fs_cwd(current);
	err = buf ? vfs_readlink(cwd, path, buf, MIN(a2, PATH_MAX)) : -ENOMEM;
	if (cwd)
		inode_put(cwd);
	if (err > 0 && copy_to_user((void *)a1, buf, err))
		err = -EFAULT;
	kfree(buf);
	kfree(path);
	return err;
}

SYSCALL(getcwd)
{
	return cwd_get(current, (char *)a0, a1);
}

SYSCALL(sync)
{
	vfs_sync();
	return 0;
}

SYSCALL(execve)
{
	struct exec_args args;
	char *path;
	int err = get_path((const char *)a0, &path);

	if (err)
		return err;
	err = exec_args_from_user(&args, (const char *const *)a1, (const char *const *)a2);
	if (!err)
		err = do_execve(path, &args);
	exec_args_free(&args);
	kfree(path);
	return err;
}
