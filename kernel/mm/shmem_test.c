/*
 * Tests of shmem's swap side (shmem.h): ktest=shmem. writepage and
 * readpage are called as the page cache and reclaim call them, with the
 * shm lock held. They use the swap area that is on (swap=SIZE on the
 * command line), or make a small one on a RAM disk for the test.
 */
#include <kernel/ktest.h>
#include <kernel/shmem.h>
#include <kernel/swap.h>
#include <kernel/pcache.h>
#include <kernel/blkdev.h>
#include <kernel/numa.h>
#include <kernel/pmm.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/errno.h>

#define AREA_PAGES 256                    /* a 1 MiB RAM disk */

/* A swap area of our own if none is on (returned, to take down), else NULL. */
static struct blkdev *swap_area_for_test(void)
{
	if (swap_get_totals().pages)
		return NULL;
	struct blkdev *d = ramdisk_create(AREA_PAGES * PAGE_SIZE, numa_this_node());
	char *hdr = kmalloc(PAGE_SIZE);

	if (d && hdr) {
		swap_header_make(hdr, AREA_PAGES, "shmem-ktest");
		blk_write(d, 0, PAGE_SIZE / d->block_size, hdr);
		swap_area_on(d, "/dev/shmem-ktest", -1);
	}
	kfree(hdr);
	return d;
}

static void swap_area_done(struct blkdev *d)
{
	if (d) {
		swap_area_off(d);
		ramdisk_destroy(d);
	}
}

/* Call the object's writepage or readpage as the page cache does. */
static int page_io(struct inode *in, struct page *p, bool write)
{
	fs_lock(&in->sb->lock);
	int err = write ? in->mapping.ops->writepage(in, p) : in->mapping.ops->readpage(in, p);
	fs_unlock(&in->sb->lock);
	return err;
}

