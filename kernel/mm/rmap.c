/* Reverse map bookkeeping (rmap.h). */
#include <kernel/rmap.h>

void rmap_add(struct page *p, pte_addr_t pte)
{
	__atomic_fetch_add(&p->mapcount, 1, __ATOMIC_RELAXED);
}

void rmap_remove(struct page *p, pte_addr_t pte)
{
	__atomic_fetch_sub(&p->mapcount, 1, __ATOMIC_RELAXED);
}
