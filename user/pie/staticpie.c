/*
 * staticpie: a static position-independent executable (ET_DYN with no
 * interpreter), which execve must load at a base address of its choosing
 * and which relocates itself at start-up. Built with glibc's
 * `gcc -static-pie` (Debian's musl cannot make one). KTAP, like user/tests.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

static int counter = 41;            /* data reached through a relocation */
static int *const counter_ptr = &counter;

int main(int argc, char **argv)
{
	const Elf64_Ehdr *base = (const Elf64_Ehdr *)(getauxval(AT_PHDR) - sizeof(Elf64_Ehdr));
	int fails = 0;

	printf("KTAP version 1\n1..4\n");
#define OK(n, cond, what) do { int c_ = (cond); fails += !c_; \
	printf("%sok %d %s\n", c_ ? "" : "not ", n, what); } while (0)
	OK(1, (unsigned long)&main >= 0x100000, "loaded away from its link address (0)");
	OK(2, !memcmp(base->e_ident, ELFMAG, SELFMAG) && base->e_type == ET_DYN,
	   "AT_PHDR points into the mapped ELF header of an ET_DYN");
	OK(3, getauxval(AT_ENTRY) > (unsigned long)base && getauxval(AT_PAGESZ) == 4096,
	   "AT_ENTRY is inside the image; AT_PAGESZ is 4096");
	(*counter_ptr)++;
	OK(4, counter == 42 && argc >= 1 && argv[0][0] == '/',
	   "relocated data pointers work; argv[0] is the path");
	printf("# staticpie: %s\n", fails ? "FAIL" : "pass");
	return fails != 0;
}
