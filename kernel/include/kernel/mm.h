/*
 * Address spaces. A process's struct mm holds its page tables (the user
 * half of a PML4 whose kernel half is shared by all) and its VMAs: the
 * ranges of user addresses that mean something, each with a protection,
 * and either anonymous memory or a window onto a file.
 *
 *   mm->vmas (sorted by start, never overlapping)
 *     [0x400000-0x401000 r-x file /bin/sh pgoff 0]
 *     [0x401000-0x403000 rw- file /bin/sh pgoff 1, private]
 *     [0x403000-0x405000 rw- anon (bss, brk)]
 *     ...
 *     [0x7ffffffde000-0x7ffffffff000 rw- anon stack, grows down]
 *
 * Locking: mm->lock protects the VMA list, the page tables and the RSS
 * counters. Never copy to or from user memory while holding it (a fault
 * would take it again).
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <kernel/types.h>
#include <kernel/list.h>
#include <kernel/spinlock.h>
#include <kernel/cpumask.h>
#include <kernel/page.h>
#include <kernel/usercopy.h>
#include <kernel/mempolicy.h>
#include <arch/pte.h>

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE  0x8000
#define MAP_FIXED_NOREPLACE 0x100000

#define VM_GROWSDOWN (1U << 16)    /* the stack: extends down on a fault */

#define STACK_MAX (8UL << 20)      /* how far the stack may grow */
#define STACK_GUARD (256UL << 10)  /* gap kept below the stack */
#define MMAP_BASE 0x0000100000000000UL  /* where mmap(NULL, ...) starts */
#define USER_SPACE_END USER_TOP

struct inode;
struct anon_vma;

/*
 * The object-based reverse map (rmap=obj, rmap=hybrid; rmap_obj.c) finds
 * a page's PTEs from the VMAs: a file VMA is on its file's i_mmap list,
 * a private VMA (rmap=obj only) on its anon_vma's list. Those links and
 * anon_pgoff are kept by vma.c and fork through rmap_vma_*() (rmap.h).
 */
struct vma {
	uint64_t start, end;       /* [start, end), page aligned */
	uint32_t prot;             /* PROT_* */
	uint32_t flags;            /* MAP_SHARED or MAP_PRIVATE, VM_GROWSDOWN */
	struct inode *inode;       /* file-backed: a reference; NULL: anonymous */
	uint64_t pgoff;            /* file page mapped at start */
	struct mempolicy mpol;     /* mbind; MPOL_DEFAULT: the task's applies */
	struct list_head node;     /* on mm->vmas */
	struct mm *mm;             /* the address space it belongs to */
	struct list_head i_mmap_node;  /* on inode->mapping.i_mmap (rmap_obj_lock) */
	struct anon_vma *anon_vma; /* rmap=obj, private: its anonymous pages' object */
	struct list_head anon_node;    /* on anon_vma->vmas (rmap_obj_lock) */
	uint64_t anon_pgoff;       /* linear page number of start for anonymous
				      pages: start >> PAGE_SHIFT when made, kept
				      when split (+ offset), grown or moved */
};

struct mm {
	uint64_t pml4_phys;
	uint64_t *pml4;
	struct spinlock lock;      /* VMAs, page tables, rss (see above) */
	struct list_head vmas;
	int nr_vmas;
	struct list_head dead_vmas;  /* unmapped file VMAs whose inode is put
					by mm_unlock, outside the lock */
	uint64_t brk_start, brk;   /* heap: [brk_start, brk) */
	uint64_t stack_top;
	uint64_t rss_anon, rss_file;   /* resident pages */
	uint64_t swapents;         /* PTEs holding a swap entry (VmSwap) */
	uint64_t pgtables;         /* page-table pages below the PML4 (VmPTE); mm->lock */
	struct cpumask cpus;       /* CPUs that have these page tables loaded */
	int users;                 /* references (fork shares nothing: 1) */
	int node;                  /* where its page tables are allocated */
	struct inode *exe_inode;   /* the program (for /proc/<pid>/maps) */
	struct list_head mm_node;  /* on mm_list (rmap.h) */
	char exe_path[64];
	/* Where exec put argv and envp strings and argc on the stack
	 * (/proc/PID/cmdline, environ and stat read them, as Linux). */
	uint64_t arg_start, arg_end, env_start, env_end, start_stack;

	/* NUMA balancing (numa_balancing.c). The scanner runs in the owning
	 * process only (at its return to user mode), so the scan fields are
	 * its own; the fault counts and numa_home change under mm->lock and
	 * are read without it (a heuristic). */
	uint64_t numa_next_scan;   /* clock_ns of the next window; 0: not started */
	uint64_t numa_scan_offset; /* user address the next window starts at */
	uint32_t numa_scan_period; /* ms between windows (0: not set yet) */
	int numa_home;             /* node of its last hint fault or scan, or -1 */
	int numa_scan_node;        /* node its last window was scanned from */
	uint32_t numa_faults_local, numa_faults_remote;  /* hint faults, this window */
};

