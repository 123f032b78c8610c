/*
 * Tests of rmap_walk in whatever mode the kernel booted with
 * (ktest=rmap_walk; tests/cases.py runs them with rmap=chain, scan, obj
 * and hybrid). The walk must report exactly the PTEs that map a frame,
 * found here by brute force (looking the address up in every mm of the
 * scenario), and the frame's mapcount must equal their number:
 *
 *  - anonymous pages of a process, its child and grandchild (fork three
 *    generations deep), after an mprotect split of the parent's VMA and
 *    copy-on-write copies in the child and grandchild;
 *  - shmem (file) pages mapped shared and private in a parent and child,
 *    one private page copied on write;
 *  - a busy mm->lock makes the walk answer RMAP_AGAIN (never under
 *    rmap=scan, which waits for each lock);
 *  - migrating a page shared by the three generations, and unmapping one
 *    with try_to_unmap, reach every PTE.
 */
#include <kernel/ktest.h>
#include <kernel/rmap.h>
#include <kernel/migrate.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/numa.h>
#include <kernel/shmem.h>
#include <kernel/vfs.h>
#include <kernel/errno.h>

#define BASE  0x300000000000UL
#define NPG   8
#define NMM   3

struct seen {
	int n;
	pte_addr_t pa[2 * NMM];
};

static bool note(struct page *p, struct mm *mm, pte_addr_t pa, uint64_t va, void *arg)
{
	struct seen *s = arg;

	if (s->n < 2 * NMM)
		s->pa[s->n] = pa;
	s->n++;
	return false;
}

/* The PTE of mm at va if it maps pfn, else 0. */
static pte_addr_t pte_of(struct mm *mm, uint64_t va, uint64_t pfn)
{
	pte_addr_t pa = 0;

	spin_lock(&mm->lock);
	pte_t *ptep = pgtable_walk(mm, va, false);
	if (ptep && pte_mapped(*ptep) && pte_pfn(*ptep) == pfn)
		pa = virt_to_phys(ptep);
	spin_unlock(&mm->lock);
	return pa;
}

static struct page *page_of(struct mm *mm, uint64_t va)
{
	spin_lock(&mm->lock);
	pte_t *ptep = pgtable_walk(mm, va, false);
	struct page *p = ptep && pte_mapped(*ptep) ? pfn_to_page(pte_pfn(*ptep)) : NULL;
	spin_unlock(&mm->lock);
	return p;
}

static bool reported(const struct seen *s, pte_addr_t pa)
{
	for (int i = 0; i < s->n && i < 2 * NMM; i++)
		if (s->pa[i] == pa)
			return true;
	return false;
}

/*
 * The walk of the frame mapped at va of mms[0..n) (looked up in `from`)
 * reports exactly the PTEs at the addresses vas[] of those mms that map
 * it, and mapcount agrees. Returns the number of PTEs, or -1 if wrong.
 */
static int walk_matches(struct mm **mms, int n, struct mm *from, uint64_t fva,
			const uint64_t *vas, int nva)
{
	struct page *p = page_of(from, fva);
	struct seen s = { 0 };
	int expect = 0;

	if (!p || rmap_walk(p, note, &s) != RMAP_SUCCESS)
		return -1;
	for (int m = 0; m < n; m++)
		for (int k = 0; k < nva; k++) {
			pte_addr_t pa = pte_of(mms[m], vas[k], page_to_pfn(p));
			if (!pa)
				continue;
			expect++;
			if (!reported(&s, pa))
				return -1;
		}
	return s.n == expect && p->mapcount == expect ? expect : -1;
}

/* Parent, child, grandchild; the parent's VMA split by mprotect; page 5
 * copied on write by the grandchild, page 6 by the child. */
