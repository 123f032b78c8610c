/* The exception table: kernel instructions allowed to fault, and where to
 * continue when they do (see usercopy.c). */
#ifndef ARCH_EXTABLE_H
#define ARCH_EXTABLE_H

#include <kernel/types.h>

#define EXTABLE_ENTRY(insn, fixup)                 \
	".pushsection __ex_table, \"a\"\n"         \
	".balign 8\n"                              \
	".quad " #insn ", " #fixup "\n"            \
	".popsection\n"

/* The fixup address for a faulting kernel rip, or 0. */
uint64_t extable_fixup(uint64_t rip);

#endif
