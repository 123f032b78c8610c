/* Boot-time physical memory allocator (see memblock.h). */
#include <kernel/memblock.h>
#include <kernel/numa.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#define MAX_FREE 128
#define LOW_RESERVED (1UL << 20)   /* BIOS data, the SMP trampoline */

extern char _kernel_phys_start[], _kernel_end[];

/* Free ranges, sorted by address; only the boot CPU touches them. */
static struct {
	uint64_t start, end;
	int node;
} free_ranges[MAX_FREE];
static int nr_free;
static bool done;

static void add_free(uint64_t start, uint64_t end, int node)
{
	if (start >= end)
		return;
	if (nr_free == MAX_FREE) {
		printk("memblock: too many ranges, %lx-%lx unused\n", start, end);
		return;
	}
	free_ranges[nr_free].start = start;
	free_ranges[nr_free].end = end;
	free_ranges[nr_free].node = node;
	nr_free++;
}

/* Add [start, end) less the reserved regions (which do not overlap). */
static void add_usable(uint64_t start, uint64_t end, int node)
{
	uint64_t kstart = (uint64_t)_kernel_phys_start;
	uint64_t kend = virt_to_phys(_kernel_end);

	start = MAX(start, LOW_RESERVED);
	if (start < kend && end > kstart) {
		add_free(start, kstart, node);
		add_free(kend, end, node);
	} else {
		add_free(start, end, node);
	}
}

void memblock_init(void)
{
	int nid;

	for_each_online_node(nid)
		for (int i = 0; i < numa_nodes[nid].nr_ranges; i++)
			add_usable(numa_nodes[nid].ranges[i].start,
				   numa_nodes[nid].ranges[i].end, nid);
}

static void *take(int i, uint64_t size, uint64_t align)
{
	uint64_t start = ALIGN_UP(free_ranges[i].start, align);

	if (start + size > free_ranges[i].end)
		return NULL;
	/* Any alignment gap before `start` is simply lost: boot-time only. */
	free_ranges[i].start = start + size;
	void *p = phys_to_virt(start);
	memset(p, 0, size);
	return p;
}

void *memblock_alloc(uint64_t size, uint64_t align, int node)
{
	BUG_ON(done);
	size = ALIGN_UP(size, PAGE_SIZE);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < nr_free; i++) {
			if (pass == 0 && free_ranges[i].node != node)
				continue;
			void *p = take(i, size, align);
			if (p)
				return p;
		}
	}
	panic("memblock: out of memory for %lu bytes on node %d", size, node);
}

void memblock_for_each_free(void (*fn)(uint64_t start, uint64_t end))
{
	for (int i = 0; i < nr_free; i++) {
		uint64_t s = ALIGN_UP(free_ranges[i].start, PAGE_SIZE);
		uint64_t e = ALIGN_DOWN(free_ranges[i].end, PAGE_SIZE);

		if (s < e)
			fn(s, e);
	}
}

void memblock_done(void)
{
	done = true;
}
