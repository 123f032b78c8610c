/* What the fuzz targets share with the shim (shim.c, shim_fs.c). */
#ifndef FUZZ_SHIM_H
#define FUZZ_SHIM_H

#include <stdint.h>

extern uintptr_t fuzz_phys_base;   /* arch/paging.h shim */
extern long fuzz_live_allocs;      /* kmalloc'd objects not yet freed */

/* Abort (a libFuzzer crash) if allocations changed since `before`. */
void fuzz_check_no_leak(long before, const char *what);


/* shim_fs.c: the page cache stand-in. */
int fuzz_pcache_writeback(void);
void fuzz_pcache_check_empty(void);

#endif
