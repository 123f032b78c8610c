#include <kernel/cpumask.h>
#include <kernel/printk.h>

int cpumask_format(char *buf, size_t size, const struct cpumask *m)
{
	size_t len = 0;

	buf[0] = 0;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpumask_test(m, cpu))
			continue;
		int last = cpu;
		while (last + 1 < MAX_CPUS && cpumask_test(m, last + 1))
			last++;
		const char *sep = len ? "," : "";
		if (last == cpu)
			len += snprintf(buf + len, size - MIN(len, size), "%s%d", sep, cpu);
		else
			len += snprintf(buf + len, size - MIN(len, size), "%s%d-%d", sep, cpu, last);
		cpu = last;
	}
	if (!len)
		len = snprintf(buf, size, "none");
	return (int)len;
}
