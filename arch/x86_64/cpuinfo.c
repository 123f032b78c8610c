/*
 * /proc/cpuinfo's x86 lines: what CPUID says, with Linux's names for the
 * feature flags (arch/x86/include/asm/cpufeatures.h), printed in Linux's
 * order (by CPUID word). CPUID runs on the reading CPU; Numbat's CPUs are
 * alike (one QEMU model), so every processor block shows the same model.
 */
#include <arch/cpuinfo.h>
#include <arch/io.h>
#include <arch/timer.h>
#include <kernel/percpu.h>

/* One CPUID register's flags: names[bit], NULL for bits not shown. */
struct flag_word {
	uint32_t leaf, reg;            /* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
	const char *names[32];
};

static const struct flag_word words[] = {
	{ 1, 3, { "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic",
		  NULL, "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", NULL,
		  "clflush", NULL, NULL, NULL, "mmx", "fxsr", "sse", "sse2", "ss", "ht" } },
	{ 0x80000001, 3, { [11] = "syscall", [20] = "nx", [26] = "pdpe1gb",
			   [27] = "rdtscp", [29] = "lm" } },
	{ 1, 2, { "pni", "pclmulqdq", NULL, "monitor", [9] = "ssse3", [12] = "fma",
		  [13] = "cx16", [19] = "sse4_1", [20] = "sse4_2", [21] = "x2apic",
		  [22] = "movbe", [23] = "popcnt", [24] = "tsc_deadline_timer",
		  [25] = "aes", [26] = "xsave", [28] = "avx", [29] = "f16c",
		  [30] = "rdrand", [31] = "hypervisor" } },
	{ 0x80000001, 2, { "lahf_lm", [5] = "abm", [8] = "3dnowprefetch" } },
	{ 7, 1, { "fsgsbase", [3] = "bmi1", [5] = "avx2", [7] = "smep", [8] = "bmi2",
		  [9] = "erms", [10] = "invpcid", [18] = "rdseed", [19] = "adx",
		  [20] = "smap", [23] = "clflushopt" } },
};

static uint32_t cpuid_reg(uint32_t leaf, uint32_t reg)
{
	uint32_t r[4], max;

	cpuid(leaf & 0x80000000, 0, &max, &r[1], &r[2], &r[3]);
	if (leaf > max)
		return 0;
	cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
	return r[reg];
}

static void show_flags(struct pbuf *b)
{
	pbuf_printf(b, "flags\t\t:");
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		uint32_t v = cpuid_reg(words[w].leaf, words[w].reg);
		for (int bit = 0; bit < 32; bit++)
			if ((v & (1U << bit)) && words[w].names[bit])
				pbuf_printf(b, " %s", words[w].names[bit]);
	}
	pbuf_printf(b, "\n");
}

/* The brand string (leaves 0x80000002-4), spaces at its start dropped. */
static void model_name(char out[49])
{
	uint32_t *w = (uint32_t *)out;

	out[0] = 0;
	if (cpuid_reg(0x80000000, 0) < 0x80000004)
		return;
	for (uint32_t leaf = 0; leaf < 3; leaf++)
		cpuid(0x80000002 + leaf, 0, &w[4 * leaf], &w[4 * leaf + 1],
		      &w[4 * leaf + 2], &w[4 * leaf + 3]);
	out[48] = 0;
}

static void show_ids(struct pbuf *b, int cpu, int core, int siblings)
{
	uint32_t sig = cpuid_reg(1, 0), family = (sig >> 8) & 0xf, model = (sig >> 4) & 0xf;
	char vendor[13], name[49];
	uint32_t *v = (uint32_t *)vendor, max;
	const char *n = name;

	cpuid(0, 0, &max, &v[0], &v[2], &v[1]);
	vendor[12] = 0;
	if (family == 0xf)
		family += (sig >> 20) & 0xff;
	if (family == 6 || family >= 0xf)
		model += ((sig >> 16) & 0xf) << 4;
	model_name(name);
	while (*n == ' ')
		n++;
	pbuf_printf(b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
		    "model name\t: %s\nstepping\t: %u\n", cpu, vendor, family, model, n, sig & 0xf);
	pbuf_printf(b, "cpu MHz\t\t: %lu.%03lu\n", tsc_khz / 1000, tsc_khz % 1000);
	pbuf_printf(b, "physical id\t: %d\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\n"
		    "apicid\t\t: %u\ninitial apicid\t: %u\n", cpus[cpu].node, siblings, core,
		    siblings, cpus[cpu].apic_id, cpus[cpu].apic_id);
	pbuf_printf(b, "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\n", max);
}

void arch_cpuinfo_show(struct pbuf *b, int cpu, int core, int siblings)
{
	uint32_t addr = cpuid_reg(0x80000008, 0);

	show_ids(b, cpu, core, siblings);
	show_flags(b);
	pbuf_printf(b, "bogomips\t: %lu.%02lu\nclflush size\t: 64\ncache_alignment\t: 64\n",
		    2 * tsc_khz / 1000, (2 * tsc_khz / 10) % 100);
	pbuf_printf(b, "address sizes\t: %u bits physical, %u bits virtual\n"
		    "power management:\n\n", addr & 0xff, (addr >> 8) & 0xff);
}
