/*
 * What /proc shows about memory and processes, in Linux's formats:
 *   /proc/meminfo, /proc/vmstat, /proc/kpagecount, /proc/kpageflags,
 *   /proc/self -> <pid>,
 *   /proc/<pid>/status, /proc/<pid>/maps, /proc/<pid>/pagemap (one
 *   directory per process, made when it starts and removed when it is
 *   freed; pagemap and kpagecount are kernel/mm/pagemap.c's).
 * Show callbacks get the pid, not the struct proc, and look the process
 * up under proc_lock: one that exits meanwhile is simply not found.
 */
#include <kernel/swap.h>
#include <kernel/procfs.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/numa_maps.h>
#include <kernel/bootinfo.h>
#include <kernel/pmm.h>
#include <kernel/pcache.h>
#include <kernel/shmem.h>
#include <kernel/vmstat.h>
#include <kernel/rmap.h>
#include <kernel/percpu.h>
#include <kernel/string.h>
#include <kernel/slab.h>
#include <kernel/errno.h>
#include <kernel/printk.h>

static uint64_t kb(uint64_t pages)
{
	return pages * (PAGE_SIZE / 1024);
}

static int show_meminfo(struct pbuf *b, void *unused)
{
	uint64_t total = 0, free = pmm_free_pages_total(), cached = pcache_get_stats().pages;
	uint64_t shmem = shmem_resident_pages();  /* cached, but freed only by swapping */
	struct swap_totals swap = swap_get_totals();
	int nid;

	for_each_online_node(nid)
		total += numa_nodes[nid].managed_pages;
	pbuf_printf(b, "MemTotal:       %8lu kB\n", kb(total));
	pbuf_printf(b, "MemFree:        %8lu kB\n", kb(free));
	pbuf_printf(b, "MemAvailable:   %8lu kB\n", kb(free + cached - MIN(shmem, cached)));
	pbuf_printf(b, "Buffers:        %8lu kB\n", 0UL);
	pbuf_printf(b, "Cached:         %8lu kB\n", kb(cached));
	pbuf_printf(b, "SwapCached:     %8lu kB\n", kb(swap_cache_pages()));
	pbuf_printf(b, "Active:         %8lu kB\n", kb(lru_count(NUMA_NO_NODE, LRU_ACTIVE_ANON) + lru_count(NUMA_NO_NODE, LRU_ACTIVE_FILE)));
	pbuf_printf(b, "Inactive:       %8lu kB\n", kb(lru_count(NUMA_NO_NODE, LRU_INACTIVE_ANON) + lru_count(NUMA_NO_NODE, LRU_INACTIVE_FILE)));
	pbuf_printf(b, "Active(anon):   %8lu kB\n", kb(lru_count(NUMA_NO_NODE, LRU_ACTIVE_ANON)));
	pbuf_printf(b, "Inactive(anon): %8lu kB\n", kb(lru_count(NUMA_NO_NODE, LRU_INACTIVE_ANON)));
	pbuf_printf(b, "Active(file):   %8lu kB\n", kb(lru_count(NUMA_NO_NODE, LRU_ACTIVE_FILE)));
	pbuf_printf(b, "Inactive(file): %8lu kB\n", kb(lru_count(NUMA_NO_NODE, LRU_INACTIVE_FILE)));
	pbuf_printf(b, "SwapTotal:      %8lu kB\n", kb(swap.pages));
	pbuf_printf(b, "SwapFree:       %8lu kB\n", kb(swap.free));
	pbuf_printf(b, "Dirty:          %8lu kB\n", kb(pcache_get_stats().dirty));
	pbuf_printf(b, "Shmem:          %8lu kB\n", kb(shmem));
	/* Numbat: memory in pte_chain blocks (Linux 2.5 had them in slabinfo) */
	pbuf_printf(b, "PteChains:      %8lu kB\n",
		    rmap_chain_blocks() * sizeof(struct pte_chain) / 1024);
	return 0;
}

static int show_vmstat(struct pbuf *b, void *unused)
{
	pbuf_printf(b, "nr_free_pages %lu\n", pmm_free_pages_total());
	pbuf_printf(b, "nr_file_pages %lu\n", pcache_get_stats().pages);
	pbuf_printf(b, "nr_dirty %lu\n", pcache_get_stats().dirty);
	vmstat_show_reclaim(b, NUMA_NO_NODE);
	vmstat_show_numa(b, NUMA_NO_NODE);
	for (int e = 0; e < NR_VM_EVENTS; e++)
		pbuf_printf(b, "%s %lu\n", vm_event_names[e], vm_event_sum(e));
	return 0;
}

