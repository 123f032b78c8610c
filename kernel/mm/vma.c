/*
 * VMAs: the list of mapped ranges of an address space (mm.h). Mapping a
 * range over existing ones, unmapping or changing the protection of part
 * of one splits VMAs at the edges first, so every operation then works on
 * whole VMAs. Callers hold mm->lock.
 */
#include <kernel/mm.h>
#include <kernel/slab.h>
#include <kernel/filemap.h>
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/rmap.h>

struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	struct list_head *l;

	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);

		if (addr < v->start)
			return NULL;
		if (addr < v->end)
			return v;
	}
	return NULL;
}

/* The lowest VMA that starts above addr, or NULL. */
struct vma *vma_above(struct mm *mm, uint64_t addr)
{
	struct list_head *l;

	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);

		if (v->start > addr)
			return v;
	}
	return NULL;
}

/* Does any VMA overlap [start, start+len)? */
bool vma_find_any(struct mm *mm, uint64_t start, uint64_t len)
{
	struct list_head *l;

	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);

		if (v->start < start + len && v->end > start)
			return true;
	}
	return false;
}

/* Cut v in two at addr (strictly inside it); the upper part is new. */
static int vma_split(struct mm *mm, struct vma *v, uint64_t addr)
{
	struct vma *hi = kmalloc(sizeof(*hi));

	if (!hi)
		return -ENOMEM;
	*hi = *v;
	hi->start = addr;
	hi->anon_pgoff += (addr - v->start) >> PAGE_SHIFT;
	if (hi->inode) {
		filemap_get(hi->inode);
		hi->pgoff += (addr - v->start) >> PAGE_SHIFT;
	}
	v->end = addr;
	rmap_vma_copy(hi, v);           /* the same file, the same anon_vma */
	list_add(&hi->node, &v->node);
	mm->nr_vmas++;
	return 0;
}

/* Split so that no VMA straddles start or end. */
int vma_split_edges(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	int err = 0;

	if (v && v->start < start)
		err = vma_split(mm, v, start);
	v = vma_find(mm, end - 1);
	if (!err && v && v->end > end)
		err = vma_split(mm, v, end);
	return err;
}

static int unmap_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next,
		       void *arg)
{
	(void)arg;
	page_unmap_table(mm, ptep, (next - va) / PAGE_SIZE);
	return 0;
}

/* Unmap [start, end), skipping the page tables that do not exist. Never
 * interrupted: exit relies on it finishing (and it costs what is mapped). */
static void unmap_pages(struct mm *mm, uint64_t start, uint64_t end)
{
	pgtable_range(mm, start, end, unmap_table, NULL);
}

/* Is every page of [start, end) inside some VMA? */
bool vma_range_mapped(struct mm *mm, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end;) {
		struct vma *v = vma_find(mm, va);
		if (!v)
			return false;
		va = v->end;
	}
	return true;
}

/* Throw away the pages of [start, end) but keep the VMAs: the next touch
 * refaults them (madvise MADV_DONTNEED). */
void vma_zap(struct mm *mm, uint64_t start, uint64_t end)
{
	unmap_pages(mm, start, end);
	mm_flush_tlb_all(mm);
}

static void vma_destroy(struct mm *mm, struct vma *v)
{
	unmap_pages(mm, v->start, v->end);
	rmap_vma_unlink(v);             /* before its page tables go */
	list_del(&v->node);
	mm->nr_vmas--;
	if (v->inode)
		list_add(&v->node, &mm->dead_vmas);   /* mm_unlock puts the inode */
	else
		kfree(v);
}

void mm_unlock(struct mm *mm)
{
	struct list_head dead = LIST_HEAD_INIT(dead);

	while (!list_empty(&mm->dead_vmas)) {      /* take them all */
		struct list_head *l = mm->dead_vmas.next;
		list_del(l);
		list_add_tail(l, &dead);
	}
	spin_unlock(&mm->lock);
	while (!list_empty(&dead)) {
		struct vma *v = list_first_entry(&dead, struct vma, node);
		list_del(&v->node);
		filemap_put(v->inode);
		kfree(v);
	}
}

int vma_unmap(struct mm *mm, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	struct list_head *l;

	if (vma_split_edges(mm, start, end))
		return -ENOMEM;
	for (l = mm->vmas.next; l != &mm->vmas;) {
		struct vma *v = list_entry(l, struct vma, node);

		l = l->next;
		if (v->start >= start && v->end <= end)
			vma_destroy(mm, v);
	}
	pgtable_free_range(mm, start, end);
	mm_flush_tlb_all(mm);
	return 0;
}

