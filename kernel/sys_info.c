/*
 * sysinfo(2): memory and process totals and the load averages, as
 * busybox's free and uptime read them.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/proc_stat.h>
#include <kernel/sched.h>
#include <kernel/pmm.h>
#include <kernel/shmem.h>
#include <kernel/swap.h>
#include <kernel/statfs.h>
#include <kernel/time.h>
#include <kernel/usercopy.h>
#include <kernel/string.h>
#include <kernel/errno.h>

/* Linux's struct sysinfo on x86-64: 112 bytes. */
struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
};

_Static_assert(sizeof(struct linux_sysinfo) == 112, "Linux x86-64 struct sysinfo is 112 bytes");

/* Sizes in pages go out in bytes: mem_unit 1, as Linux when they fit. */
SYSCALL(sysinfo)
{
	struct linux_sysinfo si;
	struct swap_totals swap = swap_get_totals();
	uint64_t ns = clock_ns();

	memset(&si, 0, sizeof(si));
	si.uptime = (int64_t)((ns + NSEC_PER_SEC - 1) / NSEC_PER_SEC);   /* rounded up, as Linux */
	unsigned long loads[3];
	loadavg_get(loads);                 /* fixed point, SI_LOAD_SHIFT 16 */
	for (int i = 0; i < 3; i++)
		si.loads[i] = loads[i];
	si.totalram = ram_total_pages() * PAGE_SIZE;
	si.freeram = pmm_free_pages_total() * PAGE_SIZE;
	si.sharedram = shmem_resident_pages() * PAGE_SIZE;
	si.bufferram = 0;                   /* as /proc/meminfo's Buffers */
	si.totalswap = swap.pages * PAGE_SIZE;
	si.freeswap = swap.free * PAGE_SIZE;
	si.procs = (uint16_t)proc_count();
	si.mem_unit = 1;
	return copy_to_user((void *)a0, &si, sizeof(si)) ? -EFAULT : 0;
}
