/* Sets of CPUs, as bitmaps. MAX_CPUS bounds every CPU id in the kernel. */
#ifndef KERNEL_CPUMASK_H
#define KERNEL_CPUMASK_H

#include <kernel/types.h>

#define MAX_CPUS 64

struct cpumask {
	uint64_t bits;
};

static inline void cpumask_set(struct cpumask *m, int cpu)
{
	__atomic_fetch_or(&m->bits, 1ULL << cpu, __ATOMIC_SEQ_CST);
}

static inline void cpumask_clear(struct cpumask *m, int cpu)
{
	__atomic_fetch_and(&m->bits, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
}

static inline bool cpumask_test(const struct cpumask *m, int cpu)
{
	return (READ_ONCE(m->bits) >> cpu) & 1;
}

static inline int cpumask_weight(const struct cpumask *m)
{
	uint64_t b = READ_ONCE(m->bits);
	int n = 0;

	for (; b; b &= b - 1)      /* no libgcc: count bits by hand */
		n++;
	return n;
}

#define for_each_cpu_in(cpu, m) \
	for (cpu = 0; cpu < MAX_CPUS; cpu++) if (cpumask_test(m, cpu))

/* Print a mask as a Linux cpulist ("0-3,6"), or "none" when empty. */
int cpumask_format(char *buf, size_t size, const struct cpumask *m);

#endif
