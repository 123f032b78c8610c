/*
 * Automatic NUMA balancing (numa_balancing.h): the scanner, the hint
 * fault, the decision, and one migration daemon (kmigrated/N) per node.
 *
 * A page's life under balancing, for a process running on node 1 whose
 * page sits on node 0:
 *
 *   scanner (the process itself, at a return to user mode, once a period)
 *      PTE  [frame | A D U W P=1]  ->  [frame | A D U W | NUMA | P=0]
 *      (pages already on the scanning CPU's node are left alone, as Linux
 *      does for a single-threaded process: they cannot be better placed;
 *      a process with threads has them marked too, as on Linux, since
 *      another thread may use them from another node)
 *   the process touches the page: a NUMA-hint fault
 *      PTE back to present; numa_hint_faults++ on node 1;
 *      page->last_nid: was 1 (or never set)?  -> queue it for kmigrated/1
 *                      was 0?                 -> only remember 1
 *   kmigrated/1 takes up to MIGRATE_BATCH queued pages and moves them
 *      with migrate_pages_batch (through the reverse map, one TLB
 *      shootdown per batch); numa_pages_migrated++ on node 1.
 *
 * The two-fault filter (move a page only when the same node faulted on it
 * twice in a row) keeps a page used from two nodes from bouncing; a page
 * mapped by several processes moves only if every process that maps it
 * last ran on the target node (found through its pte_chain). A page
 * against its memory policy, a node without free memory, or a node over
 * its rate limit (numa_balancing_promote_rate_limit_MBps) never gets it.
 *
 * Task placement: when a window finds most (2/3) of the process's present
 * pages on another node whose CPUs its affinity allows, the process is
 * moved there instead (numa_task_migrated), and its pages stay.
 *
 * The period adapts as Linux's numa_scan_period does: doubled (up to
 * scan_period_max_ms) after a window whose hint faults were all local or
 * that had none, halved (down to scan_period_min_ms) otherwise, and back
 * to the minimum at once when the process runs on another node than at its
 * last window.
 *
 * Locking: a kmigrated's lock protects its queue and rate window; it is
 * taken under mm->lock (by the hint fault), never the other way round.
 */
#include <kernel/numa_balancing.h>
#include <kernel/numa.h>
#include <kernel/mm.h>
#include <kernel/rmap.h>
#include <kernel/migrate.h>
#include <kernel/pmm.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/percpu.h>
#include <kernel/procfs.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/vmstat.h>
#include <kernel/replicate.h>
#include <kernel/mempolicy.h>

struct numab_settings numab = {
	.enabled = 0,
	.scan_delay_ms = 1000,
	.scan_period_min_ms = 1000,
	.scan_period_max_ms = 60000,
	.scan_size_mb = 256,
	.rate_limit_mbps = 1024,
};

#define KMIGRATED_QUEUE 1024          /* pages waiting per node */
#define KMIGRATED_POLL_NS 10000000ULL /* 10 ms: the daemon looks at its queue */
#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL

struct kmigrated {
	struct spinlock lock;         /* protects q, head, n, window_* */
	struct page *q[KMIGRATED_QUEUE];  /* each with a reference, PG_numa_queued */
	int head, n;
	uint64_t window_start;        /* clock_ns of this second's start */
	uint64_t window_pages;        /* pages queued in it (the rate limit) */
	int wanted;                   /* atomic: pages are waiting, wake it */
	struct proc *task;
};

static int kick_pending;              /* atomic: some node's wanted is set */

/* ------------------------------------------------------------ the queue */

/* Free memory on nid above its high watermark: it may take pages. */
static bool node_has_room(int nid)
{
	struct numa_node *n = &numa_nodes[nid];

	return READ_ONCE(n->free_pages) > n->wmark_high;
}

/* Room in this second's budget for one more page (k->lock held). */
static bool within_rate(struct kmigrated *k)
{
/* LAB numa: BEGIN the rate limit: a new one-second window when this one is over; room for one more page in it? */
	uint64_t now = clock_ns();

	if (now - k->window_start >= NS_PER_S) {
		k->window_start = now;
		k->window_pages = 0;
	}
	return k->window_pages < (uint64_t)READ_ONCE(numab.rate_limit_mbps) << (20 - PAGE_SHIFT);
/* LAB numa: END */
/* LAB numa: STUB
	panic("lab numa: within_rate() is not written yet (docs/labs/numa.md)");
*/
}

/* Queue p (mapped: its refcount is held by a PTE under mm->lock) for
 * node nid's daemon, unless it is queued already, the queue is full or
 * the node is over its rate. */
