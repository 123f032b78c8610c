/*
 * execve (exec.h). The steps, in order:
 *   1. copy argv and envp into the kernel;
 *   2. open the file, read and check its ELF headers (exec_elf.c);
 *   3. build a new address space: the segments, then a stack holding
 *      argc, argv, envp and the auxiliary vector musl's start-up reads;
 *   4. point of no return: drop the old address space, close
 *      close-on-exec descriptors, reset signal handlers, start at e_entry.
 * Any failure before step 4 leaves the caller's program as it was.
 *
 * The new stack, top down:
 *   [ execfn, argv and envp strings ][ 16 random bytes ][ pad ]
 *   [ auxv pairs, AT_NULL ][ envp..., NULL ][ argv..., NULL ][ argc ] <- rsp
 */
#include <kernel/exec.h>
#include <kernel/exec_elf.h>
#include <kernel/cwd.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>
#include <kernel/fdtable.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/random.h>
#include <kernel/signal.h>
#include <kernel/sched.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <arch/sched.h>
#include <arch/uctx.h>
#include <arch/irq.h>
#include <arch/io.h>

#define STACK_INIT (128UL << 10)

static int append(struct exec_args *a, const char *s, size_t n)
{
	if (a->len + n > EXEC_ARGS_MAX)
		return -E2BIG;
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	return 0;
}

/* Copy a NULL-terminated user array of strings; returns the count. */
static int copy_user_strings(struct exec_args *a, const char *const *uv)
{
	int n = 0;

	for (; uv; n++) {
		const char *s;
		char tmp[256];

		if (n == EXEC_ARGV_MAX)
			return -E2BIG;
		if (copy_from_user(&s, &uv[n], sizeof(s)))
			return -EFAULT;
		if (!s)
			break;
		for (size_t off = 0;; off += sizeof(tmp) - 1) {   /* chunk by chunk */
			ssize_t len = strncpy_from_user(tmp, s + off, sizeof(tmp));
			if (len == -EFAULT)
				return -EFAULT;
			size_t take = len < 0 ? sizeof(tmp) - 1 : (size_t)len + 1;
			if (append(a, tmp, take))
				return -E2BIG;
			if (len >= 0)
				break;
		}
	}
	return n;
}

int exec_args_from_user(struct exec_args *a, const char *const *argv,
			const char *const *envp)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->buf = kmalloc(EXEC_ARGS_MAX);
	if (!a->buf)
		return -ENOMEM;
	n = copy_user_strings(a, argv);
	if (n < 0)
		return n;
	a->argc = n;
	n = copy_user_strings(a, envp);
	if (n < 0)
		return n;
	a->envc = n;
	return 0;
}

int exec_args_from_kernel(struct exec_args *a, const char *const *argv,
			  const char *const *envp)
{
	memset(a, 0, sizeof(*a));
	a->buf = kmalloc(EXEC_ARGS_MAX);
	if (!a->buf)
		return -ENOMEM;
	for (; argv && *argv; argv++, a->argc++)
		if (append(a, *argv, strlen(*argv) + 1))
			return -E2BIG;
	for (; envp && *envp; envp++, a->envc++)
		if (append(a, *envp, strlen(*envp) + 1))
			return -E2BIG;
	return 0;
}

void exec_args_free(struct exec_args *a)
{
	kfree(a->buf);
	a->buf = NULL;
}

struct stack_plan {
	uint64_t strings, random, sp;    /* user addresses */
	uint64_t *words;                 /* argc, argv, envp, auxv (kernel copy) */
	size_t nwords;
};

static void put_aux(uint64_t **w, uint64_t key, uint64_t val)
{
	*(*w)++ = key;
	*(*w)++ = val;
}

