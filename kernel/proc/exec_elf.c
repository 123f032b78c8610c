/*
 * Reading and checking an ELF64 executable for execve. Everything a
 * corrupt file could get wrong is checked here, before the caller's
 * program is touched: a bad file gives -ENOEXEC and nothing else happens.
 * Static executables only (ET_EXEC, or ET_DYN without an interpreter:
 * static-PIE, loaded at ELF_PIE_BASE).
 */
#include <kernel/exec_elf.h>
#include <kernel/vfs.h>
#include <kernel/slab.h>
#include <kernel/mm.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define ELF_MAX_PHNUM 64

static int read_at(struct file *f, void *buf, size_t len, uint64_t off)
{
	struct uio u = UIO_KERNEL(buf, len);
	ssize_t n = vfs_pread(f, &u, off);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

static bool header_ok(const struct elf64_ehdr *h, uint64_t size)
{
	return !memcmp(h->e_ident, "\x7f" "ELF", 4) &&
	       h->e_ident[4] == ELFCLASS64 && h->e_ident[5] == ELFDATA2LSB &&
	       (h->e_type == ET_EXEC || h->e_type == ET_DYN) &&
	       h->e_machine == EM_X86_64 &&
	       h->e_phentsize == sizeof(struct elf64_phdr) &&
	       h->e_phnum > 0 && h->e_phnum <= ELF_MAX_PHNUM &&
	       h->e_phoff < size &&
	       h->e_phoff + h->e_phnum * sizeof(struct elf64_phdr) <= size;
}

/* One PT_LOAD: inside the file, inside user space, sane sizes. */
static bool segment_ok(const struct elf64_phdr *ph, uint64_t size, uint64_t bias)
{
	uint64_t start = ph->p_vaddr + bias, end = start + ph->p_memsz;

	return ph->p_filesz <= ph->p_memsz &&
	       ph->p_offset <= size && ph->p_filesz <= size - ph->p_offset &&
	       (ph->p_vaddr & (PAGE_SIZE - 1)) == (ph->p_offset & (PAGE_SIZE - 1)) &&
	       end >= start && start >= PAGE_SIZE && end <= USER_TOP - STACK_MAX - STACK_GUARD;
}

/* Is the entry point inside an executable segment? */
static bool entry_ok(const struct elf_image *im)
{
	for (int i = 0; i < im->phnum; i++) {
		const struct elf64_phdr *ph = &im->ph[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    im->entry >= ph->p_vaddr + im->bias &&
		    im->entry < ph->p_vaddr + im->bias + ph->p_memsz)
			return true;
	}
	return false;
}

static int check_segments(struct elf_image *im, uint64_t size)
{
	int loads = 0;

	for (int i = 0; i < im->phnum; i++) {
		const struct elf64_phdr *ph = &im->ph[i];

		if (ph->p_type == PT_INTERP)
			return -ENOEXEC;        /* dynamic linking: not supported */
		if (ph->p_type != PT_LOAD)
			continue;
		if (!segment_ok(ph, size, im->bias))
			return -ENOEXEC;
		loads++;
		im->brk = MAX(im->brk, ALIGN_UP(ph->p_vaddr + im->bias + ph->p_memsz, PAGE_SIZE));
		if (im->ehdr.e_phoff >= ph->p_offset &&
		    im->ehdr.e_phoff < ph->p_offset + ph->p_filesz)
			im->phdr_addr = ph->p_vaddr + im->bias + (im->ehdr.e_phoff - ph->p_offset);
	}
	return loads && entry_ok(im) ? 0 : -ENOEXEC;
}

int elf_read(struct file *f, struct elf_image *im)
{
	uint64_t size = f->inode->size;
	int err;

	memset(im, 0, sizeof(*im));
	if (size < sizeof(im->ehdr))
		return -ENOEXEC;
	err = read_at(f, &im->ehdr, sizeof(im->ehdr), 0);
	if (err)
		return err;
	if (!header_ok(&im->ehdr, size))
		return -ENOEXEC;
	im->phnum = im->ehdr.e_phnum;
	im->ph = kmalloc(im->phnum * sizeof(struct elf64_phdr));
	if (!im->ph)
		return -ENOMEM;
	err = read_at(f, im->ph, im->phnum * sizeof(struct elf64_phdr), im->ehdr.e_phoff);
	if (err)
		return err;
	im->bias = im->ehdr.e_type == ET_DYN ? ELF_PIE_BASE : 0;
	im->entry = im->ehdr.e_entry + im->bias;
	return check_segments(im, size);
}

void elf_free(struct elf_image *im)
{
	kfree(im->ph);
	im->ph = NULL;
}

static uint32_t seg_prot(const struct elf64_phdr *ph)
{
	return (ph->p_flags & PF_R ? PROT_READ : 0) |
	       (ph->p_flags & PF_W ? PROT_WRITE : 0) |
	       (ph->p_flags & PF_X ? PROT_EXEC : 0);
}

/* The bytes of the last file page past p_filesz belong to .bss: zero them
 * in the process's private copy of that page. vm_fault makes the page
 * present and writable, but a migration may catch it before we take
 * mm->lock again: then the PTE is a migration entry (or, if another thread
 * unmapped it, empty), and we fault again rather than write to whatever
 * frame the entry names. Returns 0, -ENOEXEC or vm_fault's error. */
static int zero_partial_page(struct mm *mm, uint64_t addr)
{
	uint64_t off = addr & (PAGE_SIZE - 1);

	if (!off)
		return 0;
	for (;;) {
		int err = vm_fault(mm, addr, FAULT_WRITE);
		if (err)
			return err == -EFAULT ? -ENOEXEC : err;
		spin_lock(&mm->lock);
		pte_t *pte = pgtable_walk(mm, addr, false);
		bool ready = pte && pte_present(*pte) && pte_write(*pte);
		if (ready)
			memset((char *)phys_to_virt(pte_pfn(*pte) << PAGE_SHIFT) + off, 0,
			       PAGE_SIZE - off);
		spin_unlock(&mm->lock);
		if (ready)
			return 0;
	}
}

/* Map one PT_LOAD: file pages privately, then anonymous pages for .bss. */
static int map_segment(struct mm *mm, struct inode *inode, const struct elf64_phdr *ph,
		       uint64_t bias)
{
	uint64_t start = ALIGN_DOWN(ph->p_vaddr + bias, PAGE_SIZE);
	uint64_t file_end = ph->p_vaddr + bias + ph->p_filesz;
	uint64_t mem_end = ALIGN_UP(ph->p_vaddr + bias + ph->p_memsz, PAGE_SIZE);
	uint64_t file_map_end = ALIGN_UP(file_end, PAGE_SIZE);
	uint32_t prot = seg_prot(ph);
	int err = 0;

	spin_lock(&mm->lock);
	if (file_map_end > start)
		err = vma_map(mm, start, file_map_end - start, prot, MAP_PRIVATE, inode,
			      ph->p_offset >> PAGE_SHIFT);
	if (!err && mem_end > file_map_end)
		err = vma_map(mm, file_map_end, mem_end - file_map_end, prot,
			      MAP_PRIVATE, NULL, 0);
	mm_unlock(mm);
	if (!err && ph->p_memsz > ph->p_filesz && (prot & PROT_WRITE))
		err = zero_partial_page(mm, file_end);
	return err;
}

int elf_map(struct mm *mm, struct inode *inode, const struct elf_image *im)
{
	for (int i = 0; i < im->phnum; i++) {
		if (im->ph[i].p_type != PT_LOAD)
			continue;
		int err = map_segment(mm, inode, &im->ph[i], im->bias);
		if (err)
			return err;
	}
	return 0;
}
