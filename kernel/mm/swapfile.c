/*
 * Swap areas and their slots (swap.h): the header, swapon/swapoff, the
 * per-slot use counts, cluster allocation, /proc/swaps and the
 * swap=SIZE[@NODE] boot option, and the swapon/swapoff system calls.
 *
 * Each area keeps one 16-bit count per page of the device:
 *
 *   map:  [BAD][ 0 ][ 1 ][ 2 ][ 0 ][BAD][ 0 ] ...
 *          hdr  free  one  two  free  bad  free
 *                     user users
 *
 * Page 0 (the header) and the header's bad pages are SLOT_BAD forever.
 */
#include <kernel/swap.h>
#include <kernel/blkdev.h>
#include <kernel/cmdline.h>
#include <kernel/procfs.h>
#include <kernel/numa.h>
#include <kernel/pmm.h>
#include <kernel/page.h>
#include <kernel/slab.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/printk.h>
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <kernel/cwd.h>
#include <kernel/device.h>
#include <kernel/usercopy.h>

#define SLOT_BAD 0xffff              /* never handed out */
#define SLOT_MAX 0xfffe              /* most users of one slot */

struct swap_area {
	struct blkdev *dev;              /* NULL: this table entry is unused */
	char path[64];                   /* as given to swapon, for /proc/swaps */
	uint16_t *map;                   /* use count per page; SLOT_BAD */
	uint64_t pages;                  /* pages of the area, header included */
	uint64_t good;                   /* usable slots */
	uint64_t inuse;                  /* slots with a count > 0 */
	uint64_t cluster_next;           /* next slot of the claimed cluster */
	uint64_t cluster_left;           /* slots left in it */
	uint64_t lowest;                 /* no free slot below it */
	uint64_t frees_since_miss;       /* slots freed since no free cluster was
					    found (search again after a cluster's worth) */
	int prio;
	bool enabled;                    /* slots may be handed out */
};

/* swap_lock: areas[], every area's map and counters, least_prio. */
static struct spinlock swap_lock = SPINLOCK_INIT("swap");
static struct swap_area areas[MAX_SWAPFILES];
static int least_prio = -1;          /* the next default priority is one less */

/* ------------------------------------------------------------ the header */

int64_t swap_header_check(const void *page, uint64_t dev_pages)
{
	const char *p = page;
	const struct swap_header_info *h = (const void *)(p + 1024);

	if (memcmp(p + PAGE_SIZE - 10, SWAP_MAGIC, 10) || h->version != 1)
		return -EINVAL;
	if (h->nr_badpages > SWAP_MAX_BADPAGES || h->last_page == 0)
		return -EINVAL;
	uint64_t pages = MIN((uint64_t)h->last_page + 1, dev_pages);
	for (uint32_t i = 0; i < h->nr_badpages; i++)
		if (h->badpages[i] == 0 || h->badpages[i] > h->last_page)
			return -EINVAL;
	if (pages < 2)
		return -EINVAL;
	return (int64_t)pages;
}

void swap_header_make(void *page, uint64_t pages, const char *label)
{
	struct swap_header_info *h = (void *)((char *)page + 1024);

	memset(page, 0, PAGE_SIZE);
	h->version = 1;
	h->last_page = (uint32_t)(pages - 1);
	strlcpy(h->volume_name, label, sizeof(h->volume_name));
	memcpy((char *)page + PAGE_SIZE - 10, SWAP_MAGIC, 10);
}

/* ------------------------------------------------------------ slots */

/* The first slot of a run of SWAP_CLUSTER free slots, or 0. swap_lock. */
static uint64_t find_free_cluster(struct swap_area *a)
{
	uint64_t run = 0;

	for (uint64_t s = 1; s < a->pages; s++) {
		run = a->map[s] ? 0 : run + 1;
		if (run == SWAP_CLUSTER)
			return s + 1 - SWAP_CLUSTER;
	}
	return 0;
}

/* The lowest free slot, or 0; a->lowest keeps the search from starting
 * at 1 every time. swap_lock. */
static uint64_t find_free_slot(struct swap_area *a)
{
	for (uint64_t s = MAX(a->lowest, 1); s < a->pages; s++)
		if (!a->map[s]) {
			a->lowest = s;
			return s;
		}
	a->lowest = a->pages;
	return 0;
}

/*
 * The next slot of a: from the claimed cluster while it lasts (slots in
 * it may have been taken by the fallback below; they are skipped), else a
 * new cluster, else any free slot. 0 if the area is full. swap_lock.
 */