static void queue_page(struct page *p, int nid)
{
/* LAB numa: BEGIN queue p for nid's daemon once (PG_numa_queued), with a reference, within the queue and the rate; wake it */
	struct kmigrated *k = numa_nodes[nid].kmigrated;

	if (!k || (__atomic_fetch_or(&p->flags, PG_numa_queued, __ATOMIC_ACQ_REL) &
		   PG_numa_queued))
		return;
	spin_lock(&k->lock);
	bool ok = k->n < KMIGRATED_QUEUE && within_rate(k);
	if (ok) {
		get_page(p);
		k->q[(k->head + k->n++) % KMIGRATED_QUEUE] = p;
		k->window_pages++;
	}
	spin_unlock(&k->lock);
	if (!ok) {
		page_clear_flag(p, PG_numa_queued);
		return;
	}
	__atomic_store_n(&k->wanted, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&kick_pending, 1, __ATOMIC_RELEASE);
/* LAB numa: END */
/* LAB numa: STUB
	(void)within_rate;
	panic("lab numa: queue_page() is not written yet (pfn %lx for node %d, docs/labs/numa.md)",
	      page_to_pfn(p), nid);
*/
}

/* After a fault, no lock held (numa_balancing.h). */
void numab_kick(void)
{
	int nid;

	if (!__atomic_load_n(&kick_pending, __ATOMIC_ACQUIRE) ||
	    !__atomic_exchange_n(&kick_pending, 0, __ATOMIC_ACQ_REL))
		return;
	for_each_online_node(nid) {
		struct kmigrated *k = numa_nodes[nid].kmigrated;
		if (!k || !READ_ONCE(k->wanted))
			continue;
		sched_wakeup(k->task);
		/* Half full, and its daemon shares this CPU: let it run now,
		 * rather than drop the pages the rest of the window queues. */
		if (READ_ONCE(k->n) >= KMIGRATED_QUEUE / 2 && READ_ONCE(k->task->cpu) == this_cpu_id())
			sched_yield();
	}
}

/* LAB numa: BEGIN the daemon: take queued pages a batch at a time, migrate those its node has room for, give each back its flag and reference */
/* Up to max pages off k's queue. */
static int take(struct kmigrated *k, struct page **out, int max)
{
	int n = 0;

	spin_lock(&k->lock);
	while (n < max && k->n) {
		out[n++] = k->q[k->head];
		k->head = (k->head + 1) % KMIGRATED_QUEUE;
		k->n--;
	}
	spin_unlock(&k->lock);
	return n;
}

/* The daemon of node n: migrate what is queued for it, a batch at a time. */
static int kmigrated(void *arg)
{
	struct numa_node *n = arg;
	struct kmigrated *k = n->kmigrated;
	struct page *batch[MIGRATE_BATCH];
	int status[MIGRATE_BATCH];

	for (;;) {
		if (!__atomic_exchange_n(&k->wanted, 0, __ATOMIC_ACQ_REL))
			sched_sleep_ns(KMIGRATED_POLL_NS);
		int cnt;
		while ((cnt = take(k, batch, MIGRATE_BATCH)) > 0) {
			int moved = node_has_room(n->id) ?
				migrate_pages_batch(batch, cnt, n->id, MR_NUMA_MISPLACED, status) : 0;
			count_node_event(n->id, NUMA_PAGES_MIGRATED, moved);
			for (int i = 0; i < cnt; i++) {
				page_clear_flag(batch[i], PG_numa_queued);
				page_release(batch[i]);
			}
		}
	}
	return 0;
}
/* LAB numa: END */
/* LAB numa: STUB
static int kmigrated(void *arg)
{
	struct numa_node *n = arg;

	for (;;) {
		if (__atomic_exchange_n(&n->kmigrated->wanted, 0, __ATOMIC_ACQ_REL))
			panic("lab numa: kmigrated() does not migrate yet (node %d, docs/labs/numa.md)",
			      n->id);
		sched_sleep_ns(KMIGRATED_POLL_NS);
	}
	return 0;
}
*/

/* ------------------------------------------------------------ the hint fault */

/* LAB numa: BEGIN does a process that maps p run on another node than to? Ask each mapping through the reverse map */
struct elsewhere {
	int to;
	bool other;
};

static bool home_elsewhere(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va,
			   void *arg)
{
	struct elsewhere *e = arg;
	int home = READ_ONCE(mm->numa_home);

	e->other |= home != NUMA_NO_NODE && home != e->to;
	return false;
}

