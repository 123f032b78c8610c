/*
 * The boot-time allocator: before the buddy allocators exist, memory is a
 * list of free physical ranges (the nodes' RAM less the kernel image and the
 * first MiB). memblock_alloc() carves from it, on a chosen node; pmm_init()
 * then hands what is left to the buddy allocators and memblock is done.
 */
#ifndef KERNEL_MEMBLOCK_H
#define KERNEL_MEMBLOCK_H

#include <kernel/types.h>

void memblock_init(void);
/* Zeroed memory on `node` (or any node if it has none); panics if none. */
void *memblock_alloc(uint64_t size, uint64_t align, int node);
/* Call fn for every free range; used once, to seed the buddy allocators. */
void memblock_for_each_free(void (*fn)(uint64_t start, uint64_t end));
void memblock_done(void);

#endif
