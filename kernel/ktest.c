/*
 * The in-kernel test runner: finds the suites registered in .ktests, runs
 * the ones `ktest=` names, and prints KTAP version 1 as KUnit does: one
 * top-level result per suite, its tests as indented subtests.
 */
#include <kernel/ktest.h>
#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/string.h>

extern const struct ktest __ktests_start[], __ktests_end[];

void ktest_fail(struct ktest_ctx *t, const char *file, int line,
		const char *fmt, ...)
{
	char msg[120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("    # %s:%d: expectation failed: %s\n", file, line, msg);
	if (!t->failed)
		snprintf(t->reason, sizeof(t->reason), "%s:%d", file, line);
	t->failed = true;
}

void ktest_skip(struct ktest_ctx *t, const char *reason)
{
	t->skipped = true;
	strlcpy(t->reason, reason, sizeof(t->reason));
}

/* Is `suite` in the comma-separated list `want` (or is want "all")? */
static bool suite_wanted(const char *want, const struct ktest *k)
{
	size_t n = strlen(k->suite);

	if (!strcmp(want, "all"))
		return !k->explicit_only;
	for (const char *p = want; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncmp(p, k->suite, n))
			return true;
		p += len + (comma ? 1 : 0);
	}
	return false;
}

/* The first test of each suite, in link order; suites are contiguous. */
static bool first_of_suite(const struct ktest *k)
{
	return k == __ktests_start || strcmp(k[-1].suite, k->suite);
}

static int suite_size(const struct ktest *k)
{
	int n = 0;

	while (k + n < __ktests_end && !strcmp(k[n].suite, k->suite))
		n++;
	return n;
}

#define MAX_SUITE 64

/* The compiler may emit a file's records in any order: sort by line. */
static int sort_by_line(const struct ktest *first, int n, const struct ktest **out)
{
	if (n > MAX_SUITE)
		panic("ktest: suite %s has more than %d tests", first->suite, MAX_SUITE);
	for (int i = 0; i < n; i++) {
		int j = i;
		while (j > 0 && out[j - 1]->line > first[i].line) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = &first[i];
	}
	return n;
}

static bool run_suite(const struct ktest *first, int n)
{
	const struct ktest *order[MAX_SUITE];
	bool ok = true;

	n = sort_by_line(first, n, order);
	printk("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", first->suite, n);
	for (int i = 0; i < n; i++) {
		struct ktest_ctx ctx = { 0 };

		order[i]->fn(&ctx);
		if (ctx.failed)
			printk("    not ok %d %s # %s\n", i + 1, order[i]->name, ctx.reason);
		else if (ctx.skipped)
			printk("    ok %d %s # SKIP %s\n", i + 1, order[i]->name, ctx.reason);
		else
			printk("    ok %d %s\n", i + 1, order[i]->name);
		ok = ok && !ctx.failed;
	}
	return ok;
}

bool ktest_run_requested(void)
{
	const char *want = cmdline_get("ktest");
	int nsuites = 0, idx = 0;

	if (!want)
		return false;
	for (const struct ktest *k = __ktests_start; k < __ktests_end; k++)
		if (first_of_suite(k) && suite_wanted(want, k))
			nsuites++;
	printk("KTAP version 1\n1..%d\n", nsuites);
	for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
		if (!first_of_suite(k) || !suite_wanted(want, k))
			continue;
		bool ok = run_suite(k, suite_size(k));
		printk("%sok %d %s\n", ok ? "" : "not ", ++idx, k->suite);
	}
	printk("ktest: done\n");
	return true;
}
