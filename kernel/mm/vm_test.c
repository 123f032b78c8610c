/*
 * Tests of the page-table range walk and of vm_fault's contract (ktest=vm).
 *
 *  - pgtable_range visits only the leaf tables that exist, however large
 *    the range;
 *  - a fatal signal stops mprotect's and fork's walks with -EINTR, and
 *    fork's partial copy is torn down;
 *  - vm_fault returns 0 only with the page mapped for the access asked,
 *    also when it had to wait for a migration: a migration entry that is
 *    put back read-only (copy-on-write), and a page-cache page that was
 *    locked by a migration while the PTE was still empty.
 *
 * The migrations are made by hand: the test locks the page and writes the
 * migration entry as migrate.c's step 2 does, and a helper thread undoes
 * both 20 ms later, long after vm_fault has started waiting.
 */
#include <kernel/ktest.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/migrate.h>
#include <kernel/filemap.h>
#include <kernel/vfs.h>
#include <kernel/numa.h>
#include <kernel/errno.h>

#define BASE  0x200000000000UL     /* 32 TiB: 1 TiB ranges below fit */
#define TIB   (1UL << 40)

static int count_table(struct mm *mm, pte_t *ptep, uint64_t va, uint64_t next, void *arg)
{
	int *n = arg;

	(*n)++;
	return 0;
}

/* An mm with one private anonymous VMA of len bytes at BASE and the pages
 * at the offsets in off[] written (faulted in). */
static struct mm *sparse_mm(uint64_t len, const uint64_t *off, int n)
{
	struct mm *mm = mm_create();

	if (!mm)
		return NULL;
	spin_lock(&mm->lock);
	int err = vma_map(mm, BASE, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL, 0);
	spin_unlock(&mm->lock);
	for (int i = 0; i < n && !err; i++)
		err = vm_fault(mm, BASE + off[i], FAULT_WRITE);
	if (err) {
		mm_put(mm);
		return NULL;
	}
	return mm;
}

/* Three pages in 1 TiB: three leaf tables visited, not 2^19. */
KTEST(vm, range_walk_visits_only_present_tables)
{
	static const uint64_t off[] = { 0, TIB / 2 + 123 * PAGE_SIZE, TIB - PAGE_SIZE };
	struct mm *mm = sparse_mm(TIB, off, 3);
	int n = 0;

	KTEST_ASSERT(t, mm != NULL);
	spin_lock(&mm->lock);
	KTEST_EXPECT_EQ(t, pgtable_range(mm, BASE, BASE + TIB, count_table, &n), 0);
	spin_unlock(&mm->lock);
	KTEST_EXPECT_EQ(t, n, 3);
	n = 0;
	spin_lock(&mm->lock);       /* a range that misses all three */
	pgtable_range(mm, BASE + PAGE_SIZE * 512, BASE + TIB / 2, count_table, &n);
	spin_unlock(&mm->lock);
	KTEST_EXPECT_EQ(t, n, 0);
	mm_put(mm);
}

/* With a fatal signal pending, mprotect and fork stop with -EINTR. */
KTEST(vm, fatal_signal_stops_mprotect_and_fork)
{
	static const uint64_t off[] = { 0, 5 * HUGE_2M };
	struct mm *mm = sparse_mm(8 * HUGE_2M, off, 2);
	int err = 0;

	KTEST_ASSERT(t, mm != NULL);
	current->killed = SIGKILL;          /* as signal_send_locked does */
	spin_lock(&mm->lock);
	int prot = vma_protect(mm, BASE, 8 * HUGE_2M, PROT_READ);
	spin_unlock(&mm->lock);
	struct mm *child = mm_dup(mm, &err);
	current->killed = 0;
	KTEST_EXPECT_EQ(t, prot, -EINTR);
	KTEST_EXPECT(t, child == NULL);
	KTEST_EXPECT_EQ(t, err, -EINTR);
	KTEST_EXPECT_EQ(t, mm->rss_anon, 2);    /* the parent keeps its pages */
	if (child)
		mm_put(child);
	child = mm_dup(mm, &err);           /* and without the signal, it works */
	KTEST_EXPECT(t, child != NULL);
	KTEST_EXPECT_EQ(t, child ? child->rss_anon : 0, 2);
	if (child)
		mm_put(child);
	mm_put(mm);
}