static bool three_generations(struct mm **mms)
{
	int err = -ENOMEM;

	mms[0] = mm_create();
	if (!mms[0])
		return false;
	spin_lock(&mms[0]->lock);
	err = vma_map(mms[0], BASE, NPG * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		      NULL, 0);
	spin_unlock(&mms[0]->lock);
	for (int i = 0; i < NPG && !err; i++)
		err = vm_fault(mms[0], BASE + i * PAGE_SIZE, FAULT_WRITE);
	if (err || !(mms[1] = mm_dup(mms[0], &err)) || !(mms[2] = mm_dup(mms[1], &err)))
		return false;
	spin_lock(&mms[0]->lock);
	err = vma_protect(mms[0], BASE + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ);
	spin_unlock(&mms[0]->lock);
	return !err && !vm_fault(mms[2], BASE + 5 * PAGE_SIZE, FAULT_WRITE) &&
	       !vm_fault(mms[1], BASE + 6 * PAGE_SIZE, FAULT_WRITE);
}

static void put_mms(struct mm **mms)
{
	for (int m = 0; m < NMM; m++)
		if (mms[m])
			mm_put(mms[m]);
}

KTEST(rmap_walk, anon_fork_split_cow)
{
	struct mm *mms[NMM] = { 0 };
	uint64_t va[1];

	KTEST_ASSERT(t, three_generations(mms));
	for (int i = 0; i < NPG; i++) {
		va[0] = BASE + i * PAGE_SIZE;
		int want = i == 5 || i == 6 ? 2 : 3;
		KTEST_EXPECT_EQ(t, walk_matches(mms, NMM, mms[0], va[0], va, 1), want);
	}
	va[0] = BASE + 5 * PAGE_SIZE;           /* the grandchild's own copy */
	KTEST_EXPECT_EQ(t, walk_matches(mms, NMM, mms[2], va[0], va, 1), 1);
	va[0] = BASE + 6 * PAGE_SIZE;           /* the child's */
	KTEST_EXPECT_EQ(t, walk_matches(mms, NMM, mms[1], va[0], va, 1), 1);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	put_mms(mms);
}

KTEST(rmap_walk, file_shared_and_private)
{
	struct mm *mms[NMM] = { 0 };
	struct inode *in;
	uint64_t sh = BASE, pv = BASE + 64 * PAGE_SIZE, va[2];
	int err;

	KTEST_ASSERT(t, shmem_create(4 * PAGE_SIZE, &in) == 0);
	KTEST_ASSERT(t, (mms[0] = mm_create()) != NULL);
	spin_lock(&mms[0]->lock);
	err = vma_map(mms[0], sh, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, in, 0);
	if (!err)
		err = vma_map(mms[0], pv, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			      in, 0);
	spin_unlock(&mms[0]->lock);
	for (int i = 0; i < 4 && !err; i++) {
		err = vm_fault(mms[0], sh + i * PAGE_SIZE, FAULT_WRITE);
		if (!err)
			err = vm_fault(mms[0], pv + i * PAGE_SIZE, 0);
	}
	KTEST_ASSERT(t, !err && (mms[1] = mm_dup(mms[0], &err)) != NULL);
	KTEST_ASSERT(t, vm_fault(mms[1], pv + PAGE_SIZE, FAULT_WRITE) == 0);
	for (int i = 0; i < 4; i++) {
		va[0] = sh + i * PAGE_SIZE;
		va[1] = pv + i * PAGE_SIZE;
		KTEST_EXPECT_EQ(t, walk_matches(mms, 2, mms[0], va[0], va, 2), i == 1 ? 3 : 4);
	}
	va[0] = pv + PAGE_SIZE;                 /* the child's anonymous copy */
	KTEST_EXPECT_EQ(t, walk_matches(mms, 2, mms[1], va[0], va, 1), 1);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	put_mms(mms);
	inode_put(in);
}

KTEST(rmap_walk, busy_mm_lock_is_again)
{
	struct mm *mms[NMM] = { 0 };
	struct seen s = { 0 };

	if (rmap_scan_mode) {
		ktest_skip(t, "rmap=scan waits for every mm->lock");
		return;
	}
	KTEST_ASSERT(t, three_generations(mms));
	struct page *p = page_of(mms[0], BASE);
	KTEST_ASSERT(t, p != NULL);
	spin_lock(&mms[1]->lock);               /* busy: against the lock order */
	KTEST_EXPECT_EQ(t, rmap_walk(p, note, &s), RMAP_AGAIN);
	spin_unlock(&mms[1]->lock);
	KTEST_EXPECT_EQ(t, s.n, 2);             /* the other two were visited */
	put_mms(mms);
}

