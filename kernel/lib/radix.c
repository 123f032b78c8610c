/* A 64-way radix tree (see radix.h). */
#include <kernel/radix.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

static struct kmem_cache radix_cache;

void radix_init(void)
{
	kmem_cache_init(&radix_cache, "radix_node", sizeof(struct radix_node), 8);
}

static struct radix_node *node_alloc(void)
{
	struct radix_node *n = kmem_cache_alloc(&radix_cache, NUMA_NO_NODE);

	if (n)
		memset(n, 0, sizeof(*n));
	return n;
}

/* Largest index a tree of height h holds. */
static uint64_t max_index(int h)
{
	return h >= 11 ? ~0ULL : (1ULL << (RADIX_SHIFT * h)) - 1;
}

static unsigned slot_of(uint64_t index, int level)
{
	return (index >> (RADIX_SHIFT * level)) & (RADIX_SLOTS - 1);
}

void *radix_lookup(struct radix_root *r, uint64_t index)
{
	struct radix_node *n = r->node;

	if (!n || index > max_index(r->height))
		return NULL;
	for (int level = r->height - 1; level > 0 && n; level--)
		n = n->slots[slot_of(index, level)];
	return n ? n->slots[slot_of(index, 0)] : NULL;
}

/* Put item in the place of the item at index (which must exist); returns
 * the old one. Allocates nothing: migration swaps pages this way. */
void *radix_replace(struct radix_root *r, uint64_t index, void *item)
{
	struct radix_node *n = r->node;

	BUG_ON(!n || index > max_index(r->height));
	for (int level = r->height - 1; level > 0 && n; level--)
		n = n->slots[slot_of(index, level)];
	BUG_ON(!n || !n->slots[slot_of(index, 0)]);
	void *old = n->slots[slot_of(index, 0)];
	n->slots[slot_of(index, 0)] = item;
	return old;
}

/* Add levels on top until index fits. */
static int grow(struct radix_root *r, uint64_t index)
{
	while (!r->node || index > max_index(r->height)) {
		struct radix_node *top = node_alloc();

		if (!top)
			return -ENOMEM;
		if (r->node) {
			top->slots[0] = r->node;
			top->count = 1;
		}
		r->node = top;
		r->height++;
	}
	return 0;
}

int radix_insert(struct radix_root *r, uint64_t index, void *item)
{
	if (grow(r, index))
		return -ENOMEM;
	struct radix_node *n = r->node;

	for (int level = r->height - 1; level > 0; level--) {
		void **slot = &n->slots[slot_of(index, level)];
		if (!*slot) {
			if (!(*slot = node_alloc()))
				return -ENOMEM;
			n->count++;
		}
		n = *slot;
	}
	BUG_ON(n->slots[slot_of(index, 0)]);
	n->slots[slot_of(index, 0)] = item;
	n->count++;
	return 0;
}

/* Delete below n (a node at `level`); frees nodes that become empty. */
static void *delete_in(struct radix_node *n, int level, uint64_t index)
{
	void **slot = &n->slots[slot_of(index, level)];
	void *item;

	if (!*slot)
		return NULL;
	if (level == 0) {
		item = *slot;
	} else {
		struct radix_node *child = *slot;
		item = delete_in(child, level - 1, index);
		if (!item || child->count)
			return item;
		kmem_cache_free(&radix_cache, child);
	}
	*slot = NULL;
	n->count--;
	return item;
}

void *radix_delete(struct radix_root *r, uint64_t index)
{
	if (!r->node || index > max_index(r->height))
		return NULL;
	void *item = delete_in(r->node, r->height - 1, index);

	if (r->node->count == 0) {
		kmem_cache_free(&radix_cache, r->node);
		r->node = NULL;
		r->height = 0;
	}
	return item;
}

struct gang {
	void **items;
	uint64_t *idx;
	int max, found;
};

static void gang_walk(struct radix_node *n, int level, uint64_t base,
		      uint64_t start, struct gang *g)
{
	uint64_t span = 1ULL << (RADIX_SHIFT * level);

	for (unsigned i = 0; i < RADIX_SLOTS && g->found < g->max; i++) {
		uint64_t first = base + i * span;
		if (!n->slots[i] || (span && first + span - 1 < start))
			continue;
		if (level == 0) {
			g->items[g->found] = n->slots[i];
			g->idx[g->found++] = first;
		} else {
			gang_walk(n->slots[i], level - 1, first, start, g);
		}
	}
}

int radix_gang_lookup(struct radix_root *r, uint64_t start, void **items,
		      uint64_t *idx, int max)
{
	struct gang g = { items, idx, max, 0 };

	if (r->node && start <= max_index(r->height))
		gang_walk(r->node, r->height - 1, 0, start, &g);
	return g.found;
}
