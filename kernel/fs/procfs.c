/*
 * procfs (see procfs.h): a tree of struct procfs_entry in memory, shown
 * through the VFS. Inode number = the entry's number; inode->priv = entry.
 * An entry is freed when it has been removed and no inode refers to it.
 */
#include <kernel/procfs.h>
#include <kernel/device.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define PROCFS_NAME_MAX 48         /* numa_balancing_promote_rate_limit_MBps fits */

struct procfs_entry {
	char name[PROCFS_NAME_MAX];
	uint32_t mode;
	uint64_t ino;
	struct procfs_entry *parent;
	struct list_head children, sibling, all;
	procfs_show_t show;
	procfs_read_t read;        /* read at a position (binary files) */
	procfs_write_t write;      /* takes what is written (settings) */
	procfs_target_t target;
	procfs_refresh_t refresh;  /* a directory whose children change (fd/) */
	void *data;
	uint64_t rdev;             /* device nodes (devtmpfs) */
	int refs;                  /* 1 while in the tree, +1 per inode */
};

static struct list_head all_entries = LIST_HEAD_INIT(all_entries);
static struct procfs_entry *proc_root, *sys_root, *dev_root;
static uint64_t next_ino = 1;
/* procfs_lock: every entry's links, refs, all_entries, next_ino. */
static struct spinlock procfs_lock = SPINLOCK_INIT("procfs");

static const struct inode_ops procfs_dir_iops, procfs_link_iops, procfs_file_iops;
static const struct file_ops procfs_file_fops, procfs_raw_fops;

int pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(b->buf + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len) {
		b->overflow = true;
		b->len = b->size - 1;
		return -1;
	}
	b->len += (size_t)n;
	return n;
}

static struct procfs_entry *entry_new(struct procfs_entry *parent, const char *name,
				      uint32_t mode)
{
	struct procfs_entry *e = kzalloc(sizeof(*e));

	if (!e || strlen(name) >= sizeof(e->name)) {
		kfree(e);
		return NULL;
	}
	strlcpy(e->name, name, sizeof(e->name));
	e->mode = mode;
	e->refs = 1;
	list_init(&e->children);
	spin_lock(&procfs_lock);
	e->ino = next_ino++;
	list_add_tail(&e->all, &all_entries);
	e->parent = parent ? parent : e;
	if (parent)
		list_add_tail(&e->sibling, &parent->children);
	else
		list_init(&e->sibling);
	spin_unlock(&procfs_lock);
	return e;
}

static struct procfs_entry *child(struct procfs_entry *dir, const char *name, size_t len)
{
	struct list_head *l;

	list_for_each(l, &dir->children) {
		struct procfs_entry *c = list_entry(l, struct procfs_entry, sibling);
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	}
	return NULL;
}

static struct procfs_entry *add(struct procfs_entry *parent, const char *name,
				uint32_t mode)
{
	spin_lock(&procfs_lock);
	bool exists = child(parent, name, strlen(name)) != NULL;
	spin_unlock(&procfs_lock);
	return exists ? NULL : entry_new(parent, name, mode);
}

/* A file entry (mode) with its callbacks; NULL if the name exists or no
 * memory. */
static struct procfs_entry *add_file(struct procfs_entry *parent, const char *name,
				     uint32_t mode, const struct procfs_entry *ops)
{
	struct procfs_entry *e = add(parent, name, mode);

	if (e) {
		e->show = ops->show;
		e->read = ops->read;
		e->write = ops->write;
		e->data = ops->data;
	}
	return e;
}

struct procfs_entry *procfs_create_file(struct procfs_entry *parent, const char *name,
					procfs_show_t show, void *data)
{
	return add_file(parent, name, S_IFREG | 0444, &(struct procfs_entry){ .show = show,
							.data = data });
}

struct procfs_entry *procfs_create_rw(struct procfs_entry *parent, const char *name,
				     procfs_show_t show, procfs_write_t write, void *data)
{
	return add_file(parent, name, S_IFREG | 0644, &(struct procfs_entry){ .show = show,
							.write = write, .data = data });
}