/* Insert v keeping the list sorted (the range must be free). */
void vma_insert(struct mm *mm, struct vma *v)
{
	struct list_head *l;

	list_for_each(l, &mm->vmas)
		if (list_entry(l, struct vma, node)->start > v->start)
			break;
	list_add_tail(&v->node, l);
	mm->nr_vmas++;
}

/* Map [start, start+len), replacing whatever was there. */
int vma_map(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot,
	    uint32_t flags, struct inode *inode, uint64_t pgoff)
{
	struct vma *v = kmalloc(sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (vma_unmap(mm, start, len)) {
		kfree(v);
		return -ENOMEM;
	}
	*v = (struct vma){ .start = start, .end = start + len, .prot = prot,
			   .flags = flags, .inode = inode, .pgoff = pgoff, .mm = mm };
	if (rmap_vma_new(v)) {
		kfree(v);
		return -ENOMEM;
	}
	if (inode)
		filemap_get(inode);
	vma_insert(mm, v);
	return 0;
}

struct protect {
	uint32_t prot;
	bool shared;
};

/* New protection for the PTEs of one leaf table; -EINTR if the task got a
 * fatal signal (it will never run user code again, so stopping is safe). */
static int protect_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next,
			 void *arg)
{
	const struct protect *pr = arg;

	if (fatal_signal_pending(current))
		return -EINTR;
	for (; va < next; va += PAGE_SIZE, ptep++) {
		if (!pte_mapped(*ptep))     /* a migration entry too: its new */
			continue;           /* protection is what comes back */
		/* PROT_NONE keeps the page (no access); private pages stay
		 * read-only: a write fault decides whether to copy. */
		bool w = (pr->prot & PROT_WRITE) && (pr->shared || pte_write(*ptep));
		*ptep = pte_modify(*ptep, pr->prot == PROT_NONE ? pte_prot_none() :
				   pte_user_prot(w, pr->prot & PROT_EXEC));
	}
	return 0;
}

/*
 * Change the protection of [start, start+len), which must all be mapped.
 * Caller holds mm->lock. 0; -ENOMEM for a hole or no memory to split a
 * VMA; -EINTR if a fatal signal came while walking (the range is then
 * partly changed, which nobody will see).
 */
int vma_protect(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot)
{
	uint64_t end = start + len;
	struct list_head *l;
	int err = 0;

	if (!vma_range_mapped(mm, start, end))   /* no holes allowed, as Linux */
		return -ENOMEM;
	if (vma_split_edges(mm, start, end))
		return -ENOMEM;
	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);
		struct protect pr = { prot, v->flags & MAP_SHARED };

		if (v->start < start || v->end > end)
			continue;
		v->prot = prot;
		err = pgtable_range(mm, v->start, v->end, protect_table, &pr);
		if (err)
			break;
	}
	mm_flush_tlb_all(mm);
	return err;
}

/*
 * mbind: give every VMA of [start, end) the policy pol, splitting VMAs at
 * start and end first, so the policy covers exactly the range. Caller
 * holds mm->lock and has checked for holes. 0, or -ENOMEM to split.
 */
int vma_set_policy(struct mm *mm, uint64_t start, uint64_t end,
		   const struct mempolicy *pol)
{
	struct list_head *l;

	if (vma_split_edges(mm, start, end))
		return -ENOMEM;
	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);

		if (v->start >= start && v->end <= end)
			v->mpol = *pol;
	}
	return 0;
}

/* Lowest free range of len bytes at or above hint (or MMAP_BASE). */
uint64_t vma_free_area(struct mm *mm, uint64_t hint, uint64_t len)
{
	uint64_t addr = hint ? ALIGN_UP(hint, PAGE_SIZE) : MMAP_BASE;
	struct list_head *l;

	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);

		if (v->end <= addr)
			continue;
		if (addr + len <= v->start)
			break;
		addr = v->end;
	}
	uint64_t limit = mm->stack_top ? mm->stack_top - STACK_MAX - STACK_GUARD : USER_TOP;

	if (addr + len > limit || addr + len < addr)
		return hint ? vma_free_area(mm, 0, len) : 0;
	return addr;
}
