/*
 * The kernel's page tables. Boot (boot/multiboot2.asm) maps physical 0..1 GiB
 * three times, with 2 MiB pages that are writable and executable: identity,
 * direct map and kernel image. paging_init() replaces the last two:
 *
 *   direct map   2 MiB pages, writable, never executable (NX), over all of
 *                physical memory (paging_map_direct() extends it); where it
 *                aliases the image's .text and .rodata, 4 KiB pages that
 *                are read-only like the image's own;
 *   kernel image 4 KiB pages with the protection of each section (W^X):
 *                .text read-only and executable, .rodata read-only, .data
 *                and .bss writable, neither executable; the guard page under
 *                each static stack (stack_guard.h) is left out.
 *
 * The page-table pages come from static pools, because this runs before any
 * allocator exists. paging_drop_identity() removes the low identity map once
 * the SMP trampoline no longer needs it, so that NULL faults. The kernel
 * stack area (kstack.c) gets its PML4 slot here too, before any process
 * copies the kernel half of the PML4.
 */
#include <arch/paging.h>
#include <arch/stack_guard.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <kernel/string.h>
#include <kernel/cmdline.h>
#include <arch/io.h>
#include <arch/smp.h>

#define PT_ENTRIES 512
#define MAX_DIRECT_GIB (DIRECT_MAP_MAX >> 30)
#define IMAGE_PTS 8                     /* the image may span 16 MiB */
#define ALIAS_PTS 4                     /* its read-only part 8 MiB */
#define PDE_TABLE (PTE_P | PTE_W)       /* a table entry: leaves decide */

extern uint64_t boot_pml4[PT_ENTRIES];
extern char _text[], _rodata[], _data[], _ksyms[], _kernel_end[];
extern const struct stack_guard __stack_guards_start[], __stack_guards_end[];

uint64_t pte_nx;

/* One page directory per GiB of direct map, plus one PDPT. */
static uint64_t pool_pd[MAX_DIRECT_GIB][PT_ENTRIES] __aligned(4096);
static uint64_t direct_pdpt[PT_ENTRIES] __aligned(4096);
/* The kernel image's tables: PML4[511] -> PDPT[510] -> PD -> PTs. */
static uint64_t image_pdpt[PT_ENTRIES] __aligned(4096);
static uint64_t image_pd[PT_ENTRIES] __aligned(4096);
static uint64_t image_pt[IMAGE_PTS][PT_ENTRIES] __aligned(4096);
/* The direct map over the image's read-only part, in 4 KiB pages. */
static uint64_t alias_pt[ALIAS_PTS][PT_ENTRIES] __aligned(4096);

static uint64_t *kernel_pml4(void)
{
	return phys_to_virt((uint64_t)boot_pml4);
}

/* The kernel's own page tables: kernel threads and idle CPUs use them, and
 * every process's PML4 copies their upper half. */
uint64_t kernel_pml4_phys(void)
{
	return (uint64_t)boot_pml4;
}

/* The first address image_pt maps. */
static uint64_t image_first(void)
{
	return ALIGN_DOWN((uint64_t)_text, HUGE_2M);
}

/* The PTE slot of a kernel-image address (image_pt), or NULL. */
static uint64_t *image_pte(uint64_t va)
{
	uint64_t first = image_first();
	uint64_t i = (va - first) >> PAGE_SHIFT;

	if (va < first || i >= IMAGE_PTS * PT_ENTRIES)
		return NULL;
	return &image_pt[i / PT_ENTRIES][i % PT_ENTRIES];
}

static void map_image_range(const char *start, const char *end, uint64_t prot)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE) {
		uint64_t *pte = image_pte(va);

		if (!pte)
			panic("paging: kernel image larger than %d MiB", IMAGE_PTS * 2);
		*pte = virt_to_phys((void *)va) | prot | PTE_P | PTE_G;
	}
}

/* The guard pages under the static stacks: not mapped at all. */
static void unmap_stack_guards(void)
{
	for (const struct stack_guard *g = __stack_guards_start; g < __stack_guards_end; g++)
		for (uint64_t i = 0; i < g->count; i++)
			*image_pte(g->first + i * g->stride) = 0;
}

/* rodata=off on the command line (Linux's name): the image all writable
 * and executable, as boot had it, to see what the protection catches. */
static bool rodata_off(void)
{
	const char *rodata = cmdline_get("rodata");

	return rodata && !strcmp(rodata, "off");
}

