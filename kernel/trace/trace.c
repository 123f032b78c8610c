/*
 * The memory-system trace (trace.h): per-CPU rings of records, and the
 * tracefs-like files under /sys/kernel/tracing.
 *
 *   struct cpu.trace --> struct trace_ring
 *                        | lock | head | read | rec[TRACE_RING] ...
 *                                   |       `-- trace_pipe has consumed up to here
 *                                   `-- records written (rec[head % TRACE_RING] is next)
 *
 * A full ring overwrites its oldest records (read moves up with them).
 * The rings are allocated, on each CPU's node, the first time an event is
 * turned on.
 */
#include <kernel/trace.h>
#include <kernel/migrate.h>
#include <kernel/percpu.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/sched.h>
#include <kernel/slab.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/errno.h>

#define TRACE_RING 2048              /* records per CPU */

struct trace_rec {
	uint64_t ns;                     /* clock_ns() when it happened */
	uint64_t a[3];
	int32_t pid;
	uint16_t event;
	uint16_t cpu;
	char comm[PROC_NAME_MAX];
};

struct trace_ring {
	struct spinlock lock;            /* head, read, rec[] (interrupts off) */
	uint64_t head, read;
	struct trace_rec rec[TRACE_RING];
};

struct trace_event_desc {
	const char *system, *name;
};

static const struct trace_event_desc events[NR_TRACE_EVENTS] = {
	[TRACE_PAGE_FAULT_USER] = { "exceptions", "page_fault_user" },
	[TRACE_MM_FAULT] = { "numbat", "mm_fault" },
	[TRACE_MIGRATE_PAGES] = { "migrate", "mm_migrate_pages" },
	[TRACE_MIGRATE_PAGE] = { "numbat", "migrate_page" },
	[TRACE_KSWAPD_WAKE] = { "vmscan", "mm_vmscan_kswapd_wake" },
	[TRACE_SWAP_OUT] = { "numbat", "swap_out" },
	[TRACE_SWAP_IN] = { "numbat", "swap_in" },
};

bool trace_enabled[NR_TRACE_EVENTS];

void trace_record(enum trace_event_id id, uint64_t a, uint64_t b, uint64_t c)
{
	struct cpu *cpu = this_cpu();
	struct trace_ring *r = cpu->trace;
	struct proc *p = current;

	if (!r)
		return;
	uint64_t flags = spin_lock_irqsave(&r->lock);
	struct trace_rec *t = &r->rec[r->head % TRACE_RING];
	*t = (struct trace_rec){ clock_ns(), { a, b, c }, p ? p->pid : 0, (uint16_t)id,
				 (uint16_t)cpu->id, "" };
	strlcpy(t->comm, p ? p->name : "<idle>", sizeof(t->comm));
	if (++r->head - r->read > TRACE_RING)
		r->read = r->head - TRACE_RING;
	spin_unlock_irqrestore(&r->lock, flags);
}

/* Give every CPU its ring (on its node), once: a ring is installed with a
 * compare-and-swap, so two CPUs enabling events at once cannot both give
 * one. -ENOMEM if some CPU has none. */
