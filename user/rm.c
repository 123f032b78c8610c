/*
 * rm [-r] path...: remove files. With -r, remove directories and everything
 * in them.
 *
 * System calls: unlink, rmdir, lstat (newfstatat), open + getdents64
 * (opendir/readdir), close, write.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Remove path; a directory (and its contents) only when recursive.
 * Returns 0, or -1 after printing why. */
static int remove_path(const char *path, int recursive)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			goto fail;
		return 0;
	}
	if (!recursive) {
		dprintf(2, "rm: %s: is a directory (use -r)\n", path);
		return -1;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	int status = 0;

	if (!d)
		goto fail;
	while ((e = readdir(d)) != NULL) {
		char child[1024];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		if (remove_path(child, 1) < 0)
			status = -1;
	}
	closedir(d);
	if (status == 0 && rmdir(path) < 0)
		goto fail;
	return status;
fail:
	dprintf(2, "rm: %s: %s\n", path, strerror(errno));
	return -1;
}

int main(int argc, char *argv[])
{
	int i = 1, recursive = 0, status = 0;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		recursive = 1;
		i++;
	}
	if (i >= argc) {
		dprintf(2, "usage: rm [-r] path...\n");
		return 1;
	}
	for (; i < argc; i++)
		if (remove_path(argv[i], recursive) < 0)
			status = 1;
	return status;
}
