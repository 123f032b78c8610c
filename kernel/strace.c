/*
 * The `strace` boot option: every system call of every process printed as
 * strace(1) shows it, after a "[pid name]" prefix:
 *
 *   [1 sh] openat(AT_FDCWD, "/etc/motd", O_RDONLY) = 3
 *   [1 sh] write(1, "hello\n", 6) = 6
 *   [1 sh] unlink("/nope") = -1 ENOENT
 *
 * Each call has a string of argument kinds (specs[] below): paths and
 * buffers are copied from user space with the ordinary user-copy routines
 * (no lock is held here), so a bad pointer prints as its hex address and
 * never faults the kernel. Paths are read after the call, except for
 * execve (whose old address space is gone after a successful call) and
 * exit (which never returns): those lines are made before the call.
 */
#include <kernel/strace.h>
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/usercopy.h>
#include <kernel/slab.h>
#include <kernel/string.h>
#include <kernel/printk.h>
#include <kernel/errno.h>

/*
 * Argument kinds, one letter per argument:
 *   d int   l long   x hex   p pointer (NULL or 0x...)   m octal mode
 *   a directory fd (AT_FDCWD)   o open flags   M mode if flags have O_CREAT
 *   s path   b buffer in, its length is the next argument
 *   B buffer out, as long as the result   v argv (first element)
 */
static const char *const specs[] = {
	[0] = "dBu", [1] = "dbu", [2] = "soM", [3] = "d", [4] = "sp", [5] = "dp",
	[6] = "sp", [8] = "dld", [9] = "pxxxdx", [10] = "pux", [11] = "pu", [12] = "p",
	[13] = "dpp", [14] = "dppu", [16] = "dxx", [17] = "dBul", [18] = "dbul",
	[19] = "dpd", [20] = "dpd", [21] = "so", [22] = "p", [32] = "d", [33] = "dd",
	[35] = "pp", [39] = "", [57] = "", [58] = "", [59] = "svp", [60] = "d",
	[61] = "dpxp", [62] = "dd", [63] = "p", [72] = "ddx", [74] = "d", [76] = "sl",
	[77] = "dl", [79] = "pu", [80] = "s", [82] = "ss", [83] = "sm", [84] = "s",
	[86] = "ss", [87] = "s", [88] = "ss", [89] = "sBu", [98] = "dp", [100] = "p",
	[110] = "", [133] = "smx", [167] = "sx", [168] = "s", [217] = "dpu",
	[231] = "d", [257] = "asoM", [259] = "asmx", [262] = "aspx", [292] = "ddx",
	[293] = "px", [24] = "", [102] = "", [104] = "", [107] = "", [108] = "",
	[186] = "", [158] = "xp", [218] = "p", [273] = "pu", [302] = "ddpp",
	[318] = "pux", [228] = "dp", [200] = "dd", [234] = "ddd", [203] = "dup",
	[204] = "dup", [309] = "ppp", [34] = "", [15] = "",
	[40] = "ddpu", [56] = "xpppx", [202] = "pddppd", [95] = "m", [90] = "sm",
	[91] = "dm", [92] = "sdd", [93] = "ddd", [94] = "sdd", [137] = "sp",
	[138] = "dp", [99] = "p", [96] = "pp", [201] = "p", [130] = "pu",
	[7] = "pdd", [23] = "dpppp", [37] = "u", [109] = "dd", [112] = "",
	[121] = "d", [124] = "d", [111] = "", [269] = "asdx", [280] = "aspx",
	[75] = "d", [157] = "dxxxx", [25] = "puuxp", [274] = "dpp", [295] = "dpdl", [296] = "dpdl",
};

#define STRACE_LINE 512            /* a longer line is cut */
#define STRACE_DATA 32             /* bytes of a buffer shown, as strace -s 32 */
#define STRACE_PATH 256            /* characters of a path shown */
#define AT_FDCWD (-100)

static const char *spec_of(uint64_t nr)
{
	return nr < sizeof(specs) / sizeof(specs[0]) ? specs[nr] : NULL;
}

/* bytes as a C string literal, as strace escapes them (octal for the
 * unprintable, three digits when a digit follows). */
static void put_escaped(struct pbuf *b, const char *s, size_t n)
{
	pbuf_printf(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';

		if (c == '\n' || c == '\t' || c == '\r' || c == '"' || c == '\\')
			pbuf_printf(b, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' :
				    c == '\r' ? 'r' : c);
		else if (c >= 0x20 && c < 0x7f)
			pbuf_printf(b, "%c", c);
		else
			pbuf_printf(b, digit_next ? "\\%03o" : "\\%o", c);
	}
	pbuf_printf(b, "\"");
}

static void put_ptr(struct pbuf *b, uint64_t p)
{
	if (p)
		pbuf_printf(b, "0x%lx", p);
	else
		pbuf_printf(b, "NULL");
}

/* A path (NUL-terminated) at user address u: quoted, or its address if
 * it cannot be read. */
static void put_path(struct pbuf *b, uint64_t u)
{
	char s[STRACE_PATH];
	ssize_t n = strncpy_from_user(s, (const char *)u, sizeof(s));

	if (n == -EFAULT || !u) {
		put_ptr(b, u);
		return;
	}
	put_escaped(b, s, n >= 0 ? (size_t)n : sizeof(s));
	if (n < 0)
		pbuf_printf(b, "...");
}

/* len bytes at user address u, the first STRACE_DATA of them. */
static void put_data(struct pbuf *b, uint64_t u, uint64_t len)
{
	char s[STRACE_DATA];
	size_t n = MIN(len, sizeof(s));

	if (copy_from_user(s, (const void *)u, n)) {
		put_ptr(b, u);
		return;
	}
	put_escaped(b, s, n);
	if (len > n)
		pbuf_printf(b, "...");
}

