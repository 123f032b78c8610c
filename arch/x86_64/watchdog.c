/*
 * The watchdog's x86 half (kernel/include/kernel/watchdog.h): the hard
 * lockup check run from every CPU's timer tick, and the report, which
 * collects every other CPU's backtrace by NMI before the machine stops.
 *
 * Each CPU watches its neighbour, the next online CPU (the last watches
 * the first): on every tick it compares the neighbour's tick count with
 * the value it saw last; a count that has not moved for WATCHDOG_SECS of
 * the watcher's own ticks means the neighbour has taken no timer
 * interrupt for that long. One CPU cannot watch itself: a machine with a
 * single CPU has only the spin checks.
 *
 * The report: watchdog_stuck() becomes the panicking CPU (panic_begin,
 * whose NMIs stop the others). Before that it sets nmi_backtrace, so that
 * each NMI'd CPU, in trap_dispatch, waits for its turn (bt_turn), prints
 * where the NMI found it and its backtrace, and only then halts. The
 * reporter gives each CPU up to a second.
 *
 * In GDB: `print watchdog_seen` and `print cpus[N].ticks` show what each
 * CPU saw of its neighbour; `print cpus[N].locks_held` and
 * `cpus[N].chain_held` what CPU N holds.
 */
#include <kernel/watchdog.h>
#include <kernel/percpu.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <arch/timer.h>
#include <arch/trap.h>
#include <arch/irq.h>
#include <stdarg.h>

struct watch {
	uint64_t ticks;             /* the neighbour's count, as last seen */
	uint64_t since;             /* my own count when it last moved */
	int cpu;                    /* the neighbour it was (-1: none yet) */
};

/* Each entry is written only by its own CPU's timer tick. */
struct watch watchdog_seen[MAX_CPUS];

static int world_held;              /* checkers holding the machine still (atomic) */
static bool nmi_backtrace;          /* the panic wants every CPU's backtrace */
static int bt_turn = -1;            /* the CPU whose turn it is to print */
static bool bt_done[MAX_CPUS];

/* The next online CPU after me, wrapping; -1 if I am alone. */
static int neighbour(int me)
{
	for (int i = 1; i < nr_cpus; i++) {
		int cpu = (me + i) % nr_cpus;
		if (cpumask_test(&cpu_online_mask, cpu))
			return cpu;
	}
	return -1;
}

/* Timer interrupt (interrupts off): has my neighbour ticked lately? */
void watchdog_tick(void)
{
	struct cpu *c = this_cpu();
	struct watch *w = &watchdog_seen[c->id];
	int n = neighbour(c->id);

	if (n < 0 || panic_in_progress())
		return;
	uint64_t t = READ_ONCE(cpus[n].ticks);
	if (n != w->cpu || t != w->ticks || !t) {   /* !t: its timer not started */
		w->cpu = n;
		w->ticks = t;
		w->since = c->ticks;
		return;
	}
	if (c->ticks - w->since >= (uint64_t)WATCHDOG_SECS * HZ)
		watchdog_stuck("watchdog: cpu %d stuck with interrupts off for %d s "
			       "(no timer tick; seen by cpu %d)", n, WATCHDOG_SECS, c->id);
}

void watchdog_hold_world(bool hold)
{
	__atomic_add_fetch(&world_held, hold ? 1 : -1, __ATOMIC_SEQ_CST);
}

bool watchdog_spun_too_long(uint64_t *start)
{
	struct cpu *c = this_cpu();

	if (!c || !c->ticks || panic_in_progress())
		return false;           /* no calibrated clock yet, or stopping */
	uint64_t now = clock_ns();
	if (!*start)
		*start = now;
	uint64_t secs = READ_ONCE(world_held) ? WATCHDOG_HELD_SECS : WATCHDOG_SECS;
	return now - *start >= secs * 1000000000;
}

void watchdog_retry(uint64_t *start, const char *what, uint64_t pfn)
{
	struct cpu *c = this_cpu();

	if (!c || !c->ticks || panic_in_progress())
		return;
	uint64_t now = clock_ns();
	if (!*start)
		*start = now;
	uint64_t secs = READ_ONCE(world_held) ? WATCHDOG_HELD_SECS : WATCHDOG_RETRY_SECS;
	if (now - *start >= secs * 1000000000)
		watchdog_stuck("watchdog: cpu %d retried %s of pfn %lx for %lu s", c->id, what,
			       pfn, (now - *start) / 1000000000);
}

/* Let each other online CPU print its backtrace, one at a time. */
static void collect_backtraces(void)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		if (cpu == this_cpu_id() || !cpumask_test(&cpu_online_mask, cpu))
			continue;
		__atomic_store_n(&bt_turn, cpu, __ATOMIC_SEQ_CST);
		for (int ms = 0; ms < 1000 && !READ_ONCE(bt_done[cpu]); ms++)
			udelay(1000);
		if (!READ_ONCE(bt_done[cpu]))
			printk("NMI backtrace of cpu %d: no answer\n", cpu);
	}
}

__noreturn void watchdog_stuck(const char *fmt, ...)
{
	va_list ap;

	__atomic_store_n(&nmi_backtrace, true, __ATOMIC_SEQ_CST);
	panic_begin();
	va_start(ap, fmt);
	panic_print(fmt, ap);
	va_end(ap);
	collect_backtraces();
	panic_end();
}

/* An NMI during a panic (trap_dispatch): print this CPU's backtrace if the
 * panic asked for it, then stop. */
__noreturn void watchdog_nmi(const struct trap_frame *tf)
{
	int me = this_cpu_id();

	if (__atomic_load_n(&nmi_backtrace, __ATOMIC_SEQ_CST)) {
		for (uint64_t spins = 0; READ_ONCE(bt_turn) != me; spins++)
			if (spins > (1UL << 32))
				panic_stop_this_cpu();   /* the reporter is gone */
		printk("NMI backtrace of cpu %d (%s mode, interrupts %s):\n", me,
		       tf->cs & 3 ? "user" : "kernel", tf->rflags & 0x200 ? "on" : "off");
		char locks[160];
		spin_describe(locks, sizeof(locks));
		if (locks[0])
			printk("  %s\n", locks);
		if (tf->cs & 3)                  /* a user stack is not ours to walk */
			printk("RIP: 0x%016lx (user)\n", tf->rip);
		else
			trap_print_backtrace(tf);
		__atomic_store_n(&bt_done[me], true, __ATOMIC_SEQ_CST);
	}
	panic_stop_this_cpu();
}
