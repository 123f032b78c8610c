/*
 * /proc/PID/numa_maps in Linux's format (proc(5)): one line per VMA, its
 * start address, its memory policy, what it maps, and how many of its
 * pages are resident on each node:
 *
 *   00400000 default file=/bin/cat mapped=1 active=0 N0=1 kernelpagesize_kB=4
 *   00405000 default file=/bin/cat
 *   100000001000 default anon=64 dirty=64 active=0 N0=32 N1=32 kernelpagesize_kB=4
 *   7ffffffdf000 default stack anon=1 dirty=1 active=0 N0=1 kernelpagesize_kB=4
 *
 * Only resident pages count (what pte_present() says: present, PROT_NONE
 * and NUMA-hint PTEs): a swapped-out page or one in the middle of a
 * migration is in no N<n>. The counts, as Linux's gather_stats():
 *   anon       pages of anonymous memory (PG_anon; shmem is file memory)
 *   dirty      PTE dirty bit or PG_dirty
 *   mapped     all resident pages, printed only when it differs from both
 *              anon and dirty
 *   mapmax     the highest map count of any page, when above 1
 *   swapcache  pages also in the swap cache
 *   active     pages on an active LRU list, printed only when fewer than
 *              all pages
 * A VMA with no resident page has no counts and no kernelpagesize_kB.
 *
 * Locking: the whole walk of a VMA and the printing of its line happen
 * under mm->lock (pbuf_printf only formats into memory procfs gave).
 */
#include <kernel/numa_maps.h>
#include <kernel/mempolicy.h>
#include <kernel/mm.h>
#include <kernel/numa.h>
#include <kernel/page.h>
#include <kernel/pmm.h>
#include <kernel/procfs.h>
#include <kernel/shmem.h>
#include <kernel/string.h>
#include <kernel/vfs.h>

struct numa_maps_stats {
	uint64_t pages, anon, dirty, mapmax, swapcache, active;
	uint64_t node[MAX_NODES];
};


/* Count the page behind one present PTE. Caller holds mm->lock. */
static void numa_maps_count(struct numa_maps_stats *s, pte_t pte)
{
	struct page *p = pfn_to_page(pte_pfn(pte));

	if (!p || p->node >= MAX_NODES)
		return;
	uint32_t flags = READ_ONCE(p->flags);
	int count = READ_ONCE(p->mapcount);

	if (flags & PG_reserved)
		return;                         /* not RAM Numbat hands out */
	s->pages++;
	s->anon += !!(flags & PG_anon);
	s->dirty += pte_dirty(pte) || (flags & PG_dirty);
	s->swapcache += !!(flags & PG_swapcache);
	s->active += !!(flags & PG_active);
	if (count > 0 && (uint64_t)count > s->mapmax)
		s->mapmax = (uint64_t)count;
	s->node[p->node]++;
}

/* pgtable_range callback: the present PTEs of [va, end). */
static int numa_maps_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t end, void *arg)
{
	(void)mm;
	for (; va < end; va += PAGE_SIZE, ptep++) {
		pte_t pte = *ptep;
		if (pte_present(pte))
			numa_maps_count(arg, pte);
	}
	return 0;
}

/* What the VMA maps: " file=PATH", " heap", " stack" or nothing (plain
 * anonymous memory). Paths escape blanks as Linux's seq_file_path does
 * ("/dev/zero\040(deleted)"). A file Numbat keeps no path for (only the
 * program's own is kept) shows as [MAJOR:MINOR:INODE]. */
static void numa_maps_name(struct pbuf *b, struct mm *mm, struct vma *v)
{
	if (v->inode && shmem_inode(v->inode))
		pbuf_printf(b, " file=/dev/zero\\040(deleted)");
	else if (v->inode && v->inode == mm->exe_inode)
		pbuf_printf(b, " file=%s", mm->exe_path);
	else if (v->inode)
		pbuf_printf(b, " file=[%u:%u:%lu]", v->inode->sb->dev_id >> 8,
			    v->inode->sb->dev_id & 0xff, v->inode->ino);
	else if (v->start < mm->brk && v->end > mm->brk_start)
		pbuf_printf(b, " heap");
	else if (v->flags & VM_GROWSDOWN)
		pbuf_printf(b, " stack");
}

/* The counts of one VMA's line, in Linux's order and with its rules for
 * which to leave out. */
static void numa_maps_counts(struct pbuf *b, const struct numa_maps_stats *s)
{
	int nid;

	if (s->anon)
		pbuf_printf(b, " anon=%lu", s->anon);
	if (s->dirty)
		pbuf_printf(b, " dirty=%lu", s->dirty);
	if (s->pages != s->anon && s->pages != s->dirty)
		pbuf_printf(b, " mapped=%lu", s->pages);
	if (s->mapmax > 1)
		pbuf_printf(b, " mapmax=%lu", s->mapmax);
	if (s->swapcache)
		pbuf_printf(b, " swapcache=%lu", s->swapcache);
	if (s->active < s->pages)
		pbuf_printf(b, " active=%lu", s->active);
	for_each_online_node(nid)
		if (s->node[nid])
			pbuf_printf(b, " N%d=%lu", nid, s->node[nid]);
	pbuf_printf(b, " kernelpagesize_kB=%lu", PAGE_SIZE / 1024);
}

/* One VMA's line. Caller holds mm->lock. */
static void numa_maps_vma(struct pbuf *b, struct mm *mm, struct vma *v,
			  const struct mempolicy *task)
{
	struct numa_maps_stats s;
	char policy[64];

	memset(&s, 0, sizeof(s));
	mpol_format_for(task, v, policy, sizeof(policy));   /* Linux's string */
	pbuf_printf(b, "%08lx %s", v->start, policy);
	numa_maps_name(b, mm, v);
	pgtable_range(mm, v->start, v->end, numa_maps_table, &s);
	if (s.pages)
		numa_maps_counts(b, &s);
	pbuf_printf(b, "\n");
}

/* The whole file for mm: takes and drops mm->lock; never fails. */
int numa_maps_show(struct pbuf *b, struct mm *mm, const struct mempolicy *task)
{
	struct list_head *l;

	spin_lock(&mm->lock);
	list_for_each(l, &mm->vmas)
		numa_maps_vma(b, mm, list_entry(l, struct vma, node), task);
	spin_unlock(&mm->lock);
	return 0;
}
