/*
 * badexec: execve of corrupt executables. The test writes each file itself
 * (mode 0755, in the current directory) from one good, tiny ELF: a header,
 * one PT_LOAD program header and three instructions that exit(42). The good
 * one must run (so the generator is right); each corruption must make
 * execve fail, and the caller must carry on with its memory unchanged.
 *
 * Numbat must reject every corrupt file before it destroys the caller, so on
 * Numbat each execve is made by the test process itself. Linux checks some
 * things only after the point of no return (the old image is gone), and
 * then kills the process with SIGSEGV; those cases run in a child on Linux
 * and we assert what Linux does (see on_linux in the table).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define FILE_NAME "badexec.elf"
#define VADDR     0x400000UL

/* exit(42): mov $42,%edi; mov $60,%eax; syscall */
static const unsigned char code64[] = {
	0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05,
};
/* The same for i386: mov $42,%ebx; mov $1,%eax; int $0x80 */
static const unsigned char code32[] = {
	0xbb, 42, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xcd, 0x80,
};

/* A good 64-bit image: header, program header, code. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned char code[sizeof(code64)];
};

struct image32 {
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	unsigned char code[sizeof(code32)];
};

static void good_image(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = VADDR + offsetof(struct image, code);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph.p_type = PT_LOAD;
	im->ph.p_flags = PF_R | PF_X;
	im->ph.p_offset = 0;
	im->ph.p_vaddr = im->ph.p_paddr = VADDR;
	im->ph.p_filesz = im->ph.p_memsz = sizeof(*im);
	im->ph.p_align = 4096;
	memcpy(im->code, code64, sizeof(code64));
}

/* A 32-bit i386 program, correct in itself. */
static void image32(struct image32 *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS32;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_386;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = 0x8048000 + offsetof(struct image32, code);
	im->eh.e_phoff = offsetof(struct image32, ph);
	im->eh.e_ehsize = sizeof(Elf32_Ehdr);
	im->eh.e_phentsize = sizeof(Elf32_Phdr);
	im->eh.e_phnum = 1;
	im->ph.p_type = PT_LOAD;
	im->ph.p_flags = PF_R | PF_X;
	im->ph.p_vaddr = im->ph.p_paddr = 0x8048000;
	im->ph.p_filesz = im->ph.p_memsz = sizeof(*im);
	im->ph.p_align = 4096;
	memcpy(im->code, code32, sizeof(code32));
}

/* Write len bytes of data to FILE_NAME with the given mode. */
static int write_file(const void *data, size_t len, mode_t mode)
{
	int fd;

	unlink(FILE_NAME);
	fd = open(FILE_NAME, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		diag("can't write " FILE_NAME ": %s", strerror(errno));
		return -1;
	}
	return close(fd);
}

/* ---------------------------------------------------------------- the cases */

static void bad_magic(struct image *im)    { im->eh.e_ident[3] = 'G'; }
static void bad_phoff(struct image *im)    { im->eh.e_phoff = 0x100000; }
static void no_phdrs(struct image *im)     { im->eh.e_phnum = 0; }
static void bad_phentsize(struct image *im) { im->eh.e_phentsize = 32; }
static void bad_machine(struct image *im)  { im->eh.e_machine = EM_AARCH64; }
static void bad_type(struct image *im)     { im->eh.e_type = ET_REL; }
static void filesz_gt_memsz(struct image *im) { im->ph.p_memsz = 16; }
static void entry_outside(struct image *im) { im->eh.e_entry = 0x10000000; }

/* What execve does with a file: fails with an errno, or kills the process
 * after the point of no return (sig), or runs it (exit 42). */
struct outcome {
	int err;        /* errno from a failed execve, or 0 */
	int sig;        /* the signal that kills the process, or 0 */
};

struct exec_case {
	const char *name;
	void (*corrupt)(struct image *im);
	size_t len;     /* bytes of the image to write; 0: all of it */
	struct outcome on_numbat, on_linux;
};

#define FAILS(e)  { e, 0 }
#define KILLED(s) { 0, s }

