/*
 * Power-off through ACPI sleep state S5. The FADT gives the PM1 control
 * ports; the value to write (SLP_TYP) is in the DSDT's \_S5 package, which
 * is AML. We do not interpret AML: we find the name "_S5_" followed by a
 * Package op and read its first element, which is how every simple kernel
 * does it and enough for QEMU's firmware.
 */
#include <arch/acpi.h>
#include <arch/io.h>
#include <arch/irq.h>
#include <arch/timer.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#define SLP_EN (1 << 13)
#define SCI_EN 1

/* What power-off needs, found at boot. */
static struct {
	bool ok;
	uint16_t pm1a_cnt, pm1b_cnt;
	uint16_t slp_typa, slp_typb;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
} s5;

/* AML integer: BytePrefix 0x0A n, or the constants Zero (0x00) / One (0x01). */
static const uint8_t *aml_small_int(const uint8_t *p, const uint8_t *end,
				    uint16_t *out)
{
	if (p < end && *p == 0x0A && p + 1 < end) {
		*out = p[1];
		return p + 2;
	}
	if (p < end && *p <= 1) {
		*out = *p;
		return p + 1;
	}
	return NULL;
}

static bool parse_s5(const struct acpi_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt + sizeof(*dsdt);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)   /* PackageOp */
			continue;
		p += 5;
		p += (*p >> 6) + 1;     /* PkgLength: 1 to 4 bytes */
		p++;                    /* NumElements */
		p = aml_small_int(p, end, &s5.slp_typa);
		if (!p || !aml_small_int(p, end, &s5.slp_typb))
			return false;
		return true;
	}
	return false;
}

void acpi_power_init(void)
{
	const struct acpi_header *fadt = acpi_find("FACP");

	if (!fadt || fadt->length < 116) {
		printk("acpi: no FADT: power-off will halt instead\n");
		return;
	}
	const uint8_t *f = (const uint8_t *)fadt;
	uint32_t dsdt32;
	uint64_t dsdt = 0;

	memcpy(&dsdt32, f + 40, 4);
	if (fadt->length >= 148)
		memcpy(&dsdt, f + 140, 8);
	if (!dsdt)
		dsdt = dsdt32;
	memcpy(&s5.smi_cmd, f + 48, 4);
	s5.acpi_enable = f[52];
	memcpy(&s5.pm1a_cnt, f + 64, 2);
	memcpy(&s5.pm1b_cnt, f + 68, 2);
	const struct acpi_header *d = acpi_map_table(dsdt, "DSDT");
	if (!d || !s5.pm1a_cnt || !parse_s5(d)) {
		printk("acpi: no \\_S5 sleep state: power-off will halt instead\n");
		return;
	}
	s5.ok = true;
}

__noreturn void machine_poweroff(void)
{
	power_off_prepare();
	irq_disable();
	printk("power: off\n");
	if (s5.ok) {
		if (!(inw(s5.pm1a_cnt) & SCI_EN) && s5.smi_cmd && s5.acpi_enable)
			outb(s5.smi_cmd, s5.acpi_enable);     /* enter ACPI mode */
		outw(s5.pm1a_cnt, s5.slp_typa << 10 | SLP_EN);
		if (s5.pm1b_cnt)
			outw(s5.pm1b_cnt, s5.slp_typb << 10 | SLP_EN);
		udelay(500000);     /* the machine acts on it shortly */
	}
	printk("power: could not power off; halted\n");
	for (;;)
		cpu_halt();
}
