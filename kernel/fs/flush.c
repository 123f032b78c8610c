/*
 * The periodic flush: a kernel thread that writes dirty page-cache pages
 * and file-system metadata back every FLUSH_INTERVAL, so that what programs
 * write reaches the disk even if nobody calls sync (sync, fsync and
 * power-off write back too).
 */
#include <kernel/pcache.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/numa.h>
#include <kernel/printk.h>

#define FLUSH_INTERVAL_NS (5ULL * 1000000000)

static int flush_thread(void *unused)
{
	for (;;) {
		sched_sleep_ns(FLUSH_INTERVAL_NS);
		vfs_sync();
	}
	return 0;
}

void flush_start(void)
{
	if (!kthread_create("flush", flush_thread, NULL, numa_this_node()))
		printk("flush: no memory for the flush thread; writes wait for sync\n");
}
