/*
 * The machine as the firmware describes it: CPUs, memory affinity and node
 * distances. arch/x86_64/acpi_*.c fill it from MADT, SRAT and SLIT;
 * kernel/mm/numa.c turns it into struct numa_node. Nothing else writes it.
 */
#ifndef KERNEL_TOPOLOGY_H
#define KERNEL_TOPOLOGY_H

#include <kernel/types.h>
#include <kernel/cpumask.h>

#define MAX_NODES 16
#define MAX_TOPO_MEM 64
#define LOCAL_DISTANCE 10
#define REMOTE_DISTANCE 20

struct topo_mem {
	uint64_t base, len;
	int node;
};

struct machine_topology {
	int nr_cpus;                       /* enabled CPUs in MADT order */
	uint32_t apic_id[MAX_CPUS];
	int cpu_node[MAX_CPUS];            /* -1: no SRAT entry */
	uint64_t lapic_phys;

	bool has_srat;                     /* a usable SRAT was found */
	bool srat_bad;                     /* SRAT seen but rejected */
	bool node_present[MAX_NODES];      /* named by some SRAT entry */
	int nr_mem;
	struct topo_mem mem[MAX_TOPO_MEM]; /* SRAT memory affinity, enabled */

	bool has_slit;
	uint8_t distance[MAX_NODES][MAX_NODES];
};

extern struct machine_topology topology;

#endif
