/* User copies must fail cleanly on bad pointers (ktest=usercopy). */
#include <kernel/ktest.h>
#include <kernel/usercopy.h>
#include <kernel/uio.h>
#include <kernel/errno.h>

KTEST(usercopy, bad_pointers_fail_cleanly)
{
	char buf[16] = "hello";
	char *unmapped_user = (char *)0x10000000;      /* nothing mapped there */

	KTEST_EXPECT_EQ(t, copy_to_user(unmapped_user, buf, 8), 8);
	KTEST_EXPECT_EQ(t, copy_from_user(buf, unmapped_user, 8), 8);
	KTEST_EXPECT_EQ(t, copy_to_user(buf, buf, 4), 4);           /* kernel address */
	KTEST_EXPECT_EQ(t, copy_to_user((void *)(USER_TOP - 4), buf, 8), 8); /* straddles */
	KTEST_EXPECT_EQ(t, copy_from_user(buf, NULL, 1), 1);
	KTEST_EXPECT_EQ(t, strncpy_from_user(buf, unmapped_user, 16), -EFAULT);
	KTEST_EXPECT_EQ(t, copy_to_user(unmapped_user, buf, 0), 0);
}

KTEST(usercopy, uio_kernel_and_user)
{
	char src[8] = "abcdefg", dst[8] = { 0 };
	struct uio k = UIO_KERNEL(dst, 4), u = UIO_USER((void *)0x10000000, 4);

	KTEST_EXPECT_EQ(t, uio_copy_out(&k, src, 8), 4);
	KTEST_EXPECT(t, dst[0] == 'a' && dst[3] == 'd' && dst[4] == 0);
	KTEST_EXPECT_EQ(t, k.resid, 0);
	KTEST_EXPECT_EQ(t, uio_copy_out(&u, src, 4), -EFAULT);
}

/* Copying 0 bytes is no fault, even to a user buffer with room left: a
 * read at end of file (the console after ^D) returns 0, not EFAULT. */
KTEST(usercopy, uio_zero_bytes_is_not_a_fault)
{
	char src[4] = "abc";
	struct uio u = UIO_USER((void *)0x10000000, 16);

	KTEST_EXPECT_EQ(t, uio_copy_out(&u, src, 0), 0);
	KTEST_EXPECT_EQ(t, uio_copy_in(&u, src, 0), 0);
	KTEST_EXPECT_EQ(t, u.resid, 16);
}
