/*
 * sh: Numbat's shell. Small, after xv6's sh.c.
 *
 *   sh            read commands from standard input (prompt "$ " on a TTY)
 *   sh FILE       run the commands in FILE, one a line
 *
 * A line is a list of pipelines separated by ';'. A pipeline is commands
 * separated by '|', optionally ending in '&' (run in the background).
 * Each command is words and redirections:
 *
 *   <file   >file   >>file   2>file   2>&1
 *
 * Words may be quoted with '...' or "..." (no escapes, no variables).
 * '#' at the start of a word starts a comment. Built-ins: cd [dir],
 * exit [n], pwd. Other names are run from /bin (PATH is fixed to /bin),
 * or as a path when they contain a '/'. The exit status of sh is the status
 * of the last command.
 *
 * System calls: read, write, open, close, fork, execve, wait4, pipe, dup2,
 * chdir, getcwd (and ioctl TIOCGWINSZ, through isatty).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXLINE  1024
#define MAXARGS  32
#define MAXCMDS  8            /* commands in one pipeline */

extern char **environ;

/* One command of a pipeline: its words and where its fds 0, 1, 2 go. */
struct cmd {
	char *argv[MAXARGS + 1];
	int argc;
	char *in, *out, *err;  /* file names, or NULL */
	int append;            /* '>>' rather than '>' */
	int err_to_out;        /* 2>&1 */
};

struct pipeline {
	struct cmd cmds[MAXCMDS];
	int n;
	int background;
};

static int last_status;

static void say(const char *a, const char *b, const char *c)
{
	dprintf(2, "sh: %s%s%s\n", a, b, c);
}

/* ---------------------------------------------------------------- input */

/* Read one line from fd into buf, without the newline, one byte at a time so
 * that the shell never reads input that belongs to the commands it runs.
 * Returns 1 for a line, 0 at end of file. Over-long lines are cut. */
static int getline_fd(int fd, char *buf, int size)
{
	int len = 0, got = 0;
	char c;

	while (read(fd, &c, 1) == 1) {
		got = 1;
		if (c == '\n')
			break;
		if (len < size - 1)
			buf[len++] = c;
	}
	buf[len] = '\0';
	return got;
}

/* ---------------------------------------------------------------- parsing */

/* Split line into tokens: words (quotes removed) and the operators
 * | & ; < > >> 2> 2>&1. Operators are returned as themselves, words are
 * prefixed by nothing; to tell them apart, *isop[i] is set for operators.
 * Tokens point into words, which must be at least as big as line.
 * Returns the number of tokens, or -1 on an unterminated quote. */
static int tokenize(const char *s, char *words, char **tok, int *isop, int max)
{
	static const char *ops[] = { "2>&1", ">>", "2>", "|", "&", ";", "<", ">" };
	int n = 0;

	while (*s && n < max) {
		unsigned i;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			break;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strncmp(s, ops[i], strlen(ops[i])) == 0)
				break;
		if (i < sizeof(ops) / sizeof(ops[0])) {
			tok[n] = (char *)ops[i];
			isop[n++] = 1;
			s += strlen(ops[i]);
			continue;
		}
		tok[n] = words;
		isop[n++] = 0;
		while (*s && !strchr(" \t|&;<>", *s)) {
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				while (*s && *s != q)
					*words++ = *s++;
				if (*s++ != q)
					return -1;
			} else {
				*words++ = *s++;
			}
		}
		*words++ = '\0';
	}
	return n;
}

/* Parse tokens tok[*pos...] up to ';' or the end into p. Returns 0, or -1
 * with a message on a syntax error. */
static int parse_pipeline(char **tok, int *isop, int ntok, int *pos, struct pipeline *p)
{
	struct cmd *c;
	int i = *pos;

	memset(p, 0, sizeof(*p));
	p->n = 1;
	c = &p->cmds[0];
	for (; i < ntok && strcmp(tok[i], ";") != 0; i++) {
		if (!isop[i]) {
			if (c->argc == MAXARGS)
				return say("too many arguments", "", ""), -1;
			c->argv[c->argc++] = tok[i];
		} else if (strcmp(tok[i], "|") == 0) {
			if (c->argc == 0 || p->n == MAXCMDS)
				return say("syntax error near '|'", "", ""), -1;
			c = &p->cmds[p->n++];
		} else if (strcmp(tok[i], "&") == 0) {
			p->background = 1;
		} else if (strcmp(tok[i], "2>&1") == 0) {
			c->err_to_out = 1;
		} else {                        /* < > >> 2>: a file name follows */
			if (i + 1 >= ntok || isop[i + 1])
				return say("syntax error near '", tok[i], "'"), -1;
			if (tok[i][0] == '<')
				c->in = tok[++i];
			else if (tok[i][0] == '2')
				c->err = tok[++i];
			else {
				c->append = tok[i][1] == '>';
				c->out = tok[++i];
			}
		}
	}
	*pos = i + 1;                           /* past the ';' */
	if (c->argc == 0 && (p->n > 1 || c->in || c->out || c->err))
		return say("syntax error: missing command", "", ""), -1;
	return 0;
}

/* ---------------------------------------------------------------- running */

