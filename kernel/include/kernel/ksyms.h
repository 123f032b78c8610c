/* The kernel's own symbol table, for backtraces (made by scripts/ksyms.sh). */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <kernel/types.h>

/* Name of the function containing addr, and addr's offset in it; NULL if
 * addr is not in kernel text. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
