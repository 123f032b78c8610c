/*
 * ps: list processes. Every numeric directory in /proc is a process; its
 * /proc/PID/status file has "Name:" and "State:" lines. Prints
 *
 *       PID STATE NAME
 *         1 S     init
 *
 * System calls: open + getdents64 (opendir/readdir), read, close, write.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copy the value of "key:" in status (up to the end of line) into out. */
static void field(const char *status, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	snprintf(out, size, "?");
	for (const char *p = status; p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			p += klen + 1;
			p += strspn(p, " \t");
			snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
			return;
		}
	}
}

static int by_number(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Print one process's line; silently skip one that exited meanwhile. */
static void show(int pid)
{
	char path[64], buf[4096], name[64], state[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	field(buf, "Name", name, sizeof(name));
	field(buf, "State", state, sizeof(state));
	state[strcspn(state, " ")] = '\0';     /* "S (sleeping)" -> "S" */
	printf("%6d %-5s %s\n", pid, state, name);
}

int main(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int *pids = NULL;
	size_t n = 0, cap = 0;

	if (!d) {
		perror("ps: /proc");
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || pid <= 0)
			continue;                  /* not a process */
		if (n == cap && !(pids = realloc(pids, (cap = cap * 2 + 64) * sizeof(*pids))))
			return 1;
		pids[n++] = pid;
	}
	closedir(d);
	qsort(pids, n, sizeof(*pids), by_number);
	printf("%6s %-5s %s\n", "PID", "STATE", "NAME");
	for (size_t i = 0; i < n; i++)
		show(pids[i]);
	free(pids);
	return 0;
}