/* Lay out the stack described at the top of this file. */
static int plan_stack(struct stack_plan *sp, const struct exec_args *a,
		      const char *path, const struct elf_image *im)
{
	size_t pathlen = strlen(path) + 1;

	sp->strings = USER_TOP - ALIGN_UP(a->len + pathlen, 16);
	sp->random = sp->strings - 16;
	sp->nwords = 1 + a->argc + 1 + a->envc + 1 + 2 * 18;
	sp->sp = ALIGN_DOWN(sp->random - sp->nwords * 8, 16);
	sp->words = kzalloc(sp->nwords * 8);
	if (!sp->words)
		return -ENOMEM;
	uint64_t *w = sp->words, str = sp->strings + pathlen;
	const char *s = a->buf;

	*w++ = a->argc;
	for (int i = 0; i < a->argc; i++, s += strlen(s) + 1)
		*w++ = str + (s - a->buf);
	*w++ = 0;                 /* end of argv, also when envp is empty */
	for (int i = 0; i < a->envc; i++, s += strlen(s) + 1)
		*w++ = str + (s - a->buf);
	*w++ = 0;                                    /* end of envp */
	put_aux(&w, AT_PHDR, im->phdr_addr);
	put_aux(&w, AT_PHENT, sizeof(struct elf64_phdr));
	put_aux(&w, AT_PHNUM, im->phnum);
	put_aux(&w, AT_PAGESZ, PAGE_SIZE);
	put_aux(&w, AT_BASE, 0);
	put_aux(&w, AT_FLAGS, 0);
	put_aux(&w, AT_ENTRY, im->entry);
	put_aux(&w, AT_UID, 0);
	put_aux(&w, AT_EUID, 0);
	put_aux(&w, AT_GID, 0);
	put_aux(&w, AT_EGID, 0);
	put_aux(&w, AT_SECURE, 0);
	put_aux(&w, AT_CLKTCK, 100);
	put_aux(&w, AT_HWCAP, 0);
	put_aux(&w, AT_RANDOM, sp->random);
	put_aux(&w, AT_EXECFN, sp->strings);
	put_aux(&w, AT_NULL, 0);
	return 0;
}

/* Write the planned stack into the (current, new) address space. */
static int write_stack(const struct stack_plan *sp, const struct exec_args *a,
		       const char *path)
{
	uint64_t rnd[2], seed = rdtsc();

	rnd[0] = xorshift64(&seed);
	rnd[1] = xorshift64(&seed);
	if (copy_to_user((void *)sp->strings, path, strlen(path) + 1) ||
	    copy_to_user((void *)(sp->strings + strlen(path) + 1), a->buf, a->len) ||
	    copy_to_user((void *)sp->random, rnd, sizeof(rnd)) ||
	    copy_to_user((void *)sp->sp, sp->words, sp->nwords * 8))
		return -EFAULT;
	return 0;
}

/* The program's path as Linux's /proc/PID/exe shows it, into buf
 * (PATH_MAX bytes): the file itself, every symbolic link followed (/bin/sh
 * -> busybox names busybox), or only normalised when that fails. Called
 * before the new mm replaces the old one, so that a path through
 * /proc/self/exe still reads the caller's. May sleep (reads links). */
static void exe_path_resolve(const char *path, char *buf)
{
	char *cwd = fs_cwd_path(current);        /* a copy: NULL without memory */

	if (!cwd || (path_resolve(cwd, path, buf, PATH_MAX) &&
		     path_normalize(cwd, path, buf, PATH_MAX)))
		strlcpy(buf, path, PATH_MAX);
	kfree(cwd);
}

/* Remember where argv and envp went, and the program's absolute path
 * (/proc/PID/cmdline, environ, exe). */
static void record_layout(struct mm *mm, const struct stack_plan *sp,
			  const struct exec_args *a, const char *path, const char *exe)
{
	const char *s = a->buf;

	for (int i = 0; i < a->argc; i++)
		s += strlen(s) + 1;
	mm->arg_start = sp->strings + strlen(path) + 1;
	mm->arg_end = mm->env_start = mm->arg_start + (uint64_t)(s - a->buf);
	mm->env_end = mm->arg_start + a->len;
	mm->start_stack = sp->sp;
	strlcpy(mm->exe_path, exe, sizeof(mm->exe_path));
}

/* Make mm the current address space; returns the previous one. */
static struct mm *swap_mm(struct mm *mm)
{
	struct proc *p = current;
	struct mm *old = p->mm;
	uint64_t flags = irq_save();