struct procfs_entry *procfs_create_raw(struct procfs_entry *parent, const char *name,
				      procfs_read_t read, void *data)
{
	return add_file(parent, name, S_IFREG | 0444, &(struct procfs_entry){ .read = read,
							.data = data });
}

struct procfs_entry *procfs_mknod(struct procfs_entry *parent, const char *name,
				  uint32_t mode, uint64_t rdev)
{
	struct procfs_entry *e = add(parent, name, mode);

	if (e)
		e->rdev = rdev;
	return e;
}

struct procfs_entry *procfs_mkdir(struct procfs_entry *parent, const char *name)
{
	return add(parent, name, S_IFDIR | 0555);
}

struct procfs_entry *procfs_dir(struct procfs_entry *parent, const char *name)
{
	spin_lock(&procfs_lock);
	struct procfs_entry *e = child(parent, name, strlen(name));
	spin_unlock(&procfs_lock);
	return e ? e : procfs_mkdir(parent, name);
}

struct procfs_entry *procfs_symlink(struct procfs_entry *parent, const char *name,
				    procfs_target_t target, void *data)
{
	struct procfs_entry *e = add(parent, name, S_IFLNK | 0777);

	if (e) {
		e->target = target;
		e->data = data;
	}
	return e;
}

struct procfs_entry *procfs_mkdir_refreshed(struct procfs_entry *parent, const char *name,
					    procfs_refresh_t refresh, void *data)
{
	struct procfs_entry *e = add(parent, name, S_IFDIR | 0500);

	if (e) {
		e->refresh = refresh;
		e->data = data;
	}
	return e;
}

/* Drop a reference; procfs_lock held. */
static void entry_put(struct procfs_entry *e)
{
	if (--e->refs == 0) {
		list_del(&e->all);
		kfree(e);
	}
}

static void remove_locked(struct procfs_entry *e)
{
	while (!list_empty(&e->children))
		remove_locked(list_first_entry(&e->children, struct procfs_entry, sibling));
	list_del(&e->sibling);
	list_init(&e->sibling);
	e->parent = e;
	entry_put(e);
}

/* Remove e and what is under it. An entry an inode still refers to (a file
 * open in it) is freed when that inode goes: procfs inodes are not kept
 * cached after their last reference (procfs_drop_inode). */
void procfs_remove(struct procfs_entry *e)
{
	spin_lock(&procfs_lock);
	remove_locked(e);
	spin_unlock(&procfs_lock);
}

void procfs_prune(struct procfs_entry *dir, bool (*keep)(const char *name, void *arg),
		  void *arg)
{
	spin_lock(&procfs_lock);
	struct list_head *l = dir->children.next;
	while (l != &dir->children) {
		struct procfs_entry *c = list_entry(l, struct procfs_entry, sibling);
		l = l->next;
		if (!keep(c->name, arg))
			remove_locked(c);
	}
	spin_unlock(&procfs_lock);
}

/* ------------------------------------------------------------ VFS side */

static struct inode *procfs_alloc_inode(struct super_block *sb)
{
	return kzalloc(sizeof(struct inode));
}

static void procfs_free_inode(struct inode *in)
{
	if (in->priv) {
		spin_lock(&procfs_lock);
		entry_put(in->priv);
		spin_unlock(&procfs_lock);
	}
	kfree(in);
}

static void fill_inode(struct inode *in, struct procfs_entry *e)
{
	in->priv = e;
	in->mode = e->mode;
	in->nlink = S_ISDIR(e->mode) ? 2 : 1;
	in->atime = in->mtime = in->ctime = fs_now();
	in->iops = S_ISDIR(e->mode) ? &procfs_dir_iops :
		   S_ISLNK(e->mode) ? &procfs_link_iops : &procfs_file_iops;
	in->fops = !S_ISREG(e->mode) ? &vfs_dir_ops : e->read ? &procfs_raw_fops :
		   &procfs_file_fops;
	if (!S_ISDIR(e->mode) && !S_ISLNK(e->mode) && !S_ISREG(e->mode))
		special_inode_init(in, e->mode, e->rdev);
}

