/*
 * Page-table entries, as the portable mm code sees them. Only this header
 * knows the x86 bit layout (arch/paging.h has the bits).
 *
 * A present PTE:      | NX | ... | frame number | ... | D | A | U | W | P=1 |
 * A swapped-out PTE:  P=0 and the rest holds a swap entry (issue 5);
 * A migration entry:  P=0, bit 9 (free for software) set, every other bit
 *                     kept: the frame being migrated and the protection to
 *                     restore (kernel/mm/migrate.c);
 * an empty PTE is 0.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/paging.h>

typedef uint64_t pte_t;

static inline bool pte_none(pte_t p) { return p == 0; }
static inline bool pte_present(pte_t p) { return p & PTE_P; }
static inline bool pte_write(pte_t p) { return p & PTE_W; }
static inline bool pte_young(pte_t p) { return p & PTE_A; }
static inline bool pte_dirty(pte_t p) { return p & PTE_D; }
static inline uint64_t pte_pfn(pte_t p) { return (p & PTE_ADDR) >> PAGE_SHIFT; }
static inline pte_t pte_wrprotect(pte_t p) { return p & ~PTE_W; }
static inline pte_t pte_mkwrite(pte_t p) { return p | PTE_W | PTE_D; }
static inline pte_t pte_mkold(pte_t p) { return p & ~PTE_A; }
static inline pte_t pte_mkclean(pte_t p) { return p & ~PTE_D; }

#define PTE_MIGRATION (1UL << 9)   /* software bit: P=0, page being migrated */

static inline bool pte_migration(pte_t p)
{
	return !(p & PTE_P) && (p & PTE_MIGRATION);
}

/* Present or migrating: the PTE names a frame the reverse map knows. */
static inline bool pte_mapped(pte_t p)
{
	return (p & PTE_P) || pte_migration(p);
}

static inline pte_t pte_mkmigration(pte_t p)
{
	return (p & ~PTE_P) | PTE_MIGRATION;
}

/* A migration entry made present again on frame pfn. */
static inline pte_t pte_from_migration(pte_t p, uint64_t pfn)
{
	return ((p & ~(PTE_MIGRATION | PTE_ADDR)) | PTE_P) | (pfn << PAGE_SHIFT);
}

/* Protection bits for user pages: prot is PROT_READ|WRITE|EXEC (mman.h). */
static inline pte_t pte_user_prot(bool write, bool exec)
{
	return PTE_P | PTE_U | (write ? PTE_W : 0) | (exec ? 0 : pte_nx);
}

static inline pte_t mk_pte(uint64_t pfn, pte_t prot)
{
	return (pfn << PAGE_SHIFT) | prot;
}

/* Apply the protection bits of `prot` to an existing PTE's frame. */
static inline pte_t pte_modify(pte_t p, pte_t prot)
{
	if (pte_migration(p))       /* stays a migration entry */
		return (p & (PTE_ADDR | PTE_A | PTE_D)) | ((prot & ~PTE_P) | PTE_MIGRATION);
	return (p & (PTE_ADDR | PTE_A | PTE_D)) | prot;
}

#endif
