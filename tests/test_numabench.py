"""Host unit tests of the NUMA-balancing benchmark's scripts: reading
/bench/numabench's lines (tests/bench.py), saying why a run has no figures,
the Linux figures' table row, and the initramfs tests/linux_peer.py --numa
makes.

    python3 -m unittest tests/test_numabench.py    # or: python3 tests/run.py -k host-unit
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import linux_peer  # noqa: E402

DONE = """\
bench: numa start numa_balancing=1 cpus=0,1
bench: numa converge mib=64 t50_ms=2050 t90_ms=2204 t95_ms=-1 final_pct=93.5 secs=20.00 hint_faults=16411 migrated=16411
bench: numa overhead mib=64 secs=5 sweeps_off=2277.00 sweeps_on=1463.59 slowdown_pct=35.7 hint_faults_on=1
bench: numa shared mib=16 secs=5 pages=4096 migrated=-1 hint_faults=14682 sweeps=14618.38,2905.50
bench: numa wrong_pages=0
"""

NO_KERNEL = """\
bench: numa start numa_balancing=-1 cpus=0,1
bench: numa needs /proc/sys/kernel/numa_balancing and two nodes with CPUs
"""


class Parse(unittest.TestCase):
    def test_every_part_and_its_cells(self):
        parts, wrong = bench.numa_parse(DONE)
        self.assertEqual(wrong, 0)
        self.assertEqual(parts["converge"]["t90_ms"], 2204)
        self.assertEqual(parts["shared"]["sweeps"], 14618.38)
        self.assertIsNone(bench.numa_failure(DONE, False, parts, wrong))
        self.assertEqual(bench.numa_cells(parts),
                         ["2.05 s", "2.20 s", "never", "93.5 %", "2277.00", "1463.59",
                          "35.7 %", "1", "n/a"])

    def test_why_no_figures(self):
        parts, wrong = bench.numa_parse(NO_KERNEL)
        self.assertIsNone(wrong)
        self.assertEqual(bench.numa_failure(NO_KERNEL, False, parts, wrong),
                         "needs /proc/sys/kernel/numa_balancing and two nodes with CPUs")
        cut = DONE.split("bench: numa shared")[0]
        parts, wrong = bench.numa_parse(cut)
        self.assertEqual(bench.numa_failure(cut, True, parts, wrong), "timed out")
        bad = DONE.replace("wrong_pages=0", "wrong_pages=3")
        parts, wrong = bench.numa_parse(bad)
        self.assertEqual(bench.numa_failure(bad, False, parts, wrong), "WRONG PAGES: 3")

    def test_linux_rows(self):
        self.assertTrue(bench.LINUX_NUMA_RUNS)
        runs = [bench.linux_numa_parts(v) for v in bench.LINUX_NUMA_RUNS]
        for v in bench.LINUX_NUMA_RUNS:
            self.assertEqual(len(v), len(bench.NUMA_KEYS))
        mean = bench.numa_mean(runs)
        want = sum(v[-1] for v in bench.LINUX_NUMA_RUNS) / len(bench.LINUX_NUMA_RUNS)
        self.assertAlmostEqual(mean["shared"]["migrated"], want)
        row = bench.numa_row("Linux", mean, None)
        self.assertEqual(row.count("|"), bench.NUMA_RULE.count("|"))


class Peer(unittest.TestCase):
    def test_machine(self):
        args = linux_peer.numa_qemu_args("/k", "/i")
        self.assertIn("node,nodeid=1,cpus=1,memdev=m1", args)
        self.assertNotIn("-icount", args)
        self.assertEqual(args[args.index("-smp") + 1], "2")
        self.assertIn("transparent_hugepage=never", args[args.index("-append") + 1])


if __name__ == "__main__":
    unittest.main()
