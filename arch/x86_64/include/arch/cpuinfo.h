/* /proc/cpuinfo's per-processor block (arch/x86_64/cpuinfo.c). */
#ifndef ARCH_CPUINFO_H
#define ARCH_CPUINFO_H

#include <kernel/procfs.h>

/* Print processor cpu's block, Linux's format, ending in a blank line.
 * Its package ("physical id") is its NUMA node; core is its index there
 * and siblings the node's CPU count. */
void arch_cpuinfo_show(struct pbuf *b, int cpu, int core, int siblings);

#endif
