/*
 * Finding ACPI tables. The RSDP (copied from the multiboot2 tag) points at
 * the RSDT (32-bit entries) or, from ACPI 2.0, the XSDT (64-bit entries);
 * each entry is the physical address of a table with a standard header.
 * Every table is checked before use: signature, a sane length, and a
 * checksum (all bytes sum to 0 mod 256). A bad table is reported and skipped.
 */
#include <arch/acpi.h>
#include <arch/paging.h>
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#define ACPI_MAX_TABLE (1 << 20)    /* larger than any table QEMU makes */
/* Tables are read through the direct map while it covers only 0..4 GiB
 * (kmain maps more after ACPI): an address above would fault at boot. */
#define ACPI_MAX_PHYS ACPI_PHYS_LIMIT

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;             /* revision >= 2 from here */
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
} __packed;

static const struct acpi_header *root;  /* RSDT or XSDT */
static int root_entry_size;             /* 4 (RSDT) or 8 (XSDT) */

static uint8_t sum_bytes(const void *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s;
}

/* Is [phys, phys + len) a nonzero range below ACPI_MAX_PHYS? Written so
 * that a firmware address near 2^64 cannot wrap the sum around. */
static bool phys_range_ok(uint64_t phys, uint64_t len)
{
	return phys && len <= ACPI_MAX_PHYS && phys <= ACPI_MAX_PHYS - len;
}

const struct acpi_header *acpi_map_table(uint64_t phys, const char *want)
{
	if (!phys_range_ok(phys, sizeof(struct acpi_header))) {
		printk("acpi: %s at bad address %lx, ignored\n", want, phys);
		return NULL;
	}
	const struct acpi_header *h = phys_to_virt(phys);

	if (want && memcmp(h->signature, want, 4))
		return NULL;
	if (h->length < sizeof(*h) || h->length > ACPI_MAX_TABLE ||
	    !phys_range_ok(phys, h->length)) {
		printk("acpi: %s has bad length %u, ignored\n", want, h->length);
		return NULL;
	}
	if (sum_bytes(h, h->length)) {
		printk("acpi: %s has a bad checksum, ignored\n", want);
		return NULL;
	}
	return h;
}

bool acpi_init(void)
{
	const struct rsdp *r = (const void *)boot_info.rsdp;

	if (!boot_info.has_rsdp || memcmp(r->signature, "RSD PTR ", 8) ||
	    sum_bytes(r, 20)) {
		printk("acpi: no valid RSDP from the boot loader\n");
		return false;
	}
	if (r->revision >= 2 && r->xsdt && !sum_bytes(r, sizeof(*r))) {
		root = acpi_map_table(r->xsdt, "XSDT");
		root_entry_size = 8;
	}
	if (!root) {
		root = acpi_map_table(r->rsdt, "RSDT");
		root_entry_size = 4;
	}
	if (!root)
		printk("acpi: no valid RSDT or XSDT\n");
	return root != NULL;
}

const struct acpi_header *acpi_find(const char sig[4])
{
	if (!root)
		return NULL;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	size_t n = (root->length - sizeof(*root)) / root_entry_size;
	char want[5] = { sig[0], sig[1], sig[2], sig[3], 0 };

	for (size_t i = 0; i < n; i++) {
		uint64_t phys = 0;

		memcpy(&phys, entries + i * root_entry_size, root_entry_size);
		if (!phys_range_ok(phys, sizeof(struct acpi_header)))
			continue;
		const struct acpi_header *h = phys_to_virt(phys);
		if (!memcmp(h->signature, sig, 4))
			return acpi_map_table(phys, want);
	}
	return NULL;
}
