/*
 * Fuzz target: the ELF executable checks of execve (elf_read in
 * kernel/proc/exec_elf.c). The input is a file: an 8-byte little-endian file
 * size, then the file's first bytes. A size larger than the bytes given
 * makes the rest of the file a hole of zeros (as a sparse file reads), so
 * small inputs can stand for large programs; a smaller one is raised to
 * the number of bytes. When elf_read accepts a file, what it returns must
 * hold: every PT_LOAD inside the file and inside user space, the entry
 * point in an executable segment.
 */
#include <stdlib.h>
#include <string.h>
#include <kernel/exec_elf.h>
#include <kernel/vfs.h>
#include <kernel/mm.h>
#include "shim.h"

static const uint8_t *file_data;
static size_t file_len;

/* The VFS read the loader uses, served from the input. */
ssize_t vfs_pread(struct file *f, struct uio *u, uint64_t off)
{
	uint64_t size = f->inode->size;
	size_t n = off >= size ? 0 : MIN(u->resid, size - off);

	for (size_t i = 0; i < n; i++)
		u->base[i] = off + i < file_len ? file_data[off + i] : 0;
	u->base += n;
	u->resid -= n;
	return (ssize_t)n;
}

/* elf_map's helpers: never reached from elf_read. */
int vm_fault(struct mm *mm, uint64_t addr, uint32_t flags) { abort(); }
pte_t *pgtable_walk(struct mm *mm, uint64_t va, bool create) { abort(); }
void mm_unlock(struct mm *mm) { abort(); }
int vma_map(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot,
	    uint32_t flags, struct inode *inode, uint64_t pgoff) { abort(); }

static void check_image(const struct elf_image *im, uint64_t size)
{
	bool entry_in_x = false;

	for (int i = 0; i < im->phnum; i++) {
		const struct elf64_phdr *ph = &im->ph[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t start = ph->p_vaddr + im->bias, end = start + ph->p_memsz;
		if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || end < start ||
		    end > USER_TOP || ph->p_filesz > ph->p_memsz)
			abort();
		if ((ph->p_flags & PF_X) && im->entry >= start && im->entry < end)
			entry_in_x = true;
	}
	if (!entry_in_x || im->brk > USER_TOP)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inode inode = { 0 };
	struct file f = { .inode = &inode };
	struct elf_image im;
	uint64_t declared = 0;
	long before = fuzz_live_allocs;

	if (size < 8)
		return 0;
	memcpy(&declared, data, 8);
	file_data = data + 8;
	file_len = size - 8;
	inode.size = MAX(declared, (uint64_t)file_len);
	if (elf_read(&f, &im) == 0)
		check_image(&im, inode.size);
	elf_free(&im);
	fuzz_check_no_leak(before, "elf_read");
	return 0;
}