/* Some other process that maps p last ran on a node other than to: the
 * page is shared across nodes and stays. The caller holds mm->lock (the
 * hint fault's). Where the mappers cannot all be seen (rmap=scan has no
 * walk under an mm->lock; a busy mm->lock under rmap=obj), a shared page
 * stays. */
static bool used_elsewhere(struct mm *mm, struct page *p, int to)
{
	struct elsewhere e = { to, false };

	return rmap_walk_peek(p, mm, home_elsewhere, &e) != RMAP_SUCCESS || e.other;
}
/* LAB numa: END */
/* LAB numa: STUB
static bool used_elsewhere(struct mm *mm, struct page *p, int to)
{
	panic("lab numa: used_elsewhere() is not written yet (pfn %lx, docs/labs/numa.md)",
	      page_to_pfn(p));
}
*/

/* May p (mapped in v) move to node to? */
static bool may_move(struct vma *v, struct page *p, int to)
{
/* LAB numa: BEGIN a page that may move to node to: anonymous or page cache, allowed by the VMA's policy, room there, nobody else using it from elsewhere */
	if (!(p->flags & (PG_anon | PG_pcache)) || (p->flags & (PG_reserved | PG_replica)))
		return false;
	if (!mpol_allows_node(v, to) || !node_has_room(to))
		return false;
	return READ_ONCE(p->mapcount) <= 1 || !used_elsewhere(v->mm, p, to);
/* LAB numa: END */
/* LAB numa: STUB
	(void)node_has_room;
	panic("lab numa: may_move() is not written yet (pfn %lx to node %d, docs/labs/numa.md)",
	      page_to_pfn(p), to);
*/
}

/* Could p, mapped in v, be replicated: a page of a read-only file
 * mapping, or an anonymous page of a private mapping that fork left
 * shared copy-on-write (replicate.c says which exactly)? */
static bool replica_kind(struct vma *v, struct page *p)
{
	if (p->flags & PG_pcache)
		return v->inode && !(v->prot & PROT_WRITE);
	return (p->flags & PG_anon) && !(v->flags & MAP_SHARED) &&
	       READ_ONCE(p->mapcount) > 1;
}

/* A page that another node uses too gets a replica on this node instead
 * of moving (replicate.c). */
static bool want_replica(struct vma *v, struct page *p, int last, int here)
{
	if (!READ_ONCE(numab.replicate) || !replica_kind(v, p))
		return false;
	return (last != NUMA_NO_NODE && last != here) ||
	       (READ_ONCE(p->mapcount) > 1 && used_elsewhere(v->mm, p, here));
}

void numab_hint_fault(struct mm *mm, struct vma *v, uint64_t va, pte_t *ptep)
{
/* LAB numa: BEGIN the PTE back to present; count the fault, local or remote; the two-fault rule: queue the page (or replicate it) when the same node faulted twice */
	pte_t pte = *ptep;
	struct page *p = pfn_to_page(pte_pfn(pte));
	int here = numa_this_node();

	*ptep = pte_mknonnuma(pte);          /* not present: no TLB entry to fix */
	count_node_event(here, NUMA_HINT_FAULTS, 1);
	WRITE_ONCE(mm->numa_home, here);
	if (!p)
		return;
	if (p->node == here) {
		count_node_event(here, NUMA_HINT_FAULTS_LOCAL, 1);
		mm->numa_faults_local++;
		page_xchg_last_nid(p, here);
		return;
	}
	mm->numa_faults_remote++;
	int last = page_xchg_last_nid(p, here);
	if (want_replica(v, p, last, here))
		replica_map(mm, ptep, p, here);
	else if ((last == NUMA_NO_NODE || last == here) && may_move(v, p, here))
		queue_page(p, here);
/* LAB numa: END */
/* LAB numa: STUB
	(void)want_replica;
	(void)may_move;
	(void)queue_page;
	panic("lab numa: numab_hint_fault() is not written yet (va %lx, docs/labs/numa.md)", va);
*/
}

/* ------------------------------------------------------------ the scanner */

struct window {
	struct vma *v;
	int here;                     /* the scanning CPU's node */
	bool skip_here;               /* leave pages on `here` alone: one thread */
	uint64_t marked, limit;       /* PTEs made hint entries / at most */
	uint64_t seen;                /* PTEs looked at: at most 8 * limit, as
					 Linux bounds the address range too */
	uint64_t stop;                /* where a limit was reached */
	uint64_t present[MAX_NODES];  /* present pages seen, by node */
};

/* Whether the scanner looks at v: not PROT_NONE, and not a read-only
 * file mapping (program text and libraries, as Linux skips them) unless
 * such pages may be replicated. */
