/*
 * Page replication (kernel/mm/replicate.c): a read-only page-cache page,
 * or an anonymous page shared copy-on-write and never written since, used
 * from several nodes gets a local copy on each, and each node's PTEs
 * point at their copy; anything that writes the page first collapses the
 * copies back into it. Turned on by numa_balancing's `replicate` setting
 * (boot option numa_replication=enable).
 */
#ifndef KERNEL_REPLICATE_H
#define KERNEL_REPLICATE_H

#include <kernel/types.h>
#include <arch/pte.h>

struct mm;
struct page;
struct inode;

/* The present PTE at ptep (mm->lock held, a pte_chain spare ready) maps
 * master, a page-cache page or a copy-on-write anonymous one; point it at master's replica on nid instead,
 * making the replica if there is none. false if it stays on master. */
bool replica_map(struct mm *mm, pte_t *ptep, struct page *master, int nid);

/* A replica's last reference went (put_page): leave the master's set. */
void replica_release(struct page *r);

/* Unmap and drop every replica of master (no lock held; may yield). */
void replica_collapse(struct page *master);

/* A write fault found p, an anonymous master or replica: collapse its
 * set (the caller holds a reference on p, which keeps a replica in its
 * set; no lock held; may yield). */
void replica_collapse_of(struct page *p);

/* Must a write fault on anonymous page p (mm->lock held) collapse its set
 * first? Yes for a replica; for a master, while some replica is mapped (a
 * replica unmapped but still held by someone for a moment is harmless:
 * it keeps the master shared, so the write copies). */
bool replica_write_collapses(struct page *p);

/* About to write p, a page-cache page the caller holds a reference on:
 * no replica of it may live on (no lock held; may yield). */
void replica_before_write(struct page *p);

/* A mapping of inode that may be written is being made: collapse every
 * replica of its pages, and make no new ones (no lock held). */
void replica_forbid(struct inode *inode);

#endif
