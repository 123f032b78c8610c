/*
 * Slab caches (see slab.h). A slab is one page; its free objects form a
 * singly linked list through their first word (page->freelist), and
 * page->private counts the objects in use. A slab that becomes empty goes
 * straight back to the buddy allocator, so freeing everything restores the
 * free page counts exactly (the pmm tests check it).
 *
 *   page: [obj0][obj1][obj2]...[objN-1]     freelist -> obj2 -> obj0 -> NULL
 */
#include <kernel/slab.h>
#include <kernel/pmm.h>
#include <kernel/printk.h>
#include <kernel/string.h>

static struct list_head all_caches = LIST_HEAD_INIT(all_caches);
static struct spinlock all_caches_lock = SPINLOCK_INIT("all_caches"); /* all_caches */

void kmem_cache_init(struct kmem_cache *c, const char *name, uint32_t size,
		     uint32_t align)
{
	align = MAX(align, 8);
	c->name = name;
	c->size = ALIGN_UP(MAX(size, 8), align);
	c->per_slab = PAGE_SIZE / c->size;
	BUG_ON(c->per_slab == 0);
	for (int i = 0; i < MAX_NODES; i++) {
		spin_init(&c->node[i].lock, name);
		list_init(&c->node[i].partial);
		list_init(&c->node[i].full);
		c->node[i].nr_slabs = c->node[i].nr_inuse = 0;
	}
	uint64_t flags = spin_lock_irqsave(&all_caches_lock);
	list_add_tail(&c->all, &all_caches);
	spin_unlock_irqrestore(&all_caches_lock, flags);
}

/* A fresh slab: a page cut into objects, all on its freelist. */
static struct page *new_slab(struct kmem_cache *c, int node)
{
	struct page *p = pmm_alloc_pages(node, 0, PMM_THISNODE);

	if (!p)
		return NULL;
	char *base = page_address(p);

	p->flags |= PG_slab;
	p->slab_cache = c;
	p->private = 0;
	p->freelist = NULL;
	for (int i = c->per_slab - 1; i >= 0; i--) {
		*(void **)(base + i * c->size) = p->freelist;
		p->freelist = base + i * c->size;
	}
	return p;
}

static void *take_object(struct kmem_cache_node *cn, struct page *p)
{
	void *obj = p->freelist;

	p->freelist = *(void **)obj;
	p->private++;
	cn->nr_inuse++;
	if (!p->freelist) {
		list_del(&p->lru);
		list_add(&p->lru, &cn->full);
	}
	return obj;
}

/* An object from a partial slab of node nid, or NULL. */
static void *alloc_partial(struct kmem_cache *c, int nid)
{
	struct kmem_cache_node *cn = &c->node[nid];
	void *obj = NULL;
	uint64_t flags = spin_lock_irqsave(&cn->lock);

	if (!list_empty(&cn->partial))
		obj = take_object(cn, list_first_entry(&cn->partial, struct page, lru));
	spin_unlock_irqrestore(&cn->lock, flags);
	return obj;
}

/* An object from a new slab on node nid (that node only), or NULL. */
static void *alloc_new_slab(struct kmem_cache *c, int nid)
{
	struct page *p = new_slab(c, nid);

	if (!p)
		return NULL;
	struct kmem_cache_node *cn = &c->node[nid];
	uint64_t flags = spin_lock_irqsave(&cn->lock);

	cn->nr_slabs++;
	list_add(&p->lru, &cn->partial);
	void *obj = take_object(cn, p);
	spin_unlock_irqrestore(&cn->lock, flags);
	return obj;
}

/* Nodes in order of distance from `node`: a partial slab there, else a
 * new one there, before trying farther away. */
void *kmem_cache_alloc(struct kmem_cache *c, int node)
{
	if (node == NUMA_NO_NODE)
		node = numa_this_node();
	if (node < 0 || node >= MAX_NODES || !numa_nodes[node].online)
		return NULL;
	const struct numa_node *n = &numa_nodes[node];

	for (int i = 0; i < n->nr_fallback; i++) {
		void *obj = alloc_partial(c, n->fallback[i]);

		if (!obj)
			obj = alloc_new_slab(c, n->fallback[i]);
		if (obj)
			return obj;
	}
	return NULL;
}

/* Up to n objects from one slab of cn, onto *list (caller holds cn->lock):
 * the slab's free objects are already linked through their first word,
 * so the run is spliced whole. How many were taken. */
static unsigned take_run(struct kmem_cache_node *cn, struct page *p, unsigned n, void **list)
{
	void *first = p->freelist, **tail = &p->freelist;
	unsigned k = 0;

	while (k < n && *tail) {
		tail = (void **)*tail;
		k++;
	}
	p->freelist = *tail;
	*tail = *list;
	*list = first;
	p->private += k;
	cn->nr_inuse += k;
	if (!p->freelist) {
		list_del(&p->lru);
		list_add(&p->lru, &cn->full);
	}
	return k;
}

/*
 * Up to n objects of node `node` (that node only), linked through their
 * first word onto *list: whole runs of partial slabs, then new slabs. A
 * caller that needs many objects pays a few instructions for each instead
 * of a lock round trip. Returns how many (fewer if memory ran short).
 */
unsigned kmem_cache_alloc_bulk(struct kmem_cache *c, int node, unsigned n, void **list)
{
	struct kmem_cache_node *cn = &c->node[node];
	unsigned got = 0;

	while (got < n) {
		uint64_t flags = spin_lock_irqsave(&cn->lock);

		while (got < n && !list_empty(&cn->partial))
			got += take_run(cn, list_first_entry(&cn->partial, struct page, lru),
					n - got, list);
		spin_unlock_irqrestore(&cn->lock, flags);
		if (got == n)
			break;
		struct page *p = new_slab(c, node);
		if (!p)
			break;
		flags = spin_lock_irqsave(&cn->lock);
		cn->nr_slabs++;
		list_add(&p->lru, &cn->partial);
		spin_unlock_irqrestore(&cn->lock, flags);
	}
	return got;
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct page *p = virt_to_page(obj);
	struct kmem_cache_node *cn = &c->node[p->node];

	if (!(p->flags & PG_slab) || p->slab_cache != c)
		panic("slab: %p freed to cache %s but is not one of its objects", obj, c->name);
	uint64_t flags = spin_lock_irqsave(&cn->lock);
	bool was_full = !p->freelist;

	*(void **)obj = p->freelist;
	p->freelist = obj;
	p->private--;
	cn->nr_inuse--;
	if (p->private == 0) {           /* empty: give the page back */
		list_del(&p->lru);
		cn->nr_slabs--;
		spin_unlock_irqrestore(&cn->lock, flags);
		p->flags &= ~PG_slab;
		p->slab_cache = NULL;
		p->freelist = NULL;
		pmm_free_pages(p, 0);
		return;
	}
	if (was_full) {
		list_del(&p->lru);
		list_add(&p->lru, &cn->partial);
	}
	spin_unlock_irqrestore(&cn->lock, flags);
}

uint64_t kmem_cache_inuse(struct kmem_cache *c)
{
	uint64_t n = 0;

	for (int i = 0; i < MAX_NODES; i++)
		n += READ_ONCE(c->node[i].nr_inuse);
	return n;
}

uint64_t kmem_cache_slabs(struct kmem_cache *c)
{
	uint64_t n = 0;

	for (int i = 0; i < MAX_NODES; i++)
		n += READ_ONCE(c->node[i].nr_slabs);
	return n;
}
