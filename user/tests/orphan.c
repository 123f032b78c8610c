/*
 * orphan: files unlinked while open, still held when the first process
 * exits.
 *
 * The test forks children that each make a file in /tmp, keep it open (or
 * mapped), unlink it and then write to it without end; one of them also
 * sits in a directory that it removed. Each child reports to the parent
 * through a pipe that its file has no name left, a link count of 0, and
 * still takes writes. The parent checks the reports and exits while the
 * children are still writing.
 *
 * Run as init with `poweroff`, the kernel must end those children and
 * delete their files before it syncs and powers off: the harness then runs
 * e2fsck -fn on the disk image, which must find no inode left allocated
 * with no links (the regression this test is for). With the argument
 * `hold` the parent never exits: the harness kills QEMU while the children
 * write, and checks that e2fsck repairs what an unclean stop leaves.
 *
 * On Linux the children see their parent go (getppid changes) and exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define NCHILD 4
#define CHUNK 4096
#define FILE_MAX (256 * 1024)      /* a writer starts over from 0 here */
#define MAP_LEN (64 * 1024)

enum kind { K_WRITE, K_APPEND, K_MMAP, K_CWD };

static const char *const kind_name[] = {
	"pwrite", "O_APPEND write", "shared mapping, fd closed",
	"pwrite, in a removed directory",
};

/* What a child tells its parent. */
struct report {
	int idx;
	int no_name;       /* stat(path) failed with ENOENT */
	int nlink0;        /* fstat says st_nlink == 0 */
	int writes;        /* writes after the unlink succeeded */
};

static char buf[CHUNK];

static void path_of(char *p, size_t n, int idx)
{
	snprintf(p, n, "/tmp/orphan.%d.%d", (int)getppid(), idx);
}

/* K_CWD: make a directory, go into it and remove it (cwd without a name).
 * Returns the file's path relative to it. */
static const char *enter_removed_dir(int idx, char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/orphan.%d.d%d", (int)getppid(), idx);
	if (mkdir(dir, 0755) || chdir(dir))
		return NULL;
	return "f";
}

/* Write one chunk the child's way; FILE_MAX bytes in, start over at 0. */
static int write_chunk(int fd, enum kind k, char *map, long *off)
{
	int r;

	memset(buf, 'a' + (int)(*off / CHUNK % 26), sizeof(buf));
	if (k == K_MMAP) {
		memcpy(map + *off % MAP_LEN, buf, 64);
		r = 1;
	} else if (k == K_APPEND) {
		r = write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
	} else {
		r = pwrite(fd, buf, sizeof(buf), *off) == (ssize_t)sizeof(buf);
	}
	*off += CHUNK;
	if (*off >= FILE_MAX) {
		*off = 0;
		if (k != K_MMAP && ftruncate(fd, 0))
			r = 0;
	}
	return r;
}

/* Open, unlink, check, report, then write until the parent is gone. */
static void child(int idx, int wfd, pid_t parent)
{
	enum kind k = (enum kind)idx;
	char path[64], dir[64];
	const char *name = path;
	struct report rep = { .idx = idx };
	struct stat st;
	char *map = NULL;
	long off = 0;

	path_of(path, sizeof(path), idx);
	if (k == K_CWD && !(name = enter_removed_dir(idx, dir, sizeof(dir))))
		_exit(2);
	int fd = open(name, O_CREAT | O_RDWR | O_TRUNC | (k == K_APPEND ? O_APPEND : 0), 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || unlink(name))
		_exit(2);
	if (k == K_CWD && rmdir(dir))
		_exit(2);
	if (k == K_MMAP) {
		if (ftruncate(fd, MAP_LEN))
			_exit(2);
		map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			_exit(2);
	}
	rep.nlink0 = fstat(fd, &st) == 0 && st.st_nlink == 0;
	rep.no_name = stat(name, &st) < 0 && errno == ENOENT;
	if (k == K_MMAP)
		close(fd);              /* only the mapping holds the file now */
	for (int i = 0; i < 8; i++)
		rep.writes += write_chunk(fd, k, map, &off);
	if (write(wfd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(3);
	close(wfd);
	while (getppid() == parent)
		write_chunk(fd, k, map, &off);
	_exit(0);
}

/* Read the children's reports: one check each. Returns how many came. */
static int check_reports(int rfd)
{
	struct report rep;
	int got = 0;

	while (got < NCHILD && read(rfd, &rep, sizeof(rep)) == (ssize_t)sizeof(rep)) {
		got++;
		if (rep.idx < 0 || rep.idx >= NCHILD)
			continue;
		ok(rep.no_name && rep.nlink0 && rep.writes == 8,
		   "child %d (%s): unlinked file has no name, st_nlink 0, takes writes "
		   "(%d %d %d)", rep.idx, kind_name[rep.idx], rep.no_name, rep.nlink0,
		   rep.writes);
	}
	return got;
}

int main(int argc, char **argv)
{
	int hold = argc > 1 && strcmp(argv[1], "hold") == 0;
	int fds[2];
	pid_t self = getpid();

	ktap_plan("orphan", NCHILD + 1);
	if (pipe(fds))
		ktap_bail("pipe");
	for (int i = 0; i < NCHILD; i++) {
		pid_t pid = fork();
		if (pid < 0)
			ktap_bail("fork");
		if (pid == 0) {
			close(fds[0]);
			child(i, fds[1], self);
		}
	}
	close(fds[1]);
	int got = check_reports(fds[0]);
	ok_why(got == NCHILD, "a child failed before reporting",
	       "%d of %d children report, and keep writing", got, NCHILD);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);         /* let them write a little more */
	if (hold) {
		sync();                   /* the unlinked-but-open state on disk */
		diag("orphan: holding until the machine is stopped");
		for (;;)
			nanosleep(&ts, NULL);
	}
	return ktap_done();         /* with the children still writing */
}
