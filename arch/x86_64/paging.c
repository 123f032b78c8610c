/*
 * The kernel's page tables. Boot (boot/multiboot2.asm) maps physical 0..1 GiB
 * three times: identity, direct map and kernel image. paging_map_direct()
 * extends the direct map over all of physical memory with 2 MiB pages; the
 * page-table pages it needs come from a static pool, because it runs before
 * any allocator exists. paging_drop_identity() removes the low identity map
 * once the SMP trampoline no longer needs it, so that NULL faults.
 */
#include <arch/paging.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <arch/io.h>
#include <arch/smp.h>

#define PT_ENTRIES 512
#define MAX_DIRECT_GIB (DIRECT_MAP_MAX >> 30)

extern uint64_t boot_pml4[PT_ENTRIES];

uint64_t pte_nx;

void paging_init(void)
{
	if (rdmsr(MSR_EFER) & (1UL << 11))
		pte_nx = PTE_NX;
}

/* The kernel's own page tables: kernel threads and idle CPUs use them, and
 * every process's PML4 copies their upper half. */
uint64_t kernel_pml4_phys(void)
{
	return (uint64_t)boot_pml4;
}

/* One page directory per GiB of direct map, plus one PDPT. */
static uint64_t pool_pd[MAX_DIRECT_GIB][PT_ENTRIES] __aligned(4096);
static bool pool_pd_used[MAX_DIRECT_GIB];

static uint64_t *kernel_pml4(void)
{
	return phys_to_virt((uint64_t)boot_pml4);
}

void paging_map_direct(uint64_t start, uint64_t end)
{
	uint64_t *pml4 = kernel_pml4();
	uint64_t *pdpt = phys_to_virt(pml4[256] & PTE_ADDR);

	end = MIN(end, DIRECT_MAP_MAX);         /* numa.c ignores RAM above */
	for (uint64_t pa = ALIGN_DOWN(start, HUGE_2M); pa < end; pa += HUGE_2M) {
		unsigned gib = pa >> 30, i = (pa >> 21) & 511;

		if (gib == 0)
			continue;       /* boot mapped the first GiB */
		if (!pool_pd_used[gib]) {
			pool_pd_used[gib] = true;
			pdpt[gib] = virt_to_phys(pool_pd[gib]) | PTE_P | PTE_W;
		}
		pool_pd[gib][i] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | pte_nx;
	}
	write_cr3(read_cr3());
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
