/*
 * execenv: the stack a new program starts with, when its environment (or
 * its argument vector) is empty. Linux lays out argc, argv[] and its NULL,
 * envp[] and its NULL, then the auxiliary vector; an execve with envp NULL
 * or {NULL} has an empty environment, not none: the two NULLs are both
 * there. The test runs itself again in each way; the child checks that it
 * sees its arguments, an empty environ, and the auxiliary vector where it
 * belongs (AT_PAGESZ, AT_RANDOM, AT_EXECFN), and exits 0 if so.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

extern char **environ;

/* The child: argv is {self, "child", WANT_ENVC} and environ has WANT_ENVC
 * strings "E=1", ...; exits 0 when everything is where it belongs. */
static int child(int argc, char **argv)
{
	int envc = 0, want = argc == 3 ? argv[2][0] - '0' : -1;

	while (environ && environ[envc])
		envc++;
	if (envc != want || argv[argc] != NULL)
		return 1;
	if (getauxval(AT_PAGESZ) != 4096 || !getauxval(AT_RANDOM) || !getauxval(AT_EXECFN))
		return 2;
	return 0;
}

/* Run this program with argv and envp (either may be NULL); its status. */
static int run(char *const argv[], char *const envp[])
{
	char self[PATH_MAX] = { 0 };

	if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
		ktap_bail("readlink /proc/self/exe");
	pid_t pid = fork();
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(127);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "child"))
		return child(argc, argv);
	ktap_plan("execenv", 3);
	char *args0[] = { argv[0], "child", "0", NULL };
	char *args2[] = { argv[0], "child", "2", NULL };
	char *none[] = { NULL }, *two[] = { "E=1", "F=2", NULL };
	int rc = run(args0, NULL);
	ok(rc == 0, "envp NULL: an empty environment, auxv in place (child status %d)", rc);
	rc = run(args0, none);
	ok(rc == 0, "envp {NULL}: the same (child status %d)", rc);
	rc = run(args2, two);
	ok(rc == 0, "two variables: both, then auxv (child status %d)", rc);
	return ktap_done();
}
