/*
 * Fuzz target: the ACPI table parsers (arch/x86_64/acpi.c, acpi_numa.c,
 * acpi_power.c), as kmain and power-off use them.
 *
 * The input is an image of low physical memory, loaded at physical 0 of a
 * 4 GiB arena: the part of the direct map that exists when the kernel
 * parses ACPI (kmain maps 0..4 GiB first). The arena is followed by a wide
 * inaccessible region, so a table address the parsers accept above 4 GiB
 * faults here as it would at boot. The RSDP the boot loader copied is the
 * input's first 36 bytes; tables point at other offsets of the input.
 *
 * The kernel files are included, not linked, to reset their static state
 * (the RSDT pointer, the \_S5 values) before each run.
 */
#define _DEFAULT_SOURCE   /* MAP_ANONYMOUS, MAP_NORESERVE */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <kernel/bootinfo.h>
#include "shim.h"

#include "../../arch/x86_64/acpi.c"
#include "../../arch/x86_64/acpi_numa.c"
#include "../../arch/x86_64/acpi_power.c"

#define ARENA_MAPPED (4ULL << 30)     /* kmain: paging_map_direct(0, 4 GiB) */
#define ARENA_RESERVED (128ULL << 30) /* beyond: faults */

struct boot_info boot_info;

void power_off_prepare(void) {}
void udelay(uint64_t us) {}

static void arena_init(void)
{
	void *a = mmap(NULL, ARENA_RESERVED, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (a == MAP_FAILED ||
	    mprotect(a, ARENA_MAPPED, PROT_READ | PROT_WRITE))
		abort();
	fuzz_phys_base = (uintptr_t)a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct machine_topology topo;
	char *mem;

	if (!fuzz_phys_base)
		arena_init();
	if (size > (16U << 20))
		return 0;
	mem = phys_to_virt(0);
	memcpy(mem, data, size);
	memset(&boot_info, 0, sizeof(boot_info));
	boot_info.has_rsdp = true;
	memcpy(boot_info.rsdp, data, MIN(size, sizeof(boot_info.rsdp)));
	root = NULL;
	memset(&s5, 0, sizeof(s5));
	memset(&topo, 0, sizeof(topo));
	if (acpi_init()) {
		acpi_parse_madt(acpi_find("APIC"), &topo);
		acpi_parse_srat(acpi_find("SRAT"), &topo);
		acpi_parse_slit(acpi_find("SLIT"), &topo);
		acpi_power_init();
	}
	printk("fuzz-acpi: %d cpus, %d memory ranges, srat %d, slit %d, s5 %d\n",
	       topo.nr_cpus, topo.nr_mem, topo.has_srat, topo.has_slit, s5.ok);
	memset(mem, 0, size);
	return 0;
}