static int self_target(char *buf, size_t size, void *unused)
{
	return snprintf(buf, size, "%d", current->tgid);    /* the process */
}

static const char *state_name(int state)
{
	switch (state) {
	case P_RUNNING: return "R (running)";
	case P_RUNNABLE: return "R (running)";
	case P_SLEEPING: return "S (sleeping)";
	case P_ZOMBIE: return "Z (zombie)";
	case P_STOPPED: return "T (stopped)";
	}
	return "? (unknown)";
}

/* Process pid, zombie or not (proc_find skips zombies, but /proc shows
 * them until they are reaped, as Linux). proc_lock held. */
static struct proc *find_any(int pid)
{
	proc_for_each(p)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* The signals p ignores and catches (bit sig-1); proc_lock held. */
static void sig_dispositions(struct proc *p, struct proc_snapshot *s)
{
	s->sigign = s->sigcatch = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		uint64_t h = p->sigactions[sig].handler;
		if (h == SIG_IGN)
			s->sigign |= 1UL << (sig - 1);
		else if (h != SIG_DFL)
			s->sigcatch |= 1UL << (sig - 1);
	}
}

int proc_snapshot_get(int pid, struct proc_snapshot *s)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = find_any(pid);

	if (p) {
		strlcpy(s->name, p->name, sizeof(s->name));
		s->pid = p->pid;
		s->pgid = p->leader->pgid;
		s->sid = p->leader->sid;
		s->threads = p->leader->nr_threads;
		s->state = p->state;
		s->ppid = p->parent ? p->parent->pid : 0;
		s->cpu = p->cpu;
		s->kthread = !p->mm && p->state != P_ZOMBIE;
		s->affinity = p->affinity;
		s->mm = p->mm;
		if (s->mm)
			mm_get(s->mm);
		mpol_task_get(p, &s->mpol);
		s->acct = p->acct;
		s->sigmask = p->sigmask;
		s->pending = READ_ONCE(p->pending);
		s->shared = READ_ONCE(p->leader->shared_pending);
		sig_dispositions(p, s);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return p ? 0 : -ESRCH;
}

static int grab(int pid, struct proc_snapshot *s)
{
	return proc_snapshot_get(pid, s);
}

/* /proc/PID/comm: the name, as Linux prints it. */
static int show_comm(struct pbuf *b, void *data)
{
	struct proc_snapshot s;

	if (grab((int)(uint64_t)data, &s))
		return -ESRCH;
	if (s.mm)
		mm_put(s.mm);
	pbuf_printf(b, "%s\n", s.name);
	return 0;
}

/* status's signal and CPU lines, and the context switches (Linux's order). */
static void status_tail(struct pbuf *b, const struct proc_snapshot *s)
{
	char cpus[128];

	cpumask_format(cpus, sizeof(cpus), &s->affinity);
	pbuf_printf(b, "Threads:\t%d\nSigQ:\t0/0\nSigPnd:\t%016lx\nShdPnd:\t%016lx\n"
		    "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n", s->threads,
		    s->pending, s->shared, s->sigmask, s->sigign, s->sigcatch);
	pbuf_printf(b, "Cpus_allowed:\t%lx\nCpus_allowed_list:\t%s\n", s->affinity.bits, cpus);
	pbuf_printf(b, "voluntary_ctxt_switches:\t%lu\nnonvoluntary_ctxt_switches:\t%lu\n",
		    s->acct.nvcsw, s->acct.nivcsw);
}

/* /proc/PID/status: Linux's lines (fs/proc/array.c) for what Numbat has;
 * one thread per process, every process root's. */
static int show_status(struct pbuf *b, void *data)
{
	int pid = (int)(uint64_t)data;
	struct proc_snapshot s;

	if (grab(pid, &s))
		return -ESRCH;
	pbuf_printf(b, "Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		    "PPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
		    s.name, state_name(s.state), pid, pid, s.ppid);
	if (s.mm) {
		uint64_t size = 0, anon = s.mm->rss_anon, file = s.mm->rss_file;
		struct list_head *l;

		spin_lock(&s.mm->lock);
		list_for_each(l, &s.mm->vmas) {
			struct vma *v = list_entry(l, struct vma, node);
			size += v->end - v->start;
		}
		spin_unlock(&s.mm->lock);
		pbuf_printf(b, "VmSize:\t%8lu kB\nVmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n"
			    "RssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n", size / 1024,
			    kb(MAX(s.acct.maxrss, anon + file)), kb(anon + file), kb(anon), kb(file));
		pbuf_printf(b, "VmPTE:\t%8lu kB\nVmSwap:\t%8lu kB\n", kb(READ_ONCE(s.mm->pgtables)),
			    kb(READ_ONCE(s.mm->swapents)));
		mm_put(s.mm);
	}
	status_tail(b, &s);
	return 0;
}