/* Open name and move it onto fd. Returns 0, or -1 after a message. */
static int redirect(const char *name, int flags, int fd)
{
	int f = open(name, flags, 0644);

	if (f < 0) {
		say(name, ": ", strerror(errno));
		return -1;
	}
	if (f != fd) {
		dup2(f, fd);
		close(f);
	}
	return 0;
}

/* In a child: set up c's redirections and run it. Never returns. */
static void run_cmd(struct cmd *c)
{
	char path[256];

	if ((c->in && redirect(c->in, O_RDONLY, 0) < 0) ||
	    (c->out && redirect(c->out, O_WRONLY | O_CREAT |
				(c->append ? O_APPEND : O_TRUNC), 1) < 0) ||
	    (c->err && redirect(c->err, O_WRONLY | O_CREAT | O_TRUNC, 2) < 0))
		_exit(1);
	if (c->err_to_out)
		dup2(1, 2);
	if (strcmp(c->argv[0], "pwd") == 0) {   /* pwd in a pipeline */
		if (!getcwd(path, sizeof(path)))
			_exit(1);
		printf("%s\n", path);
		fflush(stdout);
		_exit(0);
	}
	if (strchr(c->argv[0], '/'))
		snprintf(path, sizeof(path), "%s", c->argv[0]);
	else
		snprintf(path, sizeof(path), "/bin/%s", c->argv[0]);
	execve(path, c->argv, environ);
	if (errno == ENOENT)
		say(c->argv[0], ": not found", "");
	else
		say(c->argv[0], ": ", strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Fork one child per command, joined by pipes; wait for them unless the
 * pipeline runs in the background. Returns the status of the last command. */
static int run_pipeline(struct pipeline *p)
{
	pid_t pids[MAXCMDS];
	int i, in = -1, status = 0, started = 0;

	for (i = 0; i < p->n; i++) {
		int fds[2] = { -1, -1 };

		if (i < p->n - 1 && pipe(fds) < 0) {
			say("pipe: ", strerror(errno), "");
			break;
		}
		pids[i] = fork();
		if (pids[i] == 0) {
			signal(SIGINT, SIG_DFL);    /* ^C is for the command */
			if (in >= 0) {
				dup2(in, 0);
				close(in);
			}
			if (fds[1] >= 0) {
				dup2(fds[1], 1);
				close(fds[1]);
				close(fds[0]);
			}
			run_cmd(&p->cmds[i]);
		}
		if (in >= 0)
			close(in);
		close(fds[1]);
		in = fds[0];
		if (pids[i] < 0) {
			say("fork: ", strerror(errno), "");
			break;
		}
		started++;
	}
	if (in >= 0)
		close(in);
	if (p->background) {
		if (started)
			dprintf(2, "[%d]\n", pids[started - 1]);
		return 0;
	}
	for (i = 0; i < started; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) == pids[i] && i == p->n - 1)
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return started == p->n ? status : 1;
}

/* Run cd, exit or pwd in the shell itself. Returns 1 if c was a built-in. */
static int builtin(struct cmd *c)
{
	char buf[256];

	if (strcmp(c->argv[0], "cd") == 0) {
		const char *dir = c->argc > 1 ? c->argv[1] : "/";
		last_status = chdir(dir) < 0;
		if (last_status)
			say("cd: ", dir, ": no such directory");
	} else if (strcmp(c->argv[0], "exit") == 0) {
		exit(c->argc > 1 ? atoi(c->argv[1]) : last_status);
	} else if (strcmp(c->argv[0], "pwd") == 0 && !c->out && !c->err) {
		last_status = getcwd(buf, sizeof(buf)) == NULL;
		if (!last_status)
			printf("%s\n", buf);
		fflush(stdout);
	} else {
		return 0;
	}
	return 1;
}

/* Parse and run one line. */
static void run_line(const char *line)
{
	static char words[MAXLINE * 2];
	char *tok[MAXLINE / 2];
	int isop[MAXLINE / 2];
	int ntok, pos = 0;

	ntok = tokenize(line, words, tok, isop, MAXLINE / 2);
	if (ntok < 0) {
		say("unterminated quote", "", "");
		last_status = 2;
		return;
	}
	while (pos < ntok) {
		struct pipeline p;

		if (parse_pipeline(tok, isop, ntok, &pos, &p) < 0) {
			last_status = 2;
			return;
		}
		if (p.cmds[0].argc == 0)
			continue;                  /* empty command, e.g. ";;" */
		if (p.n == 1 && !p.background && builtin(&p.cmds[0]))
			continue;
		last_status = run_pipeline(&p);
	}
}

int main(int argc, char *argv[])
{
	char line[MAXLINE];
	int fd = 0, interactive;

	if (argc > 1) {
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say(argv[1], ": ", strerror(errno));
			return 127;
		}
	}
	interactive = fd == 0 && isatty(0);
	if (interactive)
		signal(SIGINT, SIG_IGN);        /* ^C stops the command, not us */
	for (;;) {
		int st;

		while (waitpid(-1, &st, WNOHANG) > 0)
			;                          /* reap finished background jobs */
		if (interactive)
			write(2, "$ ", 2);
		if (!getline_fd(fd, line, sizeof(line)))
			break;
		run_line(line);
	}
	return last_status;
}
