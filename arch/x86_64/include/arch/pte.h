/*
 * Page-table entries, as the portable mm code sees them. Only this header
 * knows the x86 bit layout (arch/paging.h has the bits).
 *
 * A present PTE:      | NX | ... | frame number | ... | D | A | U | W | P=1 |
 * A PROT_NONE entry:  P=0, bit 8 (PTE_PROTNONE) set, frame, A and D kept:
 *                     the page stays mapped (and counted by the reverse
 *                     map) but no access is allowed; mprotect makes one
 *                     of a PROT_NONE mapping and turns it back;
 * A migration entry:  P=0, bit 9 (free for software) set, every other bit
 *                     kept: the frame being migrated and the protection to
 *                     restore, PTE_PROTNONE included (kernel/mm/migrate.c);
 * A swap entry:      P=0, bit 10 (PTE_SWAP) set, the swap type (which area)
 *                     in bits 1-3 and the slot number in bits 12-51:
 *                     | 0 | slot (40 bits) | 0 | 1 | 0 0 | 0 0 0 0 | type | P=0 |
 *                     the page is on a swap device (kernel/mm/swap_state.c);
 * A NUMA-hint entry:  P=0, bit 11 (PTE_NUMA) set, every other bit kept: a
 *                     present PTE made inaccessible by the NUMA-balancing
 *                     scanner, so that the next access faults and tells
 *                     which node uses the page (kernel/mm/numa_balancing.c);
 * an empty PTE is 0.
 *
 * As in Linux, pte_present() is true for a PROT_NONE entry: the frame is
 * there, only the hardware is told not to use it. Code that needs the
 * hardware's view tests PTE_P.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/paging.h>

typedef uint64_t pte_t;

#define PTE_MIGRATION (1UL << 9)   /* software bit: P=0, page being migrated */
#define PTE_PROTNONE  (1UL << 8)   /* software bit (G when present): P=0, no access */
#define PTE_SWAP      (1UL << 10)  /* software bit: P=0, a swap entry */
#define PTE_NUMA      (1UL << 11)  /* software bit: P=0, a NUMA-hint entry */
#define PTE_SWP_TYPE_SHIFT 1
#define PTE_SWP_TYPE_MASK  0x7UL
#define PTE_SWP_OFF_SHIFT  12
#define PTE_SWP_OFF_MASK   ((1UL << 40) - 1)

static inline bool pte_none(pte_t p) { return p == 0; }

static inline bool pte_protnone(pte_t p)
{
	return !(p & PTE_P) && (p & PTE_PROTNONE) && !(p & PTE_MIGRATION);
}

/* A NUMA-hint entry: the frame is mapped, the next access faults. */
static inline bool pte_numa(pte_t p)
{
	return !(p & PTE_P) && (p & PTE_NUMA) &&
	       !(p & (PTE_MIGRATION | PTE_SWAP | PTE_PROTNONE));
}

/* The PTE maps its frame now: a present, PROT_NONE or NUMA-hint entry. */
static inline bool pte_present(pte_t p)
{
	return (p & PTE_P) || pte_protnone(p) || pte_numa(p);
}

/* A present PTE made a NUMA-hint entry, and back. */
static inline pte_t pte_mknuma(pte_t p) { return (p & ~PTE_P) | PTE_NUMA; }
static inline pte_t pte_mknonnuma(pte_t p) { return (p & ~PTE_NUMA) | PTE_P; }
static inline bool pte_write(pte_t p) { return p & PTE_W; }
static inline bool pte_young(pte_t p) { return p & PTE_A; }
static inline bool pte_dirty(pte_t p) { return p & PTE_D; }
static inline uint64_t pte_pfn(pte_t p) { return (p & PTE_ADDR) >> PAGE_SHIFT; }
static inline pte_t pte_wrprotect(pte_t p) { return p & ~PTE_W; }
static inline pte_t pte_mkwrite(pte_t p) { return p | PTE_W | PTE_D; }
static inline pte_t pte_mkold(pte_t p) { return p & ~PTE_A; }
static inline pte_t pte_mkclean(pte_t p) { return p & ~PTE_D; }

static inline bool pte_migration(pte_t p)
{
	return !(p & PTE_P) && (p & PTE_MIGRATION);
}

/* A swap entry: the page is on a swap device, not in memory. */
static inline bool pte_swap(pte_t p)
{
	return !(p & PTE_P) && (p & PTE_SWAP) && !(p & (PTE_MIGRATION | PTE_PROTNONE));
}

/* The PTE of a swapped-out page: swap type (area) and slot offset. */
static inline pte_t pte_mkswap(unsigned type, uint64_t offset)
{
	return PTE_SWAP | ((pte_t)(type & PTE_SWP_TYPE_MASK) << PTE_SWP_TYPE_SHIFT) |
	       ((offset & PTE_SWP_OFF_MASK) << PTE_SWP_OFF_SHIFT);
}

static inline unsigned pte_swp_type(pte_t p)
{
	return (unsigned)((p >> PTE_SWP_TYPE_SHIFT) & PTE_SWP_TYPE_MASK);
}

static inline uint64_t pte_swp_offset(pte_t p)
{
	return (p >> PTE_SWP_OFF_SHIFT) & PTE_SWP_OFF_MASK;
}

/* Present (PROT_NONE too) or migrating: the PTE names a frame the reverse
 * map knows. */
static inline bool pte_mapped(pte_t p)
{
	return pte_present(p) || pte_migration(p);
}

/* A migration entry (a NUMA-hint entry becomes an ordinary one: it comes
 * back present). */
static inline pte_t pte_mkmigration(pte_t p)
{
	return (p & ~(PTE_P | PTE_NUMA)) | PTE_MIGRATION;
}

/* A migration entry made present again on frame pfn (a PROT_NONE entry
 * again if it was one). */
static inline pte_t pte_from_migration(pte_t p, uint64_t pfn)
{
	pte_t q = (p & ~(PTE_MIGRATION | PTE_ADDR)) | (pfn << PAGE_SHIFT);

	return (q & PTE_PROTNONE) ? q : q | PTE_P;
}

/* Protection bits for user pages: prot is PROT_READ|WRITE|EXEC (mman.h). */
static inline pte_t pte_user_prot(bool write, bool exec)
{
	return PTE_P | PTE_U | (write ? PTE_W : 0) | (exec ? 0 : pte_nx);
}

/* The protection of a PROT_NONE mapping's pages. */
static inline pte_t pte_prot_none(void)
{
	return PTE_PROTNONE;
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
