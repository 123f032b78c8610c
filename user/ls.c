/*
 * ls [-l] [path...]: list directories (the current one when no path is
 * given), one name a line, sorted. -l adds mode, link count and size:
 *
 *     drwxr-xr-x   2     1024 bin
 *
 * System calls: open + getdents64 (opendir/readdir), lstat (newfstatat),
 * readlink, close, write.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int long_format;

/* "drwxr-xr-x" for a mode. */
static const char *mode_str(mode_t m)
{
	static char s[11];
	const char *rwx = "rwxrwxrwx";

	s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' :
	       S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
	for (int i = 0; i < 9; i++)
		s[i + 1] = (m & (0400 >> i)) ? rwx[i] : '-';
	s[10] = '\0';
	return s;
}

/* Print one entry: name is what to show, path where it is. */
static void show(const char *path, const char *name)
{
	struct stat st;
	char target[256];
	ssize_t n;

	if (!long_format) {
		printf("%s\n", name);
		return;
	}
	if (lstat(path, &st) < 0) {
		printf("?????????? %3s %8s %s\n", "?", "?", name);
		return;
	}
	printf("%s %3lu %8lld %s", mode_str(st.st_mode), (unsigned long)st.st_nlink,
	       (long long)st.st_size, name);
	if (S_ISLNK(st.st_mode) && (n = readlink(path, target, sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		printf(" -> %s", target);
	}
	printf("\n");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List one directory (or show one file). Returns 0, or -1 on an error. */
static int list(const char *path)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	if (lstat(path, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		show(path, path);
		return 0;
	}
	if (!(d = opendir(path)))
		goto fail;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;                  /* hidden, like ls */
		if (n == cap && !(names = realloc(names, (cap = cap * 2 + 16) * sizeof(*names))))
			break;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char full[1024];
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		show(full, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
fail:
	dprintf(2, "ls: %s: %s\n", path, strerror(errno));
	return -1;
}

int main(int argc, char *argv[])
{
	int first = 1, status = 0;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		long_format = 1;
		first++;
	}
	if (first == argc)
		return list(".") < 0;
	for (int i = first; i < argc; i++) {
		if (argc - first > 1)              /* several: name each one */
			printf("%s%s:\n", i > first ? "\n" : "", argv[i]);
		if (list(argv[i]) < 0)
			status = 1;
	}
	return status;
}
