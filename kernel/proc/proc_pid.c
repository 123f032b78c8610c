/*
 * The /proc/PID files programs such as ps and top read, in Linux's formats
 * (fs/proc/array.c, fs/proc/base.c; proc(5)):
 *   stat     52 fields on one line
 *   statm    7 sizes in pages
 *   cmdline  argv, NUL-separated, read from the process's stack
 *   environ  envp, likewise
 *   exe      symlink to the program's absolute path
 *   cwd      symlink to the working directory
 *   fd/      one symlink per open descriptor (a path, "pipe:[N]",
 *            "/dev/console")
 *   mounts   as /proc/mounts (one mount table for every process)
 * Callbacks get the pid and look the process up under proc_lock (a
 * snapshot, proc_snapshot_get); one that has gone is -ESRCH.
 *
 * Lock order used here (lock_order.h): proc_lock -> a descriptor table's
 * lock; mm->lock alone (its pages are copied through the direct map).
 */
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/mm.h>
#include <kernel/fdtable.h>
#include <kernel/pipe.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/string.h>
#include <kernel/slab.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <arch/paging.h>

static int data_pid(void *data)
{
	return (int)(uint64_t)data;
}

/* Linux's state letters: R running or runnable, S asleep, Z zombie. */
static char state_letter(int state)
{
	return state == P_SLEEPING ? 'S' : state == P_ZOMBIE ? 'Z' : 'R';
}

/* Sizes of an address space in pages, as statm and stat want them. */
struct mm_sizes {
	uint64_t total, rss, file, text, data, stack;
	uint64_t start_code, end_code, start_data, end_data;
};

/* Add up the VMAs of mm (takes mm->lock). Text: the program's executable
 * mappings; data: its private writable ones and the anonymous ones. */
static void mm_sizes(struct mm *mm, struct mm_sizes *z)
{
	struct list_head *l;

	memset(z, 0, sizeof(*z));
	spin_lock(&mm->lock);
	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);
		uint64_t pages = (v->end - v->start) >> PAGE_SHIFT;
		bool exe = v->inode && v->inode == mm->exe_inode;

		z->total += pages;
		if (v->flags & VM_GROWSDOWN) {
			z->stack += pages;
		} else if (exe && (v->prot & PROT_EXEC)) {
			z->text += pages;
			z->start_code = z->start_code ? MIN(z->start_code, v->start) : v->start;
			z->end_code = MAX(z->end_code, v->end);
		} else if ((v->prot & PROT_WRITE) && !(v->flags & MAP_SHARED)) {
			z->data += pages;
			if (exe && !z->start_data)
				z->start_data = v->start, z->end_data = v->end;
		}
	}
	z->rss = mm->rss_anon + mm->rss_file;
	z->file = mm->rss_file;
	spin_unlock(&mm->lock);
}

/* Fields 1-22 of stat: identity, faults, times, start time. */
static void stat_head(struct pbuf *b, const struct proc_snapshot *s)
{
	const struct proc_acct *a = &s->acct;

	/* pgrp, session; tty_nr 0 and tpgid -1 (not kept per process) */
	pbuf_printf(b, "%d (%s) %c %d %d %d 0 -1 %u %lu %lu %lu %lu ", s->pid, s->name,
		    state_letter(s->state), s->ppid, s->pgid, s->sid,
		    s->kthread ? 0x00200000u /* PF_KTHREAD */ : 0u, a->min_flt, a->cmin_flt,
		    a->maj_flt, a->cmaj_flt);
	/* priority 20 and nice 0 (one class), num_threads, itrealvalue 0 */
	pbuf_printf(b, "%lu %lu %lu %lu 20 0 %d 0 %lu ", a->utime, a->stime, a->cutime,
		    a->cstime, s->threads, a->start_ns / NS_PER_TICK);
}

/* /proc/PID/stat: the 52 fields of Linux's do_task_stat, in order. What
 * Numbat does not have is 0, as Linux prints it when unknown. */
