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

/* Call fn for each variable-length entry after `offset` bytes of table;
 * returns false if a malformed entry stopped the walk. */
static bool for_each_entry(const struct acpi_header *t, size_t offset,
			   void (*fn)(const uint8_t *e, size_t len,
				      struct machine_topology *topo),
			   struct machine_topology *topo)
{
	const uint8_t *p = (const uint8_t *)t + offset;
	const uint8_t *end = (const uint8_t *)t + t->length;

	while (p + sizeof(struct sub_header) <= end) {
		const struct sub_header *s = (const void *)p;

		if (s->length < sizeof(*s) || p + s->length > end) {
			printk("acpi: %c%c%c%c entry type %u has bad length %u, "
			       "rest ignored\n", t->signature[0], t->signature[1],
			       t->signature[2], t->signature[3], s->type, s->length);
			return false;
		}
		fn(p, s->length, topo);
		p += s->length;
	}
	return true;
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

static void add_cpu(struct machine_topology *topo, uint32_t apic_id)
{
	if (topo->nr_cpus == MAX_CPUS) {
		printk("acpi: more than %d CPUs, APIC id %u ignored\n", MAX_CPUS, apic_id);
		return;
	}
	for (int i = 0; i < topo->nr_cpus; i++)
		if (topo->apic_id[i] == apic_id)
			return;   /* listed twice (LAPIC and x2APIC entries) */
	topo->cpu_node[topo->nr_cpus] = -1;
	topo->apic_id[topo->nr_cpus++] = apic_id;
}

static void madt_entry(const uint8_t *e, size_t len, struct machine_topology *topo)
{
	switch (e[0]) {
	case 0:     /* processor local APIC: uid, apic id, flags (bit 0 enabled) */
		if (len >= 8 && (get32(e + 4) & 1))
			add_cpu(topo, e[3]);
		break;
	case 5:     /* local APIC address override */
		if (len >= 12)
			topo->lapic_phys = get64(e + 4);
		break;
	case 9:     /* processor local x2APIC */
		if (len >= 16 && (get32(e + 8) & 1))
			add_cpu(topo, get32(e + 4));
		break;
	}
}

void acpi_parse_madt(const struct acpi_header *madt, struct machine_topology *topo)
{
	if (!madt || madt->length < 44) {
		printk("acpi: no MADT: only the boot CPU will run\n");
		return;
	}
	topo->lapic_phys = get32((const uint8_t *)madt + 36);
	for_each_entry(madt, 44, madt_entry, topo);
}

/*
 * SRAT gives proximity domains; Numbat uses them as node ids directly.
 * A domain >= MAX_NODES or too many ranges make the whole SRAT unusable
 * (topo->srat_bad), and the kernel falls back to one node.
 */
static int pxm_to_node(struct machine_topology *topo, uint32_t pxm)
{
	if (pxm >= MAX_NODES) {
		printk("acpi: SRAT proximity domain %u >= %d\n", pxm, MAX_NODES);
		topo->srat_bad = true;
		return -1;
	}
	topo->node_present[pxm] = true;
	return (int)pxm;
}

static void set_cpu_node(struct machine_topology *topo, uint32_t apic_id,
			 uint32_t pxm)
{
	int node = pxm_to_node(topo, pxm);

	for (int i = 0; i < topo->nr_cpus; i++)
		if (topo->apic_id[i] == apic_id)
			topo->cpu_node[i] = node;
}

static void srat_memory(struct machine_topology *topo, const uint8_t *e)
{
	uint64_t base = get64(e + 8), len = get64(e + 16);
	uint32_t flags = get32(e + 28);

	if (!(flags & 1) || !len)
		return;      /* disabled: a placeholder for hot-plug */
	int node = pxm_to_node(topo, get32(e + 2));
	if (node < 0)
		return;
	if (base + len < base) {
		printk("acpi: SRAT range %lx+%lx wraps around\n", base, len);
		topo->srat_bad = true;
		return;
	}
	if (topo->nr_mem == MAX_TOPO_MEM) {
		printk("acpi: too many SRAT memory ranges\n");
		topo->srat_bad = true;
		return;
	}
	topo->mem[topo->nr_mem++] = (struct topo_mem){ base, len, node };
}

static void srat_entry(const uint8_t *e, size_t len, struct machine_topology *topo)
{
	switch (e[0]) {
	case 0:     /* processor local APIC affinity */
		if (len >= 16 && (get32(e + 4) & 1))
			set_cpu_node(topo, e[3], e[2] | (uint32_t)e[9] << 8 |
				     (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24);
		break;
	case 1:     /* memory affinity */
		if (len >= 40)
			srat_memory(topo, e);
		break;
	case 2:     /* processor x2APIC affinity */
		if (len >= 24 && (get32(e + 12) & 1))
			set_cpu_node(topo, get32(e + 8), get32(e + 4));
		break;
	}
}

/* Needs the CPUs from the MADT first. */
void acpi_parse_srat(const struct acpi_header *srat, struct machine_topology *topo)
{
	if (!srat || srat->length < 48) {
		printk("acpi: no SRAT: one node holds all memory and CPUs\n");
		return;
	}
	if (!for_each_entry(srat, 48, srat_entry, topo))
		topo->srat_bad = true;
	if (topo->srat_bad || !topo->nr_mem) {
		printk("acpi: SRAT unusable: one node holds all memory and CPUs\n");
		memset(topo->node_present, 0, sizeof(topo->node_present));
		topo->nr_mem = 0;
		for (int i = 0; i < topo->nr_cpus; i++)
			topo->cpu_node[i] = -1;
		return;
	}
	topo->has_srat = true;
}

void acpi_parse_slit(const struct acpi_header *slit, struct machine_topology *topo)
{
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
			topo->distance[i][j] = p[44 + i * n + j];
	topo->has_slit = true;
}
