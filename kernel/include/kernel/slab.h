/*
 * Slab caches: many objects of one size carved from whole pages, kept per
 * node so an object lives on the node that asked for it. kmalloc() picks a
 * cache by size (16 B .. 2 KiB) and takes larger requests straight from the
 * buddy allocator. Neither sleeps; both work from interrupt handlers.
 */
#ifndef KERNEL_SLAB_H
#define KERNEL_SLAB_H

#include <kernel/numa.h>

struct kmem_cache_node {
	struct spinlock lock;      /* protects partial, full, and the counts */
	struct list_head partial;  /* slabs with at least one free object */
	struct list_head full;     /* slabs with none */
	uint64_t nr_slabs;
	uint64_t nr_inuse;         /* objects handed out */
};

struct kmem_cache {
	const char *name;
	uint32_t size;             /* object size, rounded to the alignment */
	uint32_t per_slab;         /* objects in one page */
	struct list_head all;      /* every cache, for /proc/slabinfo later */
	struct kmem_cache_node node[MAX_NODES];
};

/* Initialise a cache the caller owns (usually a static struct). */
void kmem_cache_init(struct kmem_cache *c, const char *name, uint32_t size,
		     uint32_t align);
void *kmem_cache_alloc(struct kmem_cache *c, int node);  /* NUMA_NO_NODE: here */
/* Up to n objects of node `node` only, linked through their first word
 * onto *list; returns how many. */
unsigned kmem_cache_alloc_bulk(struct kmem_cache *c, int node, unsigned n, void **list);
void kmem_cache_free(struct kmem_cache *c, void *obj);
uint64_t kmem_cache_inuse(struct kmem_cache *c);
uint64_t kmem_cache_slabs(struct kmem_cache *c);

void kmalloc_init(void);
void *kmalloc(size_t size);
void *kmalloc_node(size_t size, int node);
void *kzalloc(size_t size);
void kfree(void *p);
uint64_t kmalloc_inuse(void);

#endif
