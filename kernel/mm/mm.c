/*
 * Address spaces: creating one, copying one for fork (copy-on-write), and
 * tearing one down; and the references that user mappings hold on pages.
 */
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/slab.h>
#include <kernel/rmap.h>
#include <kernel/percpu.h>
#include <kernel/vmstat.h>
#include <kernel/filemap.h>
#include <kernel/string.h>
#include <kernel/errno.h>

void get_page(struct page *p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; the last one frees the frame. */
void put_page(struct page *p)
{
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		p->flags &= ~PG_anon;
		p->mapping = NULL;
		count_vm_event(PGFREE);
		pmm_free_pages(p, 0);
	}
}

/*
 * Point *ptep at p; the mapping holds a reference the caller passes in.
 * Caller holds mm->lock. -ENOMEM (PTE untouched) if the reverse map had no
 * memory for a chain block; never after rmap_prepare() for one mapping.
 */
int page_map(struct mm *mm, pte_t *ptep, struct page *p, pte_t pte)
{
	int err = rmap_add(p, virt_to_phys(ptep));

	if (err)
		return err;
	*ptep = pte;
	if (p->flags & PG_anon)
		mm->rss_anon++;
	else
		mm->rss_file++;
	return 0;
}

/* The counters and dirty state of a mapping `old` that was just cleared. */
void page_unmap_account(struct mm *mm, struct page *p, pte_t old)
{
	if (p->flags & PG_anon)
		mm->rss_anon--;
	else
		mm->rss_file--;
	if (pte_dirty(old) && !(p->flags & PG_anon))
		filemap_dirty(p);
}

/* Drop the reference a mapping held. */
void page_release(struct page *p)
{
	if (p->flags & PG_anon)
		put_page(p);
	else
		filemap_release_page(p);
}

/* Clear *ptep and drop its page (the caller flushes the TLB). A migration
 * entry is a mapping too: the reverse map still lists it. */
void page_unmap(struct mm *mm, pte_t *ptep)
{
	pte_t pte = *ptep;

	*ptep = 0;
	if (!pte_mapped(pte))
		return;
	struct page *p = pfn_to_page(pte_pfn(pte));

	page_unmap_account(mm, p, pte);
	rmap_remove(p, virt_to_phys(ptep));
	page_release(p);
}

struct list_head mm_list = LIST_HEAD_INIT(mm_list);
struct spinlock mm_list_lock = SPINLOCK_INIT("mm_list");

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));
	struct page *pml4 = pmm_alloc_pages(NUMA_NO_NODE, 0, PMM_ZERO);

	if (!mm || !pml4) {
		kfree(mm);
		if (pml4)
			pmm_free_pages(pml4, 0);
		return NULL;
	}
	pml4->flags |= PG_pgtable;
	pml4->mapping = mm;
	pml4->index = 0;
	mm->pml4 = page_address(pml4);
	mm->pml4_phys = page_to_phys(pml4);
	/* The kernel half is shared: same PDPTs in every address space. */
	memcpy(mm->pml4 + 256, (uint64_t *)phys_to_virt(kernel_pml4_phys()) + 256,
	       256 * sizeof(uint64_t));
	spin_init(&mm->lock, "mm");
	list_init(&mm->vmas);
	list_init(&mm->dead_vmas);
	mm->users = 1;
	mm->node = numa_this_node();
	spin_lock(&mm_list_lock);
	list_add_tail(&mm->mm_node, &mm_list);
	spin_unlock(&mm_list_lock);
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_fetch_add(&mm->users, 1, __ATOMIC_RELAXED);
}

/* The last user is gone: unmap everything, free the tables. */
void mm_put(struct mm *mm)
{
	if (__atomic_sub_fetch(&mm->users, 1, __ATOMIC_ACQ_REL))
		return;
	/* The lock keeps rmap walkers (migration, rmap_check) off the
	 * tables while they go. */
	spin_lock(&mm->lock);
	vma_unmap(mm, 0, USER_SPACE_END);
	pgtable_free_all(mm);
	mm_unlock(mm);
	spin_lock(&mm_list_lock);
	list_del(&mm->mm_node);
	spin_unlock(&mm_list_lock);
	if (mm->exe_inode)
		filemap_put(mm->exe_inode);
	struct page *pml4 = virt_to_page(mm->pml4);
	pml4->flags &= ~PG_pgtable;
	pml4->mapping = NULL;
	pmm_free_pages(pml4, 0);
	kfree(mm);
}

/* Share one PTE with the child (read-only if private: copy-on-write).
 * A migration entry is copied as it is: the migration that made it will
 * find the child's copy through the reverse map too. */
static int dup_pte(struct mm *dst, pte_t *d, pte_t *s, bool cow)
{
	if (cow && pte_write(*s))
		*s = pte_wrprotect(*s);
	struct page *p = pfn_to_page(pte_pfn(*s));
	get_page(p);
	if (page_map(dst, d, p, *s)) {
		page_release(p);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Copy one VMA's PTEs into the child. One leaf page table (2 MiB) at a
 * time: a missing table is skipped whole, and within a table the source
 * and destination PTEs advance together, so each table is walked to once.
 */
static int dup_range(struct mm *dst, struct mm *src, struct vma *v)
{
	bool cow = !(v->flags & MAP_SHARED);

	for (uint64_t va = v->start, next; va < v->end; va = next) {
		next = MIN(ALIGN_DOWN(va, HUGE_2M) + HUGE_2M, v->end);
		pte_t *s = pgtable_walk(src, va, false), *d = NULL;

		for (uint64_t a = va; s && a < next; a += PAGE_SIZE, s++) {
			if (!pte_mapped(*s)) {
				d = d ? d + 1 : NULL;
				continue;
			}
			if (!d && !(d = pgtable_walk(dst, a, true)))
				return -ENOMEM;
			if (dup_pte(dst, d++, s, cow))
				return -ENOMEM;
		}
	}
	return 0;
}

static struct vma *vma_copy(const struct vma *v)
{
	struct vma *n = kmalloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *v;
	if (n->inode)
		filemap_get(n->inode);
	return n;
}

/* fork: a new mm with the same VMAs; private pages shared copy-on-write. */
struct mm *mm_dup(struct mm *old)
{
	struct mm *mm = mm_create();
	struct list_head *l;
	int err = 0;

	if (!mm)
		return NULL;
	spin_lock(&old->lock);
	spin_lock(&mm->lock);           /* parent, then child: rmap.h */
	mm->brk_start = old->brk_start;
	mm->exe_inode = old->exe_inode;
	if (mm->exe_inode)
		filemap_get(mm->exe_inode);
	memcpy(mm->exe_path, old->exe_path, sizeof(mm->exe_path));
	mm->brk = old->brk;
	mm->stack_top = old->stack_top;
	list_for_each(l, &old->vmas) {
		struct vma *v = vma_copy(list_entry(l, struct vma, node));

		if (!v) {
			err = -ENOMEM;
			break;
		}
		list_add_tail(&v->node, &mm->vmas);
		mm->nr_vmas++;
		err = dup_range(mm, old, v);
		if (err)
			break;
	}
	mm_flush_tlb_all(old);          /* the parent's PTEs are read-only now */
	spin_unlock(&mm->lock);
	spin_unlock(&old->lock);
	if (err) {
		mm_put(mm);
		return NULL;
	}
	return mm;
}
