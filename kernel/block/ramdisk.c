/*
 * RAM disks: a block device whose medium is pages of one NUMA node.
 *
 *   ramdisk=SIZE[@NODE][,SIZE[@NODE]...]    e.g. ramdisk=64M@1,8M
 *
 * makes ram0, ram1, ... at boot. SIZE takes K, M or G; without @NODE the
 * pages come from the boot CPU's node. The pages are taken with
 * PMM_THISNODE: a RAM disk on node 1 never silently lives on node 0 (the
 * swap device's placement is part of what the NUMA experiments measure).
 * Blocks are 512-byte sectors, as on a real disk, so a file system of any
 * block size fits; eight sectors share one page of the medium.
 */
#include <kernel/blkdev.h>
#include <kernel/cmdline.h>
#include <kernel/errno.h>
#include <kernel/pmm.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define RD_SECTOR 512
#define RD_PER_PAGE (PAGE_SIZE / RD_SECTOR)

struct ramdisk {
	struct blkdev dev;
	struct page **pages;       /* the medium, in order */
	uint64_t nr_pages;
};

static int nr_ramdisks;        /* for names ram0, ram1, ... */

static int ramdisk_rw(struct blkdev *d, int op, uint64_t block, uint32_t count,
		      void *buf)
{
	struct ramdisk *rd = d->priv;
	char *b = buf;

	while (count) {
		uint32_t in_page = block % RD_PER_PAGE;
		uint32_t n = MIN(count, RD_PER_PAGE - in_page);
		char *medium = (char *)page_address(rd->pages[block / RD_PER_PAGE]) +
			       in_page * RD_SECTOR;

		if (op == BLK_READ)
			memcpy(b, medium, n * RD_SECTOR);
		else
			memcpy(medium, b, n * RD_SECTOR);
		b += n * RD_SECTOR;
		block += n;
		count -= n;
	}
	return 0;
}

static const struct blkdev_ops ramdisk_ops = { .rw = ramdisk_rw };

static void free_pages_of(struct ramdisk *rd, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		pmm_free_pages(rd->pages[i], 0);
	kfree(rd->pages);
}

/*
 * A zero-filled RAM disk of `bytes` (rounded up to 4 KiB) on `node`,
 * registered as the next ramN.
 * Returns the registered device, or NULL if the node lacks the memory.
 */
struct blkdev *ramdisk_create(uint64_t bytes, int node)
{
	uint64_t n = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	struct ramdisk *rd = kzalloc(sizeof(*rd));

	if (!rd || !n)
		goto fail;
	rd->pages = kmalloc(n * sizeof(struct page *));
	if (!rd->pages)
		goto fail;
	for (uint64_t i = 0; i < n; i++) {
		rd->pages[i] = pmm_alloc_pages(node, 0, PMM_THISNODE | PMM_ZERO);
		if (!rd->pages[i]) {
			free_pages_of(rd, i);
			goto fail;
		}
	}
	snprintf(rd->dev.name, sizeof(rd->dev.name), "ram%d", nr_ramdisks++);
	rd->nr_pages = n;
	rd->dev.block_size = RD_SECTOR;
	rd->dev.nr_blocks = n * RD_PER_PAGE;
	rd->dev.node = node;
	rd->dev.major = 1;
	rd->dev.minor = nr_ramdisks - 1;
	rd->dev.ops = &ramdisk_ops;
	rd->dev.priv = rd;
	blk_register(&rd->dev);
	return &rd->dev;
fail:
	kfree(rd);
	return NULL;
}

/* Unregister and free a RAM disk made by ramdisk_create (tests). */
void ramdisk_destroy(struct blkdev *d)
{
	struct ramdisk *rd = d->priv;

	blk_unregister(d);
	free_pages_of(rd, rd->nr_pages);
	kfree(rd);
}

/* "64M@1" -> bytes and node; false if malformed. */
bool ramdisk_parse_size(const char *s, size_t len, uint64_t *bytes, int *node)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (uint64_t)(s[i++] - '0');
	if (i == 0)
		return false;
	if (i < len && (s[i] == 'K' || s[i] == 'M' || s[i] == 'G'))
		v <<= s[i++] == 'K' ? 10 : s[i - 1] == 'M' ? 20 : 30;
	*node = numa_this_node();
	if (i < len && s[i] == '@') {
		int n = 0;
		if (++i == len)
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			n = n * 10 + (s[i++] - '0');
		*node = n;
	}
	*bytes = v;
	return i == len && v > 0;
}

void ramdisk_init(void)
{
	const char *opt = cmdline_get("ramdisk");

	while (opt && *opt) {
		const char *comma = strchr(opt, ',');
		size_t len = comma ? (size_t)(comma - opt) : strlen(opt);
		uint64_t bytes;
		int node;
		char word[32];

		strlcpy(word, opt, MIN(len + 1, sizeof(word)));
		if (!ramdisk_parse_size(opt, len, &bytes, &node))
			printk("ramdisk: cannot parse '%s'; want SIZE[@NODE]\n", word);
		else if (node >= MAX_NODES || !ramdisk_create(bytes, node))
			printk("ramdisk: no %lu KiB on node %d\n", bytes >> 10, node);
		opt += len + (comma ? 1 : 0);
	}
}
