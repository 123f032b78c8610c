/*
 * statfs: statfs and fstatfs as Linux returns them. f_type is each file
 * system's magic number (the root's matches its type in /proc/mounts;
 * /proc, /sys and /dev are procfs, sysfs and tmpfs), the counts are
 * consistent, writing a file uses blocks and an inode (checked where the
 * root is ext2, whose counts nothing else changes meanwhile), and the
 * errors are Linux's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define EXT2_MAGIC  0xEF53
#define PROC_MAGIC  0x9fa0
#define SYSFS_MAGIC 0x62656572
#define TMPFS_MAGIC 0x01021994
#define ST_VALID    0x0020
#define SCRATCH     "statfs.tmp"
#define BADP        ((void *)1)

static long sfs(const char *p, struct statfs *s) { return syscall(SYS_statfs, p, s); }

/* The type /proc/mounts gives the mount at exactly path, in buf. */
static const char *mount_type(const char *path, char *buf, size_t size)
{
	static char text[16384];
	char dev[256], dir[256], type[64];
	const char *found = NULL;

	if (read_file("/proc/mounts", text, sizeof(text)) < 0)
		return NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 && !strcmp(dir, path)) {
			snprintf(buf, size, "%s", type);
			found = buf;           /* the last one mounted there wins */
		}
	return found;
}

static long magic_of(const char *type)
{
	static const struct { const char *name; long magic; } t[] = {
		{ "ext2", EXT2_MAGIC }, { "ext3", EXT2_MAGIC }, { "ext4", EXT2_MAGIC },
		{ "proc", PROC_MAGIC }, { "sysfs", SYSFS_MAGIC }, { "tmpfs", TMPFS_MAGIC },
		{ "devtmpfs", TMPFS_MAGIC }, { "overlay", 0x794c7630 }, { "xfs", 0x58465342 },
		{ "btrfs", 0x9123683e },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].name, type))
			return t[i].magic;
	return -1;
}

static void check_root(void)
{
	struct statfs s, fs;
	char type[64];
	const char *name = mount_type("/", type, sizeof(type));
	long want = name ? magic_of(name) : -1;

	ok(sfs("/", &s) == 0, "statfs(\"/\")");
	if (want < 0)
		skip("root type unknown here", "f_type of / is its type's magic");
	else
		ok((long)s.f_type == want, "f_type of / (%s) is %#lx (got %#lx)", name, want, (long)s.f_type);
	ok(s.f_bsize > 0 && s.f_frsize == s.f_bsize && s.f_namelen == 255,
	   "f_bsize %ld = f_frsize %ld, f_namelen %ld", (long)s.f_bsize, (long)s.f_frsize,
	   (long)s.f_namelen);
	ok(s.f_blocks > 0 && s.f_bfree <= s.f_blocks && s.f_bavail <= s.f_bfree &&
	   s.f_ffree <= s.f_files, "blocks %lu >= free %lu >= available %lu; files %lu >= free %lu",
	   (unsigned long)s.f_blocks, (unsigned long)s.f_bfree, (unsigned long)s.f_bavail,
	   (unsigned long)s.f_files, (unsigned long)s.f_ffree);
	ok(s.f_flags & ST_VALID, "f_flags has ST_VALID (%#lx)", (long)s.f_flags);
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	ok(syscall(SYS_fstatfs, fd, &fs) == 0 && fs.f_type == s.f_type && fs.f_bsize == s.f_bsize &&
	   fs.f_blocks == s.f_blocks && fs.f_files == s.f_files, "fstatfs agrees with statfs");
	close(fd);
}

/* Where the file system is ext2 and quiet, 1 MiB written and synced uses
 * at least 1 MiB of blocks (plus an indirect block or so) and one inode. */
static void check_counts_move(void)
{
	struct statfs a, b;
	static char buf[1 << 20];

	if (sfs(".", &a) || a.f_type != EXT2_MAGIC || !is_numbat()) {
		skip("only on Numbat's ext2, nothing else writing", "writing 1 MiB uses its blocks");
		skip("only on Numbat's ext2, nothing else writing", "creating a file uses an inode");
		return;
	}
	int fd = open(SCRATCH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'x', sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (long)sizeof(buf) || fsync(fd))
		ktap_bail("cannot write and fsync 1 MiB");
	sfs(".", &b);
	unsigned long want = sizeof(buf) / a.f_bsize, used = a.f_bfree - b.f_bfree;
	ok(used >= want && used <= want + 4, "1 MiB used %lu blocks of %ld bytes (want %lu..%lu)",
	   used, (long)a.f_bsize, want, want + 4);
	ok(a.f_ffree - b.f_ffree == 1, "one inode used (%lu -> %lu)",
	   (unsigned long)a.f_ffree, (unsigned long)b.f_ffree);
	close(fd);
	unlink(SCRATCH);
}

/* f_type and f_blocks of path's file system, or -1. */
static long type_of(const char *path, unsigned long *blocks)
{
	struct statfs s;

	if (sfs(path, &s))
		return -1;
	if (blocks)
		*blocks = s.f_blocks;
	return (long)s.f_type;
}

static void check_virtual(void)
{
	unsigned long blocks = 0;
	long t = type_of("/proc", NULL);

	ok(t == PROC_MAGIC, "/proc: PROC_SUPER_MAGIC (%#lx)", t);
	t = type_of("/proc/self/status", NULL);
	ok(t == PROC_MAGIC, "a file in /proc too (%#lx)", t);
	t = type_of("/sys", NULL);
	ok(t == SYSFS_MAGIC, "/sys: SYSFS_MAGIC (%#lx)", t);
	t = type_of("/dev", &blocks);
	ok(t == TMPFS_MAGIC && blocks > 0, "/dev: TMPFS_MAGIC with a size (%#lx, %lu blocks)",
	   t, blocks);
}

static void check_errors(void)
{
	struct statfs s;
	int fd = open("/proc/self/status", O_RDONLY);

	ok_errno(sfs("/nonexistent", &s), ENOENT, "statfs: ENOENT");
	ok_errno(sfs("/proc/self/status/x", &s), ENOTDIR, "statfs: ENOTDIR");
	ok_errno(sfs(BADP, &s), EFAULT, "statfs bad path: EFAULT");
	ok_errno(sfs("/", BADP), EFAULT, "statfs bad buffer: EFAULT");
	ok_errno(sfs("", &s), ENOENT, "statfs(\"\"): ENOENT");
	ok_errno(syscall(SYS_fstatfs, -1, &s), EBADF, "fstatfs(-1): EBADF");
	ok_errno(syscall(SYS_fstatfs, fd, BADP), EFAULT, "fstatfs bad buffer: EFAULT");
	close(fd);
}

/* busybox df reads statfs for every mount. */
static void check_busybox_df(void)
{
	if (access("/bin/busybox", X_OK)) {
		skip("no /bin/busybox", "busybox df");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl("/bin/busybox", "df", "/", "/proc", (char *)NULL);
		_exit(127);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	ok(exited_with(status, 0), "busybox df / /proc exits 0 (%s)", status_str(status));
}

int main(void)
{
	ktap_plan("statfs", 6 + 2 + 4 + 7 + 1);
	check_root();
	check_counts_move();
	check_virtual();
	check_errors();
	check_busybox_df();
	return ktap_done();
}