	p->mm = mm;
	arch_switch_mm(p);
	irq_restore(flags);
	return old;
}

static struct mm *build_mm(struct inode *inode, const struct elf_image *im, int *err)
{
	struct mm *mm = mm_create();

	*err = -ENOMEM;
	if (!mm)
		return NULL;
	mm->stack_top = USER_TOP;
	mm->brk_start = mm->brk = im->brk;
	mm->exe_inode = inode_get(inode);
	*err = elf_map(mm, inode, im);
	if (!*err) {
		spin_lock(&mm->lock);
		*err = vma_map(mm, USER_TOP - STACK_INIT, STACK_INIT, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | VM_GROWSDOWN, NULL, 0);
		mm_unlock(mm);
	}
	if (*err) {
		mm_put(mm);
		return NULL;
	}
	return mm;
}

/* The new program's first registers. */
static void start_regs(struct proc *p, uint64_t entry, uint64_t sp)
{
	uctx_start(p->tf, entry, sp);
	p->fs_base = 0;
	fpu_init_state(p->fpu);
	fpu_restore(p->fpu);
}

static void commit(struct proc *p, const char *path)
{
	const char *base = path;

	for (const char *s = path; *s; s++)
		if (*s == '/' && s[1])
			base = s + 1;
	strlcpy(p->name, base, sizeof(p->name));
	p->dumpable = true;                          /* as Linux: no set-ID programs */
	for (int sig = 0; sig < NSIG; sig++)         /* handlers are gone */
		if (p->sigactions[sig].handler != SIG_IGN)
			memset(&p->sigactions[sig], 0, sizeof(p->sigactions[sig]));
	if (p->fdt && __atomic_load_n(&p->fdt->refs, __ATOMIC_ACQUIRE) > 1) {
		struct fdtable *own = fdtable_copy(p->fdt);   /* CLONE_FILES: unshare */
		if (own) {
			fdtable_put(p->fdt);
			p->fdt = own;
		}
	}
	if (p->fdt)
		fdtable_close_on_exec(p->fdt);
	p->altstack_sp = p->altstack_size = 0;       /* the sigaltstack is gone */
}

static int open_executable(const char *path, struct file **f)
{
	struct inode *cwd = fs_cwd(current);
	int err = vfs_open(cwd, path, O_RDONLY, 0, f);

	if (cwd)
		inode_put(cwd);

	if (err)
		return err;
	uint32_t mode = (*f)->inode->mode;
	if (!S_ISREG(mode) || !(mode & 0111)) {
		file_put(*f);
		return -EACCES;
	}
	return 0;
}

int do_execve(const char *path, struct exec_args *a)
{
	struct proc *p = current;
	struct elf_image im;
	struct stack_plan sp = { 0 };
	struct file *f;
	char *exe = kmalloc(PATH_MAX);
	int err = exe ? open_executable(path, &f) : -ENOMEM;

	if (err) {
		kfree(exe);
		return err;
	}
	exe_path_resolve(path, exe);
	err = elf_read(f, &im);
	struct mm *mm = err ? NULL : build_mm(f->inode, &im, &err);
	/* The other threads end before the old program goes (de_thread). */
	if (mm && !(err = plan_stack(&sp, a, path, &im)) && !(err = thread_exec_alone())) {
		proc_mm_release(p);          /* clear_child_tid, vfork parent */
		struct mm *old = swap_mm(mm);
		err = write_stack(&sp, a, path);
		if (err) {
			swap_mm(old);                /* back to the caller's program */
			mm_put(mm);
		} else if (old) {
			mm_put(old);
		}
	} else if (mm) {
		mm_put(mm);
	}
	if (!err) {
		record_layout(p->mm, &sp, a, path, exe);
		commit(p, path);
		WRITE_ONCE(p->did_exec, true);   /* setpgid by its parent: EACCES now */
		start_regs(p, im.entry, sp.sp);
	}
	kfree(sp.words);
	kfree(exe);
	elf_free(&im);
	file_put(f);
	return err;
}
