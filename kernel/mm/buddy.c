/*
 * The buddy allocator of one node. Free memory is kept as blocks of 2^order
 * frames, each aligned to its size; free_area[order] lists their head pages.
 * A block's buddy is the block it was split from's other half:
 *     buddy_pfn = pfn ^ (1 << order)
 * Allocation takes the smallest free block big enough and splits it,
 * putting the unused halves back; freeing merges a block with its buddy for
 * as long as the buddy is free and whole, so memory does not fragment.
 *
 *   order 2: [ 0 1 2 3 ]                   one free block of 4 frames
 *   alloc order 0: [0] used, [1] free (order 0), [2 3] free (order 1)
 *
 * Locking: node->lock protects free_area and free_pages; taken with
 * interrupts off, so allocation works from interrupt handlers too.
 */
#include <kernel/pmm.h>
#include <kernel/printk.h>

static void push(struct numa_node *n, struct page *p, unsigned order)
{
	p->flags |= PG_buddy;
	p->order = order;
	list_add(&p->lru, &n->free_area[order].list);
	n->free_area[order].nr_free++;
}

static void pop(struct numa_node *n, struct page *p, unsigned order)
{
	list_del(&p->lru);
	p->flags &= ~PG_buddy;
	n->free_area[order].nr_free--;
}

/* Is the block at pfn a free block of exactly this order on this node? */
static struct page *free_buddy(struct numa_node *n, uint64_t pfn, unsigned order)
{
	if (pfn < n->start_pfn || pfn >= n->end_pfn)
		return NULL;
	struct page *b = &n->mem_map[pfn - n->start_pfn];

	return (b->flags & PG_buddy) && b->order == order ? b : NULL;
}

struct page *buddy_alloc(struct numa_node *n, unsigned order)
{
	unsigned o = order;
	uint64_t flags = spin_lock_irqsave(&n->lock);

	while (o < MAX_ORDER && list_empty(&n->free_area[o].list))
		o++;
	if (o == MAX_ORDER) {
		spin_unlock_irqrestore(&n->lock, flags);
		return NULL;
	}
	struct page *p = list_first_entry(&n->free_area[o].list, struct page, lru);

	pop(n, p, o);
	while (o > order) {             /* split, keeping the lower half */
		o--;
		push(n, p + (1UL << o), o);
	}
	n->free_pages -= 1UL << order;
	spin_unlock_irqrestore(&n->lock, flags);
	p->order = order;
	p->refcount = 1;
	if (order)
		p->flags |= PG_head;
	return p;
}

void buddy_free(struct numa_node *n, struct page *p, unsigned order)
{
	uint64_t pfn = n->start_pfn + (p - n->mem_map);
	uint64_t flags = spin_lock_irqsave(&n->lock);

	if (p->flags & (PG_buddy | PG_reserved))
		panic("buddy: freeing pfn %lx which is %s", pfn,
		      p->flags & PG_buddy ? "already free" : "reserved");
	p->flags &= ~PG_head;
	p->refcount = 0;
	n->free_pages += 1UL << order;
	while (order < MAX_ORDER - 1) {
		struct page *b = free_buddy(n, pfn ^ (1UL << order), order);

		if (!b)
			break;
		pop(n, b, order);
		pfn &= ~(1UL << order);     /* the merged block starts at the lower */
		order++;
	}
	push(n, &n->mem_map[pfn - n->start_pfn], order);
	spin_unlock_irqrestore(&n->lock, flags);
}

/* Seed: free [start_pfn, end_pfn) as the largest aligned blocks that fit. */
void buddy_free_range(struct numa_node *n, uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t pfn = start_pfn;

	while (pfn < end_pfn) {
		unsigned order = MAX_ORDER - 1;

		while (order && ((pfn & ((1UL << order) - 1)) || pfn + (1UL << order) > end_pfn))
			order--;
		for (uint64_t i = 0; i < (1UL << order); i++)
			n->mem_map[pfn - n->start_pfn + i].flags &= ~PG_reserved;
		n->managed_pages += 1UL << order;
		buddy_free(n, &n->mem_map[pfn - n->start_pfn], order);
		pfn += 1UL << order;
	}
}

/*
 * The buddy invariants, checked by the tests:
 *  - every block on free_area[o] has PG_buddy, order o, is aligned to 2^o
 *    frames and lies inside the node;
 *  - nr_free[o] is the length of the list;
 *  - free_pages is the sum of 2^o over all free blocks.
 * Returns 0 or a negative count of violations (each is printed).
 */
int buddy_check(struct numa_node *n)
{
	uint64_t flags = spin_lock_irqsave(&n->lock);
	uint64_t pages = 0;
	int bad = 0;

	for (unsigned o = 0; o < MAX_ORDER; o++) {
		uint64_t count = 0;
		struct list_head *l;

		list_for_each(l, &n->free_area[o].list) {
			struct page *p = list_entry(l, struct page, lru);
			uint64_t pfn = n->start_pfn + (p - n->mem_map);

			if (!(p->flags & PG_buddy) || p->order != o ||
			    (pfn & ((1UL << o) - 1)) || pfn + (1UL << o) > n->end_pfn) {
				printk("buddy: node %d: bad free block pfn %lx order %u\n",
				       n->id, pfn, o);
				bad++;
			}
			count++;
		}
		if (count != n->free_area[o].nr_free) {
			printk("buddy: node %d order %u: %lu on list, nr_free %lu\n",
			       n->id, o, count, n->free_area[o].nr_free);
			bad++;
		}
		pages += count << o;
	}
	if (pages != n->free_pages) {
		printk("buddy: node %d: %lu free in lists, free_pages %lu\n", n->id,
		       pages, n->free_pages);
		bad++;
	}
	spin_unlock_irqrestore(&n->lock, flags);
	return -bad;
}