static int show_stat(struct pbuf *b, void *data)
{
	struct proc_snapshot s;
	struct mm_sizes z = { 0 };
	struct mm *mm;

	if (proc_snapshot_get(data_pid(data), &s))
		return -ESRCH;
	mm = s.mm;
	if (mm)
		mm_sizes(mm, &z);
	stat_head(b, &s);
	/* vsize rss rsslim startcode endcode startstack kstkesp kstkeip */
	pbuf_printf(b, "%lu %lu %lu %lu %lu %lu 0 0 ", z.total * PAGE_SIZE, z.rss,
		    (uint64_t)-1, mm ? z.start_code : 0, mm ? z.end_code : 0,
		    mm ? mm->start_stack : 0);
	/* signal blocked sigignore sigcatch wchan nswap cnswap exit_signal
	 * processor rt_priority policy blkio_ticks guest_time cguest_time */
	pbuf_printf(b, "%lu %lu %lu %lu 0 0 0 %d %d 0 0 0 0 0 ", s.pending, s.sigmask,
		    s.sigign, s.sigcatch, SIGCHLD, s.cpu);
	/* start_data end_data start_brk arg_start arg_end env_start env_end
	 * exit_code */
	if (mm)
		pbuf_printf(b, "%lu %lu %lu %lu %lu %lu %lu 0\n", z.start_data, z.end_data,
			    mm->brk_start, mm->arg_start, mm->arg_end, mm->env_start,
			    mm->env_end);
	else
		pbuf_printf(b, "0 0 0 0 0 0 0 0\n");
	if (mm)
		mm_put(mm);
	return 0;
}

/* /proc/PID/statm: size resident shared text lib data dt, in pages. */
static int show_statm(struct pbuf *b, void *data)
{
	struct proc_snapshot s;
	struct mm_sizes z = { 0 };

	if (proc_snapshot_get(data_pid(data), &s))
		return -ESRCH;
	if (s.mm) {
		mm_sizes(s.mm, &z);
		mm_put(s.mm);
	}
	pbuf_printf(b, "%lu %lu %lu %lu 0 %lu 0\n", z.total, z.rss, z.file, z.text,
		    z.data + z.stack);
	return 0;
}

/*
 * Copy [addr, addr + n) of mm into buf through the direct map, page by
 * page, under mm->lock (no user copy: mm may not be the caller's). Stops
 * at the first page that is not resident (swapped out, being migrated):
 * returns the bytes copied.
 */
static size_t mm_read(struct mm *mm, uint64_t addr, char *buf, size_t n)
{
	size_t done = 0;

	spin_lock(&mm->lock);
	while (done < n) {
		uint64_t va = addr + done, off = va & (PAGE_SIZE - 1);
		size_t chunk = MIN(n - done, PAGE_SIZE - off);
		pte_t *ptep = pgtable_walk(mm, va & PAGE_MASK, false);

		if (!ptep || !pte_present(*ptep))
			break;
		memcpy(buf + done, (char *)phys_to_virt(pte_pfn(*ptep) << PAGE_SHIFT) + off,
		       chunk);
		done += chunk;
	}
	spin_unlock(&mm->lock);
	return done;
}

#define PROC_ARGS_MAX (128 * 1024)   /* exec's EXEC_ARGS_MAX: all there can be */

/* cmdline (env false) or environ (env true): the strings as they are on
 * the process's stack now. Empty for kernel threads and zombies. */
static int show_strings(struct pbuf *b, int pid, bool env)
{
	struct proc_snapshot s;

	if (proc_snapshot_get(pid, &s))
		return -ESRCH;
	if (!s.mm)
		return 0;
	uint64_t start = env ? s.mm->env_start : s.mm->arg_start;
	uint64_t end = env ? s.mm->env_end : s.mm->arg_end;
	size_t n = MIN(end - start, PROC_ARGS_MAX);
	if (n >= b->size) {                 /* ask procfs for a larger buffer */
		b->overflow = true;
		mm_put(s.mm);
		return 0;
	}
	b->len = mm_read(s.mm, start, b->buf, n);
	mm_put(s.mm);
	return 0;
}

static int show_cmdline(struct pbuf *b, void *data)
{
	return show_strings(b, data_pid(data), false);
}

static int show_environ(struct pbuf *b, void *data)
{
	return show_strings(b, data_pid(data), true);
}

/* /proc/PID/exe: the program's absolute path; -ENOENT for kernel threads. */
static int exe_target(char *buf, size_t size, void *data)
{
	struct proc_snapshot s;

	if (proc_snapshot_get(data_pid(data), &s))
		return -ESRCH;
	if (!s.mm)
		return -ENOENT;
	int n = snprintf(buf, size, "%s", s.mm->exe_path);
	mm_put(s.mm);
	return MIN(n, (int)size);
}

/* /proc/PID/cwd: its working directory (its fs_struct stays while
 * proc_lock is held; the path changes under the fs_struct's lock). */
