/*
 * Tests of the ACPI parsers on tables built here (ktest=acpi): good ones,
 * and bad ones as a broken firmware might hand over (wrong checksum, wrong
 * length, entries that overrun the table). The parsers must reject or stop,
 * never read past the table.
 */
#include <kernel/ktest.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <arch/acpi.h>
#include <arch/paging.h>

/* A table in a kmalloc'd page: header, then `body`. */
static struct acpi_header *make_table(const char *sig, const void *body,
				      size_t len)
{
	struct acpi_header *h = kzalloc(PAGE_SIZE);

	if (!h)
		return NULL;
	memcpy(h->signature, sig, 4);
	h->length = sizeof(*h) + len;
	h->revision = 1;
	memcpy(h + 1, body, len);
	return h;
}

static void fix_checksum(struct acpi_header *h)
{
	uint8_t sum = 0;

	h->checksum = 0;
	for (uint32_t i = 0; i < h->length; i++)
		sum += ((uint8_t *)h)[i];
	h->checksum = -sum;
}

static const struct acpi_header *check(struct acpi_header *h, const char *sig)
{
	return acpi_map_table(virt_to_phys(h), sig);
}

KTEST(acpi, table_checks)
{
	uint8_t body[16] = { 1, 2, 3 };
	struct acpi_header *h = make_table("TEST", body, sizeof(body));

	KTEST_ASSERT(t, h != NULL);
	if (virt_to_phys(h) + PAGE_SIZE > ACPI_PHYS_LIMIT) {
		kfree(h);       /* acpi_map_table would rightly refuse it */
		ktest_skip(t, "table allocated above ACPI_PHYS_LIMIT");
		return;
	}
	fix_checksum(h);
	KTEST_EXPECT(t, check(h, "TEST") == h);
	KTEST_EXPECT(t, check(h, "SRAT") == NULL);          /* wrong signature */
	h->checksum++;
	KTEST_EXPECT(t, check(h, "TEST") == NULL);          /* bad checksum */
	h->length = 10;
	fix_checksum(h);
	KTEST_EXPECT(t, check(h, "TEST") == NULL);          /* shorter than a header */
	h->length = 64 << 20;
	KTEST_EXPECT(t, check(h, "TEST") == NULL);          /* absurdly long */
	KTEST_EXPECT(t, acpi_map_table(0, "TEST") == NULL);
	KTEST_EXPECT(t, acpi_map_table(1ULL << 50, "TEST") == NULL);
	kfree(h);
}

/* A table address above what the direct map covers while ACPI is parsed
 * must be refused before it is read (it would fault at boot). 5 GiB is
 * not RAM on the test machines, so reading it would fault here too; an
 * address near 2^64 must not wrap the range check around. */
KTEST(acpi, table_above_limit_refused)
{
	KTEST_EXPECT(t, acpi_map_table(~0ULL - 8, "XSDT") == NULL);
	KTEST_EXPECT(t, acpi_map_table(5ULL << 30, "XSDT") == NULL);
	KTEST_EXPECT(t, acpi_map_table(ACPI_PHYS_LIMIT, "XSDT") == NULL);
	KTEST_EXPECT(t, acpi_map_table(ACPI_PHYS_LIMIT - 8, "XSDT") == NULL);
}

/* SRAT body: 12 reserved bytes, then entries. */
struct srat_mem {
	uint8_t type, len;
	uint32_t pxm;
	uint16_t reserved;
	uint64_t base, length;
	uint32_t reserved2, flags;
	uint64_t reserved3;
} __packed;

struct srat_cpu {
	uint8_t type, len, pxm_lo, apic_id;
	uint32_t flags;
	uint8_t sapic, pxm_hi[3];
	uint32_t clock;
} __packed;

struct test_srat {
	uint8_t reserved[12];
	struct srat_cpu cpu[2];
	struct srat_mem mem[2];
} __packed;

static struct test_srat good_srat(void)
{
	struct test_srat s;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 2; i++) {
		s.cpu[i] = (struct srat_cpu){ .type = 0, .len = 16, .pxm_lo = i,
					      .apic_id = i, .flags = 1 };
		s.mem[i] = (struct srat_mem){ .type = 1, .len = 40, .pxm = i,
					      .base = (uint64_t)i << 30,
					      .length = 1 << 30, .flags = 1 };
	}
	return s;
}

static void two_cpus(struct machine_topology *topo)
{
	memset(topo, 0, sizeof(*topo));
	topo->nr_cpus = 2;
	topo->apic_id[0] = 0;
	topo->apic_id[1] = 1;
	topo->cpu_node[0] = topo->cpu_node[1] = -1;
}

