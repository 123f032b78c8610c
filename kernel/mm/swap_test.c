/* Tests of swap areas and slots (swap.h): ktest=swap. */
#include <kernel/ktest.h>
#include <kernel/swap.h>
#include <kernel/blkdev.h>
#include <kernel/numa.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/errno.h>

#define AREA_PAGES 1024                   /* a 4 MiB RAM disk */

static struct swap_header_info *info(char *page)
{
	return (void *)(page + 1024);
}

KTEST(swap, header_check)
{
	char *p = kmalloc(PAGE_SIZE);

	KTEST_ASSERT(t, p);
	swap_header_make(p, 100, "t");
	KTEST_EXPECT(t, swap_header_check(p, 100) == 100);
	KTEST_EXPECT(t, swap_header_check(p, 50) == 50);      /* cut to the device */
	info(p)->badpages[0] = 7;
	info(p)->nr_badpages = 1;
	KTEST_EXPECT(t, swap_header_check(p, 100) == 100);
	info(p)->badpages[0] = 100;                           /* past last_page */
	KTEST_EXPECT(t, swap_header_check(p, 100) == -EINVAL);
	info(p)->badpages[0] = 0;                             /* the header itself */
	KTEST_EXPECT(t, swap_header_check(p, 100) == -EINVAL);
	info(p)->nr_badpages = SWAP_MAX_BADPAGES + 1;
	KTEST_EXPECT(t, swap_header_check(p, 100) == -EINVAL);
	swap_header_make(p, 100, "t");
	info(p)->version = 2;
	KTEST_EXPECT(t, swap_header_check(p, 100) == -EINVAL);
	swap_header_make(p, 100, "t");
	p[PAGE_SIZE - 1] = '1';                               /* SWAPSPACE1 */
	KTEST_EXPECT(t, swap_header_check(p, 100) == -EINVAL);
	swap_header_make(p, 1, "t");                          /* only the header */
	KTEST_EXPECT(t, swap_header_check(p, 100) == -EINVAL);
	kfree(p);
}

/* A RAM disk with a swap header with bad pages 5 and 300, or NULL. */
static struct blkdev *make_area(void)
{
	struct blkdev *d = ramdisk_create(AREA_PAGES * PAGE_SIZE, numa_this_node());
	char *p = kmalloc(PAGE_SIZE);

	if (d && p) {
		swap_header_make(p, AREA_PAGES, "ktest");
		info(p)->nr_badpages = 2;
		info(p)->badpages[0] = 5;
		info(p)->badpages[1] = 300;
		blk_write(d, 0, PAGE_SIZE / d->block_size, p);
	}
	kfree(p);
	return d;
}

/* Allocate every slot: none twice, none bad, the first ones in a row. */
static int fill(struct ktest_ctx *t, swp_entry_t *got)
{
	int n = 0, bad = 0, apart = 0;

	for (swp_entry_t e; n < AREA_PAGES && (e = swap_slot_alloc()).val; n++) {
		uint64_t s = swp_offset(e);
		got[n] = e;
		bad += s == 0 || s == 5 || s == 300 || swap_slot_count(e) != 1;
		apart += n > 0 && n < 4 && s != swp_offset(got[n - 1]) + 1;
	}
	KTEST_EXPECT(t, bad == 0);
	KTEST_EXPECT(t, apart == 0);         /* one cluster: consecutive slots */
	return n;
}

KTEST(swap, slots)
{
	static swp_entry_t got[AREA_PAGES];
	struct blkdev *d;

	if (swap_get_totals().pages) {
		ktest_skip(t, "another swap area is on");
		return;
	}
	KTEST_ASSERT(t, (d = make_area()) != NULL);
	KTEST_ASSERT(t, swap_area_on(d, "/dev/ktest", -1) == 0);
	KTEST_EXPECT(t, swap_area_on(d, "/dev/ktest", -1) == -EBUSY);
	KTEST_EXPECT(t, swap_get_totals().pages == AREA_PAGES - 3);   /* header, 2 bad */
	int n = fill(t, got);
	KTEST_EXPECT(t, n == AREA_PAGES - 3);
	KTEST_EXPECT(t, swap_get_totals().free == 0 && swap_slot_alloc().val == 0);
	KTEST_EXPECT(t, swap_slot_dup(got[0]) == 0 && swap_slot_count(got[0]) == 2);
	/* Slots held outside any page table: swapoff cannot bring them in,
	 * fails as Linux's does (-ENOMEM) and leaves the area on. */
	KTEST_EXPECT(t, swap_area_off(d) == -ENOMEM);
	KTEST_EXPECT(t, swap_get_totals().pages == AREA_PAGES - 3);
	swap_slot_free(got[0]);
	KTEST_EXPECT(t, swap_slot_count(got[0]) == 1);
	swap_slot_free(got[7]);
	KTEST_EXPECT(t, swap_slot_alloc().val == got[7].val); /* the only free slot */
	for (int i = 0; i < n; i++)
		swap_slot_free(got[i]);
	KTEST_EXPECT(t, swap_slot_count(got[0]) == 0);
	KTEST_EXPECT(t, swap_slot_dup(got[0]) == -EINVAL);   /* a free slot has no users */
	KTEST_EXPECT(t, swap_get_totals().free == AREA_PAGES - 3);
	KTEST_EXPECT(t, swap_area_off(d) == 0);
	KTEST_EXPECT(t, swap_area_off(d) == -EINVAL);
	KTEST_EXPECT(t, swap_get_totals().pages == 0);
	ramdisk_destroy(d);
}
