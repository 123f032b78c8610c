#include <kernel/ksyms.h>

struct ksym {
	uint64_t addr;
	const char *name;
};

extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char _text[], _etext[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uint64_t)_text || addr >= (uint64_t)_etext || !hi)
		return NULL;
	while (hi - lo > 1) {            /* last entry with entry.addr <= addr */
		uint64_t mid = (lo + hi) / 2;

		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_table[lo].addr > addr)
		return NULL;
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_table[lo].name;
}
