"""Host unit tests of tests/syzfuzz.py (`make fuzz`): reading the fuzzer's
call log, recognising a failure again, and the replay lines of the shrinker.

    python3 -m unittest tests/test_syzfuzz.py    # or: python3 tests/run.py -k host-unit
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import syzfuzz  # noqa: E402

LOG = """\
fuzz: seed 3 workers 2 calls 3 dir /fuzz
0 0 mmap 200000000000 2000 3 32 ffffffffffffffff 0
1 0 chdir 41df40
0.1 0 touch 200000001000 1 5a
0 1 nosys
0 2 write 4 40c000 10
pid 9 (fuzz): signal 11 at address 0, rip 401000, trap 14 error 4
TRAP: page fault (vector 14) on cpu 1, error 0x0
RIP: 0xffffffff80119190 <inode_put+0x10>
""".splitlines()


class SyzFuzz(unittest.TestCase):
    def test_last_calls_per_process(self):
        per = syzfuzz.last_calls(LOG, 2)
        self.assertEqual(sorted(per), ["0", "0.1", "1"])
        self.assertEqual(per["0"], ["0 1 nosys", "0 2 write 4 40c000 10"])

    def test_problems(self):
        bad = syzfuzz.problems(LOG, False, 10)
        self.assertTrue(any(b.startswith("crash: TRAP: page fault") for b in bad))
        self.assertTrue(any("did not finish" in b for b in bad))
        self.assertEqual(syzfuzz.problems(["fuzz: done: seed 1, 4 calls, 0 failures"], False, 10), [])
        self.assertEqual(syzfuzz.problems([], True, 10), ["hang: no power-off within 10 s"])

    def test_signature(self):
        self.assertEqual(syzfuzz.signature(LOG, False), "trap in inode_put")
        self.assertEqual(syzfuzz.signature(["KERNEL PANIC: rmap: bad count"], False),
                         "KERNEL PANIC: rmap: bad count")
        self.assertEqual(syzfuzz.signature(["fuzz: done:"], True), "hang")
        self.assertIsNone(syzfuzz.signature(["fuzz: done:"], False))

    def test_replay_lines(self):
        self.assertEqual(syzfuzz.to_replay(LOG[1:6]), [
            "9 200000000000 2000 3 32 ffffffffffffffff 0", "80 41df40",
            "-1 200000001000 1 5a", "1 4 40c000 10"])          # nosys has no number

    def test_every_generated_name_has_a_number(self):
        """Each call name in user/fuzz/*.c is in syzfuzz.NR (or is nosys)."""
        import glob
        import re
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        names = set()
        for f in glob.glob(os.path.join(root, "user", "fuzz", "*.c")):
            with open(f) as fh:
                text = fh.read()
            names |= set(re.findall(r'\(struct call\)\{ "(\w+)"', text))
            names |= set(re.findall(r'struct call c = \{ "(\w+)"', text))
        names -= {"nosys", "replay"}
        self.assertTrue(names)
        self.assertEqual(sorted(n for n in names if n not in syzfuzz.NR), [])


if __name__ == "__main__":
    unittest.main()
