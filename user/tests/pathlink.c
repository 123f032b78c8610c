/*
 * pathlink: the names the kernel gives back follow symbolic links, as
 * Linux's do. After chdir through a link, getcwd and /proc/self/cwd name
 * the target; ".." after a link goes to the target's parent; an absolute
 * link restarts at the root; a loop of links fails with ELOOP and leaves
 * the working directory alone. A program run through a link (as busybox's
 * applets are: /bin/sh -> busybox) or through /proc/self/exe has the file
 * itself in /proc/self/exe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

static char base[PATH_MAX];

/* The working directory, relative to base ("" for base itself). */
static const char *cwd_rel(void)
{
	static char buf[PATH_MAX];
	size_t n = strlen(base);

	if (!getcwd(buf, sizeof(buf)))
		return "(getcwd failed)";
	return strncmp(buf, base, n) ? buf : buf + n;
}

static int cwd_is(const char *rel)
{
	return !strcmp(cwd_rel(), rel);
}

static int at_base(void)
{
	char buf[PATH_MAX];

	return getcwd(buf, sizeof(buf)) && !strcmp(buf, base[0] ? base : "/");
}

static void back_to_base(void)
{
	if (chdir(base[0] ? base : "/"))
		ktap_bail("cannot go back to the base folder");
}

static void chdir_through_links(void)
{
	char proc[PATH_MAX] = { 0 };

	ok(!chdir("pl/q") && cwd_is("/pl/r/s"), "chdir through a link: getcwd names the target (%s)",
	   cwd_rel());
	ok(readlink("/proc/self/cwd", proc, sizeof(proc) - 1) > 0 &&
	   !strcmp(proc + strlen(base), "/pl/r/s"), "/proc/self/cwd says the same (%s)", proc);
	ok(!chdir("..") && cwd_is("/pl/r"), "then .. is the target's parent (%s)", cwd_rel());
	back_to_base();
	ok(!chdir("pl/q/..") && cwd_is("/pl/r"), "chdir link/.. goes to the target's parent (%s)",
	   cwd_rel());
	back_to_base();
	ok(!chdir("pl/abs/s") && cwd_is("/pl/r/s"), "an absolute link restarts at / (%s)", cwd_rel());
	back_to_base();
	ok(!chdir("pl/two") && cwd_is("/pl/r/s"), "a link to a link (%s)", cwd_rel());
	back_to_base();
	errno = 0;
	int r = chdir("pl/loop"), e = errno;
	ok(r == -1 && e == ELOOP && at_base(),
	   "a loop of links: ELOOP, the working directory unchanged (%d, %s, %s)", r, strerror(e),
	   cwd_rel());
}

/* Run path (argv[0] name) with the arguments "check WANT": it exits 0 when
 * its /proc/self/exe reads WANT. */
static int run_check(const char *path, const char *want)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, "pathlink", "check", want, (char *)NULL);
		_exit(100 + errno);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

static void exe_through_links(void)
{
	char self[PATH_MAX] = { 0 }, link[PATH_MAX + 8];

	if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
		ktap_bail("readlink /proc/self/exe");
	snprintf(link, sizeof(link), "%s/pl/me", base);
	unlink(link);
	if (symlink(self, link))
		ktap_bail("symlink to the test");
	int rc = run_check(link, self);
	ok(rc == 0, "run through a link: /proc/self/exe is the file (exit %d)", rc);
	rc = run_check("/proc/self/exe", self);
	ok(rc == 0, "run through /proc/self/exe: the same file (exit %d)", rc);
}

static void make_tree(void)
{
	char abs[PATH_MAX + 8];

	if (system("rm -rf pl") < 0 || mkdir("pl", 0755) || mkdir("pl/r", 0755) ||
	    mkdir("pl/r/s", 0755))
		ktap_bail("cannot make pl/r/s");
	snprintf(abs, sizeof(abs), "%s/pl/r", base);
	if (symlink("r/s", "pl/q") || symlink(abs, "pl/abs") || symlink("q", "pl/two") ||
	    symlink("loop", "pl/loop"))
		ktap_bail("cannot make the links");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "check")) {
		char self[PATH_MAX] = { 0 };
		return readlink("/proc/self/exe", self, sizeof(self) - 1) > 0 &&
		       !strcmp(self, argv[2]) ? 0 : 1;
	}
	ktap_plan("pathlink", 9);
	if (!getcwd(base, sizeof(base)))
		ktap_bail("getcwd");
	if (!strcmp(base, "/"))
		base[0] = 0;                 /* paths below are base + "/pl/..." */
	make_tree();
	chdir_through_links();
	exe_through_links();
	return ktap_done();
}