static int procfs_read_inode(struct inode *in)
{
	struct list_head *l;
	int err = -ENOENT;

	spin_lock(&procfs_lock);
	list_for_each(l, &all_entries) {
		struct procfs_entry *e = list_entry(l, struct procfs_entry, all);
		if (e->ino == in->ino) {
			e->refs++;
			fill_inode(in, e);
			err = 0;
			break;
		}
	}
	spin_unlock(&procfs_lock);
	return err;
}

/* Free every procfs inode at its last reference, as Linux does: it is
 * cheap to make again, and a cached one would keep a removed entry (a
 * process's /proc/<pid>) alive. */
static bool procfs_drop_inode(struct inode *in)
{
	return true;
}

static const struct super_ops procfs_sops = {
	.alloc_inode = procfs_alloc_inode,
	.free_inode = procfs_free_inode,
	.read_inode = procfs_read_inode,
	.drop_inode = procfs_drop_inode,
};

static int procfs_lookup(struct inode *dir, const char *name, size_t len,
			 struct inode **out)
{
	struct procfs_entry *d = dir->priv;

	if (d->refresh)
		d->refresh(d, d->data);
	spin_lock(&procfs_lock);
	struct procfs_entry *e = len == 2 && !memcmp(name, "..", 2) ? d->parent :
				 child(d, name, len);
	uint64_t ino = e ? e->ino : 0;
	spin_unlock(&procfs_lock);
	return ino ? iget(dir->sb, ino, out) : -ENOENT;
}

static unsigned dtype(uint32_t mode)
{
	return S_ISDIR(mode) ? DT_DIR : S_ISLNK(mode) ? DT_LNK :
	       S_ISCHR(mode) ? DT_CHR : S_ISBLK(mode) ? DT_BLK : DT_REG;
}

/* Positions: 0 ".", 1 "..", 2 + i the i-th child. */
static int procfs_readdir(struct inode *dir, uint64_t *pos, filldir_t fill, void *ctx)
{
	struct procfs_entry *d = dir->priv;

	if (*pos == 0 && d->refresh)
		d->refresh(d, d->data);
	if (*pos == 0 && fill(ctx, ".", 1, d->ino, DT_DIR, 1))
		return 1;
	if (*pos == 0)
		*pos = 1;
	if (*pos == 1 && fill(ctx, "..", 2, d->parent->ino, DT_DIR, 2))
		return 1;
	if (*pos == 1)
		*pos = 2;
	for (;;) {
		struct list_head *l;
		struct procfs_entry *e = NULL;
		uint64_t i = 2;
		spin_lock(&procfs_lock);
		list_for_each(l, &d->children)
			if (i++ == *pos) {
				e = list_entry(l, struct procfs_entry, sibling);
				break;
			}
		char name[PROCFS_NAME_MAX];
		uint64_t ino = e ? e->ino : 0;
		uint32_t mode = e ? e->mode : 0;
		if (e)
			strlcpy(name, e->name, sizeof(name));
		spin_unlock(&procfs_lock);
		if (!e)
			return 0;
		if (fill(ctx, name, strlen(name), ino, dtype(mode), *pos + 1))
			return 1;
		(*pos)++;
	}
}

static int procfs_readlink(struct inode *in, char *buf, size_t size)
{
	struct procfs_entry *e = in->priv;

	return e->target ? e->target(buf, size, e->data) : -EINVAL;
}

