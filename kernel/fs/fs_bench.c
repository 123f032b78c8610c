/*
 * File benchmarks (ktest=bench_fs, run by `make bench` under -icount
 * shift=0, where a TSC cycle is a guest instruction's time): a 16 MiB file
 * written through the page cache and written back, read cold (from the
 * device) and warm (from the cache), against a plain 4 KiB copy. Each line:
 * `bench: <name> <cycles> cycles/page`.
 */
#include "fs_test_util.h"
#include <kernel/pcache.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <arch/io.h>

#define FILE_BYTES (16UL << 20)
#define PAGES (FILE_BYTES / PAGE_SIZE)

/* Read or write the whole file a page at a time; cycles per page. */
static uint64_t pass(struct file *f, char *buf, bool write)
{
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < PAGES; i++) {
		struct uio u = UIO_KERNEL(buf, PAGE_SIZE);
		ssize_t r = write ? vfs_pwrite(f, &u, i * PAGE_SIZE) :
				    vfs_pread(f, &u, i * PAGE_SIZE);
		if (r != PAGE_SIZE)
			return 0;
	}
	return (rdtsc() - t0) / PAGES;
}

KTEST_EXPLICIT(bench_fs, file_16m)
{
	struct file *f;
	char *buf = kmalloc(PAGE_SIZE), *src = kmalloc(PAGE_SIZE);

	if (fst_no_root(t) || !buf || !src)
		return;
	memset(buf, 0x5a, PAGE_SIZE);
	KTEST_ASSERT(t, vfs_open(NULL, "/bench16m", O_RDWR | O_CREAT | O_TRUNC, 0644, &f) == 0);
	uint64_t w = pass(f, buf, true);
	uint64_t t0 = rdtsc();
	KTEST_EXPECT_EQ(t, vfs_fsync(f), 0);
	uint64_t wb = (rdtsc() - t0) / PAGES;
	pcache_drop_clean();
	uint64_t cold = pass(f, buf, false);
	uint64_t warm = pass(f, buf, false);
	t0 = rdtsc();
	for (uint64_t i = 0; i < PAGES; i++)
		memcpy(buf, src, PAGE_SIZE);
	uint64_t copy = (rdtsc() - t0) / PAGES;
	printk("bench: write_cached %lu cycles/page\n", w);
	printk("bench: writeback_fsync %lu cycles/page\n", wb);
	printk("bench: read_cold %lu cycles/page\n", cold);
	printk("bench: read_warm %lu cycles/page\n", warm);
	printk("bench: memcpy_4k %lu cycles/page\n", copy);
	KTEST_EXPECT(t, w && cold && warm);
	file_put(f);
	KTEST_EXPECT_EQ(t, vfs_unlink(NULL, "/bench16m"), 0);
	kfree(buf);
	kfree(src);
}
