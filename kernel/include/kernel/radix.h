/*
 * A radix tree mapping 64-bit indexes to pointers: the page cache of one
 * inode (index = page number in the file). Each node has 64 slots, so a
 * tree of height h covers indexes below 64^h; it grows a level on top when
 * a larger index is inserted.
 *
 *   height 2:      root -> [0 .. 63]            one slot per 64 pages
 *                             |
 *                            [0 .. 63]           one slot per page
 *
 * Not locked: the owner (pcache_lock) serialises every call.
 */
#ifndef KERNEL_RADIX_H
#define KERNEL_RADIX_H

#include <kernel/types.h>

#define RADIX_SHIFT 6
#define RADIX_SLOTS (1 << RADIX_SHIFT)

struct radix_node {
	void *slots[RADIX_SLOTS];
	uint32_t count;            /* non-NULL slots */
};

struct radix_root {
	struct radix_node *node;
	int height;                /* 0: empty tree */
};

void radix_init(void);
void *radix_lookup(struct radix_root *r, uint64_t index);
/* 0, or -ENOMEM (nothing changed). The slot must be empty. */
int radix_insert(struct radix_root *r, uint64_t index, void *item);
void *radix_delete(struct radix_root *r, uint64_t index);
void *radix_replace(struct radix_root *r, uint64_t index, void *item);
/* Up to max items with index >= start, in order; returns how many, and
 * their indexes in idx[]. */
int radix_gang_lookup(struct radix_root *r, uint64_t start, void **items,
		      uint64_t *idx, int max);

#endif
