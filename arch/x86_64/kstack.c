/*
 * Kernel stacks with a guard page under each (per-process stacks and the
 * application processors' idle stacks).
 *
 * A stack cannot have a hole under it in the direct map (2 MiB pages), so
 * stacks live in an area of their own, PML4[KSTACK_PML4], mapped with 4 KiB
 * pages. The area is cut into slots of twice the stack size: the upper half
 * is the stack, the lower half is never mapped. Running off the bottom of a
 * stack touches an unmapped page: a page fault, which the CPU cannot push on
 * that same stack, so a double fault on its own stack (IST1) reports it
 * (traps.c). The page tables are static and shared by every address space
 * (their PML4 entry is set before any process exists).
 *
 * Freeing a stack unmaps it and frees its frames at once, but other CPUs may
 * still hold TLB entries for the slot, so the slot waits on the `dirty`
 * list. It is used again only after one shootdown flushes all dirty slots
 * (when no clean or never-used slot is left), so a stale entry can never
 * reach a reused slot's new frames.
 */
#include <arch/paging.h>
#include <arch/smp.h>
#include <kernel/proc.h>
#include <kernel/pmm.h>
#include <kernel/page.h>
#include <kernel/percpu.h>
#include <kernel/spinlock.h>
#include <kernel/panic.h>

#define KSTACK_PML4   510
#define KSTACK_BASE   (0xffff000000000000UL | ((uint64_t)KSTACK_PML4 << 39))
#define KSTACK_SIZE   (PAGE_SIZE << KSTACK_ORDER)
#define KSTACK_SLOT   (2 * KSTACK_SIZE)
#define KSTACK_SLOTS  1024                       /* >= MAX_PROCS + MAX_CPUS */
#define KSTACK_PTS    (KSTACK_SLOTS * KSTACK_SLOT / HUGE_2M)
#define NO_SLOT       (-1)

static uint64_t area_pdpt[512] __aligned(4096);
static uint64_t area_pd[512] __aligned(4096);
static uint64_t area_pt[KSTACK_PTS][512] __aligned(4096);

/* kstack_lock protects the slot lists and `unused`; a slot's PTEs belong
 * to whoever took the slot. A leaf lock: nothing else is taken under it. */
static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");
static int next_slot[KSTACK_SLOTS];     /* links of the clean and dirty lists */
static int clean = NO_SLOT, dirty = NO_SLOT;
static int unused;                      /* slots [unused, KSTACK_SLOTS) never used */

_Static_assert(KSTACK_SLOTS >= MAX_PROCS + MAX_CPUS, "a stack for every task");
_Static_assert(KSTACK_PTS * HUGE_2M <= (1UL << 30), "the area fits one PD");

void kstack_area_init(uint64_t *pml4)
{
	for (unsigned i = 0; i < KSTACK_PTS; i++)
		area_pd[i] = virt_to_phys(area_pt[i]) | PTE_P | PTE_W;
	area_pdpt[0] = virt_to_phys(area_pd) | PTE_P | PTE_W;
	pml4[KSTACK_PML4] = virt_to_phys(area_pdpt) | PTE_P | PTE_W;
}

/* The PTE of the n-th page of a slot's stack (the half above the guard). */
static uint64_t *stack_pte(int slot, int n)
{
	uint64_t i = ((uint64_t)slot * KSTACK_SLOT + KSTACK_SIZE) / PAGE_SIZE + n;

	return &area_pt[i / 512][i % 512];
}

static void *slot_stack(int slot)
{
	return (void *)(KSTACK_BASE + (uint64_t)slot * KSTACK_SLOT + KSTACK_SIZE);
}

static void flush_local(void *unused_arg)
{
	write_cr3(read_cr3());          /* the area's PTEs are not global */
}

/* Put list `head` (flushed dirty slots) in front of the clean list.
 * Caller holds kstack_lock. */
static void splice_clean(int head)
{
	int tail = head;

	if (head == NO_SLOT)
		return;
	while (next_slot[tail] != NO_SLOT)
		tail = next_slot[tail];
	next_slot[tail] = clean;
	clean = head;
}

/* A slot no CPU has a TLB entry for, or NO_SLOT. May send a shootdown:
 * call with interrupts enabled and no spinlock held. */
static int take_slot(void)
{
	uint64_t flags = spin_lock_irqsave(&kstack_lock);
	int slot = NO_SLOT, d = NO_SLOT;

	if (clean == NO_SLOT && unused == KSTACK_SLOTS) {
		d = dirty;                      /* flush these, then use them */
		dirty = NO_SLOT;
		spin_unlock_irqrestore(&kstack_lock, flags);
		if (d != NO_SLOT)
			smp_call_function_all(flush_local, NULL);
		flags = spin_lock_irqsave(&kstack_lock);
		splice_clean(d);
	}
	if (clean != NO_SLOT) {
		slot = clean;
		clean = next_slot[slot];
	} else if (unused < KSTACK_SLOTS) {
		slot = unused++;
	}
	spin_unlock_irqrestore(&kstack_lock, flags);
	return slot;
}

/*
 * A kernel stack of KSTACK_ORDER pages on `node` (falling back like any
 * allocation), with an unmapped guard under it. Returns its lowest address,
 * or NULL without memory or slots. May sleep; no spinlock may be held.
 */
void *kstack_alloc(int node)
{
	struct page *pg = pmm_alloc_pages(node, KSTACK_ORDER, 0);
	int slot = pg ? take_slot() : NO_SLOT;

	if (slot == NO_SLOT) {
		if (pg)
			pmm_free_pages(pg, KSTACK_ORDER);
		return NULL;
	}
	for (int n = 0; n < (1 << KSTACK_ORDER); n++)   /* slot is ours alone */
		*stack_pte(slot, n) = (page_to_phys(pg) + n * PAGE_SIZE) |
				      PTE_P | PTE_W | pte_nx;
	return slot_stack(slot);
}

/* The frame under a stack address from kstack_alloc (its first page for
 * the whole stack: the pages are one buddy block). */
struct page *kstack_page(const void *stack)
{
	uint64_t off = (uint64_t)stack - KSTACK_BASE;
	int slot = off / KSTACK_SLOT;

	return pfn_to_page((*stack_pte(slot, 0) & PTE_ADDR) >> PAGE_SHIFT);
}

/* Give back a stack from kstack_alloc: its frames now, its slot after the
 * next shootdown. The stack must be off every CPU. Takes kstack_lock. */
void kstack_free(void *stack)
{
	int slot = ((uint64_t)stack - KSTACK_BASE) / KSTACK_SLOT;
	struct page *pg = kstack_page(stack);
	uint64_t flags;

	for (int n = 0; n < (1 << KSTACK_ORDER); n++) {
		*stack_pte(slot, n) = 0;
		flush_tlb_page((uint64_t)stack + n * PAGE_SIZE);
	}
	pmm_free_pages(pg, KSTACK_ORDER);
	flags = spin_lock_irqsave(&kstack_lock);
	next_slot[slot] = dirty;
	dirty = slot;
	spin_unlock_irqrestore(&kstack_lock, flags);
}

/* Is addr in the guard half of a slot of the stack area? */
bool kstack_guard_hit(uint64_t addr)
{
	uint64_t off = addr - KSTACK_BASE;

	return addr >= KSTACK_BASE && off < (uint64_t)KSTACK_SLOTS * KSTACK_SLOT &&
	       off % KSTACK_SLOT < KSTACK_SIZE;
}
