/*
 * The user half of a process's page tables: four levels, 512 entries each.
 * Every page-table page's struct page records which mm owns it (mapping)
 * and the first virtual address it maps (index), so that from the physical
 * address of a PTE the reverse map can find the mm and the virtual address
 * (docs/rmap.md).
 *
 *   PML4[i] -> PDPT[j] -> PD[k] -> PT[l] -> frame
 *   i, j, k, l = bits 47-39, 38-30, 29-21, 20-12 of the address
 */
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/percpu.h>
#include <kernel/string.h>
#include <arch/smp.h>

#define USER_PML4_ENTRIES 256      /* PML4[0..255] is user space */

static unsigned index_at(uint64_t va, int level)   /* level 3 = PML4 .. 0 = PT */
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 511;
}

static uint64_t *table_alloc(struct mm *mm, uint64_t base)
{
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);

	if (!p)
		return NULL;
	p->flags |= PG_pgtable;
	p->mapping = mm;
	p->index = base;
	mm->pgtables++;
	return page_address(p);
}

static void table_free(uint64_t *table)
{
	struct page *p = virt_to_page(table);

	((struct mm *)p->mapping)->pgtables--;
	p->flags &= ~PG_pgtable;
	p->mapping = NULL;
	pmm_free_pages(p, 0);
}

/*
 * The PTE for va, allocating missing tables if alloc. NULL if a table is
 * missing (and !alloc) or memory ran out. Caller holds mm->lock.
 */
