/*
 * The kernel's protections (paging.c, kstack.c, protect.c).
 *
 * ktest=protect (part of ktest=all) checks the page tables and control
 * registers themselves: which kernel pages are writable or executable,
 * that the guard pages are not mapped, that user copies still work under
 * SMAP.
 *
 * The other suites are deliberate crashes, one per boot as ktest=trap_pf
 * (tests/cases.py checks the trap report): the kernel executes a user page
 * (SMEP), reads a user page outside a user copy (SMAP), writes its own text
 * (also through the direct map) and rodata, executes its data (NX), overflows a kernel thread's stack
 * (guard page) and overruns a buffer on the stack (stack protector). Each
 * one fails instead of crashing when its protection is off (nosmep, nosmap,
 * rodata=off; a kernel without the guard pages or -fstack-protector).
 */
#include <kernel/ktest.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/numa.h>
#include <kernel/usercopy.h>
#include <kernel/string.h>
#include <kernel/pmm.h>
#include <arch/paging.h>
#include <arch/pte.h>
#include <arch/io.h>
#include <arch/irq.h>
#include <arch/smp.h>
#include <kernel/percpu.h>

#define UPAGE 0x400000UL        /* the test's user page */
#define RET 0xc3                /* x86 `ret` */

extern char _text[], _etext[], _rodata[], _data[], _kernel_end[];
extern char boot_stack[];

static const uint32_t rodata_word = 0x600dc0de;
static uint8_t data_ret[16] = { RET };          /* .data, not .bss */

/* An address space with one present user page holding `ret`, executable
 * (so that only SMEP can stop the kernel from running it). */
static struct mm *user_page_mm(void)
{
	struct mm *mm = mm_create();

	if (!mm || vma_map(mm, UPAGE, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE, NULL, 0) || vm_populate(mm, UPAGE, UPAGE + PAGE_SIZE))
		return NULL;
	spin_lock(&mm->lock);
	pte_t *pte = pgtable_walk(mm, UPAGE, false);
	*(uint8_t *)phys_to_virt(pte_pfn(*pte) << PAGE_SHIFT) = RET;
	spin_unlock(&mm->lock);
	return mm;
}

static bool writable(uint64_t pte)   { return pte & PTE_W; }
static bool executable(uint64_t pte) { return !(pte & PTE_NX); }

KTEST(protect, kernel_image_is_w_xor_x)
{
	uint64_t text = paging_kernel_pte((uint64_t)_text);
	uint64_t ro = paging_kernel_pte((uint64_t)&rodata_word);
	uint64_t data = paging_kernel_pte((uint64_t)data_ret);

	KTEST_ASSERT(t, pte_nx != 0);           /* -cpu max and qemu64 both have NX */
	KTEST_EXPECT(t, text && executable(text) && !writable(text));
	KTEST_EXPECT(t, ro && !executable(ro) && !writable(ro));
	KTEST_EXPECT(t, data && !executable(data) && writable(data));
	for (uint64_t va = (uint64_t)_text; va < (uint64_t)_kernel_end; va += PAGE_SIZE) {
		uint64_t pte = paging_kernel_pte(va);
		if (pte && writable(pte) && executable(pte))
			ktest_fail(t, __FILE__, __LINE__, "%lx is writable and executable", va);
	}
}

KTEST(protect, direct_map_is_nx)
{
	for (uint64_t pa = 0; pa < (1UL << 30); pa += HUGE_2M) {
		uint64_t pte = paging_kernel_pte((uint64_t)phys_to_virt(pa));
		if (!pte || executable(pte))
			ktest_fail(t, __FILE__, __LINE__, "direct map of %lx: pte %lx", pa, pte);
	}
}

/* The direct map's alias of the image is read-only where the image is. */
KTEST(protect, image_alias_in_direct_map)
{
	uint64_t text = paging_kernel_pte((uint64_t)phys_to_virt(virt_to_phys(_text)));
	uint64_t ro = paging_kernel_pte((uint64_t)phys_to_virt(virt_to_phys(&rodata_word)));
	uint64_t data = paging_kernel_pte((uint64_t)phys_to_virt(virt_to_phys(data_ret)));

	KTEST_EXPECT(t, text && !executable(text) && !writable(text));
	KTEST_EXPECT(t, ro && !executable(ro) && !writable(ro));
	KTEST_EXPECT(t, data && !executable(data) && writable(data));
}