static int rings_alloc(void)
{
	for (int c = 0; c < nr_cpus; c++) {
		if (READ_ONCE(cpus[c].trace))
			continue;
		struct trace_ring *r = kmalloc_node(sizeof(*r), cpus[c].node), *none = NULL;
		if (!r)
			return -ENOMEM;
		memset(r, 0, sizeof(*r));
		spin_init(&r->lock, "trace");
		if (!__atomic_compare_exchange_n(&cpus[c].trace, &none, r, false,
						 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			kfree(r);
	}
	return 0;
}

/* "system:event" matched by a pattern ("system:*", "*:*", or exact). */
static bool matches(const struct trace_event_desc *e, const char *pat)
{
	const char *colon = strchr(pat, ':');
	size_t slen = colon ? (size_t)(colon - pat) : strlen(pat);
	const char *name = colon ? colon + 1 : "*";

	bool sys_ok = (slen == 1 && pat[0] == '*') ||
		      (strlen(e->system) == slen && !memcmp(e->system, pat, slen));
	return sys_ok && (!strcmp(name, "*") || !strcmp(name, e->name));
}

int trace_set(const char *name, bool on)
{
	int n = 0;

	if (on && rings_alloc())
		return 0;
	for (int i = 0; i < NR_TRACE_EVENTS; i++)
		if (matches(&events[i], name)) {
			WRITE_ONCE(trace_enabled[i], on);
			n++;
		}
	return n;
}

/* ------------------------------------------------------------ formatting */

static const char *const fault_kinds[] = {
	"anon", "file", "cow", "reuse", "migration_wait", "swap", "numa_hint",
};

/* The event's fields, as Linux prints them where Linux has the event. */
static void format_fields(char *buf, size_t size, const struct trace_rec *t)
{
	const uint64_t *a = t->a;

	switch (t->event) {
	case TRACE_PAGE_FAULT_USER:
		snprintf(buf, size, "address=0x%lx ip=0x%lx error_code=0x%lx", a[0], a[1], a[2]);
		break;
	case TRACE_MM_FAULT:
		snprintf(buf, size, "address=0x%lx kind=%s pfn=0x%lx", a[0],
			 a[1] < ARRAY_SIZE(fault_kinds) ? fault_kinds[a[1]] : "?", a[2]);
		break;
	case TRACE_MIGRATE_PAGES:
		snprintf(buf, size, "nr_succeeded=%lu nr_failed=%lu mode=MIGRATE_SYNC reason=%s",
			 a[0], a[1], migrate_reason_name(a[2]));
		break;
	case TRACE_MIGRATE_PAGE:
		snprintf(buf, size, "pfn=0x%lx new_pfn=0x%lx from=%lu to=%lu reason=%s", a[0], a[1],
			 a[2] & 0xffff, a[2] >> 16 & 0xffff, migrate_reason_name(a[2] >> 32));
		break;
	case TRACE_KSWAPD_WAKE:
		snprintf(buf, size, "nid=%lu free=%lu low=%lu", a[0], a[1], a[2]);
		break;
	case TRACE_SWAP_OUT:
	case TRACE_SWAP_IN:
		snprintf(buf, size, "pfn=0x%lx type=%lu offset=%lu node=%lu", a[0],
			 a[1] >> 58, a[1] & ((1UL << 58) - 1), a[2]);
		break;
	default:
		snprintf(buf, size, "?");
	}
}

/* One line of `trace` or `trace_pipe`, Linux's layout:
 *          cat-7       [001] .....    12.345678: page_fault_user: address=... */
static int format_line(char *buf, size_t size, const struct trace_rec *t)
{
	char fields[128];

	format_fields(fields, sizeof(fields), t);
	return snprintf(buf, size, "%16s-%-7d [%03u] ..... %5lu.%06lu: %s: %s\n", t->comm,
			t->pid, t->cpu, t->ns / 1000000000, t->ns / 1000 % 1000000,
			events[t->event].name, fields);
}

/* ------------------------------------------------------------ reading */

/* The oldest record not yet consumed, over all CPUs: its ring, or NULL. */
static struct trace_ring *oldest(struct trace_rec *out, const uint64_t *from)
{
	struct trace_ring *best = NULL;

	for (int c = 0; c < nr_cpus; c++) {
		struct trace_ring *r = READ_ONCE(cpus[c].trace);
		if (!r)
			continue;
		uint64_t f = spin_lock_irqsave(&r->lock);
		uint64_t pos = from ? MAX(from[c], r->read) : r->read;
		bool some = pos < r->head;
		struct trace_rec t = some ? r->rec[pos % TRACE_RING] : (struct trace_rec){ 0 };
		spin_unlock_irqrestore(&r->lock, f);
		if (some && (!best || t.ns < out->ns)) {
			*out = t;
			best = r;
		}
	}
	return best;
}

/* `trace`: every record kept, oldest first, after Linux's header. */
static int show_trace(struct pbuf *b, void *unused)
{
	uint64_t from[MAX_CPUS] = { 0 }, kept = 0, written = 0;
	struct trace_rec t;
	char line[256];

	for (int c = 0; c < nr_cpus; c++) {
		struct trace_ring *r = READ_ONCE(cpus[c].trace);
		if (r) {
			uint64_t f = spin_lock_irqsave(&r->lock);
			from[c] = r->read;
			kept += r->head - r->read;
			written += r->head;
			spin_unlock_irqrestore(&r->lock, f);
		}
	}
	pbuf_printf(b, "# tracer: nop\n#\n# entries-in-buffer/entries-written: %lu/%lu   #P:%d\n#\n",
		    kept, written, nr_cpus);
	pbuf_printf(b, "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n");
	pbuf_printf(b, "#              | |         |   |||||     |         |\n");
	for (struct trace_ring *r; (r = oldest(&t, from)) && !b->overflow;) {
		from[t.cpu]++;
		format_line(line, sizeof(line), &t);
		pbuf_printf(b, "%s", line);
	}
	return 0;
}

/* A write to `trace` clears every ring (Linux: `echo > trace`). */
static int clear_trace(void *unused, const char *buf, size_t len)
{
	for (int c = 0; c < nr_cpus; c++) {
		struct trace_ring *r = READ_ONCE(cpus[c].trace);
		if (r) {
			uint64_t f = spin_lock_irqsave(&r->lock);
			r->read = r->head;
			spin_unlock_irqrestore(&r->lock, f);
		}
	}
	return 0;
}

/* Consume the record t of ring r, if it is still the oldest there. */
static void consume(struct trace_ring *r, const struct trace_rec *t)
{
	uint64_t f = spin_lock_irqsave(&r->lock);

	if (r->read < r->head && r->rec[r->read % TRACE_RING].ns == t->ns)
		r->read++;
	spin_unlock_irqrestore(&r->lock, f);
}

/* `trace_pipe`: whole lines of records not read yet, consumed; 0 when
 * there is none (or the first line does not fit in the reader's buffer). */
static ssize_t read_pipe(void *unused, struct uio *u, uint64_t pos)
{
	struct trace_rec t;
	struct trace_ring *r;
	char line[256];
	ssize_t done = 0;

	while ((r = oldest(&t, NULL))) {
		int n = format_line(line, sizeof(line), &t);
		if ((size_t)n > u->resid)
			break;
		ssize_t c = uio_copy_out(u, line, (size_t)n);
		if (c < n)
			return done ? done : (c < 0 ? c : -EFAULT);
		consume(r, &t);
		done += c;
	}
	return done;
}

/* ------------------------------------------------------------ settings */

static int show_enable(struct pbuf *b, void *data)
{
	int id = (int)(uint64_t)data, on = 0, n = 0;

	for (int i = 0; i < NR_TRACE_EVENTS; i++)
		if (id < 0 || i == id) {
			on += READ_ONCE(trace_enabled[i]);
			n++;
		}
	pbuf_printf(b, "%s\n", on == 0 ? "0" : on == n ? "1" : "X");
	return 0;
}

static int write_enable(void *data, const char *buf, size_t len)
{
	int id = (int)(uint64_t)data;
	char name[64];

	if (buf[0] != '0' && buf[0] != '1')
		return -EINVAL;
	if (id < 0)
		strlcpy(name, "*:*", sizeof(name));
	else
		snprintf(name, sizeof(name), "%s:%s", events[id].system, events[id].name);
	return trace_set(name, buf[0] == '1') ? 0 : -ENOMEM;
}

/* events/<system>/<event>/enable, one directory per system. */
static void make_event_files(struct procfs_entry *evdir)
{
	struct procfs_entry *sysdir[NR_TRACE_EVENTS];

	for (int i = 0; i < NR_TRACE_EVENTS; i++) {
		int j = 0;
		while (j < i && strcmp(events[j].system, events[i].system))
			j++;
		sysdir[i] = j < i ? sysdir[j] : procfs_mkdir(evdir, events[i].system);
		struct procfs_entry *ev = sysdir[i] ? procfs_mkdir(sysdir[i], events[i].name) : NULL;
		if (ev)
			procfs_create_rw(ev, "enable", show_enable, write_enable, (void *)(uint64_t)i);
	}
	procfs_create_rw(evdir, "enable", show_enable, write_enable, (void *)(uint64_t)-1);
}

/* trace_event=a:b,c:* on the kernel command line. */
static void boot_events(const char *opt)
{
	char name[64];

	while (opt && *opt) {
		const char *comma = strchr(opt, ',');
		size_t len = comma ? (size_t)(comma - opt) : strlen(opt);
		strlcpy(name, opt, MIN(len + 1, sizeof(name)));
		if (!trace_set(name, true))
			printk("trace: no event '%s'\n", name);
		opt += len + (opt[len] == ',');
	}
}

void trace_init(void)
{
	struct procfs_entry *kern = procfs_mkdir(sysfs_root(), "kernel");
	struct procfs_entry *dir = kern ? procfs_mkdir(kern, "tracing") : NULL;
	struct procfs_entry *evdir = dir ? procfs_mkdir(dir, "events") : NULL;

	if (evdir) {
		make_event_files(evdir);
		procfs_create_rw(dir, "trace", show_trace, clear_trace, NULL);
		procfs_create_raw(dir, "trace_pipe", read_pipe, NULL);
	}
	boot_events(cmdline_get("trace_event"));
}