/* Build the image's 4 KiB mappings section by section (linker.ld). */
static void build_image_map(void)
{
	if (rodata_off()) {
		map_image_range(_text, _kernel_end, PTE_W);
		unmap_stack_guards();
		return;
	}
	map_image_range(_text, _rodata, 0);
	map_image_range(_rodata, _data, pte_nx);
	map_image_range(_data, _ksyms, PTE_W | pte_nx);
	map_image_range(_ksyms, _kernel_end, pte_nx);
	unmap_stack_guards();
}

/* The direct map's alias of .text and .rodata is read-only too, or a
 * stray write through phys_to_virt() could still change kernel code: the
 * 2 MiB pages over it become page tables of 4 KiB pages. */
static void protect_image_alias(void)
{
	uint64_t ro = virt_to_phys(_text), ro_end = virt_to_phys(_data);
	uint64_t first = ALIGN_DOWN(ro, HUGE_2M);

	for (uint64_t pa = first; pa < ro_end; pa += HUGE_2M) {
		unsigned n = (pa - first) / HUGE_2M;

		if (n >= ALIAS_PTS || pa >= (1UL << 30))
			panic("paging: kernel text and rodata larger than %d MiB", ALIAS_PTS * 2);
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			uint64_t a = pa + i * PAGE_SIZE;
			bool w = a < ro || a >= ro_end;

			alias_pt[n][i] = a | PTE_P | PTE_G | pte_nx | (w ? PTE_W : 0);
		}
		pool_pd[0][(pa >> 21) & 511] = virt_to_phys(alias_pt[n]) | PDE_TABLE;
	}
}

/* Global pages survive a CR3 load: toggling CR4.PGE drops them too. */
static void flush_tlb_all_local(void)
{
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4);
}

/* Before the allocators: the protected kernel mappings (see the top). */
void paging_init(void)
{
	uint64_t *pml4 = kernel_pml4();

	if (rdmsr(MSR_EFER) & EFER_NXE)
		pte_nx = PTE_NX;
	for (unsigned i = 0; i < PT_ENTRIES; i++)   /* GiB 0, as boot had it */
		pool_pd[0][i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS | PTE_G | pte_nx;
	direct_pdpt[0] = virt_to_phys(pool_pd[0]) | PDE_TABLE;
	if (!rodata_off())
		protect_image_alias();
	for (int i = 0; i < IMAGE_PTS; i++)
		image_pd[((image_first() >> 21) & 511) + i] = virt_to_phys(image_pt[i]) | PDE_TABLE;
	image_pdpt[(KERNEL_VMA >> 30) & 511] = virt_to_phys(image_pd) | PDE_TABLE;
	build_image_map();
	kstack_area_init(pml4);
	pml4[256] = virt_to_phys(direct_pdpt) | PDE_TABLE;
	pml4[511] = virt_to_phys(image_pdpt) | PDE_TABLE;
	flush_tlb_all_local();
}

void paging_map_direct(uint64_t start, uint64_t end)
{
	end = MIN(end, DIRECT_MAP_MAX);         /* numa.c ignores RAM above */
	for (uint64_t pa = ALIGN_DOWN(start, HUGE_2M); pa < end; pa += HUGE_2M) {
		unsigned gib = pa >> 30, i = (pa >> 21) & 511;

		if (!direct_pdpt[gib])
			direct_pdpt[gib] = virt_to_phys(pool_pd[gib]) | PDE_TABLE;
		if (!pool_pd[gib][i])   /* keep protect_image_alias()'s tables */
			pool_pd[gib][i] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | pte_nx;
	}
	flush_tlb_all_local();
}

/* The leaf PTE that maps kernel address va (any size), or NULL: for
 * the protection tests and the stack-overflow report. */
uint64_t paging_kernel_pte(uint64_t va)
{
	uint64_t e = kernel_pml4()[(va >> 39) & 511];

	for (int shift = 30; shift >= 12; shift -= 9) {
		if (!(e & PTE_P))
			return 0;
		e = ((uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> shift) & 511];
		if (shift > 12 && (e & PTE_PS))
			return e;
	}
	return e & PTE_P ? e : 0;
}

/* Is addr in a guard page under a kernel stack (static or kstack.c's)? */
bool stack_guard_hit(uint64_t addr)
{
	for (const struct stack_guard *g = __stack_guards_start; g < __stack_guards_end; g++)
		for (uint64_t i = 0; i < g->count; i++)
			if (addr - (g->first + i * g->stride) < PAGE_SIZE)
				return true;
	return kstack_guard_hit(addr);
}

static void reload_cr3(void *unused)
{
	write_cr3(read_cr3());
}

/* After SMP start-up: no CPU may keep translations of the low identity map. */
void paging_drop_identity(void)
{
	kernel_pml4()[0] = 0;
	smp_call_function_all(reload_cr3, NULL);
}
