/*
 * The page cache: file pages in memory, keyed by (inode, page index). Each
 * cached struct page has PG_pcache set, page->mapping pointing at the
 * inode's struct address_space and page->index its page number in the file.
 * File read() and write() copy through it, directories live in it, and the
 * fault handler maps its pages into user space.
 *
 *   struct page *p = pcache_get_page(inode, 3, &major);   // bytes 12K..16K
 *   ... use page_address(p) ...
 *   pcache_put_page(p);
 *
 * Pages are allocated on the node of the CPU that caused the read (first
 * touch). The cache holds one reference on each of its pages; users hold
 * more. Dirty pages are written back by pcache_writeback_all() (sync, the
 * periodic flush, power-off) and pcache_writeback() (fsync); clean pages
 * nobody holds or maps can be dropped by pcache_drop_clean() (reclaim).
 *
 * Locking: pcache_lock protects every address_space's tree and counts, the
 * cache's LRU list and the PG_dirty bits. It is never held across device
 * I/O: misses and writeback call the file system with its sb->lock held
 * and pcache_lock released.
 */
#ifndef KERNEL_PCACHE_H
#define KERNEL_PCACHE_H

#include <kernel/vfs.h>
#include <kernel/page.h>

struct pcache_stats {
	uint64_t pages, dirty;     /* now */
	uint64_t hits, misses;     /* lookups that found / read a page */
	uint64_t writebacks, dropped;
};

void pcache_init(void);
void mapping_init(struct address_space *m, struct inode *host,
		  const struct address_space_ops *ops);

/* The page with a reference held, read from the device on a miss
 * (*major = true then). NULL on I/O error or no memory. */
struct page *pcache_get_page(struct inode *inode, uint64_t index, bool *major);
/* Up to max cached pages of inode from index `from` on, in index order,
 * each with a reference (pcache_put_page it); how many. */
int pcache_gang_get(struct inode *inode, uint64_t from, struct page **out, int max);
/* The same with the error: 0, -EIO, -EUCLEAN, -ENOMEM. With fill false,
 * a missing page is zero-filled instead of read (a write will cover it). */
int pcache_get(struct inode *inode, uint64_t index, bool fill,
	       struct page **out, bool *major);
void pcache_put_page(struct page *page);
void pcache_set_dirty(struct page *page);

/* Write back dirty pages: of one inode (fsync) or of every inode. */
int pcache_writeback(struct inode *inode);
int pcache_writeback_all(void);
/* Drop clean pages nobody holds or maps; returns how many. */
uint64_t pcache_drop_clean(void);
/* Reclaim: write p back if dirty and drop it from the cache if refs holds
 * it (pcache.c has the contract). */
int pcache_reclaim_page(struct page *p, int refs);
/* Drop every page of inode with index >= from, dirty or not (truncate,
 * delete). Caller holds inode->sb->lock. */
void pcache_truncate(struct inode *inode, uint64_t from);
struct pcache_stats pcache_get_stats(void);
/* Migration: new takes old's place (contents, dirty bit, the cache's
 * reference) if old's refcount is refs. 0 or -EBUSY. */
int pcache_migrate(struct page *old, struct page *new, int refs);

#endif
