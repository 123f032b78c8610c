/*
 * Inodes: the file-system lock (a mutex the owning task may take again),
 * the inode cache, and reference counting (see vfs.h). The cache is a hash table keyed by (sb, ino); an
 * inode stays in it after its last reference goes, with its pages, so that
 * reopening a file finds its data still cached. icache_prune() drops such
 * unused inodes.
 */
#include <kernel/vfs.h>
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define ICACHE_HASH 1024

static struct list_head icache[ICACHE_HASH];
/* icache_lock: the hash chains and every inode's refcount. */
static struct spinlock icache_lock = SPINLOCK_INIT("icache");

void fs_lock_init(struct fs_lock *l, const char *name)
{
	mutex_init(&l->mutex, name);
	l->depth = 0;
}

/* May sleep (no spinlock held). The task that holds the lock takes it
 * again by counting; the count belongs to the owning task, not a CPU. */
void fs_lock(struct fs_lock *l)
{
	if (mutex_is_held(&l->mutex)) {
		l->depth++;
		return;
	}
	mutex_lock(&l->mutex);
	l->depth = 1;
}

/* Only the task that took the lock may drop it, from whatever CPU it
 * runs on now. */
void fs_unlock(struct fs_lock *l)
{
	BUG_ON(!mutex_is_held(&l->mutex));
	if (--l->depth == 0)
		mutex_unlock(&l->mutex);
}

void icache_init(void)
{
	for (int i = 0; i < ICACHE_HASH; i++)
		list_init(&icache[i]);
}

static struct list_head *bucket(struct super_block *sb, uint64_t ino)
{
	return &icache[(((uint64_t)sb >> 6) + ino * 2654435761ULL) % ICACHE_HASH];
}

struct inode *inode_get(struct inode *inode)
{
	spin_lock(&icache_lock);
	inode->refcount++;
	spin_unlock(&icache_lock);
	return inode;
}

static void inode_free(struct inode *inode)
{
	inode->sb->ops->free_inode(inode);
}

/* Delete an unlinked inode whose last reference went: sb lock held. */
static void inode_evict(struct inode *inode)
{
	pcache_truncate(inode, 0);
	if (inode->sb->ops->evict_inode)
		inode->sb->ops->evict_inode(inode);
	inode_free(inode);
}

void inode_put(struct inode *inode)
{
	struct super_block *sb = inode->sb;
	bool evict;

	fs_lock(&sb->lock);
	spin_lock(&icache_lock);
	BUG_ON(inode->refcount <= 0);
	evict = --inode->refcount == 0 && inode->nlink == 0;
	if (evict)
		list_del(&inode->hash);
	spin_unlock(&icache_lock);
	if (evict)
		inode_evict(inode);
	fs_unlock(&sb->lock);
}

static struct inode *icache_find(struct super_block *sb, uint64_t ino)
{
	struct list_head *h = bucket(sb, ino), *p;

	list_for_each(p, h) {
		struct inode *i = list_entry(p, struct inode, hash);
		if (i->sb == sb && i->ino == ino)
			return i;
	}
	return NULL;
}

struct inode *inode_new(struct super_block *sb, uint64_t ino)
{
	struct inode *inode = sb->ops->alloc_inode(sb);

	if (!inode)
		return NULL;
	inode->sb = sb;
	inode->ino = ino;
	inode->refcount = 1;
	list_init(&inode->hash);
	return inode;
}

void inode_hash(struct inode *inode)
{
	spin_lock(&icache_lock);
	list_add(&inode->hash, bucket(inode->sb, inode->ino));
	spin_unlock(&icache_lock);
}

int iget(struct super_block *sb, uint64_t ino, struct inode **out)
{
	spin_lock(&icache_lock);
	struct inode *inode = icache_find(sb, ino);
	if (inode)
		inode->refcount++;
	spin_unlock(&icache_lock);
	if (inode) {
		*out = inode;
		return 0;
	}
	inode = inode_new(sb, ino);
	if (!inode)
		return -ENOMEM;
	int err = sb->ops->read_inode(inode);
	if (err) {
		inode_free(inode);
		return err;
	}
	inode_hash(inode);
	*out = inode;
	return 0;
}

/* Unreferenced inodes of sb (all file systems if NULL) leave the cache,
 * with their pages (which must be clean: sync first). */
int icache_prune(struct super_block *sb)
{
	int n = 0;

	for (int b = 0; b < ICACHE_HASH; b++) {
		spin_lock(&icache_lock);
		for (struct list_head *p = icache[b].next, *nx; p != &icache[b]; p = nx) {
			struct inode *i = list_entry(p, struct inode, hash);
			nx = p->next;
			if (i->refcount || (sb && i->sb != sb) || i->mapping.ndirty)
				continue;
			list_del(&i->hash);
			spin_unlock(&icache_lock);
			fs_lock(&i->sb->lock);
			pcache_truncate(i, 0);
			fs_unlock(&i->sb->lock);
			inode_free(i);
			n++;
			spin_lock(&icache_lock);
			nx = icache[b].next;     /* restart the chain */
		}
		spin_unlock(&icache_lock);
	}
	return n;
}
