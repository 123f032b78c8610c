/*
 * Working directory and umask, shared by CLONE_FS (fs_struct.h has the
 * picture and the locking).
 */
#include <kernel/fs_struct.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/errno.h>

struct fs_struct *fs_new(struct inode *dir)
{
	struct fs_struct *fs = kzalloc(sizeof(*fs));

	if (!fs) {
		if (dir)
			inode_put(dir);
		return NULL;
	}
	fs->users = 1;
	spin_init(&fs->lock, "fs");
	fs->cwd = dir;
	fs->umask = 022;                 /* Linux's default for init */
	return fs;
}

/* One user less; the last frees it (puts the directory: may sleep). */
static void fs_put(struct fs_struct *fs)
{
	if (__atomic_sub_fetch(&fs->users, 1, __ATOMIC_ACQ_REL))
		return;
	if (fs->cwd)
		inode_put(fs->cwd);
	kfree(fs->cwd_path);
	kfree(fs);
}

/* A reference to fs's directory, taken under its lock, or NULL. */
static struct inode *cwd_of(struct fs_struct *fs)
{
	spin_lock(&fs->lock);
	struct inode *dir = fs->cwd ? inode_get(fs->cwd) : NULL;
	spin_unlock(&fs->lock);
	return dir;
}

/* A kmalloc'd copy of fs's path ("/" without one), or NULL. */
static char *path_of(struct fs_struct *fs)
{
	char *copy = kmalloc(PATH_MAX);

	if (!copy)
		return NULL;
	spin_lock(&fs->lock);
	strlcpy(copy, fs->cwd_path ? fs->cwd_path : "/", PATH_MAX);
	spin_unlock(&fs->lock);
	return copy;
}

/* A copy of fs: the same directory (one more reference), path and umask. */
static struct fs_struct *fs_copy(struct fs_struct *fs)
{
	struct fs_struct *n = fs_new(cwd_of(fs));

	if (!n)
		return NULL;
	n->umask = READ_ONCE(fs->umask);
	if (!(n->cwd_path = path_of(fs))) {
		fs_put(n);
		return NULL;
	}
	return n;
}

int fs_clone(struct proc *child, struct proc *parent, bool share)
{
	if (!parent->fs)
		return 0;                    /* a kernel thread's child: none */
	if (share) {
		__atomic_fetch_add(&parent->fs->users, 1, __ATOMIC_RELAXED);
		child->fs = parent->fs;
		return 0;
	}
	child->fs = fs_copy(parent->fs);
	return child->fs ? 0 : -ENOMEM;
}

void fs_release(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);   /* /proc/PID/cwd */
	struct fs_struct *fs = p->fs;

	p->fs = NULL;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (fs)
		fs_put(fs);
}

struct inode *fs_cwd(struct proc *p)
{
	return p->fs ? cwd_of(p->fs) : NULL;
}

char *fs_cwd_path(struct proc *p)
{
	if (p->fs)
		return path_of(p->fs);
	char *root = kmalloc(2);
	if (root)
		strlcpy(root, "/", 2);
	return root;
}

void fs_set_cwd(struct proc *p, struct inode *dir, char *path)
{
	struct fs_struct *fs = p->fs;

	spin_lock(&fs->lock);
	struct inode *old = fs->cwd;
	char *old_path = fs->cwd_path;
	fs->cwd = dir;
	fs->cwd_path = path;
	spin_unlock(&fs->lock);
	if (old)
		inode_put(old);              /* may sleep: after the unlock */
	kfree(old_path);
}

uint32_t fs_umask(struct proc *p)
{
	return p->fs ? READ_ONCE(p->fs->umask) : 022;
}

uint32_t fs_set_umask(struct proc *p, uint32_t mask)
{
	return p->fs ? __atomic_exchange_n(&p->fs->umask, mask, __ATOMIC_RELAXED) : 022;
}
