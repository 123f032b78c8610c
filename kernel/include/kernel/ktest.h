/*
 * In-kernel tests, printed as KTAP (the format of Linux's KUnit).
 *
 *   KTEST(pmm, alloc_local) { KTEST_EXPECT(t, x == 1); }
 *
 * registers test "alloc_local" in suite "pmm" (a struct ktest in the .ktests
 * section, see linker.ld). `ktest=all` runs every suite, `ktest=pmm,acpi` the
 * named ones. Suites declared with KTEST_EXPLICIT (tests that crash on
 * purpose) run only when named.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include <kernel/types.h>

struct ktest_ctx {
	bool failed;
	bool skipped;
	char reason[160];
};

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(struct ktest_ctx *t);
	bool explicit_only;
	int line;                  /* tests of a suite run in source order */
};

#define KTEST_DEFINE(suite_, name_, explicit_)                                \
	static void ktest_##suite_##_##name_(struct ktest_ctx *t);            \
	static const struct ktest ktest_rec_##suite_##_##name_                \
		__section(".ktests") __used __aligned(8) = {                  \
		#suite_, #name_, ktest_##suite_##_##name_, explicit_, __LINE__ };       \
	static void ktest_##suite_##_##name_(struct ktest_ctx *t)

#define KTEST(suite, name) KTEST_DEFINE(suite, name, false)
#define KTEST_EXPLICIT(suite, name) KTEST_DEFINE(suite, name, true)

void ktest_fail(struct ktest_ctx *t, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ktest_skip(struct ktest_ctx *t, const char *reason);

/* Record a failure and go on. */
#define KTEST_EXPECT(t, cond)                                                 \
	do {                                                                  \
		if (!(cond))                                                  \
			ktest_fail(t, __FILE__, __LINE__, "%s", #cond);       \
	} while (0)

/* Record a failure and leave the test function. */
#define KTEST_ASSERT(t, cond)                                                 \
	do {                                                                  \
		if (!(cond)) {                                                \
			ktest_fail(t, __FILE__, __LINE__, "%s", #cond);       \
			return;                                               \
		}                                                             \
	} while (0)

/* Compare two integers and show both values on failure. */
#define KTEST_EXPECT_EQ(t, a, b)                                              \
	do {                                                                  \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (a_ != b_)                                                 \
			ktest_fail(t, __FILE__, __LINE__, "%s == %s (%lld != %lld)", \
				   #a, #b, a_, b_);                           \
	} while (0)

/* Run what the command line asks for; returns true if any test ran. */
bool ktest_run_requested(void);

#endif