static bool scannable(const struct vma *v)
{
	if (v->prot == PROT_NONE)
		return false;
	return !v->inode || (v->prot & PROT_WRITE) || READ_ONCE(numab.replicate);
}


/* One PTE: count its page's node; make it a hint entry if the page is
 * remote (or, in a process with several threads, anywhere: another
 * thread may run elsewhere) and not a copy-on-write page shared with
 * another process (it cannot move: other processes use it; unless it may
 * be replicated). */
static void mark_one(struct window *w, pte_t *ptep)
{
	pte_t pte = READ_ONCE(*ptep);

	if (!pte_present(pte) || pte_protnone(pte) || pte_numa(pte))
		return;
	struct page *p = pfn_to_page(pte_pfn(pte));
	if (!p || !(p->flags & (PG_anon | PG_pcache)))
		return;
	w->present[p->node]++;
	if (p->node == w->here && w->skip_here)
		return;
	if ((p->flags & PG_anon) && !(w->v->flags & MAP_SHARED) && READ_ONCE(p->mapcount) > 1 &&
	    !READ_ONCE(numab.replicate))
		return;
	/* the CPU may set A or D meanwhile: only replace what we read */
	if (__atomic_compare_exchange_n(ptep, &pte, pte_mknuma(pte), false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		w->marked++;
}

/* pgtable_range callback: a leaf table's slots for [va, next). */
static int mark_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next, void *arg)
{
	struct window *w = arg;

	for (uint64_t a = va; a < next; a += PAGE_SIZE, ptep++) {
		mark_one(w, ptep);
		if (w->marked >= w->limit || ++w->seen >= 8 * w->limit) {
			w->stop = a + PAGE_SIZE;
			return 1;
		}
	}
	return 0;
}

/* Mark a window of mm from mm->numa_scan_offset (mm->lock held); the
 * offset moves past it, back to 0 after the last VMA. */
static void mark_window(struct mm *mm, struct window *w)
{
	uint64_t start = mm->numa_scan_offset;
	struct list_head *l;

	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);
		if (v->end <= start || !scannable(v))
			continue;
		w->v = v;
		uint64_t from = MAX(start, v->start);
		if (pgtable_range(mm, from, v->end, mark_table, w)) {
			mm->numa_scan_offset = w->stop;  /* the next window goes on there */
			return;
		}
	}
	mm->numa_scan_offset = 0;
}

/* The period for the next window, from the faults of the last one. */
static uint32_t next_period(struct mm *mm)
{
	uint32_t lo = READ_ONCE(numab.scan_period_min_ms), hi = READ_ONCE(numab.scan_period_max_ms);
	uint32_t period = mm->numa_scan_period ? mm->numa_scan_period : lo;

	if (mm->numa_scan_node != numa_this_node())
		period = lo;                      /* it moved: look again soon */
	else if (mm->numa_faults_remote == 0)
		period = period * 2;              /* all local, or nothing to learn */
	else
		period = period / 2;
	mm->numa_faults_local = mm->numa_faults_remote = 0;
	return MIN(MAX(period, lo), MAX(hi, lo));
}

/* Task placement: the node holding 2/3 of the pages the window saw, if
 * it is not this one and the process may run there; or -1. */
static int better_node(const struct window *w)
{
	uint64_t total = 0;
	int best = w->here, nid;

	for_each_online_node(nid) {
		total += w->present[nid];
		if (w->present[nid] > w->present[best])
			best = nid;
	}
	if (best == w->here || total < 64 || w->present[best] * 3 < total * 2)
		return NUMA_NO_NODE;
	return (current->affinity.bits & numa_nodes[best].cpus.bits) ? best : NUMA_NO_NODE;
}

/* The scanner's turn for the running process. */
static void scan(struct mm *mm, uint64_t now)
{
	struct window w = { .here = numa_this_node() };

	/* As Linux (mm_users == 1): only a process alone in its mm can be
	 * sure that a page on its own node is well placed. */
	w.skip_here = __atomic_load_n(&mm->users, __ATOMIC_RELAXED) == 1;

	mm->numa_scan_period = next_period(mm);
	mm->numa_scan_node = w.here;
	WRITE_ONCE(mm->numa_home, w.here);
	w.limit = (uint64_t)READ_ONCE(numab.scan_size_mb) << (20 - PAGE_SHIFT);
	spin_lock(&mm->lock);
	mark_window(mm, &w);
	spin_unlock(&mm->lock);
	if (w.marked) {
		mm_flush_tlb_all(mm);              /* one shootdown for the window */
		count_node_event(w.here, NUMA_PTE_UPDATES, w.marked);
	}
	mm->numa_next_scan = now + mm->numa_scan_period * NS_PER_MS;
	int to = better_node(&w);
	if (to != NUMA_NO_NODE && sched_move_current(to))
		count_node_event(to, NUMA_TASK_MIGRATED, 1);
}

