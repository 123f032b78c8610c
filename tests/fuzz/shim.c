/*
 * Host fuzzing shim: the few kernel services the parsers call, done with
 * the host's C library so that AddressSanitizer sees every allocation.
 * Single-threaded: spinlocks only record that they are held.
 *
 * kmalloc and kmem_cache allocations are counted (fuzz_live_allocs): a
 * target checks that a run gives back everything it took, which catches
 * reference-count leaks on error paths (a leaked buffer or inode stays
 * reachable from a cache, so LeakSanitizer alone would not see it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/spinlock.h>
#include <kernel/mutex.h>
#include "shim.h"

uintptr_t fuzz_phys_base;
long fuzz_live_allocs;
bool fuzz_irq_on = true;
static int verbose = -1;

int vprintk(const char *fmt, va_list ap)
{
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

int printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

/* A kernel panic is a crash: libFuzzer reports it and keeps the input. */
void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "kernel panic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* The kernel's own strlcpy contract: copy at most n - 1 bytes, always
 * terminate (n > 0), return strlen(s). */
size_t strlcpy(char *d, const char *s, size_t n)
{
	size_t len = strlen(s);

	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(d, s, k);
		d[k] = 0;
	}
	return len;
}

void *kmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p)
		fuzz_live_allocs++;
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (p)
		fuzz_live_allocs--;
	free(p);
}

void kmem_cache_init(struct kmem_cache *c, const char *name, uint32_t size,
		     uint32_t align)
{
	c->name = name;
	c->size = size;
}

void *kmem_cache_alloc(struct kmem_cache *c, int node)
{
	return kmalloc(c->size);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	kfree(obj);
}

/* One CPU, no interrupts: a lock is held or not; taking a held lock
 * would deadlock in the kernel, so it is a bug here. */
void spin_init(struct spinlock *l, const char *name)
{
	*l = (struct spinlock)SPINLOCK_INIT(name);
}

void spin_lock(struct spinlock *l)
{
	if (l->cpu == 0)
		panic("spin_lock: %s already held (deadlock)", l->name);
	l->cpu = 0;
}

void spin_unlock(struct spinlock *l)
{
	if (l->cpu != 0)
		panic("spin_unlock: %s not held", l->name);
	l->cpu = -1;
}

bool spin_is_held(const struct spinlock *l)
{
	return l->cpu == 0;
}

/* One task: a mutex is held (by "the" task, owner set to a marker) or
 * not; taking a held one would sleep forever in the kernel, so it is a
 * bug here. */
static struct proc *const fuzz_task = (struct proc *)1;

void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	m->name = name;
}

void mutex_lock(struct mutex *m)
{
	if (m->owner)
		panic("mutex_lock: %s already held (deadlock)", m->name);
	m->owner = fuzz_task;
}

bool mutex_trylock(struct mutex *m)
{
	if (m->owner)
		return false;
	m->owner = fuzz_task;
	return true;
}

void mutex_unlock(struct mutex *m)
{
	if (m->owner != fuzz_task)
		panic("mutex_unlock: %s not held", m->name);
	m->owner = NULL;
}

bool mutex_is_held(const struct mutex *m)
{
	return m->owner == fuzz_task;
}

void fuzz_check_no_leak(long before, const char *what)
{
	if (fuzz_live_allocs != before) {
		fprintf(stderr, "fuzz: %s: %ld kernel allocations not given back\n",
			what, fuzz_live_allocs - before);
		abort();
	}
}
