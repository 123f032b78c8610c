/*
 * Memory policies (ktest=mempolicy): Linux's policy strings, which moves
 * the balancing daemon may make, and where each mode's pages come from.
 */
#include <kernel/ktest.h>
#include <kernel/mempolicy.h>
#include <kernel/mm.h>
#include <kernel/pmm.h>
#include <kernel/string.h>
#include <kernel/proc.h>

static struct vma vma_with(uint16_t mode, uint16_t flags, uint32_t nodes)
{
	struct vma v = { .start = 0x100000, .end = 0x200000 };

	v.mpol = (struct mempolicy){ mode, flags, nodes, nodes };
	return v;
}

static bool formats(uint16_t mode, uint16_t flags, uint32_t nodes, const char *want)
{
	struct vma v = vma_with(mode, flags, nodes);
	char buf[64];
	int n = mpol_format(&v, buf, sizeof(buf));

	return !strcmp(buf, want) && n == (int)strlen(want);
}

KTEST(mempolicy, format_as_linux)
{
	KTEST_EXPECT(t, formats(MPOL_DEFAULT, 0, 0, "default"));
	KTEST_EXPECT(t, formats(MPOL_LOCAL, 0, 0, "local"));
	KTEST_EXPECT(t, formats(MPOL_PREFERRED, 0, 2, "prefer:1"));
	KTEST_EXPECT(t, formats(MPOL_BIND, 0, 3, "bind:0-1"));
	KTEST_EXPECT(t, formats(MPOL_INTERLEAVE, 0, 5, "interleave:0,2"));
	KTEST_EXPECT(t, formats(MPOL_INTERLEAVE, 0, 0x2d, "interleave:0,2-3,5"));
	KTEST_EXPECT(t, formats(MPOL_BIND, MPOL_F_STATIC_NODES, 2, "bind=static:1"));
	KTEST_EXPECT(t, formats(MPOL_PREFERRED, MPOL_F_RELATIVE_NODES, 1, "prefer=relative:0"));
	KTEST_EXPECT(t, formats(MPOL_BIND, MPOL_F_NUMA_BALANCING, 1, "bind=balancing:0"));
	KTEST_EXPECT(t, formats(MPOL_BIND, MPOL_F_STATIC_NODES | MPOL_F_NUMA_BALANCING, 1,
				"bind=static|balancing:0"));
}

KTEST(mempolicy, format_truncates)
{
	struct vma v = vma_with(MPOL_INTERLEAVE, 0, 3);
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	int n = mpol_format(&v, buf, 6);
	KTEST_EXPECT_EQ(t, n, 5);
	KTEST_EXPECT(t, !strcmp(buf, "inter"));
	KTEST_EXPECT_EQ(t, buf[6], 'x');
}

KTEST(mempolicy, balancing_moves_allowed)
{
	struct vma bind = vma_with(MPOL_BIND, 0, 2), pref = vma_with(MPOL_PREFERRED, 0, 2);
	struct vma il = vma_with(MPOL_INTERLEAVE, 0, 3), local = vma_with(MPOL_LOCAL, 0, 0);

	KTEST_EXPECT(t, !mpol_allows_node(&bind, 0));
	KTEST_EXPECT(t, mpol_allows_node(&bind, 1));
	KTEST_EXPECT(t, !mpol_allows_node(&pref, 0));
	KTEST_EXPECT(t, mpol_allows_node(&pref, 1));
	KTEST_EXPECT(t, !mpol_allows_node(&il, 0));
	KTEST_EXPECT(t, !mpol_allows_node(&il, 1));
	KTEST_EXPECT(t, mpol_allows_node(&local, 0));
	KTEST_EXPECT(t, !mpol_allows_node(&bind, -1));
}

/* The node of a page allocated for pol and ilx (freed again), or -1. */
static int alloc_node(uint16_t mode, uint32_t nodes, uint64_t ilx)
{
	struct mempolicy pol = { mode, 0, nodes, 0 };
	struct page *p = mpol_alloc_with(&pol, ilx, PMM_USER);
	int node = p ? p->node : -1;

	if (p)
		pmm_free_pages(p, 0);
	return node;
}

KTEST(mempolicy, placement)
{
	uint32_t mems = mpol_mems_allowed();

	if (mpol_weight(mems) < 2) {
		ktest_skip(t, "needs two nodes with memory");
		return;
	}
	int a = __builtin_ctz(mems), b = __builtin_ctz(mems & (mems - 1));
	KTEST_EXPECT_EQ(t, alloc_node(MPOL_BIND, 1U << b, MPOL_NO_ILX), b);
	KTEST_EXPECT_EQ(t, alloc_node(MPOL_PREFERRED, 1U << a, MPOL_NO_ILX), a);
	KTEST_EXPECT_EQ(t, alloc_node(MPOL_PREFERRED, 1U << b, MPOL_NO_ILX), b);
	uint32_t two = (1U << a) | (1U << b);
	KTEST_EXPECT_EQ(t, alloc_node(MPOL_INTERLEAVE, two, 10), a);
	KTEST_EXPECT_EQ(t, alloc_node(MPOL_INTERLEAVE, two, 11), b);
	KTEST_EXPECT_EQ(t, mpol_target_node(&(struct mempolicy){ MPOL_BIND, 0, 1U << b, 0 },
					    MPOL_NO_ILX), b);
}

/* numa_maps' view: a VMA without a policy shows its process's. */
KTEST(mempolicy, format_proc_falls_back)
{
	struct mempolicy bind0 = { MPOL_BIND, 0, 1, 0 }, dflt = { MPOL_DEFAULT, 0, 0, 0 };
	struct vma none = vma_with(MPOL_DEFAULT, 0, 0), pref = vma_with(MPOL_PREFERRED, 0, 2);
	char buf[32];

	mpol_set_task(&bind0);
	mpol_format_proc(current, &none, buf, sizeof(buf));
	KTEST_EXPECT(t, !strcmp(buf, "bind:0"));
	mpol_format_proc(current, &pref, buf, sizeof(buf));
	KTEST_EXPECT(t, !strcmp(buf, "prefer:1"));
	mpol_format(&none, buf, sizeof(buf));
	KTEST_EXPECT(t, !strcmp(buf, "default"));
	mpol_set_task(&dflt);
	mpol_format_proc(current, &none, buf, sizeof(buf));
	KTEST_EXPECT(t, !strcmp(buf, "default"));
}