struct undo {
	struct mm *mm;
	pte_t *ptep;               /* NULL: just unlock the page */
	struct page *page;
	volatile bool done;
};

/* 20 ms from now, as the end of a migration that failed: the migration
 * entry back to the same frame (migrate.c step 4), then the page lock. */
static int undo_thread(void *arg)
{
	struct undo *u = arg;

	sched_sleep_ns(20 * 1000 * 1000);
	if (u->ptep) {
		spin_lock(&u->mm->lock);
		*u->ptep = pte_from_migration(*u->ptep, page_to_pfn(u->page));
		spin_unlock(&u->mm->lock);
	}
	page_unlock(u->page);
	u->done = true;
	return 0;
}

static void wait_undo(struct undo *u)
{
	while (!u->done)
		sched_sleep_ns(1000 * 1000);
}

/* The PTE of va is present and writable, on a frame other than old's. */
static bool mapped_writable(struct mm *mm, uint64_t va, struct page *old)
{
	spin_lock(&mm->lock);
	pte_t *ptep = pgtable_walk(mm, va, false);
	bool ok = ptep && pte_present(*ptep) && pte_write(*ptep) &&
		  pte_pfn(*ptep) != page_to_pfn(old);
	spin_unlock(&mm->lock);
	return ok;
}

/* A write fault on a copy-on-write page under migration: after the wait
 * the entry comes back read-only, and the write still needs its copy. */
KTEST(vm, fault_after_migration_entry_maps_the_page)
{
	static const uint64_t off[] = { 0 };
	static struct undo u;
	struct mm *mm = sparse_mm(PAGE_SIZE, off, 1);

	KTEST_ASSERT(t, mm != NULL);
	spin_lock(&mm->lock);
	pte_t *ptep = pgtable_walk(mm, BASE, false);
	struct page *p = pfn_to_page(pte_pfn(*ptep));
	get_page(p);                        /* shared, as after fork: copy on write */
	page_trylock(p);
	*ptep = pte_mkmigration(pte_wrprotect(*ptep));
	spin_unlock(&mm->lock);
	u = (struct undo){ mm, ptep, p, false };
	KTEST_ASSERT(t, kthread_create("undo", undo_thread, &u, numa_this_node()) != NULL);
	KTEST_EXPECT_EQ(t, vm_fault(mm, BASE, FAULT_WRITE), 0);
	KTEST_EXPECT(t, mapped_writable(mm, BASE, p));
	wait_undo(&u);
	put_page(p);
	mm_put(mm);
}

/* A write fault on a private file page whose page-cache page a migration
 * has locked: the PTE is still empty when the wait ends. */
KTEST(vm, fault_after_locked_file_page_maps_the_page)
{
	static struct undo u;
	struct file *f;
	bool major;
	int err;

	if (vfs_open(NULL, "/bin/sh", O_RDONLY, 0, &f)) {
		ktest_skip(t, "no /bin/sh to map");
		return;
	}
	struct page *p = filemap_page(f->inode, 0, &major, &err);
	struct mm *mm = mm_create();
	KTEST_ASSERT(t, p != NULL && mm != NULL);
	spin_lock(&mm->lock);
	err = vma_map(mm, BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, f->inode, 0);
	spin_unlock(&mm->lock);
	KTEST_ASSERT(t, err == 0);
	KTEST_ASSERT(t, page_trylock(p));   /* as migrate_page's step 1 */
	u = (struct undo){ mm, NULL, p, false };
	KTEST_ASSERT(t, kthread_create("undo", undo_thread, &u, numa_this_node()) != NULL);
	KTEST_EXPECT_EQ(t, vm_fault(mm, BASE, FAULT_WRITE), 0);
	KTEST_EXPECT(t, mapped_writable(mm, BASE, p));
	wait_undo(&u);
	mm_put(mm);
	filemap_release_page(p);
	file_put(f);
}
