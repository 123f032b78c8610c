/*
 * Multiboot2 boot information: a size, then 8-byte aligned tags, each
 * { u32 type; u32 size; payload }, ending with a type 0 tag. We copy out the
 * command line (1), the memory map (6) and the ACPI RSDP (14 old, 15 new).
 */
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <arch/paging.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

struct boot_info boot_info;

static void parse_mmap(const struct mb2_tag *tag)
{
	const uint8_t *p = (const uint8_t *)tag + 16;
	uint32_t entry_size = ((const uint32_t *)tag)[2];
	const uint8_t *end = (const uint8_t *)tag + tag->size;

	if (entry_size < sizeof(struct mb2_mmap_entry))
		return;
	for (; p + entry_size <= end && boot_info.nr_mem < BOOT_MAX_MEM; p += entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		struct boot_mem_range *r = &boot_info.mem[boot_info.nr_mem++];

		r->base = e->base;
		r->len = e->len;
		r->type = e->type;
	}
}

static void parse_tag(const struct mb2_tag *tag)
{
	const char *payload = (const char *)(tag + 1);
	size_t len = tag->size - sizeof(*tag);

	switch (tag->type) {
	case MB2_TAG_CMDLINE:
		strlcpy(boot_info.cmdline, payload,
			MIN(len + 1, sizeof(boot_info.cmdline)));
		break;
	case MB2_TAG_MMAP:
		parse_mmap(tag);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		/* Prefer the new (XSDT) one when both are given. */
		if (!boot_info.has_rsdp || tag->type == MB2_TAG_ACPI_NEW) {
			memcpy(boot_info.rsdp, payload, MIN(len, sizeof(boot_info.rsdp)));
			boot_info.has_rsdp = true;
		}
		break;
	}
}

void multiboot2_parse(uint32_t magic, phys_addr_t mbi)
{
	if (magic != MB2_BOOTLOADER_MAGIC)
		panic("multiboot2: bad magic %x: not booted by a multiboot2 loader", magic);
	const uint8_t *base = phys_to_virt(mbi);
	uint32_t total = *(const uint32_t *)base;

	for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *tag = (const void *)(base + off);

		if (tag->type == MB2_TAG_END || tag->size < sizeof(*tag))
			break;
		parse_tag(tag);
		off += ALIGN_UP(tag->size, 8);
	}
}
