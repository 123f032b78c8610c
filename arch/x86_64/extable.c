#include <arch/extable.h>

struct extable_entry {
	uint64_t insn, fixup;
};

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

/* Few entries: a linear search is fine. */
uint64_t extable_fixup(uint64_t rip)
{
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}
