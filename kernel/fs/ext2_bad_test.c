/*
 * Damaged images (ktest=ext2_bad, only when named): the harness boots
 * images it damaged on purpose (tests/fsimg.py: corrupt) and checks what
 * this prints. Each probe is one operation on one damaged structure; on a
 * good image every probe returns 0. The test itself only asserts that the
 * kernel survives and that each result is 0 or a file-system error.
 */
#include "fs_test_util.h"
#include <kernel/errno.h>
#include <kernel/printk.h>

static bool acceptable(int rc)
{
	return rc >= 0 || rc == -EIO || rc == -EUCLEAN;
}

KTEST_EXPLICIT(ext2_bad, probe)
{
	struct kstat st;
	char buf[64];
	struct inode *r = vfs_root();

	if (!r) {
		printk("probe: no root\n");
		return;
	}
	inode_put(r);
	int rc = fst_read("/ptr/x", 0, buf, sizeof(buf));
	printk("probe: read /ptr/x = %d\n", rc < 0 ? rc : 0);
	KTEST_EXPECT(t, acceptable(rc));
	rc = vfs_stat(NULL, "/ino/x", 0, &st);
	printk("probe: stat /ino/x = %d\n", rc);
	KTEST_EXPECT(t, acceptable(rc));
	rc = vfs_stat(NULL, "/len/x", 0, &st);
	printk("probe: stat /len/x = %d\n", rc);
	KTEST_EXPECT(t, acceptable(rc));
	rc = vfs_rename(NULL, "/cyc/top", "/cyc/a/b/top");
	printk("probe: rename /cyc/top /cyc/a/b/top = %d\n", rc);
	KTEST_EXPECT(t, acceptable(rc));
	rc = vfs_stat(NULL, "/hello", 0, &st);
	printk("probe: stat /hello = %d\n", rc);
	KTEST_EXPECT_EQ(t, rc, 0);
}
