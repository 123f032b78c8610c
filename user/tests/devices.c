/*
 * devices: device files, as Linux has them.
 *
 * - /dev holds the kernel's devices with Linux's numbers: null, zero,
 *   full, urandom, console, and the disk (vda) when there is one; each
 *   behaves as on Linux (null swallows writes without touching the
 *   buffer, full fails writes with ENOSPC, a disk reads its own bytes and
 *   reports its size).
 * - mknod makes device nodes on the disk. A node is opened through its
 *   driver: writing to a node of /dev/null's number goes nowhere, and above
 *   all not into the node's data blocks, where ext2 keeps the device number
 *   (a kernel that wrote there damaged the inode table; e2fsck, which the
 *   harness runs after this boot, is the judge). A number with no driver
 *   gives ENXIO. The old and the new on-disk encodings are both used
 *   (minor 3 and minor 300).
 * - On Numbat, a node made on the host by debugfs when the image was built
 *   (/tests/hostnull, c 1 3) is written to as well.
 *
 * Runs on Linux too (as root, for mknod).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ktap.h"

#define NODE "devtest.null"
#define NODE_BIG "devtest.300"
#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

static char buf[8192];

/* stat path: a device of this type and number? */
static int is_dev(const char *path, mode_t type, unsigned maj, unsigned min)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type &&
	       major(st.st_rdev) == maj && minor(st.st_rdev) == min;
}

static int all_zero(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void check_mem_devices(void)
{
	ok(is_dev("/dev/null", S_IFCHR, 1, 3), "/dev/null is char 1:3");
	int fd = open("/dev/null", O_RDWR);
	ok(fd >= 0 && write(fd, "hello", 5) == 5, "/dev/null takes a write");
	ok(syscall(SYS_write, fd, (void *)8, 100) == 100,
	   "/dev/null takes a write from a bad pointer without reading it");
	ok(read(fd, buf, sizeof(buf)) == 0, "/dev/null reads end of file");
	close(fd);

	ok(is_dev("/dev/zero", S_IFCHR, 1, 5), "/dev/zero is char 1:5");
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 'x', sizeof(buf));
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == sizeof(buf) && all_zero(buf, sizeof(buf)),
	   "/dev/zero reads 8192 zero bytes");
	close(fd);

	ok(is_dev("/dev/full", S_IFCHR, 1, 7), "/dev/full is char 1:7");
	fd = open("/dev/full", O_RDWR);
	ok_errno(write(fd, "x", 1), ENOSPC, "/dev/full: write");
	close(fd);

	char a[64], b[64];
	ok(is_dev("/dev/urandom", S_IFCHR, 1, 9), "/dev/urandom is char 1:9");
	fd = open("/dev/urandom", O_RDONLY);
	ok(fd >= 0 && read(fd, a, 64) == 64 && read(fd, b, 64) == 64 && memcmp(a, b, 64) &&
	   !all_zero(a, 64), "/dev/urandom: two reads of 64 bytes differ");
	close(fd);

	ok(is_dev("/dev/console", S_IFCHR, 5, 1), "/dev/console is char 5:1");
	fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	ok(fd >= 0 && isatty(fd), "/dev/console is a terminal");
	close(fd);
}

/* The root disk through its node: the ext2 (or ext4) magic at 1080. */
static void check_disk(void)
{
	struct stat st;

	if (stat("/dev/vda", &st) != 0) {
		skip("no /dev/vda here", "/dev/vda");
		skip("no /dev/vda here", "/dev/vda size");
		skip("no /dev/vda here", "/dev/vda read");
		return;
	}
	ok(S_ISBLK(st.st_mode), "/dev/vda is a block device (%u:%u)",
	   major(st.st_rdev), minor(st.st_rdev));
	int fd = open("/dev/vda", O_RDONLY);
	if (fd < 0 && !is_numbat()) {          /* a container may forbid it */
		skip(strerror(errno), "/dev/vda size");
		skip(strerror(errno), "/dev/vda read");
		return;
	}
	uint64_t bytes = 0;
	off_t end = lseek(fd, 0, SEEK_END);
	ok(end > 0 && ioctl(fd, BLKGETSIZE64, &bytes) == 0 && (uint64_t)end == bytes,
	   "its size: lseek(SEEK_END) %lld, BLKGETSIZE64 %llu", (long long)end,
	   (unsigned long long)bytes);
	unsigned char m[2] = { 0, 0 };
	ok(pread(fd, m, 2, 1080) == 2 && m[0] == 0x53 && m[1] == 0xef,
	   "pread at 1080 finds the ext2 magic 0xef53");
	close(fd);
}

static void check_mknod(void)
{
	unlink(NODE);
	unlink(NODE_BIG);
	ok(mknod(NODE, S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod " NODE " c 1 3");
	ok(is_dev(NODE, S_IFCHR, 1, 3), "stat shows char 1:3");
	int fd = open(NODE, O_RDWR);
	int good = fd >= 0;
	memset(buf, 0xa5, sizeof(buf));
	for (int i = 0; good && i < 64; i++)
		good = write(fd, buf, sizeof(buf)) == sizeof(buf);
	ok(good, "512 KiB written to it go to the null device");
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 0, "and it reads as end of file");
	close(fd);
	ok_errno(mknod(NODE, S_IFCHR | 0666, makedev(1, 3)), EEXIST, "mknod of an existing name");
	ok_errno(mknod("devtest.dir", S_IFDIR | 0755, 0), EPERM, "mknod S_IFDIR");
	ok_errno(mknod("devtest.bad", 0170000 | 0644, 0), EINVAL, "mknod of no valid type");

	ok(mknod(NODE_BIG, S_IFCHR | 0600, makedev(1, 300)) == 0 &&
	   is_dev(NODE_BIG, S_IFCHR, 1, 300), "mknod c 1 300 (the new encoding) reads back");
	ok_errno(open(NODE_BIG, O_RDWR), ENXIO, "opening a number no driver has");
	ok(mknod("devtest.reg", S_IFREG | 0644, 0) == 0 && unlink("devtest.reg") == 0,
	   "mknod S_IFREG makes a regular file");
}

static void check_host_node(void)
{
	if (!is_numbat()) {
		skip("the image's node is Numbat's", "/tests/hostnull number");
		skip("the image's node is Numbat's", "/tests/hostnull writes");
		return;
	}
	ok(is_dev("/tests/hostnull", S_IFCHR, 1, 3), "/tests/hostnull (made by debugfs) is char 1:3");
	int fd = open("/tests/hostnull", O_WRONLY);
	int good = fd >= 0;
	for (int i = 0; good && i < 16; i++)
		good = write(fd, buf, sizeof(buf)) == sizeof(buf);
	ok(good, "it takes 128 KiB as /dev/null does");
	close(fd);
}

int main(void)
{
	ktap_plan("devices", 27);
	check_mem_devices();
	check_disk();
	check_mknod();
	check_host_node();
	return ktap_done();
}
