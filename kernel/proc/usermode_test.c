/*
 * User mode without files (ktest=usermode): tiny programs from
 * usermode_progs.asm run as real processes, with copy-on-write fork,
 * wait4's status word, and a fatal fault. The full user tests (user/tests)
 * need the file system; these check the mechanism underneath on its own.
 */
#include <kernel/ktest.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/signal.h>
#include <kernel/numa.h>
#include <kernel/string.h>
#include <arch/sched.h>
#include <arch/trap.h>

extern const uint8_t uprog_fork[], uprog_fork_end[];
extern const uint8_t uprog_segv[], uprog_segv_end[];

#define CODE 0x400000UL
#define DATA 0x600000UL

static int setup_mm(struct mm *mm, const uint8_t *code, size_t len)
{
	mm->stack_top = USER_TOP;
	if (vma_map(mm, CODE, PAGE_SIZE, PROT_READ | PROT_EXEC | PROT_WRITE, MAP_PRIVATE, NULL, 0) ||
	    vma_map(mm, DATA, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL, 0) ||
	    vma_map(mm, USER_TOP - 16 * PAGE_SIZE, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | VM_GROWSDOWN, NULL, 0) ||
	    vm_populate(mm, CODE, CODE + PAGE_SIZE))
		return -1;
	spin_lock(&mm->lock);
	pte_t *pte = pgtable_walk(mm, CODE, false);
	memcpy(phys_to_virt(pte_pfn(*pte) << PAGE_SHIFT), code, len);
	spin_unlock(&mm->lock);
	return 0;
}

/* Run code as a child of the current thread; returns its wait status. */
static int run_user(struct ktest_ctx *t, const uint8_t *code, size_t len)
{
	struct proc *p = proc_alloc("utest", numa_this_node());
	int status = -1;

	KTEST_EXPECT(t, p != NULL);
	if (!p)
		return -1;
	p->mm = mm_create();
	KTEST_EXPECT(t, p->mm && setup_mm(p->mm, code, len) == 0);
	arch_proc_init_stack(p, (void (*)(void *))user_enter, NULL);
	memset(p->tf, 0, sizeof(*p->tf));
	p->tf->rip = CODE;
	p->tf->rsp = USER_TOP - 64;
	p->tf->cs = USER_CS;
	p->tf->ss = USER_DS;
	p->tf->rflags = 0x202;
	arch_proc_set_start_arg(p, p->tf);
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	p->parent = current;
	list_add_tail(&p->sibling, &current->children);
	spin_unlock_irqrestore(&proc_lock, flags);
	int pid = p->pid;
	sched_start(p);
	KTEST_EXPECT_EQ(t, proc_wait(pid, &status, 0), pid);
	return status;
}

/*
 * Free pages once the machine is quiet: a process of an earlier test (an
 * orphan init reaps, a task that frees itself at its last switch) may give
 * its stack and page tables back a little later, and that must count
 * neither as a leak nor as a gain. Waits until the count stands still for
 * three 10 ms looks (at most a second).
 */
static uint64_t settled_free_pages(void)
{
	uint64_t last = pmm_free_pages_total();

	for (int still = 0, i = 0; still < 3 && i < 100; i++) {
		sched_sleep_ns(10 * 1000 * 1000);
		uint64_t now = pmm_free_pages_total();
		still = now == last ? still + 1 : 0;
		last = now;
	}
	return last;
}

KTEST(usermode, fork_cow_wait)
{
	uint64_t before = settled_free_pages();

	KTEST_EXPECT_EQ(t, run_user(t, uprog_fork, uprog_fork_end - uprog_fork),
			W_EXITCODE(95));
	KTEST_EXPECT_EQ(t, settled_free_pages(), before);
}

KTEST(usermode, kernel_write_is_sigsegv)
{
	uint64_t before = settled_free_pages();

	KTEST_EXPECT_EQ(t, run_user(t, uprog_segv, uprog_segv_end - uprog_segv),
			W_SIGNALED(SIGSEGV));
	KTEST_EXPECT_EQ(t, settled_free_pages(), before);
}

KTEST(usermode, many_in_parallel)
{
	uint64_t before = settled_free_pages();
	int ok = 0;

	for (int round = 0; round < 20; round++)
		ok += run_user(t, uprog_fork, uprog_fork_end - uprog_fork) == W_EXITCODE(95);
	KTEST_EXPECT_EQ(t, ok, 20);
	KTEST_EXPECT_EQ(t, settled_free_pages(), before);
}
