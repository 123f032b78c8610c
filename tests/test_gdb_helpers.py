"""Host tests of the parts of scripts/numbat-gdb.py that need no target:
the names read from the C headers and the decoding of page-table entries
and flag words. The script is loaded with a stand-in for GDB's `gdb`
module (it only registers its commands at load time)."""
import importlib.util
import os
import re
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qemu import ROOT  # noqa: E402


def load_helpers():
    fake = types.ModuleType("gdb")

    class Command:
        def __init__(self, name, kind):
            self.name = name

    fake.Command, fake.COMMAND_USER = Command, 0
    fake.GdbError = type("GdbError", (Exception,), {})
    fake.error = type("error", (RuntimeError,), {})
    fake.MemoryError = type("MemoryError", (fake.error,), {})
    saved = sys.modules.get("gdb")
    sys.modules["gdb"] = fake
    try:
        spec = importlib.util.spec_from_file_location(
            "numbat_gdb", os.path.join(ROOT, "scripts", "numbat-gdb.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        if saved is None:
            del sys.modules["gdb"]
        else:
            sys.modules["gdb"] = saved
    return mod


H = load_helpers()


def c_bits(header, prefix):
    """{NAME: value} of `#define PREFIXNAME (1U << N)` in a header, by hand."""
    with open(os.path.join(ROOT, header)) as fh:
        return {m.group(1): 1 << int(m.group(2)) for m in re.finditer(
            rf"^#define\s+{prefix}(\w+)\s+\(1U?L?\s*<<\s*(\d+)\)", fh.read(), re.M)}


class Names(unittest.TestCase):
    def test_page_flags_from_page_h(self):
        want = c_bits("kernel/include/kernel/page.h", "PG_")
        self.assertIn("direct", want)
        self.assertEqual(H.PG, want)

    def test_lock_bits_from_page_h(self):
        self.assertEqual(H.PL, c_bits("kernel/include/kernel/page.h", "PL_"))

    def test_pte_bits(self):
        self.assertEqual(H.PTE_BITS["P"], 1)
        self.assertEqual(H.PTE_BITS["NX"], 1 << 63)
        self.assertEqual(H.PTE_BITS["MIGRATION"], 1 << 9)      # from arch/pte.h
        self.assertEqual(H.PTE_ADDR, 0x000ffffffffff000)
        self.assertEqual(H.DIRECT_MAP, 0xffff800000000000)

    def test_bit_names(self):
        self.assertEqual(H.bit_names(H.PG["direct"] | H.PG["pcache"], H.PG), "direct|pcache")
        self.assertEqual(H.bit_names(0, H.PG), "-")
        self.assertEqual(H.bit_names(1 << 30, H.PG), "0x40000000")


class Entries(unittest.TestCase):
    def test_empty(self):
        self.assertEqual(H.decode_entry(0), ("empty", None))

    def test_present_user_text(self):
        words, nxt = H.decode_entry(0x68a025)
        self.assertEqual((words, nxt), ("P|U|A", 0x68a000))

    def test_present_nx_writable(self):
        words, nxt = H.decode_entry((1 << 63) | 0x1234067)
        self.assertEqual((words, nxt), ("P|W|U|A|D|NX", 0x1234000))

    def test_migration_entry(self):
        words, nxt = H.decode_entry((0x68a025 & ~1) | (1 << 9))   # pte_mkmigration
        self.assertIsNone(nxt)
        self.assertIn("migration entry, frame 0x68a kept", words)

    def test_swap_entry(self):
        words, nxt = H.decode_entry((0x1f00 << 12) | (1 << 10) | (3 << 1))   # pte_mkswap(3, 0x1f00)
        self.assertIsNone(nxt)
        self.assertEqual(words, "not present: swap entry, type 3 slot 0x1f00")

    def test_swap_fields_from_pte_h(self):
        self.assertEqual(H.DEFS["PTE_SWP_OFF_MASK"], (1 << 40) - 1)
        self.assertEqual(H.swap_fields((H.DEFS["PTE_SWP_OFF_MASK"] << 12) | (1 << 10) | 0xe),
                         (7, (1 << 40) - 1))
        self.assertNotIn("SWP_TYPE_SHIFT", H.PTE_BITS)        # a shift, not a bit

    def test_swap_cache_entry(self):
        self.assertEqual(H.SWP_TYPE_SHIFT, 58)                 # from kernel/swap.h
        self.assertEqual(H.swap_entry_fields((2 << 58) | 0x41), ((2 << 58) | 0x41, 2, 0x41))

    def test_other_not_present(self):
        words, nxt = H.decode_entry(0x68a024)
        self.assertIsNone(nxt)
        self.assertIn("neither empty, migration, swap nor NUMA hint", words)

    def test_numa_hint(self):
        words, nxt = H.decode_entry(0x80000000005b8866)   # from the gdb-numa session
        self.assertEqual(words, "not present: NUMA-hint entry, W|U|A|D|NX kept")
        self.assertEqual(nxt, 0x5b8000)


if __name__ == "__main__":
    unittest.main()