KTEST(protect, guard_pages_are_unmapped)
{
	char *kstack = current->kstack;

	KTEST_EXPECT(t, paging_kernel_pte((uint64_t)kstack) != 0);
	KTEST_EXPECT(t, !executable(paging_kernel_pte((uint64_t)kstack)));
	KTEST_EXPECT_EQ(t, paging_kernel_pte((uint64_t)kstack - 1), 0);
	KTEST_EXPECT(t, stack_guard_hit((uint64_t)kstack - 8));
	KTEST_EXPECT(t, !stack_guard_hit((uint64_t)kstack));
	KTEST_EXPECT_EQ(t, paging_kernel_pte((uint64_t)boot_stack - 1), 0);
	KTEST_EXPECT(t, paging_kernel_pte((uint64_t)boot_stack) != 0);
	KTEST_EXPECT(t, stack_guard_hit((uint64_t)boot_stack - PAGE_SIZE));
}

struct cpu_regs {
	uint64_t cr0, cr4, efer;
};
static struct cpu_regs regs_of[MAX_CPUS];

static void read_regs(void *unused)
{
	struct cpu_regs *r = &regs_of[this_cpu_id()];

	__asm__ volatile("mov %%cr0, %0" : "=r"(r->cr0));
	r->cr4 = read_cr4();
	r->efer = rdmsr(MSR_EFER);
}

/* Every CPU (the APs set theirs up on their own): CR0.WP, EFER.NXE, and
 * CR4.SMEP/SMAP exactly when CPUID has them. */
KTEST(protect, control_registers_on_every_cpu)
{
	uint32_t a, b, c, d;
	int cpu;

	cpuid(7, 0, &a, &b, &c, &d);
	memset(regs_of, 0, sizeof(regs_of));
	smp_call_function_all(read_regs, NULL);
	for_each_cpu_in(cpu, &cpu_online_mask) {
		struct cpu_regs *r = &regs_of[cpu];
		KTEST_EXPECT(t, r->cr0 & (1UL << 16));          /* WP */
		KTEST_EXPECT(t, r->efer & EFER_NXE);
		KTEST_EXPECT_EQ(t, !!(r->cr4 & CR4_SMEP), !!(b & (1U << 7)));
		KTEST_EXPECT_EQ(t, !!(r->cr4 & CR4_SMAP), !!(b & (1U << 20)));
	}
	if (!(b & (1U << 20)))
		ktest_skip(t, "this CPU has no SMAP (QEMU_CPU=max has it)");
}

/* More stacks than the area has slots, one after another: freed slots
 * come back (after a TLB shootdown), each new stack is mapped with its
 * guard under it, and every frame goes back to the allocator. */
KTEST(protect, kernel_stacks_are_recycled)
{
	uint64_t before = pmm_free_pages_total();

	for (int i = 0; i < 2500; i++) {
		volatile uint64_t *s = kstack_alloc(numa_this_node());
		if (!s) {
			ktest_fail(t, __FILE__, __LINE__, "stack %d: no stack", i);
			break;
		}
		s[0] = i;                       /* lowest word, and the top one */
		s[(PAGE_SIZE << KSTACK_ORDER) / 8 - 1] = i;
		if (paging_kernel_pte((uint64_t)s - 1) || !stack_guard_hit((uint64_t)s - 1))
			ktest_fail(t, __FILE__, __LINE__, "stack %d: no guard", i);
		kstack_free((void *)s);
	}
	KTEST_EXPECT_EQ(t, pmm_free_pages_total(), before);
}

/* With SMAP on, the user copies open and close their window: data still
 * goes both ways, and RFLAGS.AC is clear again afterwards, also after a
 * copy that faulted half way and left through its exception fixup. */
KTEST(protect, user_copies_work_under_smap)
{
	struct mm *mm = user_page_mm();
	char buf[8] = "abcdefg", back[8] = { 0 };
	uint64_t old = read_cr3(), flags;

	KTEST_ASSERT(t, mm != NULL);
	flags = irq_save();
	write_cr3(mm->pml4_phys);
	size_t out = copy_to_user((void *)(UPAGE + 8), buf, 8);
	size_t in = copy_from_user(back, (void *)(UPAGE + 8), 8);
	uint64_t rflags_ok = irq_save();
	size_t half = copy_to_user((void *)(UPAGE + PAGE_SIZE - 4), buf, 8);
	uint64_t rflags = irq_save();
	write_cr3(old);
	irq_restore(flags);
	KTEST_EXPECT_EQ(t, out, 0);
	KTEST_EXPECT_EQ(t, in, 0);
	KTEST_EXPECT(t, !memcmp(buf, back, 8));
	KTEST_EXPECT_EQ(t, half, 4);            /* the next page is not mapped */
	KTEST_EXPECT(t, !(rflags_ok & (1UL << 18)));            /* AC */
	KTEST_EXPECT(t, !(rflags & (1UL << 18)));
	mm_put(mm);
}

