/*
 * Inodes: the file-system lock (a mutex the owning task may take again),
 * the inode cache, and reference counting (see vfs.h). The cache is a hash table keyed by (sb, ino); an
 * inode stays in it after its last reference goes, with its pages, so that
 * reopening a file finds its data still cached. Such unused inodes sit on
 * their super block's list, oldest first; when a file system has more than
 * ICACHE_UNUSED_MAX, each cache miss frees a few of its oldest
 * (icache_trim), so the cache stays bounded and no path walks all of it.
 * icache_prune() frees all of a file system's unused inodes at unmount.
 *
 * Locks: sb->lock, then icache_lock (the order in vfs.h). icache_lock is
 * held only to look at and relink inodes: pages and inodes are freed after
 * it is dropped, under the sb->lock that keeps writeback off them.
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
/* icache_lock: the hash chains, every inode's refcount and lru link, and
 * each super block's unused list and count. */
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

bool fs_trylock(struct fs_lock *l)
{
	if (mutex_is_held(&l->mutex)) {
		l->depth++;
		return true;
	}
	if (!mutex_trylock(&l->mutex))
		return false;
	l->depth = 1;
	return true;
}

/* Only the task that took the lock may drop it, from whatever CPU it
 * runs on now. */
void fs_unlock(struct fs_lock *l)
{
	BUG_ON(!mutex_is_held(&l->mutex));
	if (--l->depth == 0)
		mutex_unlock(&l->mutex);
}

/* A new super block's part of the cache. */
void icache_sb_init(struct super_block *sb)
{
	list_init(&sb->unused);
	sb->nr_unused = 0;
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

/* The inode is in use again, or leaves the cache: off the unused list.
 * icache_lock held. */
static void unused_del(struct inode *inode)
{
	if (!list_empty(&inode->lru)) {
		list_del(&inode->lru);
		list_init(&inode->lru);
		inode->sb->nr_unused--;
	}
}

/* A new reference. An unused inode is in use again. */
struct inode *inode_get(struct inode *inode)
{
	spin_lock(&icache_lock);
	if (inode->refcount++ == 0)
		unused_del(inode);
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

/* Free an unhashed, unreferenced inode that keeps its links (its clean
 * pages go with it): sb lock held, icache_lock not. */
static void inode_drop(struct inode *inode)
{
	pcache_truncate(inode, 0);
	inode_free(inode);
}

enum last_put { PUT_CACHE, PUT_EVICT, PUT_DROP };

/*
 * Drop a reference. The last one deletes an unlinked inode (PUT_EVICT),
 * frees one its file system does not keep cached (PUT_DROP), or puts it at
 * the young end of the unused list (PUT_CACHE). Takes sb->lock, then
 * icache_lock; the freeing happens after icache_lock is dropped.
 */
void inode_put(struct inode *inode)
{
	struct super_block *sb = inode->sb;
	bool drop = sb->ops->drop_inode && sb->ops->drop_inode(inode);
	enum last_put what = PUT_CACHE;

	fs_lock(&sb->lock);
	spin_lock(&icache_lock);
	BUG_ON(inode->refcount <= 0);
	if (--inode->refcount == 0) {
		what = inode->nlink == 0 ? PUT_EVICT : drop ? PUT_DROP : PUT_CACHE;
		if (what == PUT_CACHE) {
			list_add_tail(&inode->lru, &sb->unused);
			sb->nr_unused++;
		} else {
			list_del(&inode->hash);
		}
	}
	spin_unlock(&icache_lock);
	if (what == PUT_EVICT)
		inode_evict(inode);
	else if (what == PUT_DROP)
		inode_drop(inode);
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
	list_init(&inode->lru);
	list_init(&inode->mapping.i_mmap);  /* any regular file can be mmapped */
	return inode;
}

/*
 * Move up to `max` of sb's unused inodes without dirty pages, oldest first,
 * from the cache to *out (linked by lru), looking at no more than `scan`.
 * Dirty ones stay: the flush thread cleans them. Returns how many moved.
 * sb->lock and icache_lock held.
 */
static int take_unused(struct super_block *sb, int max, int scan, struct list_head *out)
{
	struct list_head *l, *next;
	int n = 0;

	for (l = sb->unused.next; l != &sb->unused && n < max && scan-- > 0; l = next) {
		struct inode *i = list_entry(l, struct inode, lru);
		next = l->next;
		if (READ_ONCE(i->mapping.ndirty))
			continue;
		unused_del(i);
		list_del(&i->hash);
		list_add_tail(&i->lru, out);
		n++;
	}
	return n;
}

/* Free the inodes take_unused() picked. sb->lock held, icache_lock not. */
static void drop_list(struct list_head *victims)
{
	while (!list_empty(victims)) {
		struct inode *i = list_first_entry(victims, struct inode, lru);
		list_del(&i->lru);
		inode_drop(i);
	}
}

/*
 * The cache grew by one inode of sb: if more than ICACHE_UNUSED_MAX of sb's
 * are unused, free up to ICACHE_TRIM_BATCH of sb's oldest (a few per miss keep
 * the count near the limit at a small, fixed cost). Takes sb->lock (callers
 * hold it already: it is recursive) and briefly icache_lock.
 */
static void icache_trim(struct super_block *sb)
{
	struct list_head victims = LIST_HEAD_INIT(victims);

	if (READ_ONCE(sb->nr_unused) <= ICACHE_UNUSED_MAX)
		return;
	fs_lock(&sb->lock);
	spin_lock(&icache_lock);
	take_unused(sb, ICACHE_TRIM_BATCH, ICACHE_TRIM_SCAN, &victims);
	spin_unlock(&icache_lock);
	drop_list(&victims);
	fs_unlock(&sb->lock);
}

/* Add a new inode (referenced) to the cache; trims it if over the limit.
 * Caller holds inode->sb->lock. */
void inode_hash(struct inode *inode)
{
	spin_lock(&icache_lock);
	list_add(&inode->hash, bucket(inode->sb, inode->ino));
	spin_unlock(&icache_lock);
	icache_trim(inode->sb);
}

int iget(struct super_block *sb, uint64_t ino, struct inode **out)
{
	spin_lock(&icache_lock);
	struct inode *inode = icache_find(sb, ino);
	if (inode && inode->refcount++ == 0)
		unused_del(inode);
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

/* Every unused inode of sb leaves the cache, with its pages (which must be
 * clean: sync first; dirty ones stay). For unmount: O(unused inodes).
 * Caller holds no file-system lock. Returns how many were freed. */
int icache_prune(struct super_block *sb)
{
	struct list_head victims = LIST_HEAD_INIT(victims);

	fs_lock(&sb->lock);
	spin_lock(&icache_lock);
	int n = take_unused(sb, sb->nr_unused, sb->nr_unused, &victims);
	spin_unlock(&icache_lock);
	drop_list(&victims);
	fs_unlock(&sb->lock);
	return n;
}

/* How many of sb's inodes the cache holds unused. */
int icache_unused_count(struct super_block *sb)
{
	return READ_ONCE(sb->nr_unused);
}