static const struct exec_case cases[] = {
	{ "bad magic", bad_magic, 0, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "header truncated to 32 bytes", NULL, 32, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "empty file", NULL, 0, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "program headers beyond the end of the file", bad_phoff, 0,
	  FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "no program headers", no_phdrs, 0, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "e_phentsize 32", bad_phentsize, 0, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "e_machine AArch64", bad_machine, 0, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	{ "e_type ET_REL", bad_type, 0, FAILS(ENOEXEC), FAILS(ENOEXEC) },
	/* Linux checks this after the point of no return: SIGSEGV. */
	{ "segment filesz > memsz", filesz_gt_memsz, 0,
	  FAILS(ENOEXEC), KILLED(SIGSEGV) },
	/* Linux doesn't check the entry point: the new program faults. */
	{ "entry point outside every segment", entry_outside, 0,
	  FAILS(ENOEXEC), KILLED(SIGSEGV) },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

/* execve FILE_NAME in a child; returns its wait status. The child exits
 * with 100 + errno when execve fails. */
static int exec_child(void)
{
	char *argv[] = { FILE_NAME, NULL };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		syscall(SYS_execve, FILE_NAME, argv, NULL);
		_exit(100 + errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* What this kernel should do with the file, checked in this process when
 * that is an error (the caller must survive), else in a child. */
static void check_exec(const char *name, struct outcome want)
{
	char *argv[] = { FILE_NAME, NULL };

	if (want.err) {
		errno = 0;
		long r = syscall(SYS_execve, "./" FILE_NAME, argv, NULL);
		ok_errno(r, want.err, "execve: %s: %s", name, strerror(want.err));
	} else {
		int status = exec_child();
		ok_why(killed_by(status, want.sig), status_str(status),
		       "execve: %s: killed by signal %d (Linux)", name, want.sig);
	}
}

/* The i386 file: Numbat runs only x86-64 programs; Linux runs it when it
 * has IA-32 emulation and says ENOEXEC otherwise. */
static void check_exec32(void)
{
	struct image32 im;
	int status;

	image32(&im);
	if (write_file(&im, sizeof(im), 0755) < 0) {
		ok(0, "execve: 32-bit ELF");
		return;
	}
	if (is_numbat()) {
		check_exec("32-bit (i386) ELF", (struct outcome)FAILS(ENOEXEC));
		return;
	}
	status = exec_child();
	diag("i386 ELF on Linux: %s", exited_with(status, 42) ? "ran (IA-32 emulation)" :
	     status_str(status));
	ok_why(exited_with(status, 100 + ENOEXEC) || exited_with(status, 42),
	       status_str(status), "execve: 32-bit (i386) ELF: ENOEXEC, or runs with IA-32 emulation");
}

/* 1 if the 64 KiB sentinel still holds its pattern. */
static unsigned char sentinel[65536];
static int sentinel_intact(void)
{
	for (size_t i = 0; i < sizeof(sentinel); i++)
		if (sentinel[i] != (unsigned char)(i * 7 + 3))
			return 0;
	return 1;
}

int main(void)
{
	struct image im;
	volatile int on_stack = 0x5eed;
	int numbat = is_numbat();
	int status;

	ktap_plan("badexec", NCASES + 5);
	for (size_t i = 0; i < sizeof(sentinel); i++)
		sentinel[i] = i * 7 + 3;

	good_image(&im);
	if (write_file(&im, sizeof(im), 0755) == 0)
		status = exec_child();
	else
		status = -1;
	ok_why(exited_with(status, 42), status_str(status), "the good ELF runs and exits 42");
	if (write_file(&im, sizeof(im), 0644) == 0)
		check_exec("mode 0644", (struct outcome)FAILS(EACCES));
	else
		ok(0, "execve: mode 0644");

	for (int i = 0; i < NCASES; i++) {
		const struct exec_case *c = &cases[i];
		good_image(&im);
		if (c->corrupt)
			c->corrupt(&im);
		if (write_file(&im, c->corrupt ? sizeof(im) : c->len, 0755) < 0) {
			ok(0, "execve: %s", c->name);
			continue;
		}
		check_exec(c->name, numbat ? c->on_numbat : c->on_linux);
	}
	check_exec32();

	ok(sentinel_intact() && on_stack == 0x5eed, "the caller's memory is unchanged");
	good_image(&im);
	status = write_file(&im, sizeof(im), 0755) == 0 ? exec_child() : -1;
	ok_why(exited_with(status, 42), status_str(status), "afterwards the good ELF still runs");
	unlink(FILE_NAME);
	return ktap_done();
}
