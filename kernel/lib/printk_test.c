/* Tests of the kernel's formatting (ktest=printk). */
#include <kernel/ktest.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#define EXPECT_FMT(t, want, ...)                                         \
	do {                                                             \
		char buf_[64];                                           \
		snprintf(buf_, sizeof(buf_), __VA_ARGS__);               \
		if (strcmp(buf_, want))                                  \
			ktest_fail(t, __FILE__, __LINE__, "got '%s' want '%s'", buf_, want); \
	} while (0)

KTEST(printk, integers)
{
	EXPECT_FMT(t, "-42 42 ff FF 17", "%d %u %x %X %o", -42, 42u, 255u, 255u, 15u);
	EXPECT_FMT(t, "[   7|7   |007]", "[%4d|%-4d|%03d]", 7, 7, 7);
	EXPECT_FMT(t, "ffffffffffffffff", "%lx", ~0UL);
	EXPECT_FMT(t, "-9223372036854775808", "%ld", (long)(1ULL << 63));
	EXPECT_FMT(t, "0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
}

KTEST(printk, strings_and_truncation)
{
	char small[5];
	const char *volatile null = NULL;   /* hidden from GCC's format check */

	EXPECT_FMT(t, "a (null) %", "%c %s %%", 'a', null);
	EXPECT_FMT(t, "[  ab|ab  ]", "[%4s|%-4s]", "ab", "ab");
	KTEST_EXPECT_EQ(t, snprintf(small, sizeof(small), "%s", "abcdefgh"), 8);
	KTEST_EXPECT(t, !strcmp(small, "abcd"));
}