/* argv: its first string, then ", ..." if there are more, in brackets. */
static void put_argv(struct pbuf *b, uint64_t u)
{
	uint64_t v[2];

	if (!u || copy_from_user(v, (const void *)u, sizeof(v[0]))) {
		put_ptr(b, u);
		return;
	}
	pbuf_printf(b, "[");
	if (v[0]) {
		put_path(b, v[0]);
		if (!copy_from_user(&v[1], (const void *)(u + 8), sizeof(v[1])) && v[1])
			pbuf_printf(b, ", ...");
	}
	pbuf_printf(b, "]");
}

static const struct { uint64_t bit; const char *name; } open_flags[] = {
	{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 0400, "O_NOCTTY" }, { 01000, "O_TRUNC" },
	{ 02000, "O_APPEND" }, { 04000, "O_NONBLOCK" }, { 0200000, "O_DIRECTORY" },
	{ 0400000, "O_NOFOLLOW" }, { 02000000, "O_CLOEXEC" }, { 010000000, "O_PATH" },
};

/* O_RDONLY|O_CREAT|...; bits without a name as a hex rest. */
static void put_open_flags(struct pbuf *b, uint64_t f)
{
	static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	pbuf_printf(b, "%s", modes[f & 3]);
	f &= ~3UL;
	for (size_t i = 0; i < sizeof(open_flags) / sizeof(open_flags[0]); i++)
		if (f & open_flags[i].bit) {
			pbuf_printf(b, "|%s", open_flags[i].name);
			f &= ~open_flags[i].bit;
		}
	if (f)
		pbuf_printf(b, "|0x%lx", f);
}

/* Argument i of kind k (the call's arguments a, its result ret). */
static void put_arg(struct pbuf *b, char k, const uint64_t *a, int i, int64_t ret)
{
	switch (k) {
	case 'd': pbuf_printf(b, "%d", (int)a[i]); break;
	case 'l': pbuf_printf(b, "%ld", (int64_t)a[i]); break;
	case 'u': pbuf_printf(b, "%lu", a[i]); break;
	case 'm': case 'M': pbuf_printf(b, "0%lo", a[i]); break;
	case 'a':
		if ((int)a[i] == AT_FDCWD)
			pbuf_printf(b, "AT_FDCWD");
		else
			pbuf_printf(b, "%d", (int)a[i]);
		break;
	case 'o': put_open_flags(b, a[i]); break;
	case 's': put_path(b, a[i]); break;
	case 'b': put_data(b, a[i], a[i + 1]); break;
	case 'B':
		if (ret > 0)
			put_data(b, a[i], (uint64_t)ret);
		else
			put_ptr(b, a[i]);
		break;
	case 'v': put_argv(b, a[i]); break;
	case 'p': put_ptr(b, a[i]); break;
	default: pbuf_printf(b, "0x%lx", a[i]); break;
	}
}

/* "name(args" into b: the spec's kinds, or four hex words without one. */
static void put_call(struct pbuf *b, uint64_t nr, const uint64_t *a, int64_t ret)
{
	const char *spec = spec_of(nr), *name = syscall_name(nr);

	if (name)
		pbuf_printf(b, "[%d %s] %s(", current->pid, current->name, name);
	else
		pbuf_printf(b, "[%d %s] syscall_%lu(", current->pid, current->name, nr);
	if (!spec)
		spec = "xxxx";
	for (int i = 0; spec[i] && i < 6; i++) {
		if (spec[i] == 'M' && !(a[i - 1] & 0100))     /* no O_CREAT: no mode */
			break;
		pbuf_printf(b, i ? ", " : "");
		put_arg(b, spec[i], a, i, ret);
	}
	pbuf_printf(b, ")");
}

static const char *const errno_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
	[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
	[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
	[EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS",
	[EMLINK] = "EMLINK", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE",
	[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY",
	[ELOOP] = "ELOOP",
};

/* " = result": an error as strace shows it ("-1 ENOENT"); addresses from
 * mmap and brk in hex. */
static void put_result(struct pbuf *b, uint64_t nr, int64_t ret)
{
	int n = sizeof(errno_names) / sizeof(errno_names[0]);

	if (ret < 0 && ret >= -4095) {
		int e = (int)-ret;
		if (e < n && errno_names[e])
			pbuf_printf(b, " = -1 %s\n", errno_names[e]);
		else
			pbuf_printf(b, " = -1 errno %d\n", e);
	} else if (nr == 9 || nr == 12) {
		pbuf_printf(b, " = 0x%lx\n", (uint64_t)ret);
	} else {
		pbuf_printf(b, " = %ld\n", ret);
	}
}

static bool entry_line(uint64_t nr)
{
	return nr == 59 || nr == 60 || nr == 231;     /* execve, exit, exit_group */
}

int64_t strace_syscall(uint64_t nr, const uint64_t *a)
{
	char *line = kmalloc(STRACE_LINE);
	struct pbuf b = { line, STRACE_LINE, 0, false };

	if (!line)
		return syscall_invoke(nr, a);     /* no memory: run it untraced */
	if (entry_line(nr))
		put_call(&b, nr, a, 0);
	if (nr == 60 || nr == 231) {              /* never returns */
		printk("%s = ?\n", line);
		kfree(line);
		return syscall_invoke(nr, a);
	}
	int64_t ret = syscall_invoke(nr, a);
	if (!entry_line(nr))
		put_call(&b, nr, a, ret);
	b.overflow = false;                       /* a cut line still ends */
	b.len = MIN(b.len, STRACE_LINE - 64);
	put_result(&b, nr, ret);
	printk("%s", line);
	kfree(line);
	return ret;
}
