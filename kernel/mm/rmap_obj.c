/*
 * The object-based reverse map (rmap=obj, and file pages under
 * rmap=hybrid), as Linux 2.6 did it: no per-page list of PTEs at all.
 * A page names an object, the object lists the VMAs that may map the
 * page, and each VMA's own page table says whether it does:
 *
 *   file page:  page->mapping = &inode->mapping, page->index = file page
 *               mapping->i_mmap: every VMA of every mm that maps the file
 *               va = vma->start + (index - vma->pgoff) * PAGE_SIZE
 *   anon page:  page->mapping = anon_vma | PAGE_MAPPING_ANON,
 *               page->index = vma->anon_pgoff + (va - vma->start) / PAGE_SIZE
 *               anon_vma->vmas: a private VMA, its split halves and every
 *               copy fork made of them (children, grandchildren, ...)
 *               va = vma->start + (index - vma->anon_pgoff) * PAGE_SIZE
 *
 * The walk visits each VMA on the list, computes va, looks the PTE up in
 * that VMA's mm and reports it if it maps the page's frame (present, a
 * NUMA-hint or PROT_NONE entry, or a migration entry): a VMA of a fork
 * child that has since copied the page on write maps another frame and is
 * skipped. It costs one page-table lookup per VMA on the list, whatever
 * else is mapped; and nothing at all per mapping.
 *
 * anon_pgoff is start >> PAGE_SHIFT when a VMA is made, so index is the
 * page's virtual page number at fault time; a split adds the offset, a
 * stack growing down subtracts it, and a move (mremap) keeps it, so index
 * stays the same for the page's whole life.
 *
 * Locking: rmap_obj_lock (one lock for the whole machine, lock_order.h:
 * after mm->lock, before a pte_chain lock) protects every i_mmap list,
 * every anon_vma's list and an anon_vma's life (it is freed, under the
 * lock, when its last VMA leaves). VMAs are linked and unlinked with
 * their mm->lock held as well, so a VMA on a list keeps its mm, its
 * inode and its page tables: the tables of a range are freed only after
 * the VMAs of that range have left the lists. The walk holds
 * rmap_obj_lock and only tries each mm->lock (against the order). It
 * reads page->mapping only when page->mapcount is non-zero under that
 * lock: then some VMA of the object still maps the page, so the object
 * is alive.
 */
#include <kernel/rmap.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/errno.h>
#include <kernel/printk.h>

#define PAGE_MAPPING_ANON 1UL        /* low bit of page->mapping: an anon_vma */

/* The anonymous pages of a private VMA and of every copy of it. */
struct anon_vma {
	struct list_head vmas;           /* vma.anon_node; rmap_obj_lock */
};

/* Every i_mmap list and anon_vma (see above). */
struct spinlock rmap_obj_lock = SPINLOCK_INIT("rmap_obj");

/* ---- keeping the lists: vma.c and fork ---- */

static bool wants_anon_vma(const struct vma *v)
{
	return rmap_anon_obj() && !(v->flags & MAP_SHARED);
}

static void link_file(struct vma *v, struct list_head *after)
{
	if (rmap_file_obj() && v->inode)
		list_add(&v->i_mmap_node, after);
	else
		v->i_mmap_node.next = v->i_mmap_node.prev = NULL;
}

/*
 * A new VMA (v->mm, start, inode and flags set) joins its file's i_mmap
 * list and, private under rmap=obj, a new anon_vma. Caller holds
 * v->mm->lock. 0, or -ENOMEM (nothing linked).
 */
int rmap_vma_new(struct vma *v)
{
	struct anon_vma *av = NULL;

	v->anon_pgoff = v->start >> PAGE_SHIFT;
	v->anon_vma = NULL;
	v->anon_node.next = v->anon_node.prev = NULL;
	if (wants_anon_vma(v)) {
		if (!(av = kmalloc(sizeof(*av))))
			return -ENOMEM;
		list_init(&av->vmas);
	}
	spin_lock(&rmap_obj_lock);
	link_file(v, v->inode ? &v->inode->mapping.i_mmap : NULL);
	if (av) {
		v->anon_vma = av;
		list_add(&v->anon_node, &av->vmas);
	}
	spin_unlock(&rmap_obj_lock);
	return 0;
}

/*
 * n is a copy of v (*n = *v, then n->mm, start and pgoffs set): the upper
 * half of a split, or fork's copy in the child. It joins v's lists, just
 * after v. Callers hold both mms' locks. Cannot fail.
 */