static uint64_t area_alloc(struct swap_area *a)
{
	while (a->cluster_left) {
		uint64_t s = a->cluster_next++;
		a->cluster_left--;
		if (!a->map[s])
			return s;
	}
	/* A whole free cluster is looked for again only after a cluster's
	 * worth of slots has been freed since the last search found none:
	 * on a full, fragmented area each search would read the whole map. */
	uint64_t s = a->frees_since_miss >= SWAP_CLUSTER ? find_free_cluster(a) : 0;
	if (s) {
		a->cluster_next = s + 1;
		a->cluster_left = SWAP_CLUSTER - 1;
		return s;
	}
	a->frees_since_miss = 0;
	return find_free_slot(a);
}

swp_entry_t swap_slot_alloc(void)
{
	struct swap_area *best = NULL;
	swp_entry_t e = { 0 };

	spin_lock(&swap_lock);
	for (int t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_area *a = &areas[t];
		if (a->enabled && a->inuse < a->good && (!best || a->prio > best->prio))
			best = a;
	}
	uint64_t s = best ? area_alloc(best) : 0;
	if (s) {
		best->map[s] = 1;
		best->inuse++;
		e = swp_entry((unsigned)(best - areas), s);
	}
	spin_unlock(&swap_lock);
	return e;
}

/* The count of e's slot, or NULL if e names no slot in use. swap_lock. */
static uint16_t *slot_of(swp_entry_t e)
{
	unsigned t = swp_type(e);
	uint64_t s = swp_offset(e);

	if (t >= MAX_SWAPFILES || !areas[t].dev || s == 0 || s >= areas[t].pages)
		return NULL;
	uint16_t *c = &areas[t].map[s];
	return *c && *c != SLOT_BAD ? c : NULL;
}

int swap_slot_dup(swp_entry_t e)
{
	spin_lock(&swap_lock);
	uint16_t *c = slot_of(e);
	int err = !c ? -EINVAL : *c == SLOT_MAX ? -ENOMEM : 0;
	if (!err)
		(*c)++;
	spin_unlock(&swap_lock);
	return err;
}

void swap_slot_free(swp_entry_t e)
{
	spin_lock(&swap_lock);
	uint16_t *c = slot_of(e);
	if (c && --(*c) == 0) {
		struct swap_area *a = &areas[swp_type(e)];
		a->inuse--;
		a->frees_since_miss++;
		a->lowest = MIN(a->lowest, swp_offset(e));
	}
	spin_unlock(&swap_lock);
	if (!c)
		printk("swap: free of a slot not in use (%#lx)\n", e.val);
}

int swap_slot_count(swp_entry_t e)
{
	spin_lock(&swap_lock);
	uint16_t *c = slot_of(e);
	int n = c ? *c : 0;
	spin_unlock(&swap_lock);
	return n;
}

/* The device and first block of e's slot, for I/O outside swap_lock: the
 * caller holds a use count on the slot, so the area cannot go meanwhile.
 * NULL if e names no slot in use. */
static struct blkdev *slot_dev(swp_entry_t e, uint64_t *block)
{
	spin_lock(&swap_lock);
	struct blkdev *d = slot_of(e) ? areas[swp_type(e)].dev : NULL;
	if (d)
		*block = swp_offset(e) * (PAGE_SIZE / d->block_size);
	spin_unlock(&swap_lock);
	return d;
}

/* Read or write page p from or to e's slot: 0, -EIO or -EINVAL. */
static int slot_io(swp_entry_t e, struct page *p, bool write)
{
	uint64_t block;
	struct blkdev *d = slot_dev(e, &block);

	if (!d)
		return -EINVAL;
	uint32_t n = PAGE_SIZE / d->block_size;
	int err = write ? blk_write(d, block, n, page_address(p)) :
			  blk_read(d, block, n, page_address(p));
	return err ? -EIO : 0;
}

int swap_readpage(swp_entry_t e, struct page *p)
{
	return slot_io(e, p, false);
}

int swap_writepage(swp_entry_t e, struct page *p)
{
	return slot_io(e, p, true);
}

struct swap_totals swap_get_totals(void)
{
	struct swap_totals t = { 0, 0 };

	spin_lock(&swap_lock);
	for (int i = 0; i < MAX_SWAPFILES; i++)
		if (areas[i].enabled) {
			t.pages += areas[i].good;
			t.free += areas[i].good - areas[i].inuse;
		}
	spin_unlock(&swap_lock);
	return t;
}

/* ------------------------------------------------------------ swapon, swapoff */

/* Mark the header page and the header's bad pages; count the good slots. */
static void map_init(struct swap_area *a, const struct swap_header_info *h)
{
	a->map[0] = SLOT_BAD;
	for (uint32_t i = 0; i < h->nr_badpages; i++)
		if (h->badpages[i] < a->pages)
			a->map[h->badpages[i]] = SLOT_BAD;
	a->good = 0;
	for (uint64_t s = 1; s < a->pages; s++)
		a->good += a->map[s] != SLOT_BAD;
}