/* A node other than this CPU's that has memory, or -1. */
static int other_node(void)
{
	int nid;

	for_each_online_node(nid)
		if (nid != numa_this_node() && numa_nodes[nid].free_pages)
			return nid;
	return -1;
}

KTEST(rmap_walk, migrate_and_unmap_reach_every_pte)
{
	struct mm *mms[NMM] = { 0 };
	uint64_t va[1] = { BASE + 3 * PAGE_SIZE };   /* in the split-off VMA */
	int to = other_node();

	KTEST_ASSERT(t, three_generations(mms));
	struct page *p = page_of(mms[0], va[0]);
	KTEST_ASSERT(t, p != NULL);
	if (to >= 0) {
		get_page(p);
		KTEST_EXPECT_EQ(t, migrate_page(p, to, MR_SYSCALL), 0);
		page_release(p);
		struct page *n = page_of(mms[0], va[0]);
		KTEST_EXPECT(t, n && n != p && n->node == to);
		for (int m = 0; n && m < NMM; m++)
			KTEST_EXPECT(t, page_of(mms[m], va[0]) == n);
		KTEST_EXPECT_EQ(t, walk_matches(mms, NMM, mms[0], va[0], va, 1), 3);
		p = n;
	}
	if (!rmap_scan_mode) {                  /* no try_to_unmap there */
		get_page(p);
		KTEST_ASSERT(t, page_trylock(p));
		KTEST_EXPECT_EQ(t, try_to_unmap(p), RMAP_SUCCESS);
		page_unlock(p);
		KTEST_EXPECT_EQ(t, p->mapcount, 0);
		for (int m = 0; m < NMM; m++)
			KTEST_EXPECT(t, page_of(mms[m], va[0]) == NULL);
		page_release(p);
	}
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	put_mms(mms);
}

/*
 * The checker must see an object that lost a VMA: take a shmem VMA off
 * its file's i_mmap list (as a path that forgot to link it would), check,
 * and put it back. Each of its two mapped pages is then found once too
 * few times, and the VMA is on no list: three errors.
 */
KTEST(rmap_walk, check_reports_a_vma_off_its_list)
{
	struct mm *mm;
	struct inode *in;
	int err;

	if (!rmap_file_obj()) {
		ktest_skip(t, "file pages keep chains or are scanned in this mode");
		return;
	}
	KTEST_ASSERT(t, shmem_create(2 * PAGE_SIZE, &in) == 0);
	KTEST_ASSERT(t, (mm = mm_create()) != NULL);
	spin_lock(&mm->lock);
	err = vma_map(mm, BASE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, in, 0);
	spin_unlock(&mm->lock);
	for (int i = 0; i < 2 && !err; i++)
		err = vm_fault(mm, BASE + i * PAGE_SIZE, FAULT_WRITE);
	KTEST_ASSERT(t, err == 0);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	spin_lock(&mm->lock);
	struct vma *v = vma_find(mm, BASE);
	struct list_head *prev = v->i_mmap_node.prev;
	spin_lock(&rmap_obj_lock);
	list_del(&v->i_mmap_node);              /* leaves next and prev NULL */
	spin_unlock(&rmap_obj_lock);
	spin_unlock(&mm->lock);
	int errors = rmap_check(NULL);
	spin_lock(&mm->lock);
	spin_lock(&rmap_obj_lock);
	list_add(&v->i_mmap_node, prev);
	spin_unlock(&rmap_obj_lock);
	spin_unlock(&mm->lock);
	KTEST_EXPECT_EQ(t, errors, 3);
	KTEST_EXPECT_EQ(t, rmap_check(NULL), 0);
	mm_put(mm);
	inode_put(in);
}