void rmap_vma_copy(struct vma *n, struct vma *v)
{
	spin_lock(&rmap_obj_lock);
	link_file(n, &v->i_mmap_node);
	if (v->anon_vma)
		list_add(&n->anon_node, &v->anon_node);
	else
		n->anon_node.next = n->anon_node.prev = NULL;
	spin_unlock(&rmap_obj_lock);
}

/*
 * v leaves its lists (before its page tables are freed); its anon_vma
 * goes with its last VMA. Caller holds v->mm->lock and has emptied v's
 * PTEs, so no page of the object is mapped through v any more.
 */
void rmap_vma_unlink(struct vma *v)
{
	struct anon_vma *dead = NULL;

	spin_lock(&rmap_obj_lock);
	if (v->i_mmap_node.next)
		list_del(&v->i_mmap_node);
	if (v->anon_node.next) {
		list_del(&v->anon_node);
		if (list_empty(&v->anon_vma->vmas))
			dead = v->anon_vma;
	}
	v->anon_vma = NULL;
	spin_unlock(&rmap_obj_lock);
	kfree(dead);
}

/* A new anonymous page p for va of v (not mapped yet, or being mapped
 * for the first time: mapcount 0): it belongs to v's anon_vma. Caller
 * holds v->mm->lock. Does nothing unless anonymous pages use the objects. */
void rmap_anon_page(struct page *p, struct vma *v, uint64_t va)
{
	if (!v->anon_vma)
		return;
	p->mapping = (void *)((uint64_t)v->anon_vma | PAGE_MAPPING_ANON);
	p->index = v->anon_pgoff + ((va - v->start) >> PAGE_SHIFT);
}

/* ---- the walk ---- */

struct obj_walk {
	struct page *page;
	uint64_t pfn;
	rmap_pte_fn fn;
	void *arg;
	struct mm *held;                 /* its lock is the caller's */
	unsigned flags;                  /* RMAP_WALK_* */
	int ret;
};

/* The PTE of v at which w's page would be (pgoff: v's first page in the
 * object); reported if it maps the page. */
static void visit_vma(struct obj_walk *w, struct vma *v, bool anon)
{
	struct mm *mm = v->mm;
	bool lock = !(w->flags & RMAP_WALK_FROZEN) && mm != w->held;

	if (lock && !spin_trylock(&mm->lock)) {
		w->ret = RMAP_AGAIN;        /* against the lock order: give up */
		return;
	}
	uint64_t pgoff = anon ? v->anon_pgoff : v->pgoff;
	uint64_t off = w->page->index - pgoff;   /* read under mm->lock */

	if (w->page->index >= pgoff && off < (v->end - v->start) >> PAGE_SHIFT) {
		uint64_t va = v->start + (off << PAGE_SHIFT);
		pte_t *ptep = pgtable_walk(mm, va, false);
		if (ptep && pte_mapped(*ptep) && pte_pfn(*ptep) == w->pfn)
			w->fn(w->page, mm, virt_to_phys(ptep), va, w->arg);
	}
	if (lock)
		spin_unlock(&mm->lock);
}

/* The address_space of a file page; a replica's is its master's. */
static struct address_space *file_mapping(struct page *p)
{
	if (p->flags & PG_replica)
		p = (struct page *)p->private;
	return p->mapping;
}

/*
 * Visit every PTE that maps p through its object (rmap.h, rmap_walk has
 * the contract). rmap_obj_lock held across the walk (taken here, or by
 * rmap_check for a frozen walk).
 */
int rmap_obj_walk(struct page *p, rmap_pte_fn fn, void *arg, struct mm *held,
		  unsigned flags)
{
	struct obj_walk w = { p, page_to_pfn(p), fn, arg, held, flags, RMAP_SUCCESS };
	bool anon = p->flags & PG_anon;
	bool frozen = flags & RMAP_WALK_FROZEN;     /* the lock is the caller's */
	struct list_head *l, *head;

	if (!frozen)
		spin_lock(&rmap_obj_lock);
	if (!READ_ONCE(p->mapcount))
		goto out;                   /* the object may be gone: nothing to see */
	if (anon) {
		uint64_t m = (uint64_t)p->mapping;
		if (!(m & PAGE_MAPPING_ANON))
			goto out;               /* no anon_vma: nothing maps it through one */
		head = &((struct anon_vma *)(m & ~PAGE_MAPPING_ANON))->vmas;
	} else {
		struct address_space *as = file_mapping(p);
		if (!as)
			goto out;
		head = &as->i_mmap;
	}
	for (l = head->next; l != head; l = l->next)
		visit_vma(&w, anon ? list_entry(l, struct vma, anon_node) :
			  list_entry(l, struct vma, i_mmap_node), anon);
out:
	if (!frozen)
		spin_unlock(&rmap_obj_lock);
	return w.ret;
}
