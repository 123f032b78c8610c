/*
 * Page cache tests (ktest=pcache), on the root file system: cached reads
 * do no device I/O (the block layer's counters prove it), writes are seen
 * before writeback, dropped clean pages are read again, pages are placed
 * on the reading CPU's node. Also the RAM disk driver.
 */
#include "fs_test_util.h"
#include <kernel/blkdev.h>
#include <kernel/pcache.h>
#include <kernel/pmm.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static struct blkdev *root_dev(void)
{
	struct inode *r = vfs_root();
	struct blkdev *d = r ? r->sb->dev : NULL;

	if (r)
		inode_put(r);
	return d;
}

#define LEN (64 * 1024)

KTEST(pcache, second_read_no_io)
{
	if (fst_no_root(t))
		return;
	fst_mkdir("/ktest");
	KTEST_ASSERT(t, fst_write("/ktest/pc1", 0, LEN, 21, O_TRUNC) == 0);
	KTEST_EXPECT_EQ(t, vfs_sync(), 0);
	pcache_drop_clean();
	struct blkdev *d = root_dev();
	struct blk_stats s0 = blk_get_stats(d);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/pc1", 0, LEN, 21), 0);
	struct blk_stats s1 = blk_get_stats(d);
	KTEST_EXPECT(t, s1.read_bytes - s0.read_bytes >= LEN);    /* cold */
	KTEST_EXPECT_EQ(t, fst_check("/ktest/pc1", 0, LEN, 21), 0);
	struct blk_stats s2 = blk_get_stats(d);
	KTEST_EXPECT_EQ(t, s2.reads, s1.reads);                  /* warm */
	KTEST_EXPECT_EQ(t, s2.writes, s1.writes);
}

KTEST(pcache, write_visible_before_writeback)
{
	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, vfs_sync(), 0);
	struct blkdev *d = root_dev();
	struct blk_stats s0 = blk_get_stats(d);
	KTEST_ASSERT(t, fst_write("/ktest/pc1", 4096, 8192, 22, 0) == 0);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/pc1", 4096, 8192, 22), 0);
	struct blk_stats s1 = blk_get_stats(d);
	KTEST_EXPECT_EQ(t, s1.writes, s0.writes);    /* nothing written yet */
	KTEST_EXPECT(t, pcache_get_stats().dirty >= 2);
	struct file *f;
	KTEST_ASSERT(t, vfs_open(NULL, "/ktest/pc1", O_RDWR, 0, &f) == 0);
	KTEST_EXPECT_EQ(t, vfs_fsync(f), 0);
	file_put(f);
	struct blk_stats s2 = blk_get_stats(d);
	KTEST_EXPECT(t, s2.write_bytes - s1.write_bytes >= 8192);
}

KTEST(pcache, drop_clean_refetches)
{
	if (fst_no_root(t))
		return;
	KTEST_EXPECT_EQ(t, vfs_sync(), 0);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/pc1", 0, 4096, 21), 0);
	KTEST_EXPECT(t, pcache_drop_clean() > 0);
	struct blkdev *d = root_dev();
	struct blk_stats s0 = blk_get_stats(d);
	KTEST_EXPECT_EQ(t, fst_check("/ktest/pc1", 4096, 8192, 22), 0);
	struct blk_stats s1 = blk_get_stats(d);
	KTEST_EXPECT(t, s1.reads > s0.reads);
	/* a held page is never dropped */
	struct inode *in;
	bool major;
	KTEST_ASSERT(t, vfs_lookup(NULL, "/ktest/pc1", 0, &in) == 0);
	struct page *p = pcache_get_page(in, 0, &major);
	KTEST_ASSERT(t, p != NULL);
	pcache_drop_clean();
	bool major2;
	struct page *q = pcache_get_page(in, 0, &major2);
	KTEST_EXPECT(t, q == p);
	KTEST_EXPECT(t, !major2);
	KTEST_EXPECT_EQ(t, p->index, 0);
	KTEST_EXPECT(t, p->mapping == &in->mapping);
	KTEST_EXPECT_EQ(t, p->node, numa_this_node());    /* first touch */
	pcache_put_page(q);
	pcache_put_page(p);
	inode_put(in);
}

KTEST(pcache, ramdisk)
{
	int nid, last = 0;

	for_each_online_node(nid)
		if (numa_nodes[nid].present_pages)
			last = nid;
	struct blkdev *d = ramdisk_create(1 << 20, last);
	KTEST_ASSERT(t, d != NULL);
	KTEST_EXPECT_EQ(t, d->nr_blocks, 2048);
	char *buf = kmalloc(8192);
	KTEST_ASSERT(t, buf != NULL);
	for (int i = 0; i < 8192; i++)
		buf[i] = (char)i;
	KTEST_EXPECT_EQ(t, blk_write(d, 5, 16, buf), 0);
	memset(buf, 0, 8192);
	KTEST_EXPECT_EQ(t, blk_read(d, 5, 16, buf), 0);
	bool same = true;
	for (int i = 0; i < 8192; i++)
		same &= buf[i] == (char)i;
	KTEST_EXPECT(t, same);
	KTEST_EXPECT_EQ(t, blk_read(d, 2040, 16, buf), -EINVAL);
	struct blk_stats s = blk_get_stats(d);
	KTEST_EXPECT_EQ(t, s.reads, 1);
	KTEST_EXPECT_EQ(t, s.writes, 1);
	KTEST_EXPECT_EQ(t, s.read_bytes, 8192);
	KTEST_EXPECT_EQ(t, d->node, last);
	kfree(buf);
	ramdisk_destroy(d);
}