static void fill(struct page *p, uint8_t seed)
{
	uint8_t *b = page_address(p);

	for (size_t i = 0; i < PAGE_SIZE; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static bool filled(struct page *p, uint8_t seed)
{
	const uint8_t *b = page_address(p);

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (b[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

static bool zeroed(struct page *p)
{
	const uint8_t *b = page_address(p);

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (b[i])
			return false;
	return true;
}

/* Read index of in into a page outside the cache; true if it holds seed
 * (seed 0: all zero). */
static bool reads_back(struct inode *in, uint64_t index, uint8_t seed)
{
	struct page *q = pmm_alloc_pages(NUMA_NO_NODE, 0, 0);
	bool good;

	if (!q)
		return false;
	memset(page_address(q), 0xa5, PAGE_SIZE);
	q->index = index;
	if (page_io(in, q, false))
		good = false;
	else if (seed)
		good = filled(q, seed);
	else
		good = zeroed(q);
	q->index = 0;
	pmm_free_pages(q, 0);
	return good;
}

/*
 * A page written out goes to one slot; it reads back from it; written
 * again it reuses that slot; dropped from the cache it comes back through
 * readpage (a major miss); an index never written reads as zeros; the
 * object's last put gives the slot back.
 */
KTEST(shmem, swap_out_and_back)
{
	struct blkdev *d = swap_area_for_test();
	uint64_t free0 = swap_get_totals().free;
	struct inode *in;
	bool major;

	KTEST_ASSERT(t, free0 > 0);
	KTEST_ASSERT(t, shmem_create(4 * PAGE_SIZE, &in) == 0);
	struct page *p = pcache_get_page(in, 1, &major);
	KTEST_ASSERT(t, p && major);
	KTEST_EXPECT(t, reads_back(in, 1, 0));              /* untouched: zeros */
	fill(p, 11);
	KTEST_EXPECT_EQ(t, page_io(in, p, true), 0);
	KTEST_EXPECT_EQ(t, swap_get_totals().free, free0 - 1);
	KTEST_EXPECT_EQ(t, shmem_swapped_pages(in), 1);
	KTEST_EXPECT(t, reads_back(in, 1, 11));
	fill(p, 22);                                      /* dirtied again */
	KTEST_EXPECT_EQ(t, page_io(in, p, true), 0);
	KTEST_EXPECT_EQ(t, swap_get_totals().free, free0 - 1);   /* same slot */
	KTEST_EXPECT(t, reads_back(in, 1, 22));
	pcache_put_page(p);
	/* The readpage above kept the slot: a second reader of the same index
	 * (two faults that missed at once) gets the data too. */
	pcache_drop_clean();                              /* as reclaim drops it */
	p = pcache_get_page(in, 1, &major);
	KTEST_EXPECT(t, p && major && filled(p, 22));
	if (p)
		pcache_put_page(p);
	KTEST_EXPECT(t, reads_back(in, 2, 0));
	KTEST_EXPECT_EQ(t, shmem_swapped_pages(in), 1);
	inode_put(in);                                    /* the last reference */
	KTEST_EXPECT_EQ(t, swap_get_totals().free, free0);
	swap_area_done(d);
}

/* With every slot taken, writepage says -ENOSPC and takes nothing; nor
 * does it when the task holds the shm lock already (-EAGAIN). */
KTEST(shmem, writepage_refused)
{
	struct blkdev *d = swap_area_for_test();
	uint64_t n = swap_get_totals().free, got = 0;
	swp_entry_t *slots = kmalloc(n * sizeof(*slots) + 1);
	struct inode *in;
	bool major;

	KTEST_ASSERT(t, slots && n > 0);
	while (got < n && (slots[got] = swap_slot_alloc()).val)
		got++;
	KTEST_EXPECT_EQ(t, swap_get_totals().free, 0);
	KTEST_ASSERT(t, shmem_create(PAGE_SIZE, &in) == 0);
	struct page *p = pcache_get_page(in, 0, &major);
	KTEST_ASSERT(t, p);
	fill(p, 33);
	KTEST_EXPECT_EQ(t, page_io(in, p, true), -ENOSPC);
	KTEST_EXPECT_EQ(t, shmem_swapped_pages(in), 0);
	swap_slot_free(slots[--got]);                     /* one slot free again */
	fs_lock(&in->sb->lock);                           /* as if inside readpage */
	KTEST_EXPECT_EQ(t, page_io(in, p, true), -EAGAIN);
	fs_unlock(&in->sb->lock);
	KTEST_EXPECT_EQ(t, shmem_swapped_pages(in), 0);
	KTEST_EXPECT(t, filled(p, 33));                   /* still in memory */
	pcache_put_page(p);
	inode_put(in);
	for (uint64_t i = 0; i < got; i++)
		swap_slot_free(slots[i]);
	kfree(slots);
	KTEST_EXPECT_EQ(t, swap_get_totals().free, n);
	swap_area_done(d);
}

#define NPAGES 64

/*
 * What reclaim does to an object, with the page cache's own calls: dirty
 * pages written out (pcache_writeback calls writepage for each), the
 * clean pages dropped; every page then comes back from swap, each in its
 * own slot, and the last put frees all the slots.
 */
KTEST(shmem, pages_come_back_after_writeback_and_drop)
{
	struct blkdev *d = swap_area_for_test();
	uint64_t free0 = swap_get_totals().free;
	struct inode *in;
	int back = 0;

	KTEST_ASSERT(t, free0 >= NPAGES);
	KTEST_ASSERT(t, shmem_create(NPAGES * PAGE_SIZE, &in) == 0);
	for (uint64_t i = 0; i < NPAGES; i++) {
		struct page *p = pcache_get_page(in, i, NULL);
		KTEST_ASSERT(t, p);
		fill(p, (uint8_t)(40 + i));
		pcache_set_dirty(p);
		pcache_put_page(p);
	}
	KTEST_EXPECT_EQ(t, shmem_resident_pages() >= NPAGES, 1);
	KTEST_EXPECT_EQ(t, pcache_writeback(in), 0);
	KTEST_EXPECT_EQ(t, shmem_swapped_pages(in), NPAGES);
	KTEST_EXPECT_EQ(t, swap_get_totals().free, free0 - NPAGES);
	pcache_drop_clean();
	KTEST_EXPECT_EQ(t, in->mapping.nrpages, 0);
	for (uint64_t i = 0; i < NPAGES; i++) {
		bool major;
		struct page *p = pcache_get_page(in, i, &major);
		back += p && major && filled(p, (uint8_t)(40 + i));
		if (p)
			pcache_put_page(p);
	}
	KTEST_EXPECT_EQ(t, back, NPAGES);
	inode_put(in);
	KTEST_EXPECT_EQ(t, swap_get_totals().free, free0);
	swap_area_done(d);
}
