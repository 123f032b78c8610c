"""Host unit tests of scripts/numaplot.py's reading of a boot log: numawatch
samples and page maps, the trace's migrate_page lines, and what it makes of
them (shares per node, the maps to draw, the summary). No matplotlib needed.

    python3 -m unittest tests/test_numaplot.py    # or: python3 tests/run.py -k host-unit
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))

import numaplot  # noqa: E402

LOG = """\
boot: complete in 70.1 ms (memory setup 20.0 ms)
ok 1 before: N0=4 anon=4 (100000001000 default anon=4 dirty=4 N0=4 kernelpagesize_kB=4)
numawatch: pid=7 t=1000000000 map=start 40e000-410000 -0
numawatch: pid=7 t=1000000000 map=start 100000001000-100000005000 0000
numawatch: pid=7 t=1000000000 N0=5 N1=0
\x1b[0mnumawatch: pid=7 t=1500000000 N0=3 N1=2\r
numawatch: pid=7 t=2000000000 N0=1 N1=4
numawatch: pid=9 t=1000000000 N0=1
numawatch: pid=7 t=2000000000 map=end 40e000-410000 -0
numawatch: pid=7 t=2000000000 map=end 100000001000-100000005000 1111
numawatch: pid=7 t=oops N0=1
        numawatch-7       [001] .....     1.250000: migrate_page: pfn=0x1a2 new_pfn=0x1f0a3 from=0 to=1 reason=syscall_or_cpuset
        numawatch-7       [001] .....     1.250100: migrate_page: pfn=0x1a3 new_pfn=0x1f0a4 from=0 to=1 reason=syscall_or_cpuset
    kmigrated/1-12      [002] d..1.     1.900000: migrate_page: pfn=0x1a4 new_pfn=0x1f0a5 from=0 to=1 reason=numa_misplaced
        numawatch-7       [001] .....     1.950000: migrate_page: pfn=0x1a5 new_pfn=0x1f0a6 from=0 to=1
        numawatch-7       [001] .....     1.960000: mm_migrate_pages: nr_succeeded=1 nr_failed=0 mode=MIGRATE_SYNC reason=syscall_or_cpuset
"""


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.log = numaplot.parse(LOG.splitlines())

    def test_samples_per_pid(self):
        w = self.log.watches[7]
        self.assertEqual(w.samples, [(1000000000, {0: 5, 1: 0}), (1500000000, {0: 3, 1: 2}),
                                     (2000000000, {0: 1, 1: 4})])
        self.assertEqual(self.log.watches[9].samples, [(1000000000, {0: 1})])

    def test_busiest_pid_is_the_default(self):
        self.assertEqual(self.log.watch().pid, 7)
        self.assertEqual(self.log.watch(9).pid, 9)
        self.assertIsNone(self.log.watch(8))

    def test_maps(self):
        w = self.log.watches[7]
        self.assertEqual([(m.start, m.end, m.nodes) for m in w.maps["start"]],
                         [(0x40e000, 0x410000, "-0"), (0x100000001000, 0x100000005000, "0000")])
        self.assertEqual(w.maps["end"][1].nodes, "1111")

    def test_largest_maps_is_the_one_with_most_pages(self):
        start, end = numaplot.largest_maps(self.log.watches[7])
        self.assertEqual((start.start, start.nodes, end.nodes), (0x100000001000, "0000", "1111"))
        self.assertIsNone(numaplot.largest_maps(self.log.watches[9]))

    def test_migrations(self):
        m = self.log.migrations
        self.assertEqual(len(m), 3)          # the line without reason= and mm_migrate_pages: no
        self.assertEqual((m[0].t_ns, m[0].pid, m[0].comm, m[0].pfn, m[0].new_pfn),
                         (1250000000, 7, "numawatch", 0x1a2, 0x1f0a3))
        self.assertEqual((m[2].comm, m[2].pid, m[2].src, m[2].dst, m[2].reason),
                         ("kmigrated/1", 12, 0, 1, "numa_misplaced"))

    def test_shares(self):
        times, share = numaplot.shares(self.log.watches[7])
        self.assertEqual(times, [0.0, 0.5, 1.0])
        self.assertEqual(share, {0: [1.0, 0.6, 0.2], 1: [0.0, 0.4, 0.8]})

    def test_shares_of_nothing(self):
        self.assertEqual(numaplot.shares(None), ([], {}))
        self.assertEqual(numaplot.shares(numaplot.Watch(3, [(5, {0: 0, 1: 0})])),
                         ([0.0], {0: [0.0], 1: [0.0]}))

    def test_summary(self):
        self.assertEqual(numaplot.summary(self.log, self.log.watches[7]), [
            "pid 7: 3 samples over 1.000 s", "  first: N0=5 N1=0", "  last:  N0=1 N1=4",
            "migrations 0->1 (numa_misplaced): 1", "migrations 0->1 (syscall_or_cpuset): 2"])

    def test_empty_log(self):
        log = numaplot.parse(["nothing here", ""])
        self.assertIsNone(log.watch())
        self.assertEqual(log.migrations, [])

    def test_main_without_samples_fails(self):
        import contextlib
        import io
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".log") as f, \
                contextlib.redirect_stderr(io.StringIO()) as err:
            f.write("boot: complete\n")
            f.flush()
            self.assertEqual(numaplot.main([f.name, "-o", os.devnull]), 1)
        self.assertIn("no numawatch samples", err.getvalue())


if __name__ == "__main__":
    unittest.main()
