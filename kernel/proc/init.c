/*
 * The first process. As on Linux, `init=/path` on the kernel command line
 * names its program and every word after `--` is an argument to it; the
 * default is /bin/init, which runs a shell on the console. It is pid 1,
 * its file descriptors 0, 1 and 2 are the console, its directory is /.
 * With `poweroff` on the command line, its exit powers the machine off.
 */
#include <kernel/init.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/exec.h>
#include <kernel/fdtable.h>
#include <kernel/tty.h>
#include <kernel/vfs.h>
#include <kernel/cmdline.h>
#include <kernel/slab.h>
#include <kernel/numa.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/errno.h>
#include <arch/sched.h>
#include <arch/trap.h>

#define INIT_ARGS_MAX 32

/* PATH: busybox's default one (what ash uses when PATH is unset), so that
 * the applets in /sbin, /usr/bin and /usr/sbin are found too. */
static const char *const init_envp[] = {
	"HOME=/", "PATH=/sbin:/usr/sbin:/bin:/usr/bin", "TERM=dumb", NULL,
};

/* fds 0, 1, 2: the console. */
static int open_console(struct proc *p)
{
	struct file *tty = tty_open_console();

	p->fdt = fdtable_alloc();
	if (!tty || !p->fdt)
		return -ENOMEM;
	for (int fd = 0; fd < 3; fd++)
		if (fd_install(p->fdt, fd ? file_get(tty) : tty, 0, false) != fd)
			return -EMFILE;
	return 0;
}

/* Runs as pid 1 in the kernel until exec turns it into the user program. */
static int init_main(void *unused)
{
	struct proc *p = current;
	const char *argv[INIT_ARGS_MAX + 2];
	const char *path = cmdline_get("init");
	struct exec_args args = { 0 };     /* freed below even if never filled */

	if (!path || !*path)
		path = "/bin/init";
	argv[0] = path;
	int argc = 1 + cmdline_init_args(argv + 1, INIT_ARGS_MAX);
	argv[argc] = NULL;
	p->fs = fs_new(vfs_root());
	int err = p->fs && p->fs->cwd ? open_console(p) : -ENOENT;
	tty_console_ctty(p->sid, p->pgid);   /* job control for a shell run as init */
	if (!err)
		err = exec_args_from_kernel(&args, argv, init_envp);
	if (!err)
		err = do_execve(path, &args);
	exec_args_free(&args);
	if (err) {
		printk("init: cannot run %s: error %d\n", path, err);
		return 127;                  /* pid 1 exits: power-off if asked */
	}
	user_enter(p->tf);
}

void init_start(void)
{
	struct proc *p = proc_alloc("init", numa_this_node());

	if (!p)
		panic("init: no memory for the first process");
	proc_make_init(p);
	p->kthread_fn = (void *)init_main;
	p->kthread_arg = NULL;
	arch_proc_init_stack(p, kthread_entry, p);
	sched_start(p);
}
