/*
 * The system-wide /proc files that ps, top, uptime and free read, in
 * Linux's formats (proc(5)):
 *   /proc/stat         CPU times in clock ticks, context switches, boot time
 *   /proc/uptime       seconds since boot, and idle seconds of all CPUs
 *   /proc/loadavg      1, 5, 15 minute load averages, running/total, last pid
 *   /proc/cpuinfo      a block per CPU (arch/x86_64/cpuinfo.c)
 *   /proc/version      Linux's first line, with Numbat's name in it
 *   /proc/filesystems  the file system types Numbat can mount
 * Numbers come from proc_stat.c (accounting, load) without locks: each is
 * a word read once, so a file may mix values a tick apart.
 */
#include <kernel/procfs.h>
#include <kernel/proc.h>
#include <kernel/proc_stat.h>
#include <kernel/percpu.h>
#include <kernel/numa.h>
#include <kernel/sched.h>
#include <kernel/version.h>
#include <kernel/printk.h>
#include <kernel/errno.h>           /* the lab stub's -ENOSYS */
#include <arch/cpuinfo.h>

static void cpu_line(struct pbuf *b, const char *name, const struct cpu_times *t)
{
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	pbuf_printf(b, "%s %lu 0 %lu %lu 0 0 0 0 0 0\n", name, t->user, t->system, t->idle);
}

static int show_stat(struct pbuf *b, void *unused)
{
	struct cpu_times all = { 0 };
	uint64_t intr = 0;
	int cpu;

	for_each_cpu_in(cpu, &cpu_online_mask) {
		struct cpu_times t = acct_cpu_times(cpu);
		all.user += t.user, all.system += t.system, all.idle += t.idle;
		all.ctxt += t.ctxt;
		intr += READ_ONCE(cpus[cpu].ticks);
	}
	cpu_line(b, "cpu ", &all);
	for_each_cpu_in(cpu, &cpu_online_mask) {
		char name[16];
		struct cpu_times t = acct_cpu_times(cpu);
		snprintf(name, sizeof(name), "cpu%d", cpu);
		cpu_line(b, name, &t);
	}
	uint64_t boot_s = (clock_realtime_offset_ns() + 500000000) / 1000000000;
	/* intr: the total only (timer interrupts); procs_blocked: Numbat's
	 * sleeps are all interruptible, so none is counted as D */
	pbuf_printf(b, "intr %lu\nctxt %lu\nbtime %lu\nprocesses %lu\nprocs_running %d\n"
		    "procs_blocked 0\n", intr, all.ctxt, boot_s, acct_total_forks(),
		    acct_nr_running());
	return 0;
}

static int show_uptime(struct pbuf *b, void *unused)
{
/* LAB intro: BEGIN print the seconds since boot and the idle seconds of all CPUs, as Linux */
	uint64_t up = clock_ns() / 10000000, idle = 0;   /* hundredths */
	int cpu;

	for_each_cpu_in(cpu, &cpu_online_mask)
		idle += acct_cpu_times(cpu).idle * (100 / USER_HZ);
	pbuf_printf(b, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
	return 0;
/* LAB intro: END */
/* LAB intro: STUB
	return -ENOSYS;
*/
}

/* Linux's LOAD_INT/LOAD_FRAC, from SI_LOAD_SHIFT fixed point, rounded. */
static void load_print(struct pbuf *b, unsigned long l, const char *end)
{
	l += (1UL << SI_LOAD_SHIFT) / 200;
	pbuf_printf(b, "%lu.%02lu%s", l >> SI_LOAD_SHIFT,
		    ((l & ((1UL << SI_LOAD_SHIFT) - 1)) * 100) >> SI_LOAD_SHIFT, end);
}

static int show_loadavg(struct pbuf *b, void *unused)
{
	unsigned long loads[3];

	loadavg_get(loads);
	load_print(b, loads[0], " ");
	load_print(b, loads[1], " ");
	load_print(b, loads[2], " ");
	pbuf_printf(b, "%d/%d %d\n", acct_nr_running(), proc_count(), proc_last_pid());
	return 0;
}

static int show_cpuinfo(struct pbuf *b, void *unused)
{
	int cpu;

	for_each_cpu_in(cpu, &cpu_online_mask) {
		const struct cpumask *sib = &numa_nodes[cpus[cpu].node].cpus;
		int core = 0, n = 0, c;
		for_each_cpu_in(c, sib) {
			core += c < cpu;
			n++;
		}
		arch_cpuinfo_show(b, cpu, core, n ? n : 1);
	}
	return 0;
}

static int show_version(struct pbuf *b, void *unused)
{
	pbuf_printf(b, "%s version %s (Numbat %s) (gcc) %s\n", UTS_SYSNAME, UTS_RELEASE,
		    NUMBAT_VERSION, UTS_VERSION);
	return 0;
}

static int show_filesystems(struct pbuf *b, void *unused)
{
	pbuf_printf(b, "nodev\tsysfs\nnodev\tproc\nnodev\tdevtmpfs\n\text2\n");
	return 0;
}

void procfs_sys_init(void)
{
	procfs_create_file(procfs_root(), "stat", show_stat, NULL);
	procfs_create_file(procfs_root(), "uptime", show_uptime, NULL);
	procfs_create_file(procfs_root(), "loadavg", show_loadavg, NULL);
	procfs_create_file(procfs_root(), "cpuinfo", show_cpuinfo, NULL);
	procfs_create_file(procfs_root(), "version", show_version, NULL);
	procfs_create_file(procfs_root(), "filesystems", show_filesystems, NULL);
}