static void show_vma(struct pbuf *b, struct mm *mm, struct vma *v)
{
	const char *name = "";

	if (v->flags & VM_GROWSDOWN)
		name = "[stack]";
	else if (!v->inode && v->start >= mm->brk_start && v->end <= ALIGN_UP(mm->brk, PAGE_SIZE) &&
		 mm->brk > mm->brk_start)
		name = "[heap]";
	else if (v->inode && v->inode == mm->exe_inode)
		name = mm->exe_path;
	else if (shmem_inode(v->inode))
		name = "/dev/zero (deleted)";       /* as Linux names shared anonymous memory */
	pbuf_printf(b, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu %s%s\n", v->start, v->end,
		    v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
		    v->prot & PROT_EXEC ? 'x' : '-', v->flags & MAP_SHARED ? 's' : 'p',
		    v->inode ? v->pgoff << PAGE_SHIFT : 0,
		    v->inode ? v->inode->sb->dev_id >> 8 : 0, v->inode ? v->inode->sb->dev_id & 0xff : 0,
		    v->inode ? v->inode->ino : 0, *name ? "                          " : "", name);
}

static int show_maps(struct pbuf *b, void *data)
{
	struct proc_snapshot s;
	struct list_head *l;

	if (grab((int)(uint64_t)data, &s))
		return -ESRCH;
	if (!s.mm)
		return 0;                           /* kernel threads: empty */
	spin_lock(&s.mm->lock);
	list_for_each(l, &s.mm->vmas)
		show_vma(b, s.mm, list_entry(l, struct vma, node));
	spin_unlock(&s.mm->lock);
	mm_put(s.mm);
	return 0;
}

/* /proc/<pid>/numa_maps: see numa_maps.c. */
/* /proc/cmdline: the kernel command line the boot loader gave, as Linux. */
static int show_cmdline(struct pbuf *b, void *data)
{
	pbuf_printf(b, "%s\n", boot_info.cmdline);
	return 0;
}

static int show_numa_maps(struct pbuf *b, void *data)
{
	struct proc_snapshot s;

	if (grab((int)(uint64_t)data, &s))
		return -ESRCH;
	if (!s.mm)
		return 0;                           /* kernel threads: empty */
	numa_maps_show(b, s.mm, &s.mpol);
	mm_put(s.mm);
	return 0;
}

static ssize_t read_pagemap(void *data, struct uio *u, uint64_t pos)
{
	struct proc_snapshot s;

	if (grab((int)(uint64_t)data, &s))
		return -ESRCH;
	if (!s.mm)
		return 0;                           /* kernel threads: empty */
	uint64_t *buf = kmalloc(PAGE_SIZE);
	ssize_t n = buf ? pagemap_read(s.mm, u, pos, buf) : -ENOMEM;
	kfree(buf);
	mm_put(s.mm);
	return n;
}

void procfs_proc_add(struct proc *p)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", p->pid);
	struct procfs_entry *d = procfs_mkdir(procfs_root(), name);
	if (!d)
		return;                             /* no memory: not listed */
	void *pid = (void *)(uint64_t)p->pid;
	procfs_create_file(d, "comm", show_comm, pid);
	procfs_create_file(d, "status", show_status, pid);
	procfs_create_file(d, "maps", show_maps, pid);
	procfs_create_file(d, "numa_maps", show_numa_maps, pid);
	procfs_create_raw(d, "pagemap", read_pagemap, pid);
	proc_pid_files_add(d, p);
	p->procdir = d;
}

void procfs_proc_remove(struct proc *p)
{
	if (p->procdir)
		procfs_remove(p->procdir);
	p->procdir = NULL;
}

void procfs_proc_init(void)
{
	procfs_create_file(procfs_root(), "meminfo", show_meminfo, NULL);
	procfs_create_file(procfs_root(), "cmdline", show_cmdline, NULL);
	procfs_create_file(procfs_root(), "vmstat", show_vmstat, NULL);
	procfs_create_raw(procfs_root(), "kpagecount", kpagecount_read, NULL);
	procfs_create_raw(procfs_root(), "kpageflags", kpageflags_read, NULL);
	procfs_symlink(procfs_root(), "self", self_target, NULL);
}