/* Generate the file's content into f->priv. */
static int procfs_open(struct inode *in, struct file *f)
{
	struct procfs_entry *e = in->priv;

	for (size_t size = PAGE_SIZE; size <= (1 << 20); size *= 2) {
		struct pbuf *b = kzalloc(sizeof(*b));
		char *buf = kmalloc(size);
		if (!b || !buf) {
			kfree(b);
			kfree(buf);
			return -ENOMEM;
		}
		*b = (struct pbuf){ buf, size, 0, false };
		int err = e->show ? e->show(b, e->data) : 0;
		if (!err && !b->overflow) {
			f->priv = b;
			return 0;
		}
		kfree(buf);
		kfree(b);
		if (err)
			return err;
	}
	return -EFBIG;
}

static ssize_t procfs_read(struct file *f, struct uio *u, uint64_t *pos)
{
	struct pbuf *b = f->priv;

	if (*pos >= b->len)
		return 0;
	ssize_t n = uio_copy_out(u, b->buf + *pos, b->len - *pos);
	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

/* A binary file: the entry's read callback at the file position. */
static ssize_t procfs_raw_read(struct file *f, struct uio *u, uint64_t *pos)
{
	struct procfs_entry *e = f->inode->priv;
	ssize_t n = e->read(e->data, u, *pos);

	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

/*
 * A write to a settings file: at most PROCFS_WRITE_MAX - 1 bytes are taken
 * (copied in before the callback runs, so it holds no user pointer), NUL
 * terminated, and handed to the entry's write callback. -EINVAL for a file
 * that takes no writes.
 */
static ssize_t procfs_write(struct file *f, struct uio *u, uint64_t *pos)
{
	struct procfs_entry *e = f->inode->priv;
	char buf[PROCFS_WRITE_MAX];

	if (!e->write)
		return -EINVAL;
	ssize_t c = uio_copy_in(u, buf, MIN(u->resid, sizeof(buf) - 1));
	if (c < 0)
		return c;
	buf[c] = 0;
	int err = e->write(e->data, buf, (size_t)c);
	return err ? err : c;
}

static void procfs_release(struct file *f)
{
	struct pbuf *b = f->priv;

	if (b) {
		kfree(b->buf);
		kfree(b);
	}
}

static const struct inode_ops procfs_dir_iops = {
	.lookup = procfs_lookup,
	.readdir = procfs_readdir,
};
static const struct inode_ops procfs_link_iops = { .readlink = procfs_readlink };
static const struct inode_ops procfs_file_iops = { 0 };
static const struct file_ops procfs_raw_fops = { .read = procfs_raw_read };
static const struct file_ops procfs_file_fops = {
	.open = procfs_open,
	.read = procfs_read,
	.write = procfs_write,
	.release = procfs_release,
};

int procfs_mount(const char *path, struct procfs_entry *root)
{
	struct super_block *sb = kzalloc(sizeof(*sb));

	if (!sb)
		return -ENOMEM;
	sb->type = root == sys_root ? "sysfs" : root == dev_root ? "devtmpfs" : "proc";
	sb->ops = &procfs_sops;
	sb->dev_id = 100 + (root == sys_root) + 2 * (root == dev_root);
	sb->maxbytes = INT64_MAX;
	fs_lock_init(&sb->lock, sb->type);
	list_init(&sb->list);
	icache_sb_init(sb);
	fs_lock(&sb->lock);
	int err = iget(sb, root->ino, &sb->root);
	fs_unlock(&sb->lock);
	if (!err)
		err = vfs_mount_sb(sb, path, sb->type);
	if (err)
		printk("procfs: cannot mount %s at %s (%d)\n", sb->type, path, err);
	return err;
}

struct procfs_entry *procfs_root(void)
{
	return proc_root;
}

struct procfs_entry *sysfs_root(void)
{
	return sys_root;
}

struct procfs_entry *devtmpfs_root(void)
{
	return dev_root;
}

void procfs_files_init(void);
void procfs_sys_init(void);

void procfs_init(void)
{
	proc_root = entry_new(NULL, "", S_IFDIR | 0555);
	sys_root = entry_new(NULL, "", S_IFDIR | 0555);
	dev_root = entry_new(NULL, "", S_IFDIR | 0755);
	procfs_files_init();
	procfs_sys_init();
}
