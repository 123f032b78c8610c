/*
 * shmem objects (shmem.h): unlinked in-memory files on a pseudo file
 * system "shm" behind shared anonymous mappings, with swap as their only
 * backing store.
 *
 * The super block is on no list of mounted file systems: sync and the
 * flush thread never see it, so nothing but reclaim (writepage) ever
 * writes a shmem page anywhere. msync skips shmem mappings (mmap_file.c).
 *
 * Each object keeps a table (a radix tree) from page index to the swap
 * entry that holds a copy of the page. An entry is made by the first
 * writepage of the index and kept while the object lives: a page read
 * back from its slot is clean and may be dropped again at no cost (the
 * slot still holds it), and the next writepage of a page dirtied since
 * writes the same slot again. Keeping the slot also closes a race: two
 * faults that miss the same index at once both call readpage (one after
 * the other, under the sb lock) and the page cache keeps whichever page
 * it inserts first; had the first readpage freed the slot, the second
 * would read zeros, and the cache might keep those.
 *
 * Locks: shm_sb.lock (a file-system lock, taken by the page cache around
 * readpage and writepage and by inode_put around eviction) protects each
 * object's table and nswapped; shmem_list_lock, a leaf spinlock, the list
 * of live objects.
 */
#include <kernel/shmem.h>
#include <kernel/vfs.h>
#include <kernel/mm.h>
#include <kernel/pcache.h>
#include <kernel/swap.h>
#include <kernel/radix.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/printk.h>

struct shmem_inode {
	struct inode inode;
	struct radix_root swap;    /* index -> swp_entry_t.val; shm_sb.lock */
	uint64_t nswapped;         /* entries in swap; shm_sb.lock */
	struct list_head live;     /* on shmem_list; shmem_list_lock */
};

#define SHM_DEV_ID 99              /* st_dev 00:63; ext2 counts from 1, procfs from 100 */

static struct super_block shm_sb;
static struct list_head shmem_list = LIST_HEAD_INIT(shmem_list);
static struct spinlock shmem_list_lock = SPINLOCK_INIT("shmem_list");
static uint64_t next_ino = 1;      /* atomic */

static struct shmem_inode *SHM(struct inode *inode)
{
	return (struct shmem_inode *)inode;
}

bool shmem_inode(const struct inode *inode)
{
	return inode && inode->sb == &shm_sb;
}

/* The swap entry holding page index of si, or {0}. shm_sb.lock held. */
static swp_entry_t swap_of(struct shmem_inode *si, uint64_t index)
{
	return (swp_entry_t){ (uint64_t)radix_lookup(&si->swap, index) };
}

/*
 * Fill page (page->index) from its swap slot, or with zeros if it has
 * none. Called by the page cache with shm_sb.lock held. The slot stays the
 * object's (see the top). 0, or -EIO from the swap device.
 */
static int shmem_readpage(struct inode *inode, struct page *page)
{
	swp_entry_t e = swap_of(SHM(inode), page->index);

	if (!e.val) {
		memset(page_address(page), 0, PAGE_SIZE);
		return 0;
	}
	return swap_readpage(e, page) ? -EIO : 0;
}

/*
 * Write page to the object's slot for its index, taking a free slot the
 * first time. Called with shm_sb.lock held (pcache writeback, reclaim).
 * 0; -ENOSPC when swap is off or full, -ENOMEM for the table, -EIO, or
 * -EAGAIN when this task already held the lock (reclaim entered from an
 * allocation made inside a shmem operation, which may be half-way
 * through a table update): the page stays in memory (the caller keeps
 * it dirty).
 */
static int shmem_writepage(struct inode *inode, struct page *page)
{
	struct shmem_inode *si = SHM(inode);

	if (shm_sb.lock.depth > 1)
		return -EAGAIN;
	swp_entry_t e = swap_of(si, page->index);
	bool fresh = !e.val;

	if (fresh) {
		e = swap_slot_alloc();
		if (!e.val)
			return -ENOSPC;
		if (radix_insert(&si->swap, page->index, (void *)e.val)) {
			swap_slot_free(e);
			return -ENOMEM;
		}
		si->nswapped++;
	}
	if (!swap_writepage(e, page))
		return 0;
	if (fresh) {                         /* nothing valid in the slot */
		radix_delete(&si->swap, page->index);
		swap_slot_free(e);
		si->nswapped--;
	}
	return -EIO;
}

static const struct address_space_ops shmem_aops = {
	.readpage = shmem_readpage,
	.writepage = shmem_writepage,
};

static struct inode *shmem_alloc_inode(struct super_block *sb)
{
	struct shmem_inode *si = kzalloc(sizeof(*si));

	return si ? &si->inode : NULL;
}

static void shmem_free_inode(struct inode *inode)
{
	kfree(SHM(inode));
}

#define EVICT_BATCH 32

/* The last reference went (its pages are gone already, inode_evict):
 * give back every slot. shm_sb.lock held. */
static void shmem_evict_inode(struct inode *inode)
{
	struct shmem_inode *si = SHM(inode);
	void *items[EVICT_BATCH];
	uint64_t idx[EVICT_BATCH];
	int n;

	while ((n = radix_gang_lookup(&si->swap, 0, items, idx, EVICT_BATCH)) > 0) {
		for (int i = 0; i < n; i++) {
			radix_delete(&si->swap, idx[i]);
			swap_slot_free((swp_entry_t){ (uint64_t)items[i] });
		}
		si->nswapped -= (uint64_t)n;
	}
	BUG_ON(si->nswapped != 0);
	spin_lock(&shmem_list_lock);
	list_del(&si->live);
	spin_unlock(&shmem_list_lock);
}

static const struct super_ops shmem_sops = {
	.alloc_inode = shmem_alloc_inode,
	.free_inode = shmem_free_inode,
	.evict_inode = shmem_evict_inode,
};

void shmem_init(void)
{
	shm_sb.type = "shm";
	shm_sb.ops = &shmem_sops;
	shm_sb.block_size = PAGE_SIZE;
	shm_sb.maxbytes = USER_TOP;
	shm_sb.dev_id = SHM_DEV_ID;
	fs_lock_init(&shm_sb.lock, "shm");
	icache_sb_init(&shm_sb);
	list_init(&shm_sb.list);             /* on no list: see the top */
}

int shmem_create(uint64_t size, struct inode **out)
{
	uint64_t ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	struct inode *inode = inode_new(&shm_sb, ino);

	if (!inode)
		return -ENOMEM;
	inode->mode = S_IFREG | 0600;
	inode->nlink = 0;                    /* unlinked: the last put frees it */
	inode->size = ALIGN_UP(size, PAGE_SIZE);
	inode->mtime = inode->ctime = inode->atime = fs_now();
	mapping_init(&inode->mapping, inode, &shmem_aops);
	spin_lock(&shmem_list_lock);
	list_add_tail(&SHM(inode)->live, &shmem_list);
	spin_unlock(&shmem_list_lock);
	*out = inode;
	return 0;
}

uint64_t shmem_resident_pages(void)
{
	struct list_head *l;
	uint64_t n = 0;

	spin_lock(&shmem_list_lock);
	list_for_each(l, &shmem_list)
		n += READ_ONCE(list_entry(l, struct shmem_inode, live)->inode.mapping.nrpages);
	spin_unlock(&shmem_list_lock);
	return n;
}

uint64_t shmem_swapped_pages(struct inode *inode)
{
	fs_lock(&shm_sb.lock);
	uint64_t n = SHM(inode)->nswapped;
	fs_unlock(&shm_sb.lock);
	return n;
}
