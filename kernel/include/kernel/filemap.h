/*
 * What the memory manager needs from files: references on the inode a
 * VMA maps, and the page-cache page behind a file page. kernel/mm/filemap.c
 * implements it on top of the VFS and the page cache.
 */
#ifndef KERNEL_FILEMAP_H
#define KERNEL_FILEMAP_H

#include <kernel/types.h>

struct inode;
struct page;

void filemap_get(struct inode *inode);
void filemap_put(struct inode *inode);
/* The page-cache page for (inode, index) with a reference held, reading it
 * if needed (*major = true then). NULL with *err set on failure. */
struct page *filemap_page(struct inode *inode, uint64_t index, bool *major,
			  int *err);
void filemap_release_page(struct page *p);
void filemap_dirty(struct page *p);       /* a shared mapping wrote to it */

#endif
