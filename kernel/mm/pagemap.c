/*
 * /proc/PID/pagemap and /proc/kpagecount, in Linux's formats, so that a
 * program (or a student with `od`) can find the frame behind an address
 * and how many page-table entries map a frame.
 *
 * pagemap: one 64-bit entry per virtual page, at offset (va / 4096) * 8:
 *
 *   63 present   62 swapped   61 file page   56 mapped exactly once
 *   54..0  frame number (present)
 *   54..5  swap offset, 4..0 swap type (swapped)
 *
 * A page being migrated (a migration entry) shows as swapped with type 31
 * and its old frame as the offset, as Linux shows its migration entries
 * (a swap type above every real area). Addresses outside every mapping
 * read as 0. kpagecount: one 64-bit map count per frame number;
 * kpageflags: one 64-bit word of KPF_* bits per frame number.
 */
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/numa.h>
#include <kernel/page.h>
#include <kernel/uio.h>
#include <kernel/errno.h>
#include <kernel/migrate.h>

#define PM_PRESENT        (1ULL << 63)
#define PM_SWAP           (1ULL << 62)
#define PM_FILE           (1ULL << 61)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_PFN_MASK       ((1ULL << 55) - 1)
#define PM_MIGRATION_TYPE 31
#define PM_BATCH          512            /* entries made under one lock hold */

static uint64_t page_bits(uint64_t pfn)
{
	struct page *p = pfn_to_page(pfn);

	if (!p)
		return 0;
	return (p->flags & (PG_pcache | PG_replica) ? PM_FILE : 0) |
	       (READ_ONCE(p->mapcount) == 1 ? PM_MMAP_EXCLUSIVE : 0);
}

/* The pagemap entry of one PTE. */
static uint64_t pagemap_entry(pte_t pte)
{
/* LAB pgtbl: BEGIN the pagemap entry of a PTE: present with its frame, swapped, migrating, or 0 */
	if (pte_present(pte))
		return PM_PRESENT | (pte_pfn(pte) & PM_PFN_MASK) | page_bits(pte_pfn(pte));
	if (pte_swap(pte))                   /* Linux: type in bits 0-4, offset above */
		return PM_SWAP | ((pte_swp_type(pte) | pte_swp_offset(pte) << 5) & PM_PFN_MASK);
	if (pte_migration(pte))
		return PM_SWAP | ((pte_pfn(pte) << 5) & PM_PFN_MASK) | PM_MIGRATION_TYPE |
		       page_bits(pte_pfn(pte));
	return 0;
/* LAB pgtbl: END */
/* LAB pgtbl: STUB
	(void)page_bits;
	return 0;
*/
}

/* n entries for the pages from va, under mm->lock (no allocation). */
static void pagemap_fill(struct mm *mm, uint64_t va, uint64_t *out, size_t n)
{
	spin_lock(&mm->lock);
	for (size_t i = 0; i < n; i++, va += PAGE_SIZE) {
		pte_t *ptep = pgtable_walk(mm, va, false);
		out[i] = ptep ? pagemap_entry(*ptep) : 0;
	}
	spin_unlock(&mm->lock);
}

/*
 * Read pagemap entries of mm into u from file position pos: whole
 * entries only (-EINVAL for a position or length not a multiple of 8, as
 * Linux), 0 past the user address space. Stops early on a fatal signal.
 * The entries are made under mm->lock into buf and copied out after it.
 */
ssize_t pagemap_read(struct mm *mm, struct uio *u, uint64_t pos, uint64_t *buf)
{
	ssize_t done = 0;

	if (pos % 8 || u->resid % 8)
		return -EINVAL;
	while (u->resid && pos / 8 < USER_TOP / PAGE_SIZE && !current->killed) {
		uint64_t va = pos / 8 * PAGE_SIZE;
		size_t n = MIN(MIN((size_t)PM_BATCH, u->resid / 8), (USER_TOP - va) / PAGE_SIZE);
		pagemap_fill(mm, va, buf, n);
		ssize_t c = uio_copy_out(u, buf, n * 8);
		if (c < 0)
			return done ? done : c;
		done += c;
		pos += (uint64_t)c;
		if ((size_t)c < n * 8)
			break;
	}
	return done;
}