/* A new area of `pages` pages on d from header h, in *a: -ENOMEM, or
 * -EINVAL if no page of it is usable. */
static int area_build(struct swap_area *a, struct blkdev *d, uint64_t pages,
		      const struct swap_header_info *h)
{
	*a = (struct swap_area){ .dev = d, .pages = pages, .lowest = 1,
				   .frees_since_miss = SWAP_CLUSTER };
	a->map = kzalloc(pages * sizeof(uint16_t));
	if (!a->map)
		return -ENOMEM;
	map_init(a, h);
	if (a->good)
		return 0;
	kfree(a->map);
	return -EINVAL;
}

/*
 * Read d's header and build an area for it in *a (not yet in the table).
 * Sleeps in I/O; takes no lock. -EINVAL for a bad header or an area with
 * no usable page, -EIO, -ENOMEM.
 */
static int area_load(struct swap_area *a, struct blkdev *d)
{
	uint64_t dev_pages = d->nr_blocks * d->block_size / PAGE_SIZE;

	if (dev_pages < 2 || d->block_size > PAGE_SIZE)
		return -EINVAL;
	char *page = kmalloc(PAGE_SIZE);
	if (!page)
		return -ENOMEM;
	int64_t pages = blk_read(d, 0, PAGE_SIZE / d->block_size, page) ? -EIO :
			swap_header_check(page, dev_pages);
	int err = pages < 0 ? (int)pages :
		  area_build(a, d, (uint64_t)pages, (const void *)(page + 1024));
	kfree(page);
	return err;
}

/* The table entry of d, or -1. swap_lock. */
static int area_of(struct blkdev *d)
{
	for (int t = 0; t < MAX_SWAPFILES; t++)
		if (areas[t].dev == d)
			return t;
	return -1;
}

int swap_area_on(struct blkdev *d, const char *path, int prio)
{
	struct swap_area a;
	int err = area_load(&a, d);

	if (err)
		return err;
	strlcpy(a.path, path, sizeof(a.path));
	spin_lock(&swap_lock);
	int t = area_of(d) >= 0 ? -EBUSY : area_of(NULL);
	if (t >= 0) {
		a.prio = prio >= 0 ? prio : --least_prio;
		a.enabled = true;
		areas[t] = a;
	}
	spin_unlock(&swap_lock);
	if (t < 0) {
		kfree(a.map);
		return t == -EBUSY ? -EBUSY : -EPERM;   /* Linux: EPERM when the table is full */
	}
	printk("swap: on %s: %lu KiB, priority %d\n", path, a.good * (PAGE_SIZE / 1024), a.prio);
	return 0;
}

/*
 * swapoff: no new slots are handed out on the area, every page on it is
 * brought back in (swap_unuse), and the area goes once no slot of it is in
 * use. If some still are after a few passes (no memory to read them into,
 * or the task was killed), the area is enabled again: -ENOMEM, or the
 * error. -EINVAL if d is not a swap area (or is being turned off).
 */
#define SWAPOFF_PASSES 4

/* An area of default (negative) priority prio goes: the areas below it
 * move up one and the next default is one higher again, as Linux does,
 * so that swapoff then swapon gives the same priority back. swap_lock. */
static void give_back_prio(int prio)
{
	if (prio >= 0)
		return;
	for (int t = 0; t < MAX_SWAPFILES; t++)
		if (areas[t].dev && areas[t].prio < prio)
			areas[t].prio++;
	least_prio++;
}

int swap_area_off(struct blkdev *d)
{
	uint16_t *map = NULL;
	int err = 0;

	spin_lock(&swap_lock);
	int t = area_of(d);
	if (t < 0 || !areas[t].enabled)
		err = -EINVAL;
	else
		areas[t].enabled = false;
	spin_unlock(&swap_lock);
	if (err)
		return err;
	for (int pass = 0; !err && pass < SWAPOFF_PASSES && READ_ONCE(areas[t].inuse); pass++)
		err = swap_unuse((unsigned)t);
	spin_lock(&swap_lock);
	if (err || areas[t].inuse) {
		areas[t].enabled = true;
		err = err == -EINTR || err == -EIO ? err : -ENOMEM;
	} else {
		map = areas[t].map;
		give_back_prio(areas[t].prio);
		areas[t] = (struct swap_area){ 0 };
	}
	spin_unlock(&swap_lock);
	kfree(map);
	return err;
}

/* ------------------------------------------------------------ /proc/swaps */