pte_t *pgtable_walk(struct mm *mm, uint64_t va, bool alloc)
{
	uint64_t *table = mm->pml4;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &table[index_at(va, level)];

		if (!(*e & PTE_P)) {
			if (!alloc)
				return NULL;
			uint64_t span = 1UL << (PAGE_SHIFT + 9 * level);
			uint64_t *next = table_alloc(mm, ALIGN_DOWN(va, span));
			if (!next)
				return NULL;
			*e = virt_to_phys(next) | PTE_P | PTE_W | PTE_U;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[index_at(va, 0)];
}

/* Free the tables below `table` (at `level`) that lie wholly inside
 * [start, end) or hold nothing any more; their PTEs in the range must
 * already be empty. A leaf entry that is not present may still hold
 * something (a swap, migration, PROT_NONE or NUMA-hint entry): only an
 * entry that is 0 is empty. */
static bool free_level(uint64_t *table, int level, uint64_t base,
		       uint64_t start, uint64_t end)
{
/* LAB pgtbl: BEGIN free the tables below that lie inside [start, end) or hold nothing; is this one empty? */
	uint64_t span = 1UL << (PAGE_SHIFT + 9 * level);
	bool empty = true;

	for (int i = 0; i < 512; i++) {
		uint64_t lo = base + i * span, hi = lo + span;

		if (level == 0 ? !table[i] : !(table[i] & PTE_P))
			continue;
		if (level == 0 || hi <= start || lo >= end) {
			empty = false;
			continue;
		}
		uint64_t *child = phys_to_virt(table[i] & PTE_ADDR);
		if (free_level(child, level - 1, lo, start, end)) {
			table_free(child);
			table[i] = 0;
		} else {
			empty = false;
		}
	}
	return empty;
/* LAB pgtbl: END */
/* LAB pgtbl: STUB
	return false;
*/
}

void pgtable_free_range(struct mm *mm, uint64_t start, uint64_t end)
{
	for (int i = 0; i < USER_PML4_ENTRIES; i++) {
		uint64_t lo = (uint64_t)i << 39, hi = lo + (1UL << 39);

		if (!(mm->pml4[i] & PTE_P) || hi <= start || lo >= end)
			continue;
		uint64_t *pdpt = phys_to_virt(mm->pml4[i] & PTE_ADDR);
		if (free_level(pdpt, 2, lo, start, end)) {
			table_free(pdpt);
			mm->pml4[i] = 0;
		}
	}
}

void pgtable_free_all(struct mm *mm)
{
	pgtable_free_range(mm, 0, (uint64_t)USER_PML4_ENTRIES << 39);
}

struct flush_req {
	uint64_t va;               /* 0: the whole address space */
};

static void flush_here(void *arg)
{
	const struct flush_req *r = arg;

	if (r->va)
		flush_tlb_page(r->va);
	else
		write_cr3(read_cr3());
}

/* TLB shootdown: every CPU that has mm loaded drops its entries. */
static void flush_mm(struct mm *mm, uint64_t va)
{
	struct flush_req r = { va };

	/* The PTE change must be visible before mm->cpus is read: a CPU that
	 * sets its bit after this read loads CR3 after the change (x86 may
	 * otherwise let this load pass the earlier PTE store). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct cpumask others = mm->cpus;

	cpumask_clear(&others, this_cpu_id());
	if (cpumask_test(&mm->cpus, this_cpu_id()))
		flush_here(&r);
	if (others.bits)
		smp_call_function_mask(&others, flush_here, &r);
}

void mm_flush_tlb(struct mm *mm, uint64_t va)
{
	flush_mm(mm, va);
}

void mm_flush_tlb_all(struct mm *mm)
{
	flush_mm(mm, 0);
}

/* Reclaim's batched shootdown: every CPU of the mask drops all its user
 * TLB entries, in one round of IPIs for many unmapped pages. */
void tlb_flush_cpus(const struct cpumask *cpus)
{
	struct flush_req r = { 0 };
	struct cpumask others = *cpus;

	cpumask_clear(&others, this_cpu_id());
	if (cpumask_test(cpus, this_cpu_id()))
		flush_here(&r);
	if (others.bits)
		smp_call_function_mask(&others, flush_here, &r);
}

/*
 * The leaf page tables under `table` (a table of `level`, 3 = PML4) that
 * cover [start, end): fn gets each one's slots for its part of the range.
 * An entry that is not present is skipped with everything below it, so a
 * walk costs what is mapped, not the size of the range.
 */
static int range_level(struct mm *mm, uint64_t *table, int level, uint64_t start,
		       uint64_t end, pgtable_range_fn fn, void *arg)
{
	uint64_t span = 1UL << (PAGE_SHIFT + 9 * level);

	for (uint64_t va = start, next; va < end; va = next) {
		next = MIN(ALIGN_DOWN(va, span) + span, end);
		uint64_t e = table[index_at(va, level)];
		if (!(e & PTE_P))
			continue;               /* nothing mapped below: skip it whole */
		uint64_t *child = phys_to_virt(e & PTE_ADDR);
		int r = level == 1 ? fn(mm, &child[index_at(va, 0)], va, next, arg)
				   : range_level(mm, child, level - 1, va, next, fn, arg);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Walk the page tables of [start, end) (page aligned, user space): for
 * every leaf table that exists, fn(mm, ptep, va, next, arg) with ptep the
 * slot of va and [va, next) the part of the range that table maps (at most
 * 2 MiB; ptep[0 .. (next - va) / PAGE_SIZE - 1] are its slots, any state).
 * Missing PML4, PDPT and PD entries are skipped whole, as Linux's
 * p?d_none_or_clear_bad() loops do: the single walk every range operation
 * (unmap, mprotect, fork, msync, the rmap scan) is built on.
 * Caller holds mm->lock. fn returns 0 to go on; anything else stops the
 * walk and is returned (callers use -EINTR for a fatal signal).
 */
int pgtable_range(struct mm *mm, uint64_t start, uint64_t end,
		  pgtable_range_fn fn, void *arg)
{
	end = MIN(end, (uint64_t)USER_PML4_ENTRIES << 39);
	return range_level(mm, mm->pml4, 3, start, end, fn, arg);
}

struct each_pte {
	void (*fn)(struct mm *, pte_t *, uint64_t, void *);
	void *arg;
};

static int each_pte_in(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t end, void *arg)
{
	struct each_pte *e = arg;

	for (; va < end; va += PAGE_SIZE, ptep++)
		if (!pte_none(*ptep))
			e->fn(mm, ptep, va, e->arg);
	return 0;
}

/* Call fn on every PTE slot of the user half that is not empty, in
 * address order (the traditional scan: rmap=scan and rmap_check). Caller
 * holds mm->lock. */
void pgtable_for_each_pte(struct mm *mm, void (*fn)(struct mm *, pte_t *, uint64_t, void *),
			  void *arg)
{
	struct each_pte e = { fn, arg };

	pgtable_range(mm, 0, (uint64_t)USER_PML4_ENTRIES << 39, each_pte_in, &e);
}
