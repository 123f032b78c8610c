/* Reading, checking and mapping an ELF64 executable (kernel/proc/exec_elf.c). */
#ifndef KERNEL_EXEC_ELF_H
#define KERNEL_EXEC_ELF_H

#include <kernel/elf.h>

#define ELF_PIE_BASE 0x0000555555554000UL   /* where static-PIE programs go */

struct file;
struct inode;
struct mm;

struct elf_image {
	struct elf64_ehdr ehdr;
	struct elf64_phdr *ph;     /* kmalloc'd copy of the program headers */
	int phnum;
	uint64_t bias;             /* load offset (static-PIE) */
	uint64_t entry;            /* with the bias */
	uint64_t phdr_addr;        /* where the program headers are mapped (AT_PHDR) */
	uint64_t brk;              /* end of the highest segment, page aligned */
};

/* Read and check the headers: 0, -ENOEXEC, -EIO, -ENOMEM. */
int elf_read(struct file *f, struct elf_image *im);
void elf_free(struct elf_image *im);
/* Map every PT_LOAD of the (checked) image into mm. */
int elf_map(struct mm *mm, struct inode *inode, const struct elf_image *im);

#endif
