/* Tests of the slab caches and kmalloc (ktest=kmalloc). */
#include <kernel/ktest.h>
#include <kernel/slab.h>
#include <kernel/pmm.h>
#include <kernel/percpu.h>
#include <kernel/random.h>
#include <kernel/string.h>
#include <arch/smp.h>

static const size_t sizes[] = {
	1, 8, 15, 16, 17, 31, 32, 33, 63, 64, 100, 128, 200, 256, 500, 512,
	1000, 1024, 1500, 2048, 2049, 4096, 4097, 10000, 65536, 4 << 20,
};

/* The alignment kmalloc promises: the size class up to 2 KiB, then a page. */
static uint64_t class_align(size_t size)
{
	uint64_t a = 16;

	while (a < size && a < PAGE_SIZE)
		a <<= 1;
	return a;
}

KTEST(kmalloc, sizes_alignment_contents)
{
	void *p[ARRAY_SIZE(sizes)];
	uint64_t free_before = pmm_free_pages_total(), inuse = kmalloc_inuse();

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kmalloc(sizes[i]);
		KTEST_ASSERT(t, p[i] != NULL);
		KTEST_EXPECT_EQ(t, (uint64_t)p[i] % class_align(sizes[i]), 0);
		memset(p[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		const uint8_t *b = p[i];
		bool same = true;
		for (size_t k = 0; k < sizes[i]; k++)
			same = same && b[k] == (uint8_t)(i + 1);
		KTEST_EXPECT(t, same);
		kfree(p[i]);
	}
	KTEST_EXPECT_EQ(t, pmm_free_pages_total(), free_before);
	KTEST_EXPECT_EQ(t, kmalloc_inuse(), inuse);
}

KTEST(kmalloc, bad_sizes)
{
	KTEST_EXPECT(t, kmalloc(0) == NULL);
	KTEST_EXPECT(t, kmalloc((PAGE_SIZE << MAX_ORDER) + 1) == NULL);
	KTEST_EXPECT(t, kmalloc_node(64, MAX_NODES) == NULL);
	kfree(NULL);
}

/* An object asked for on node n lives on n, or on n's nearest node with
 * memory when n has none. */
KTEST(kmalloc, node_placement)
{
	int nid;

	for_each_online_node(nid) {
		int want = numa_nodes[nid].present_pages ? nid : numa_nodes[nid].fallback[0];
		void *small = kmalloc_node(64, nid), *big = kmalloc_node(3 * PAGE_SIZE, nid);

		KTEST_ASSERT(t, small && big);
		KTEST_EXPECT_EQ(t, virt_to_page(small)->node, want);
		KTEST_EXPECT_EQ(t, virt_to_page(big)->node, want);
		kfree(small);
		kfree(big);
	}
}

KTEST(kmalloc, cache_frees_empty_slabs)
{
	static struct kmem_cache c;
	void *objs[300];

	kmem_cache_init(&c, "test-96", 96, 32);
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = kmem_cache_alloc(&c, NUMA_NO_NODE);
		KTEST_ASSERT(t, objs[i] != NULL);
		KTEST_EXPECT_EQ(t, (uint64_t)objs[i] % 32, 0);
	}
	KTEST_EXPECT_EQ(t, kmem_cache_inuse(&c), ARRAY_SIZE(objs));
	KTEST_EXPECT_EQ(t, kmem_cache_slabs(&c),
			(ARRAY_SIZE(objs) + c.per_slab - 1) / c.per_slab);
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
		kmem_cache_free(&c, objs[i]);
	KTEST_EXPECT_EQ(t, kmem_cache_inuse(&c), 0);
	KTEST_EXPECT_EQ(t, kmem_cache_slabs(&c), 0);
}

/* kmem_cache_alloc_bulk: the rest of a partial slab, then new slabs, as
 * one list of distinct objects through their first word; counted in use
 * like single allocations, and freed one by one as usual. */
