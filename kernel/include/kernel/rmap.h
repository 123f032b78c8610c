/*
 * The reverse map: for a page, the PTEs that map it. Every place a PTE
 * starts or stops pointing at a frame calls rmap_add / rmap_remove
 * (through page_map / page_unmap in kernel/mm/mm.c). Today they maintain
 * page->mapcount; issue 5 adds the pte_chain itself.
 */
#ifndef KERNEL_RMAP_H
#define KERNEL_RMAP_H

#include <kernel/page.h>

void rmap_add(struct page *p, pte_addr_t pte);
void rmap_remove(struct page *p, pte_addr_t pte);

#endif
