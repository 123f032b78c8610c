/* ACPI tables: finding them and the few Numbat reads. */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include <kernel/types.h>
#include <kernel/topology.h>

/* ACPI tables must lie below this physical address: kmain maps the direct
 * map this far before it parses them (firmware puts them below 4 GiB). */
#define ACPI_PHYS_LIMIT (4ULL << 30)

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __packed;

/* Find the RSDT/XSDT from the boot loader's RSDP copy; false if unusable. */
bool acpi_init(void);
/* A table by signature, checked (length, checksum), or NULL. */
const struct acpi_header *acpi_find(const char sig[4]);
/* Verify a table at a physical address; NULL (and a report) if bad. */
const struct acpi_header *acpi_map_table(uint64_t phys, const char *want);

/* Parsers: a NULL or short table means "absent" and leaves topo as is. */
void acpi_parse_madt(const struct acpi_header *madt, struct machine_topology *topo);
void acpi_parse_srat(const struct acpi_header *srat, struct machine_topology *topo);
void acpi_parse_slit(const struct acpi_header *slit, struct machine_topology *topo);
void acpi_power_init(void);    /* FADT and \_S5 for power-off */

#endif