KTEST(kmalloc, cache_bulk_takes_runs)
{
	static struct kmem_cache c;
	static void *objs[150];
	void *one, *list = NULL;
	unsigned n = 0;

	kmem_cache_init(&c, "test-64", 64, 64);
	one = kmem_cache_alloc(&c, 0);               /* a partial slab */
	KTEST_ASSERT(t, one != NULL);
	KTEST_EXPECT_EQ(t, kmem_cache_alloc_bulk(&c, 0, ARRAY_SIZE(objs), &list),
			ARRAY_SIZE(objs));
	for (void *o = list; o && n <= ARRAY_SIZE(objs); o = *(void **)o) {
		if (n < ARRAY_SIZE(objs))
			objs[n] = o;
		n++;                                 /* a list too long stops here */
	}
	KTEST_EXPECT_EQ(t, n, ARRAY_SIZE(objs));
	KTEST_EXPECT_EQ(t, kmem_cache_inuse(&c), ARRAY_SIZE(objs) + 1);
	KTEST_EXPECT_EQ(t, kmem_cache_slabs(&c), (ARRAY_SIZE(objs) + 1 + 63) / 64);
	for (unsigned i = 0; i < n && i < ARRAY_SIZE(objs); i++) {
		KTEST_EXPECT(t, objs[i] != one && (uint64_t)objs[i] % 64 == 0);
		KTEST_EXPECT_EQ(t, virt_to_page(objs[i])->node, 0);
		for (unsigned j = 0; j < i; j++)
			KTEST_EXPECT(t, objs[j] != objs[i]);
	}
	for (unsigned i = 0; i < n && i < ARRAY_SIZE(objs); i++)
		kmem_cache_free(&c, objs[i]);
	kmem_cache_free(&c, one);
	KTEST_EXPECT_EQ(t, kmem_cache_inuse(&c), 0);
	KTEST_EXPECT_EQ(t, kmem_cache_slabs(&c), 0);
}

/*
 * Stress: every CPU at once allocates and frees random sizes through a
 * shared table, so objects are often freed by another CPU than the one that
 * allocated them. Each object carries its size and a fill byte to verify.
 */
#define STRESS_SLOTS 256
#define STRESS_OPS 3000

struct stress {
	void *slot[STRESS_SLOTS];
	int errors;
	struct cpumask ran;
};

static uint8_t fill_byte(size_t size)
{
	return (uint8_t)(size * 31 + 7);
}

static bool check_and_free(void *obj)
{
	size_t size = *(size_t *)obj;
	const uint8_t *b = obj;
	bool ok = true;

	for (size_t k = sizeof(size_t); k < size; k++)
		ok = ok && b[k] == fill_byte(size);
	kfree(obj);
	return ok;
}

static void stress_cpu(void *arg)
{
	struct stress *s = arg;
	uint64_t rng = 0x1234 + this_cpu_id();

	cpumask_set(&s->ran, this_cpu_id());
	for (int i = 0; i < STRESS_OPS; i++) {
		void **slot = &s->slot[xorshift64(&rng) % STRESS_SLOTS];
		void *old = __atomic_exchange_n(slot, NULL, __ATOMIC_ACQ_REL);

		if (old) {
			if (!check_and_free(old))
				__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		size_t size = sizeof(size_t) + xorshift64(&rng) % 3000;
		uint8_t *obj = kmalloc(size);
		if (!obj) {
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		*(size_t *)obj = size;
		memset(obj + sizeof(size_t), fill_byte(size), size - sizeof(size_t));
		old = __atomic_exchange_n(slot, obj, __ATOMIC_ACQ_REL);
		if (old && !check_and_free(old))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
}

KTEST(kmalloc, stress_all_cpus_at_once)
{
	static struct stress s;
	uint64_t free_before = pmm_free_pages_total(), inuse = kmalloc_inuse();

	memset(&s, 0, sizeof(s));
	smp_call_function_all(stress_cpu, &s);
	for (int i = 0; i < STRESS_SLOTS; i++)
		if (s.slot[i] && !check_and_free(s.slot[i]))
			s.errors++;
	KTEST_EXPECT_EQ(t, s.errors, 0);
	KTEST_EXPECT_EQ(t, s.ran.bits, cpu_online_mask.bits);
	KTEST_EXPECT_EQ(t, pmm_free_pages_total(), free_before);
	KTEST_EXPECT_EQ(t, kmalloc_inuse(), inuse);
}