struct mm *mm_create(void);
void mm_put(struct mm *mm);
void mm_get(struct mm *mm);
/* Drop mm->lock, then put the inodes of the file VMAs unmapped under it:
 * an inode put may sleep (the file system's mutex), so it waits until no
 * spinlock is held. Use it wherever VMAs may have been unmapped. */
void mm_unlock(struct mm *mm);
struct mm *mm_dup(struct mm *old, int *err);  /* fork: copy-on-write */

struct vma *vma_find(struct mm *mm, uint64_t addr);  /* containing addr */
bool vma_find_any(struct mm *mm, uint64_t start, uint64_t len);
struct vma *vma_above(struct mm *mm, uint64_t addr);
bool vma_range_mapped(struct mm *mm, uint64_t start, uint64_t end);
void vma_zap(struct mm *mm, uint64_t start, uint64_t end);
int vma_map(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot,
	    uint32_t flags, struct inode *inode, uint64_t pgoff);
int vma_unmap(struct mm *mm, uint64_t start, uint64_t len);
int vma_protect(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot);
int vma_set_policy(struct mm *mm, uint64_t start, uint64_t end,
		   const struct mempolicy *pol);
uint64_t vma_free_area(struct mm *mm, uint64_t hint, uint64_t len);
/* Split VMAs so that none straddles start or end (0 or -ENOMEM); put v
 * into the sorted list (its range must be free). mm->lock held. */
int vma_split_edges(struct mm *mm, uint64_t start, uint64_t end);
void vma_insert(struct mm *mm, struct vma *v);

/* Page tables of the user half (arch/x86_64/pgtable.c). */
pte_t *pgtable_walk(struct mm *mm, uint64_t va, bool alloc);
void pgtable_free_range(struct mm *mm, uint64_t start, uint64_t end);
void pgtable_free_all(struct mm *mm);
typedef int (*pgtable_range_fn)(struct mm *mm, pte_t *ptep, uint64_t va,
				uint64_t next, void *arg);
int pgtable_range(struct mm *mm, uint64_t start, uint64_t end,
		  pgtable_range_fn fn, void *arg);
void pgtable_for_each_pte(struct mm *mm,
			  void (*fn)(struct mm *, pte_t *, uint64_t va, void *),
			  void *arg);
void mm_flush_tlb(struct mm *mm, uint64_t va);  /* every CPU using mm */

/* /proc/PID/pagemap and /proc/kpagecount (pagemap.c). buf: PAGE_SIZE bytes. */
struct uio;
ssize_t pagemap_read(struct mm *mm, struct uio *u, uint64_t pos, uint64_t *buf);
ssize_t kpagecount_read(void *unused, struct uio *u, uint64_t pos);
ssize_t kpageflags_read(void *unused, struct uio *u, uint64_t pos);
void mm_flush_tlb_all(struct mm *mm);
/* Flush the user TLB entries of every CPU in cpus (reclaim's batch). */
void tlb_flush_cpus(const struct cpumask *cpus);

/* Page faults: 0 (the page is mapped for the access: fault.c has the
 * exact contract), or -EFAULT (bad access: SIGSEGV), -ENXIO, -EIO, -ENOMEM. */
#define FAULT_WRITE (1U << 0)
#define FAULT_EXEC  (1U << 1)
#define FAULT_USER  (1U << 2)
#define FAULT_PRESENT (1U << 3)      /* the PTE was present: a protection fault */
#define FAULT_UNUSE   (1U << 4)      /* swapoff: bring a swap entry back in, whatever
					the VMA's protection; touch nothing else */
int vm_fault(struct mm *mm, uint64_t addr, unsigned flags);
/* The PTE at ptep (mm->lock held) held a swap entry and is being cleared:
 * drop the entry's use of its slot. */
void swap_pte_free(struct mm *mm, pte_t pte);

/* Pages mapped into user page tables. */
void get_page(struct page *p);
void put_page(struct page *p);
int page_map(struct mm *mm, pte_t *ptep, struct page *p, pte_t pte);
void page_unmap(struct mm *mm, pte_t *ptep);
void page_unmap_table(struct mm *mm, pte_t *ptep, unsigned n);  /* n slots of one table */
void page_unmap_account(struct mm *mm, struct page *p, pte_t old);
void page_release(struct page *p);         /* drop a mapping's reference */
int vm_populate(struct mm *mm, uint64_t start, uint64_t end);

#endif