/*
 * /proc/kpageflags: Linux's stable KPF_* bits (include/uapi/linux/
 * kernel-page-flags.h numbers them) for the flags Numbat has, and
 * KPF_RESERVED (32, one of Linux's "kernel hacking" bits) for frames of
 * the kernel, the firmware or a hole. A frame no node has is KPF_NOPAGE.
 */
#define KPF_LOCKED     0
#define KPF_REFERENCED 2
#define KPF_UPTODATE   3
#define KPF_DIRTY      4
#define KPF_LRU        5
#define KPF_ACTIVE     6
#define KPF_SLAB       7
#define KPF_BUDDY      10
#define KPF_MMAP       11
#define KPF_ANON       12
#define KPF_SWAPCACHE  13
#define KPF_SWAPBACKED 14
#define KPF_COMPOUND_HEAD 15
#define KPF_NOPAGE     20
#define KPF_PGTABLE    26
#define KPF_RESERVED   32

static const struct { uint32_t pg; int kpf; } kpf_map[] = {
	{ PG_referenced, KPF_REFERENCED }, { PG_dirty, KPF_DIRTY }, { PG_lru, KPF_LRU },
	{ PG_active, KPF_ACTIVE }, { PG_slab, KPF_SLAB }, { PG_buddy, KPF_BUDDY },
	{ PG_swapcache, KPF_SWAPCACHE }, { PG_head, KPF_COMPOUND_HEAD },
	{ PG_pgtable, KPF_PGTABLE }, { PG_reserved, KPF_RESERVED },
};

static uint64_t kpageflags_of(const struct page *p)
{
	if (!p)
		return 1ULL << KPF_NOPAGE;
	uint32_t f = READ_ONCE(p->flags);
	uint64_t k = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kpf_map); i++)
		if (f & kpf_map[i].pg)
			k |= 1ULL << kpf_map[i].kpf;
	if (page_locked(p))
		k |= 1ULL << KPF_LOCKED;
	if (READ_ONCE(p->mapcount) > 0)
		k |= 1ULL << KPF_MMAP;
	if (f & PG_anon)                     /* anonymous memory is swap-backed */
		k |= 1ULL << KPF_ANON | 1ULL << KPF_SWAPBACKED;
	if (f & (PG_anon | PG_pcache))       /* in use for user data: it is read */
		k |= 1ULL << KPF_UPTODATE;
	return k;
}

static uint64_t kpagecount_of(const struct page *p)
{
	return p ? (uint64_t)MAX(READ_ONCE(p->mapcount), 0) : 0;
}

/* One 64-bit word per frame from pos / 8 on, made by what(); the file
 * ends after the last frame of any node. */
static ssize_t kpage_read(struct uio *u, uint64_t pos, uint64_t (*what)(const struct page *))
{
	uint64_t end = 0, buf[64];
	ssize_t done = 0;
	int nid;

	if (pos % 8 || u->resid % 8)
		return -EINVAL;
	for_each_online_node(nid)
		end = MAX(end, numa_nodes[nid].end_pfn);
	for (uint64_t pfn = pos / 8; u->resid && pfn < end; ) {
		size_t n = MIN(MIN(ARRAY_SIZE(buf), u->resid / 8), end - pfn);
		for (size_t i = 0; i < n; i++, pfn++)
			buf[i] = what(pfn_to_page(pfn));
		ssize_t c = uio_copy_out(u, buf, n * 8);
		if (c < 0)
			return done ? done : c;
		done += c;
		if ((size_t)c < n * 8)
			break;
	}
	return done;
}

/* /proc/kpagecount: the map count of each frame, 0 for a frame no node has. */
ssize_t kpagecount_read(void *unused, struct uio *u, uint64_t pos)
{
	return kpage_read(u, pos, kpagecount_of);
}

ssize_t kpageflags_read(void *unused, struct uio *u, uint64_t pos)
{
	return kpage_read(u, pos, kpageflags_of);
}
