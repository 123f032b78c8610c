/*
 * execve: replacing a process's program with an ELF64 executable.
 * Arguments and environment are first copied into the kernel (struct
 * exec_args), because the old address space is gone by the time the new
 * stack is built.
 */
#ifndef KERNEL_EXEC_H
#define KERNEL_EXEC_H

#include <kernel/types.h>

#define EXEC_ARGS_MAX (128 * 1024)   /* bytes of argv + envp strings */
#define EXEC_ARGV_MAX 4096           /* pointers */

struct exec_args {
	char *buf;                   /* argv strings, then envp strings */
	size_t len;
	int argc, envc;
};

/* From user pointers (execve): -EFAULT, -E2BIG, -ENOMEM. */
int exec_args_from_user(struct exec_args *a, const char *const *argv,
			const char *const *envp);
/* From kernel strings (starting init). */
int exec_args_from_kernel(struct exec_args *a, const char *const *argv,
			  const char *const *envp);
void exec_args_free(struct exec_args *a);

/* Replace the current program. On failure the caller's program is intact
 * (-ENOENT, -EACCES, -ENOEXEC, -ENOMEM, -EFAULT...). On success the
 * current process's trap frame starts the new program. */
int do_execve(const char *path, struct exec_args *a);

#endif
