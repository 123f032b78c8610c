/*
 * stat path...: show what lstat says about each path.
 *
 * System calls: lstat (newfstatat), write.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *type(mode_t m)
{
	return S_ISREG(m) ? "regular file" : S_ISDIR(m) ? "directory" :
	       S_ISLNK(m) ? "symbolic link" : S_ISCHR(m) ? "character device" :
	       S_ISBLK(m) ? "block device" : S_ISFIFO(m) ? "fifo" : "socket";
}

int main(int argc, char *argv[])
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (lstat(argv[i], &st) < 0) {
			fprintf(stderr, "stat: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		printf("  File: %s\n  Type: %s\n  Size: %lld  Blocks: %lld  Links: %lu\n"
		       " Inode: %lu  Device: %#lx  Mode: %04o  Uid: %u  Gid: %u\n",
		       argv[i], type(st.st_mode), (long long)st.st_size,
		       (long long)st.st_blocks, (unsigned long)st.st_nlink,
		       (unsigned long)st.st_ino, (unsigned long)st.st_dev,
		       st.st_mode & 07777, st.st_uid, st.st_gid);
	}
	if (argc < 2)
		fprintf(stderr, "usage: stat path...\n");
	return status || argc < 2;
}
