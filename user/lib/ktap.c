/*
 * ktap.c: print test results as KTAP (see ktap.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"

static const char *suite_name = "test";
static int planned, count, passed, failed, skipped;

void ktap_plan(const char *suite, int n)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	suite_name = suite;
	planned = n;
	printf("KTAP version 1\n# Subtest: %s\n1..%d\n", suite, n);
}

/* Print one result line: "ok N name" or "not ok N name # why". */
static void report(int cond, const char *directive, const char *fmt, va_list ap)
{
	char name[256];

	vsnprintf(name, sizeof(name), fmt, ap);
	count++;
	if (directive && strncmp(directive, "SKIP", 4) == 0)
		skipped++;
	else if (cond)
		passed++;
	else
		failed++;
	printf("%s %d %s", cond ? "ok" : "not ok", count, name);
	if (directive && *directive)
		printf(" # %s", directive);
	printf("\n");
}

int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, NULL, fmt, ap);
	va_end(ap);
	return cond;
}

int ok_why(int cond, const char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, cond ? NULL : why, fmt, ap);
	va_end(ap);
	return cond;
}

int ok_errno(long ret, int want, const char *fmt, ...)
{
	int err = errno;
	int cond = (ret == -1 && err == want);
	char why[96];
	va_list ap;

	if (ret != -1)
		snprintf(why, sizeof(why), "returned %ld, want -1 (%s)", ret, strerror(want));
	else
		snprintf(why, sizeof(why), "errno %d (%s), want %d (%s)", err,
			 strerror(err), want, strerror(want));
	va_start(ap, fmt);
	report(cond, cond ? NULL : why, fmt, ap);
	va_end(ap);
	errno = err;
	return cond;
}

void skip(const char *why, const char *fmt, ...)
{
	char directive[160];
	va_list ap;

	snprintf(directive, sizeof(directive), "SKIP %s", why);
	va_start(ap, fmt);
	report(1, directive, fmt, ap);
	va_end(ap);
}

void ktap_get(struct ktap_state *s)
{
	s->count = count;
	s->passed = passed;
	s->failed = failed;
	s->skipped = skipped;
}

void ktap_set(const struct ktap_state *s)
{
	count = s->count;
	passed = s->passed;
	failed = s->failed;
	skipped = s->skipped;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* On Numbat, after every test: do the page tables and the reverse map
 * still agree? /proc/rmap_check runs the kernel's rmap_check when opened
 * and says "ok" or lists the disagreements. 1 if they agree. */
static int rmap_agrees(void)
{
	char buf[2048];

	if (!is_numbat())
		return 1;
	if (read_file("/proc/rmap_check", buf, sizeof(buf)) < 0) {
		printf("# rmap_check: cannot read /proc/rmap_check\n");
		return 0;
	}
	if (!strcmp(buf, "ok\n"))
		return 1;
	printf("# rmap_check failed:\n%s", buf);
	return 0;
}

int ktap_done(void)
{
	int rmap_ok = rmap_agrees();

	printf("# %s: pass:%d fail:%d skip:%d total:%d%s\n", suite_name, passed,
	       failed, skipped, count, rmap_ok ? "" : " (rmap_check failed)");
	if (count != planned) {
		printf("# %s: %d results for plan 1..%d\n", suite_name, count, planned);
		return 1;
	}
	fflush(stdout);
	return failed || !rmap_ok ? 1 : 0;
}

void ktap_bail(const char *why)
{
	printf("Bail out! %s\n", why);
	ktap_done();
	exit(1);
}
