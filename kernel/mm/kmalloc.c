/*
 * kmalloc: general-purpose kernel memory. Sizes up to 2 KiB come from one
 * of eight slab caches (16, 32, ... 2048 bytes); larger sizes are whole
 * buddy blocks. kfree() tells them apart by the page's PG_slab flag.
 */
#include <kernel/slab.h>
#include <kernel/pmm.h>
#include <kernel/string.h>

#define KMALLOC_MIN_SHIFT 4
#define KMALLOC_MAX_SHIFT 11
#define NR_KMALLOC (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)

static struct kmem_cache kmalloc_caches[NR_KMALLOC];
static const char *const kmalloc_names[NR_KMALLOC] = {
	"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1k", "kmalloc-2k",
};

void kmalloc_init(void)
{
	for (int i = 0; i < NR_KMALLOC; i++) {
		uint32_t size = 1U << (i + KMALLOC_MIN_SHIFT);
		kmem_cache_init(&kmalloc_caches[i], kmalloc_names[i], size, size);
	}
}

static unsigned order_for(size_t size)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

void *kmalloc_node(size_t size, int node)
{
	if (size == 0 || size > (PAGE_SIZE << (MAX_ORDER - 1)))
		return NULL;
	for (int i = 0; i < NR_KMALLOC; i++)
		if (size <= (1UL << (i + KMALLOC_MIN_SHIFT)))
			return kmem_cache_alloc(&kmalloc_caches[i], node);
	struct page *p = pmm_alloc_pages(node, order_for(size), 0);
	return p ? page_address(p) : NULL;
}

void *kmalloc(size_t size)
{
	return kmalloc_node(size, NUMA_NO_NODE);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *ptr)
{
	if (!ptr)
		return;
	struct page *p = virt_to_page(ptr);

	if (p->flags & PG_slab)
		kmem_cache_free(p->slab_cache, ptr);
	else
		pmm_free_pages(p, p->order);
}

/* Objects handed out by all kmalloc caches (the tests check for leaks). */
uint64_t kmalloc_inuse(void)
{
	uint64_t n = 0;

	for (int i = 0; i < NR_KMALLOC; i++)
		n += kmem_cache_inuse(&kmalloc_caches[i]);
	return n;
}
