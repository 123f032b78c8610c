/*
 * A trace of what the memory system does: a ring buffer per CPU of events
 * named as Linux's tracepoints are (where Linux has the same event), read
 * as Linux's tracefs files are read:
 *
 *   /sys/kernel/tracing/events/<system>/<event>/enable   0 or 1 (write to change)
 *   /sys/kernel/tracing/events/enable                    every event at once
 *   /sys/kernel/tracing/trace        every record kept, oldest first (a write clears)
 *   /sys/kernel/tracing/trace_pipe   records not read yet, consumed as read
 *                                    (returns 0 when none is left: Linux's waits)
 *
 * or from the boot: trace_event=migrate:mm_migrate_pages,numbat:* (Linux's
 * option). A disabled event costs one load and one branch where it is
 * placed: trace_event() tests trace_enabled[] and calls nothing.
 *
 * Events (arguments a, b, c of trace_record):
 *   exceptions:page_fault_user  address, ip, error_code     (Linux's)
 *   numbat:mm_fault             address, kind, pfn          (Numbat's: kind anon, file,
 *                                                            cow, reuse, migration_wait,
 *                                                            swap, numa_hint)
 *   migrate:mm_migrate_pages    succeeded, failed, reason   (Linux's)
 *   numbat:migrate_page         old pfn, new pfn,           (Numbat's)
 *                               TRACE_MIGRATE_WHERE(from node, to node, reason)
 *
 * Locking: each ring has its own spinlock, taken with interrupts off; a
 * record is written by its own CPU only. No sleep, no user copy under it.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <kernel/types.h>

enum trace_event_id {
	TRACE_PAGE_FAULT_USER,
	TRACE_MM_FAULT,
	TRACE_MIGRATE_PAGES,
	TRACE_MIGRATE_PAGE,
	TRACE_KSWAPD_WAKE,
	TRACE_SWAP_OUT,
	TRACE_SWAP_IN,
	NR_TRACE_EVENTS
};

/* The kinds of numbat:mm_fault. */
enum trace_fault_kind {
	TRACE_FAULT_ANON, TRACE_FAULT_FILE, TRACE_FAULT_COW, TRACE_FAULT_REUSE,
	TRACE_FAULT_MIGRATION_WAIT, TRACE_FAULT_SWAP, TRACE_FAULT_NUMA,
};

/* numbat:migrate_page's third argument: where from, where to, and why
 * (enum migrate_reason, kernel/migrate.h). */
#define TRACE_MIGRATE_WHERE(from, to, reason) \
	((uint64_t)(from) | (uint64_t)(to) << 16 | (uint64_t)(reason) << 32)

/* Which events are on: a system-wide setting (tracefs files, trace_event=). */
extern bool trace_enabled[NR_TRACE_EVENTS];

void trace_record(enum trace_event_id id, uint64_t a, uint64_t b, uint64_t c);

#define trace_event(id, a, b, c)                                              \
	do {                                                                  \
		if (unlikely(READ_ONCE(trace_enabled[id])))                   \
			trace_record(id, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c)); \
	} while (0)

/* Boot, after sysfs: the tracefs files and the trace_event= option. */
void trace_init(void);
/* Turn events on or off by a Linux-style name ("system:event",
 * "system:*", "*:*"); returns how many events the name matched. */
int trace_set(const char *name, bool on);

#endif