/* ---- deliberate crashes: each ends the boot with a trap report ---- */

__attribute__((noinline)) void ktest_smep_fn(void)
{
	struct mm *mm = user_page_mm();

	if (!mm)
		return;
	irq_disable();
	write_cr3(mm->pml4_phys);
	((void (*)(void))UPAGE)();              /* SMEP: page fault, fetch */
	write_cr3(kernel_pml4_phys());
	irq_enable();
}

KTEST_EXPLICIT(protect_smep, kernel_executes_user_page)
{
	ktest_smep_fn();
	ktest_fail(t, __FILE__, __LINE__, "the kernel ran a user page: no SMEP");
}

__attribute__((noinline)) void ktest_smap_fn(void)
{
	struct mm *mm = user_page_mm();

	if (!mm)
		return;
	irq_disable();
	write_cr3(mm->pml4_phys);
	(void)*(volatile uint8_t *)UPAGE;       /* SMAP: page fault, present */
	write_cr3(kernel_pml4_phys());
	irq_enable();
}

KTEST_EXPLICIT(protect_smap, kernel_reads_user_page)
{
	ktest_smap_fn();
	ktest_fail(t, __FILE__, __LINE__, "the kernel read a user page: no SMAP");
}

/* Write a byte of its own code with the value it has: harmless if it works. */
__attribute__((noinline)) void ktest_text_write_fn(void)
{
	volatile uint8_t *p = (volatile uint8_t *)ktest_text_write_fn;

	*p = *p;
}

KTEST_EXPLICIT(protect_text, kernel_writes_its_text)
{
	ktest_text_write_fn();
	ktest_fail(t, __FILE__, __LINE__, "kernel text is writable");
}

/* The same byte through the direct map, the other address of every frame. */
__attribute__((noinline)) void ktest_alias_write_fn(void)
{
	volatile uint8_t *p = phys_to_virt(virt_to_phys(ktest_alias_write_fn));

	*p = *p;
}

KTEST_EXPLICIT(protect_alias, kernel_writes_its_text_via_direct_map)
{
	ktest_alias_write_fn();
	ktest_fail(t, __FILE__, __LINE__, "the direct map's alias of kernel text is writable");
}

__attribute__((noinline)) void ktest_rodata_write_fn(void)
{
	volatile uint32_t *p = (volatile uint32_t *)&rodata_word;

	*p = *p;
}

KTEST_EXPLICIT(protect_rodata, kernel_writes_its_rodata)
{
	ktest_rodata_write_fn();
	ktest_fail(t, __FILE__, __LINE__, "kernel rodata is writable");
}

__attribute__((noinline)) void ktest_nx_data_fn(void)
{
	((void (*)(void))data_ret)();           /* NX: page fault, fetch */
}

KTEST_EXPLICIT(protect_nx, kernel_executes_its_data)
{
	ktest_nx_data_fn();
	ktest_fail(t, __FILE__, __LINE__, "kernel data is executable");
}

/* Each call keeps 256 bytes live on the stack; 16 KiB run out in ~60. */
__attribute__((noinline)) int ktest_recurse_fn(int depth)
{
	volatile char frame[256];

	frame[0] = (char)depth;
	if (depth > 100000)
		return frame[0];
	return ktest_recurse_fn(depth + 1) + frame[0];
}

static int recurse_thread(void *arg)
{
	return ktest_recurse_fn(0);
}

KTEST_EXPLICIT(protect_stack, kernel_thread_overflows_its_stack)
{
	struct proc *p = kthread_create("recurse", recurse_thread, NULL, numa_this_node());

	KTEST_ASSERT(t, p != NULL);
	sched_sleep_ns(2000000000UL);     /* nobody waits for kernel threads */
	ktest_fail(t, __FILE__, __LINE__, "the overflow went unnoticed");
}

/* Overrun a local array by 8 bytes: the stack protector's guard sits
 * right above it, so the check on return stops the kernel. */
__attribute__((noinline)) void ktest_smash_fn(void)
{
	char buf[16];
	volatile char *p = buf;

	for (unsigned i = 0; i < sizeof(buf) + 8; i++)
		p[i] = 'A';
}

KTEST_EXPLICIT(protect_canary, stack_buffer_overrun)
{
	ktest_smash_fn();
	ktest_fail(t, __FILE__, __LINE__, "the overrun went unnoticed");
}
