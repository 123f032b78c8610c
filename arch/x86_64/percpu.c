#include <kernel/percpu.h>
#include <arch/io.h>

/* Point this CPU's GS base at its struct cpu (see percpu.h). */
void percpu_init_this(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}