KTEST(acpi, srat_good)
{
	static struct machine_topology topo;
	struct test_srat body = good_srat();
	struct acpi_header *h = make_table("SRAT", &body, sizeof(body));

	KTEST_ASSERT(t, h != NULL);
	two_cpus(&topo);
	acpi_parse_srat(h, &topo);
	KTEST_EXPECT(t, topo.has_srat);
	KTEST_EXPECT_EQ(t, topo.nr_mem, 2);
	KTEST_EXPECT_EQ(t, topo.cpu_node[1], 1);
	KTEST_EXPECT_EQ(t, topo.mem[1].base, 1ULL << 30);
	KTEST_EXPECT(t, topo.node_present[0] && topo.node_present[1]);
	kfree(h);
}

KTEST(acpi, srat_bad_entries_fall_back)
{
	static struct machine_topology topo;
	struct test_srat body = good_srat();
	struct acpi_header *h;

	body.mem[1].len = 200;                      /* runs past the table */
	h = make_table("SRAT", &body, sizeof(body));
	KTEST_ASSERT(t, h != NULL);
	two_cpus(&topo);
	acpi_parse_srat(h, &topo);
	KTEST_EXPECT(t, !topo.has_srat);
	KTEST_EXPECT_EQ(t, topo.nr_mem, 0);
	KTEST_EXPECT_EQ(t, topo.cpu_node[0], -1);
	kfree(h);

	body = good_srat();
	body.cpu[0].len = 0;                        /* would loop forever */
	h = make_table("SRAT", &body, sizeof(body));
	two_cpus(&topo);
	acpi_parse_srat(h, &topo);
	KTEST_EXPECT(t, !topo.has_srat);
	kfree(h);

	body = good_srat();
	body.mem[0].pxm = 1000;                     /* no such node */
	h = make_table("SRAT", &body, sizeof(body));
	two_cpus(&topo);
	acpi_parse_srat(h, &topo);
	KTEST_EXPECT(t, !topo.has_srat);
	kfree(h);

	body = good_srat();
	body.mem[1].base = ~0ULL - 10;              /* wraps around */
	h = make_table("SRAT", &body, sizeof(body));
	two_cpus(&topo);
	acpi_parse_srat(h, &topo);
	KTEST_EXPECT(t, !topo.has_srat);
	kfree(h);

	two_cpus(&topo);
	acpi_parse_srat(NULL, &topo);               /* absent */
	KTEST_EXPECT(t, !topo.has_srat);
}

KTEST(acpi, slit_sizes)
{
	static struct machine_topology topo;
	struct {
		uint64_t n;
		uint8_t d[9];
	} __packed body = { 3, { 10, 15, 20, 15, 10, 25, 20, 25, 10 } };
	struct acpi_header *h = make_table("SLIT", &body, sizeof(body));

	KTEST_ASSERT(t, h != NULL);
	memset(&topo, 0, sizeof(topo));
	acpi_parse_slit(h, &topo);
	KTEST_EXPECT(t, topo.has_slit);
	KTEST_EXPECT_EQ(t, topo.distance[1][2], 25);
	KTEST_EXPECT_EQ(t, topo.distance[2][0], 20);

	body.n = 4;                                 /* 16 entries do not fit */
	memcpy(h + 1, &body, sizeof(body));
	memset(&topo, 0, sizeof(topo));
	acpi_parse_slit(h, &topo);
	KTEST_EXPECT(t, !topo.has_slit);
	body.n = 1ULL << 40;                        /* n*n would overflow */
	memcpy(h + 1, &body, sizeof(body));
	acpi_parse_slit(h, &topo);
	KTEST_EXPECT(t, !topo.has_slit);
	kfree(h);
}

KTEST(acpi, madt_cpus)
{
	static struct machine_topology topo;
	struct {
		uint32_t lapic;
		uint32_t flags;
		uint8_t e[4][8];
	} __packed body = { 0xFEE00000, 1, {
		{ 0, 8, 0, 0, 1, 0, 0, 0 },         /* cpu apic 0, enabled */
		{ 0, 8, 1, 1, 0, 0, 0, 0 },         /* apic 1, disabled */
		{ 0, 8, 2, 2, 1, 0, 0, 0 },         /* apic 2, enabled */
		{ 0, 8, 3, 2, 1, 0, 0, 0 },         /* apic 2 again: ignored */
	} };
	struct acpi_header *h = make_table("APIC", &body, sizeof(body));

	KTEST_ASSERT(t, h != NULL);
	memset(&topo, 0, sizeof(topo));
	acpi_parse_madt(h, &topo);
	KTEST_EXPECT_EQ(t, topo.nr_cpus, 2);
	KTEST_EXPECT_EQ(t, topo.apic_id[1], 2);
	KTEST_EXPECT_EQ(t, topo.lapic_phys, 0xFEE00000);

	body.e[2][1] = 100;                         /* overruns: walk stops */
	memcpy(h + 1, &body, sizeof(body));
	memset(&topo, 0, sizeof(topo));
	acpi_parse_madt(h, &topo);
	KTEST_EXPECT_EQ(t, topo.nr_cpus, 1);
	kfree(h);
}
