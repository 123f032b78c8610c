/*
 * The page cache (see pcache.h). Each inode's pages hang in a radix tree in
 * its address_space; every cached page is also on its node's file LRU
 * lists (lru.h), which reclaim, pcache_drop_clean() and writeback walk.
 */
#include <kernel/pcache.h>
#include <kernel/mm.h>
#include <kernel/errno.h>
#include <kernel/pmm.h>
#include <kernel/mempolicy.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/reclaim.h>
#include <kernel/numa.h>

static struct pcache_stats stats;
/* pcache_lock: trees, nrpages/ndirty, PG_dirty, stats. A node's LRU lock
 * may be taken inside it. */
static struct spinlock pcache_lock = SPINLOCK_INIT("pcache");

extern struct list_head vfs_super_blocks;

void pcache_init(void)
{
	radix_init();
}

void mapping_init(struct address_space *m, struct inode *host,
		  const struct address_space_ops *ops)
{
	m->host = host;
	m->ops = ops;
	m->pages = (struct radix_root){ NULL, 0 };
	m->nrpages = m->ndirty = 0;
	list_init(&m->i_mmap);
}

static void page_ref(struct page *p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

/* A page truncated out of the cache while someone held it is freed by
 * that holder's last put: put_page, the one free path of every frame. */
void pcache_put_page(struct page *p)
{
	put_page(p);
}

static struct page *lookup_ref(struct address_space *m, uint64_t index)
{
	spin_lock(&pcache_lock);
	struct page *p = radix_lookup(&m->pages, index);
	if (p) {
		page_ref(p);
		mark_page_accessed(p);
		stats.hits++;
	}
	spin_unlock(&pcache_lock);
	return p;
}

/* A fresh page for (m, index), filled from the file system or zeroed. */
static int fill_page(struct inode *inode, uint64_t index, bool fill,
		     struct page **out)
{
	/* the task's memory policy, or a shmem fault's (mempolicy.h) */
	struct page *p = mpol_alloc_page(NULL, 0, PMM_USER | (fill ? 0 : PMM_ZERO));

	if (!p)
		return -ENOMEM;
	p->mapping = &inode->mapping;
	p->index = index;
	if (fill) {
		fs_lock(&inode->sb->lock);
		int err = inode->mapping.ops->readpage(inode, p);
		fs_unlock(&inode->sb->lock);
		if (err) {
			p->mapping = NULL;
			pmm_free_pages(p, 0);
			return err;
		}
	}
	*out = p;
	return 0;
}

/* Insert p (refcount 1: the caller's) unless another CPU was faster. */
static struct page *insert_or_use(struct address_space *m, struct page *p)
{
	spin_lock(&pcache_lock);
	struct page *old = radix_lookup(&m->pages, p->index);
	if (old || radix_insert(&m->pages, p->index, p)) {
		if (old)
			page_ref(old);
		spin_unlock(&pcache_lock);
		p->mapping = NULL;
		pmm_free_pages(p, 0);
		return old;           /* NULL: no memory for the tree */
	}
	page_set_flag(p, PG_pcache);
	page_ref(p);              /* the cache's reference */
	lru_add(p);
	m->nrpages++;
	stats.pages++;
	stats.misses++;
	spin_unlock(&pcache_lock);
	return p;
}

int pcache_get(struct inode *inode, uint64_t index, bool fill,
	       struct page **out, bool *major)
{
	struct address_space *m = &inode->mapping;
	struct page *p = lookup_ref(m, index);

	if (major)
		*major = !p;
	if (p) {
		*out = p;
		return 0;
	}
	int err = fill_page(inode, index, fill, &p);
	for (int tries = 0; err == -ENOMEM && tries < 8; tries++)
		if (reclaim_direct(numa_this_node(), 32) || tries < 4)
			err = fill_page(inode, index, fill, &p);
	if (err)
		return err;
	*out = insert_or_use(m, p);
	return *out ? 0 : -ENOMEM;
}

struct page *pcache_get_page(struct inode *inode, uint64_t index, bool *major)
{
	struct page *p;

	return pcache_get(inode, index, true, &p, major) ? NULL : p;
}

int pcache_gang_get(struct inode *inode, uint64_t from, struct page **out, int max)
{
	uint64_t idx[16];
	int n;

	max = MIN(max, 16);
	spin_lock(&pcache_lock);
	n = radix_gang_lookup(&inode->mapping.pages, from, (void **)out, idx, max);
	for (int i = 0; i < n; i++)
		page_ref(out[i]);
	spin_unlock(&pcache_lock);
	return n;
}

void pcache_set_dirty(struct page *p)
{
	spin_lock(&pcache_lock);
	if (!(p->flags & PG_dirty)) {
		page_set_flag(p, PG_dirty);
		((struct address_space *)p->mapping)->ndirty++;
		stats.dirty++;
	}
	spin_unlock(&pcache_lock);
}

/* Clear PG_dirty if set; true if it was. pcache_lock held. */
static bool test_clear_dirty(struct page *p)
{
	if (!(p->flags & PG_dirty))
		return false;
	page_clear_flag(p, PG_dirty);
	((struct address_space *)p->mapping)->ndirty--;
	stats.dirty--;
	return true;
}

/* Write one page that was dirty; on failure it is dirty again. Caller
 * holds the sb lock and a reference on p. */
static int write_one(struct inode *inode, struct page *p)
{
	int err = inode->mapping.ops->writepage(inode, p);

	if (err)
		pcache_set_dirty(p);
	else
		__atomic_fetch_add(&stats.writebacks, 1, __ATOMIC_RELAXED);
	return err;
}

#define BATCH 32

/* Collect up to BATCH dirty pages of inode from index *next, referenced
 * and marked clean. */
static int collect_dirty(struct inode *inode, uint64_t *next, struct page **out)
{
	void *items[BATCH];
	uint64_t idx[BATCH];
	int n = 0;

	spin_lock(&pcache_lock);
	int found = radix_gang_lookup(&inode->mapping.pages, *next, items, idx, BATCH);
	for (int i = 0; i < found; i++) {
		struct page *p = items[i];
		if (test_clear_dirty(p)) {
			page_ref(p);
			out[n++] = p;
		}
	}
	*next = found ? idx[found - 1] + 1 : ~0ULL;
	spin_unlock(&pcache_lock);
	return found ? n : -1;
}

int pcache_writeback(struct inode *inode)
{
	struct page *pages[BATCH];
	uint64_t next = 0;
	int err = 0, n;

	fs_lock(&inode->sb->lock);
	while ((n = collect_dirty(inode, &next, pages)) >= 0) {
		for (int i = 0; i < n; i++) {
			int r = write_one(inode, pages[i]);
			err = err ? err : r;
			pcache_put_page(pages[i]);
		}
	}
	fs_unlock(&inode->sb->lock);
	return err;
}

/* Up to BATCH dirty pages of sb's inodes from one LRU list. pcache_lock
 * held. */
static int collect_list(struct super_block *sb, struct lruvec *lv, enum lru_list lru,
			struct page **out, int n)
{
	struct list_head *l;

	spin_lock(&lv->lock);
	list_for_each(l, &lv->lists[lru]) {
		struct page *p = list_entry(l, struct page, lru);
		struct address_space *m = p->mapping;
		if (n == BATCH)
			break;
		if ((p->flags & PG_pcache) && m->host->sb == sb && test_clear_dirty(p)) {
			page_ref(p);
			out[n++] = p;
		}
	}
	spin_unlock(&lv->lock);
	return n;
}

/* Up to BATCH dirty pages of sb's inodes from the file LRU lists. A page
 * reclaim has isolated just now is not seen; reclaim writes it itself. */
static int collect_sb_dirty(struct super_block *sb, struct page **out)
{
	int n = 0, nid;

	spin_lock(&pcache_lock);
	for_each_online_node(nid) {
		n = collect_list(sb, &numa_nodes[nid].lru, LRU_INACTIVE_FILE, out, n);
		n = collect_list(sb, &numa_nodes[nid].lru, LRU_ACTIVE_FILE, out, n);
	}
	spin_unlock(&pcache_lock);
	return n;
}

/* Holding sb's lock keeps its inodes from being evicted meanwhile. */
static int writeback_sb(struct super_block *sb)
{
	struct page *pages[BATCH];
	int err = 0, n;

	fs_lock(&sb->lock);
	while ((n = collect_sb_dirty(sb, pages)) > 0) {
		for (int i = 0; i < n; i++) {
			struct address_space *m = pages[i]->mapping;
			int r = write_one(m->host, pages[i]);
			err = err ? err : r;
			pcache_put_page(pages[i]);
		}
		if (err)
			break;
	}
	fs_unlock(&sb->lock);
	return err;
}

/*
 * Write back every dirty page. Called by sync(), at power-off, and (once
 * by the flush thread, kernel/fs/flush.c) every few seconds.
 * Returns 0 or the first error; pages that failed stay dirty.
 */
int pcache_writeback_all(void)
{
	struct list_head *l;
	int err = 0;

	list_for_each(l, &vfs_super_blocks) {
		struct super_block *sb = list_entry(l, struct super_block, list);
		int r = writeback_sb(sb);
		err = err ? err : r;
	}
	return err;
}

/* Take p out of the cache and drop the cache's reference (freeing p if
 * that was the last). pcache_lock held. */
static void remove_page(struct page *p)
{
	struct address_space *m = p->mapping;

	test_clear_dirty(p);
	radix_delete(&m->pages, p->index);
	m->nrpages--;
	stats.pages--;
	page_clear_flag(p, PG_pcache);
	put_page(p);                        /* the cache's own reference */
}

/*
 * Migration (kernel/mm/migrate.c): put new in old's place in the cache,
 * with old's contents and dirty state, if nobody but the cache, its
 * mappings and the migrator holds old (refs: the count that means so).
 * The copy happens under pcache_lock, so no read() or write() can slip in
 * between the check and the swap. 0, or -EBUSY (old is in use: I/O).
 */
int pcache_migrate(struct page *old, struct page *new, int refs)
{
	spin_lock(&pcache_lock);
	if (!(old->flags & PG_pcache) || READ_ONCE(old->refcount) != refs) {
		spin_unlock(&pcache_lock);
		return -EBUSY;
	}
	struct address_space *m = old->mapping;
	memcpy(page_address(new), page_address(old), PAGE_SIZE);
	new->mapping = m;
	new->index = old->index;
	page_set_flag(new, PG_pcache | (old->flags & PG_dirty));
	page_clear_flag(old, PG_pcache | PG_dirty);
	radix_replace(&m->pages, old->index, new);
	page_ref(new);                      /* the cache's reference moves */
	__atomic_fetch_sub(&old->refcount, 1, __ATOMIC_ACQ_REL);
	spin_unlock(&pcache_lock);
	return 0;
}

/* Drop p (which the caller holds: refs counts that) from the cache if it
 * is clean and nobody else holds or maps it. pcache_lock held. */
static bool drop_if_unused(struct page *p, int refs)
{
	if (!(p->flags & PG_pcache) || (p->flags & PG_dirty) ||
	    READ_ONCE(p->refcount) != refs || READ_ONCE(p->mapcount) > 0)
		return false;
	remove_page(p);
	stats.dropped++;
	return true;
}

/* The clean, unused pages of one list, taken off it for a moment. */
static uint64_t drop_list(struct lruvec *lv, enum lru_list lru)
{
	struct list_head pages = LIST_HEAD_INIT(pages);
	uint64_t dropped = 0;

	lru_isolate_tail(lv, lru, READ_ONCE(lv->nr[lru]), &pages);
	spin_lock(&pcache_lock);
	for (struct list_head *l = pages.next; l != &pages; l = l->next)
		dropped += drop_if_unused(list_entry(l, struct page, lru), 2);
	spin_unlock(&pcache_lock);
	lru_putback_list(&pages);       /* dropped ones are freed by our put */
	return dropped;
}

uint64_t pcache_drop_clean(void)
{
	uint64_t dropped = 0;
	int nid;

	for_each_online_node(nid) {
		dropped += drop_list(&numa_nodes[nid].lru, LRU_INACTIVE_FILE);
		dropped += drop_list(&numa_nodes[nid].lru, LRU_ACTIVE_FILE);
	}
	return dropped;
}

/*
 * Reclaim (vmscan.c) of page p: locked, unmapped, held by the cache and
 * the caller (refs). A dirty page is written first, if its file system's
 * lock can be had now (holding it keeps the inode from being evicted).
 * 0 if p left the cache (the caller's put frees it), -EBUSY if it is in
 * use, -EAGAIN if the file system is busy, or the write's error.
 */
int pcache_reclaim_page(struct page *p, int refs)
{
	spin_lock(&pcache_lock);
	if (!(p->flags & PG_pcache) || !(p->flags & PG_dirty)) {
		bool gone = !(p->flags & PG_pcache) || drop_if_unused(p, refs);
		spin_unlock(&pcache_lock);
		return gone ? 0 : -EBUSY;
	}
	struct super_block *sb = ((struct address_space *)p->mapping)->host->sb;
	spin_unlock(&pcache_lock);
	/* A task inside an operation of this file system (a write() whose
	 * user copy faulted and is reclaiming) must not write its pages from
	 * the middle of it: Linux's GFP_NOFS. Others only try the lock. */
	if (mutex_is_held(&sb->lock.mutex) || !fs_trylock(&sb->lock))
		return -EAGAIN;
	spin_lock(&pcache_lock);
	struct inode *inode = (p->flags & PG_pcache) && test_clear_dirty(p) ?
			      ((struct address_space *)p->mapping)->host : NULL;
	spin_unlock(&pcache_lock);
	int err = inode ? write_one(inode, p) : 0;
	fs_unlock(&sb->lock);
	if (err)
		return err;
	spin_lock(&pcache_lock);
	bool gone = !(p->flags & PG_pcache) || drop_if_unused(p, refs);
	spin_unlock(&pcache_lock);
	return gone ? 0 : -EBUSY;
}

void pcache_truncate(struct inode *inode, uint64_t from)
{
	void *items[BATCH];
	uint64_t idx[BATCH];
	int n;

	spin_lock(&pcache_lock);
	while ((n = radix_gang_lookup(&inode->mapping.pages, from, items, idx,
				      BATCH)) > 0) {
		for (int i = 0; i < n; i++) {
			remove_page(items[i]);
		}
	}
	spin_unlock(&pcache_lock);
}

struct pcache_stats pcache_get_stats(void)
{
	spin_lock(&pcache_lock);
	struct pcache_stats s = stats;
	spin_unlock(&pcache_lock);
	return s;
}