void numab_user_return(void)
{
	struct mm *mm = current->mm;

	if (!READ_ONCE(numab.enabled) || !mm)
		return;
	uint64_t now = clock_ns();
	if (!mm->numa_next_scan) {            /* a new process: the delay first */
		mm->numa_scan_node = numa_this_node();
		WRITE_ONCE(mm->numa_home, mm->numa_scan_node);  /* for used_elsewhere */
		mm->numa_next_scan = now + READ_ONCE(numab.scan_delay_ms) * NS_PER_MS;
		return;
	}
	/* Threads share the mm: the one that moves numa_next_scan from the
	 * value it read to "scanning" (~0) scans this window, the others go
	 * on. Threads on several nodes would take turns scanning at every
	 * return to user mode if a node change alone started a window: with
	 * more than one user, only the period does. */
	uint64_t next = READ_ONCE(mm->numa_next_scan);
	bool moved = mm->numa_scan_node != numa_this_node() &&
		     __atomic_load_n(&mm->users, __ATOMIC_RELAXED) == 1;
	if ((now >= next || moved) && next != ~0ULL &&
	    __atomic_compare_exchange_n(&mm->numa_next_scan, &next, ~0ULL, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		scan(mm, now);
}

/* ------------------------------------------------------------ controls */

static int show_u32(struct pbuf *b, void *data)
{
	pbuf_printf(b, "%u\n", *(uint32_t *)data);
	return 0;
}

/* A decimal number; numa_balancing itself takes only 0 or 1, the others
 * anything from 1 up. */
static int write_u32(void *data, const char *buf, size_t len)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > 0xffffffffUL)
			return -EINVAL;
	}
	if (i == 0 || (i < len && buf[i] != '\n'))
		return -EINVAL;
	if (data == &numab.enabled || data == &numab.replicate ? v > 1 : v == 0)
		return -EINVAL;
	WRITE_ONCE(*(uint32_t *)data, (uint32_t)v);
	return 0;
}

static void make_sysctls(void)
{
	static const struct { const char *name; uint32_t *val; } files[] = {
		{ "numa_balancing", &numab.enabled },
		{ "numa_balancing_scan_delay_ms", &numab.scan_delay_ms },
		{ "numa_balancing_scan_period_min_ms", &numab.scan_period_min_ms },
		{ "numa_balancing_scan_period_max_ms", &numab.scan_period_max_ms },
		{ "numa_balancing_scan_size_mb", &numab.scan_size_mb },
		{ "numa_balancing_promote_rate_limit_MBps", &numab.rate_limit_mbps },
		{ "numa_replication", &numab.replicate },
	};
	struct procfs_entry *sys = procfs_dir(procfs_root(), "sys");
	struct procfs_entry *kern = sys ? procfs_dir(sys, "kernel") : NULL;

	for (size_t i = 0; kern && i < ARRAY_SIZE(files); i++)
		procfs_create_rw(kern, files[i].name, show_u32, write_u32, files[i].val);
}

void numab_init(void)
{
	const char *opt = cmdline_get("numa_balancing");
	int nid;

	if (opt && !strcmp(opt, "enable"))
		numab.enabled = 1;
	else if (opt && strcmp(opt, "disable"))
		printk("numa_balancing: unknown value '%s', disabled\n", opt);
	opt = cmdline_get("numa_replication");
	if (opt && !strcmp(opt, "enable"))
		numab.replicate = 1;
	make_sysctls();
	for_each_online_node(nid) {
		struct numa_node *n = &numa_nodes[nid];
		char name[PROC_NAME_MAX];

		if (!n->managed_pages)
			continue;
		struct kmigrated *k = kmalloc_node(sizeof(*k), nid);
		if (!k)
			continue;
		memset(k, 0, sizeof(*k));
		spin_init(&k->lock, "kmigrated");
		n->kmigrated = k;
		snprintf(name, sizeof(name), "kmigrated/%d", nid);
		k->task = kthread_create(name, kmigrated, n, nid);
		if (!k->task) {
			n->kmigrated = NULL;
			kfree(k);
		} else if (n->cpus.bits) {
			/* On its node's CPUs: beside the processes whose pages it
			 * brings in, so their mm->locks are free when it runs and
			 * its shootdowns mostly stay on this CPU. */
			sched_setaffinity(k->task, &n->cpus);
		}
	}
}
