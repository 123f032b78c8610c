/*
 * MADT, SRAT and SLIT: which CPUs exist, which node each CPU and each memory
 * range belongs to, and how far apart the nodes are. Results go into
 * `topology` (kernel/topology.h). Every entry is bounds-checked against the
 * table length; a malformed entry ends the walk with a report.
 */
#include <arch/acpi.h>
#include <kernel/topology.h>
#include <kernel/printk.h>
#include <kernel/string.h>

struct machine_topology topology;

struct sub_header {
	uint8_t type, length;
} __packed;

/* Call fn for each variable-length entry after `offset` bytes of table. */
static void for_each_entry(const struct acpi_header *t, size_t offset,
			   void (*fn)(const uint8_t *e, size_t len))
{
	const uint8_t *p = (const uint8_t *)t + offset;
	const uint8_t *end = (const uint8_t *)t + t->length;

	while (p + sizeof(struct sub_header) <= end) {
		const struct sub_header *s = (const void *)p;

		if (s->length < sizeof(*s) || p + s->length > end) {
			printk("acpi: %c%c%c%c entry type %u has bad length %u, "
			       "rest ignored\n", t->signature[0], t->signature[1],
			       t->signature[2], t->signature[3], s->type, s->length);
			return;
		}
		fn(p, s->length);
		p += s->length;
	}
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void add_cpu(uint32_t apic_id)
{
	if (topology.nr_cpus == MAX_CPUS) {
		printk("acpi: more than %d CPUs, APIC id %u ignored\n", MAX_CPUS, apic_id);
		return;
	}
	for (int i = 0; i < topology.nr_cpus; i++)
		if (topology.apic_id[i] == apic_id)
			return;   /* listed twice (LAPIC and x2APIC entries) */
	topology.cpu_node[topology.nr_cpus] = -1;
	topology.apic_id[topology.nr_cpus++] = apic_id;
}

static void madt_entry(const uint8_t *e, size_t len)
{
	switch (e[0]) {
	case 0:     /* processor local APIC: uid, apic id, flags (bit 0 enabled) */
		if (len >= 8 && (get32(e + 4) & 1))
			add_cpu(e[3]);
		break;
	case 5:     /* local APIC address override */
		if (len >= 12)
			topology.lapic_phys = get64(e + 4);
		break;
	case 9:     /* processor local x2APIC */
		if (len >= 16 && (get32(e + 8) & 1))
			add_cpu(get32(e + 4));
		break;
	}
}

void acpi_parse_madt(void)
{
	const struct acpi_header *madt = acpi_find("APIC");

	if (!madt || madt->length < 44) {
		printk("acpi: no MADT: only the boot CPU will run\n");
		return;
	}
	topology.lapic_phys = get32((const uint8_t *)madt + 36);
	for_each_entry(madt, 44, madt_entry);
}

/* SRAT gives proximity domains; Numbat uses them as node ids directly. */
static bool srat_bad;

static int pxm_to_node(uint32_t pxm)
{
	if (pxm >= MAX_NODES) {
		printk("acpi: SRAT proximity domain %u >= %d\n", pxm, MAX_NODES);
		srat_bad = true;
		return -1;
	}
	topology.node_present[pxm] = true;
	return (int)pxm;
}

static void set_cpu_node(uint32_t apic_id, uint32_t pxm)
{
	int node = pxm_to_node(pxm);

	for (int i = 0; i < topology.nr_cpus; i++)
		if (topology.apic_id[i] == apic_id)
			topology.cpu_node[i] = node;
}

static void srat_memory(const uint8_t *e)
{
	uint64_t base = get64(e + 8), len = get64(e + 16);
	uint32_t flags = get32(e + 28);
	int node = pxm_to_node(get32(e + 2));

	if (!(flags & 1) || !len || node < 0)
		return;      /* disabled: a placeholder for hot-plug */
	if (topology.nr_mem == MAX_TOPO_MEM) {
		printk("acpi: too many SRAT memory ranges\n");
		srat_bad = true;
		return;
	}
	topology.mem[topology.nr_mem++] = (struct topo_mem){ base, len, node };
}

static void srat_entry(const uint8_t *e, size_t len)
{
	switch (e[0]) {
	case 0:     /* processor local APIC affinity */
		if (len >= 16 && (get32(e + 4) & 1))
			set_cpu_node(e[3], e[2] | (uint32_t)e[9] << 8 |
				     (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24);
		break;
	case 1:     /* memory affinity */
		if (len >= 40)
			srat_memory(e);
		break;
	case 2:     /* processor x2APIC affinity */
		if (len >= 24 && (get32(e + 12) & 1))
			set_cpu_node(get32(e + 8), get32(e + 4));
		break;
	}
}

void acpi_parse_srat(void)
{
	const struct acpi_header *srat = acpi_find("SRAT");

	if (!srat || srat->length < 48) {
		printk("acpi: no SRAT: one node holds all memory and CPUs\n");
		return;
	}
	for_each_entry(srat, 48, srat_entry);
	if (srat_bad || !topology.nr_mem) {
		printk("acpi: SRAT unusable: one node holds all memory and CPUs\n");
		memset(topology.node_present, 0, sizeof(topology.node_present));
		topology.nr_mem = 0;
		for (int i = 0; i < topology.nr_cpus; i++)
			topology.cpu_node[i] = -1;
		return;
	}
	topology.has_srat = true;
}

void acpi_parse_slit(void)
{
	const struct acpi_header *slit = acpi_find("SLIT");

	if (!slit || slit->length < 44) {
		printk("acpi: no SLIT: distances %d local, %d remote\n",
		       LOCAL_DISTANCE, REMOTE_DISTANCE);
		return;
	}
	const uint8_t *p = (const uint8_t *)slit;
	uint64_t n = get64(p + 36);

	if (n > 255 || 44 + n * n > slit->length) {
		printk("acpi: SLIT size %lu does not fit its table, ignored\n", n);
		return;
	}
	for (uint64_t i = 0; i < n && i < MAX_NODES; i++)
		for (uint64_t j = 0; j < n && j < MAX_NODES; j++)
			topology.distance[i][j] = p[44 + i * n + j];
	topology.has_slit = true;
}