/* Linux's format: the path padded to 40 columns, sizes in KiB. */
static int show_swaps(struct pbuf *b, void *unused)
{
	pbuf_printf(b, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	spin_lock(&swap_lock);
	for (int t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_area *a = &areas[t];
		if (!a->dev)
			continue;
		uint64_t size = a->good * (PAGE_SIZE / 1024), used = a->inuse * (PAGE_SIZE / 1024);
		static const char pad[] = "                                        "; /* 40 */
		size_t len = strlen(a->path);
		pbuf_printf(b, "%s%s%s\t%lu\t%s%lu\t%s%d\n", a->path,
			    pad + (len < 40 ? len : 39), "partition", size,
			    size < 10000000 ? "\t" : "", used, used < 10000000 ? "\t" : "", a->prio);
	}
	spin_unlock(&swap_lock);
	return 0;
}

/* ------------------------------------------------------------ swap=SIZE[@NODE] */

/* A RAM disk of the size and node asked for, a header on it, and swap on. */
static void swap_option(const char *opt)
{
	uint64_t bytes;
	int node;

	if (!ramdisk_parse_size(opt, strlen(opt), &bytes, &node) || bytes < 2 * PAGE_SIZE) {
		printk("swap: cannot use swap=%s; want SIZE[@NODE], at least 8K\n", opt);
		return;
	}
	struct blkdev *d = node < MAX_NODES ? ramdisk_create(bytes, node) : NULL;
	char *page = d ? kmalloc(PAGE_SIZE) : NULL;
	char path[32];
	if (!page) {
		printk("swap: no %lu KiB on node %d\n", bytes >> 10, node);
		return;
	}
	swap_header_make(page, d->nr_blocks * d->block_size / PAGE_SIZE, "numbat-swap");
	int err = blk_write(d, 0, PAGE_SIZE / d->block_size, page);
	kfree(page);
	snprintf(path, sizeof(path), "/dev/%s", d->name);
	if (err || (err = swap_area_on(d, path, -1)))
		printk("swap: cannot swap on %s (%d)\n", path, err);
}

void swap_init(void)
{
	const char *opt = cmdline_get("swap");

	procfs_create_file(procfs_root(), "swaps", show_swaps, NULL);
	if (opt)
		swap_option(opt);
}

/* ------------------------------------------------------------ system calls */

/*
 * The block device a swapon/swapoff path names, and the path made
 * absolute (for /proc/swaps). -ENOENT and friends from the lookup, -EISDIR
 * for a directory, -EINVAL for anything else but a block device (Linux also takes regular files as swap
 * files; Numbat does not); -ENXIO if no driver has the device.
 */
static int swap_path_dev(const char *upath, char *abs, struct blkdev **out)
{
	char *path = kmalloc(PATH_MAX);
	struct inode *in;
	int err = path ? 0 : -ENOMEM;
	ssize_t n = err ? 0 : strncpy_from_user(path, upath, PATH_MAX);

	if (!err && n <= 0)
		err = n < 0 ? (int)n : -ENOENT;
	struct inode *cwd = err ? NULL : fs_cwd(current);
	if (!err && (err = vfs_lookup(cwd, path, LOOKUP_FOLLOW, &in)) == 0) {
		if (S_ISDIR(in->mode))
			err = -EISDIR;              /* Linux opens it for writing first */
		else if (!S_ISBLK(in->mode))
			err = -EINVAL;
		else if (!(*out = blk_find_dev(dev_major(in->rdev), dev_minor(in->rdev))))
			err = -ENXIO;
		inode_put(in);
	}
	if (cwd)
		inode_put(cwd);
	char *base = err ? NULL : fs_cwd_path(current);
	if (!err && (!base || path_normalize(base, path, abs, 64)))
		strlcpy(abs, path, 64);
	kfree(base);
	kfree(path);
	return err;
}

SYSCALL(swapon)
{
	struct blkdev *d;
	char abs[64];

	if (!proc_privileged(current))
		return -EPERM;             /* Linux: CAP_SYS_ADMIN, checked first */
	if (a1 & ~(uint64_t)SWAP_FLAGS_VALID)
		return -EINVAL;
	int err = swap_path_dev((const char *)a0, abs, &d);
	if (err)
		return err;
	return swap_area_on(d, abs, (a1 & SWAP_FLAG_PREFER) ? (int)(a1 & SWAP_FLAG_PRIO_MASK) : -1);
}

SYSCALL(swapoff)
{
	struct blkdev *d;
	char abs[64];

	if (!proc_privileged(current))
		return -EPERM;
	int err = swap_path_dev((const char *)a0, abs, &d);
	return err ? err : swap_area_off(d);
}