static int cwd_target(char *buf, size_t size, void *data)
{
	int n = -ESRCH;
	uint64_t flags = spin_lock_irqsave(&proc_lock);

	proc_for_each(p)
		if (p->pid == data_pid(data) && p->state != P_ZOMBIE) {
			struct fs_struct *fs = p->fs;
			if (fs)
				spin_lock(&fs->lock);
			n = snprintf(buf, size, "%s", fs && fs->cwd_path ? fs->cwd_path : "/");
			if (fs)
				spin_unlock(&fs->lock);
			break;
		}
	spin_unlock_irqrestore(&proc_lock, flags);
	return n < 0 ? n : MIN(n, (int)size);
}

/* fd/ entries carry (pid, fd) in their data word. */
static void *fd_data(int pid, int fd)
{
	return (void *)(((uint64_t)(uint32_t)pid << 32) | (uint32_t)fd);
}

/* The file of descriptor fd of process pid, with a reference, or NULL.
 * proc_lock, then the table's lock (fdt changes under proc_lock). */
static struct file *fd_file(int pid, int fd)
{
	struct file *f = NULL;
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = proc_find(pid);

	if (p && p->fdt) {
		spin_lock(&p->fdt->lock);
		if (fd >= 0 && fd < p->fdt->size && p->fdt->fd[fd])
			f = file_get(p->fdt->fd[fd]);
		spin_unlock(&p->fdt->lock);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return f;
}

/* What an open file is called: the path it was opened by; a pipe by a
 * number its two ends share (Linux: the pipe's inode number); the
 * console, the one file with neither inode nor path. */
static int file_name(struct file *f, char *buf, size_t size)
{
	if (f->path)
		return snprintf(buf, size, "%s", f->path);
	if (pipe_is(f))
		return snprintf(buf, size, "pipe:[%lu]",
				((uint64_t)f->priv >> 6) & 0xffffffffUL);
	if (!f->inode)
		return snprintf(buf, size, "/dev/console");
	return snprintf(buf, size, "anon_inode:[%lu]", f->inode->ino);
}

static int fd_target(char *buf, size_t size, void *data)
{
	uint64_t d = (uint64_t)data;
	struct file *f = fd_file((int)(d >> 32), (int)(uint32_t)d);

	if (!f)
		return -ENOENT;
	int n = file_name(f, buf, size);
	file_put(f);                         /* outside every lock: may do I/O */
	return MIN(n, (int)size);
}

/* The open descriptors of pid, one bit each. */
struct fd_set_bits {
	uint64_t bits[FD_MAX / 64];
};

static void fd_collect(int pid, struct fd_set_bits *set)
{
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	struct proc *p = proc_find(pid);

	memset(set, 0, sizeof(*set));
	if (p && p->fdt) {
		spin_lock(&p->fdt->lock);
		for (int fd = 0; fd < p->fdt->size && fd < FD_MAX; fd++)
			if (p->fdt->fd[fd])
				set->bits[fd / 64] |= 1UL << (fd % 64);
		spin_unlock(&p->fdt->lock);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
}

static bool fd_is_open(const char *name, void *arg)
{
	struct fd_set_bits *set = arg;
	int fd = 0;

	for (; *name >= '0' && *name <= '9'; name++)
		fd = fd * 10 + (*name - '0');
	return fd < FD_MAX && (set->bits[fd / 64] & (1UL << (fd % 64)));
}

/* fd/ before a lookup or listing: an entry per open descriptor, none for
 * a closed one. */
static void fd_refresh(struct procfs_entry *dir, void *data)
{
	struct fd_set_bits *set = kmalloc(sizeof(*set));

	if (!set)
		return;
	fd_collect(data_pid(data), set);
	procfs_prune(dir, fd_is_open, set);
	for (int fd = 0; fd < FD_MAX; fd++) {
		char name[12];
		if (!(set->bits[fd / 64] & (1UL << (fd % 64))))
			continue;
		snprintf(name, sizeof(name), "%d", fd);
		procfs_symlink(dir, name, fd_target, fd_data(data_pid(data), fd));
	}
	kfree(set);
}

/* The files above, in process p's directory d (procfs_proc_add). */
void proc_pid_files_add(struct procfs_entry *d, struct proc *p)
{
	void *pid = (void *)(uint64_t)p->pid;

	procfs_create_file(d, "stat", show_stat, pid);
	procfs_create_file(d, "statm", show_statm, pid);
	procfs_create_file(d, "cmdline", show_cmdline, pid);
	procfs_create_file(d, "environ", show_environ, pid);
	procfs_symlink(d, "exe", exe_target, pid);
	procfs_symlink(d, "cwd", cwd_target, pid);
	procfs_mkdir_refreshed(d, "fd", fd_refresh, pid);
	procfs_create_file(d, "mounts", procfs_show_mounts, NULL);
}
