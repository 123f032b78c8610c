/*
 * mkdir [-p] dir...: make directories. With -p, make missing parents too
 * and don't complain about directories that already exist.
 *
 * System calls: mkdir, stat (newfstatat), write.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Make path and, first, each missing parent. Returns 0 or -1 (errno set). */
static int mkdir_p(char *path)
{
	struct stat st;

	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';                        /* path is now a parent */
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) < 0) {
		if (errno != EEXIST || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	int i = 1, parents = 0, status = 0;

	if (argc > 1 && strcmp(argv[1], "-p") == 0) {
		parents = 1;
		i++;
	}
	if (i >= argc) {
		dprintf(2, "usage: mkdir [-p] dir...\n");
		return 1;
	}
	for (; i < argc; i++) {
		if ((parents ? mkdir_p(argv[i]) : mkdir(argv[i], 0755)) < 0) {
			dprintf(2, "mkdir: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		}
	}
	return status;
}
