"""Host unit tests of the harness: the KTAP and boot-log parsers (tests/ktap.py),
the checks and machine shapes (tests/checks.py) and the case table.

    python3 -m unittest discover -s tests      # or: python3 tests/run.py -k host-unit
"""
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks  # noqa: E402
from cases import CASES  # noqa: E402
from checks import Boot, Node, Topology, even  # noqa: E402
from ktap import (FAIL, PASS, SKIP, clean_lines, format_cpulist, ktap_results,  # noqa: E402
                  parse_cpulist, parse_ktap, parse_numa)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KUNIT = """\
KTAP version 1
1..2
    KTAP version 1
    # Subtest: pmm
    1..3
    ok 1 pmm_alloc_node_local
    not ok 2 pmm_fallback # some reason
    ok 3 pmm_no_leak # SKIP needs 2 nodes
ok 1 pmm
    KTAP version 1
    # Subtest: slab
    1..2
    ok 1 slab_basic
    ok 2 slab_free
ok 2 slab
ktest: done
"""


def results(text):
    return ktap_results(parse_ktap(clean_lines(text)))


def summary(text):
    return [(r.name, r.status) for r in results(text)]


class KtapTest(unittest.TestCase):
    def test_kunit_nested(self):
        self.assertEqual(summary(KUNIT), [
            ("pmm.pmm_alloc_node_local", PASS), ("pmm.pmm_fallback", FAIL),
            ("pmm.pmm_no_leak", SKIP), ("slab.slab_basic", PASS), ("slab.slab_free", PASS)])
        r = results(KUNIT)
        self.assertEqual(r[1].reason, "some reason")
        self.assertEqual(r[2].reason, "needs 2 nodes")

    def test_tree(self):
        (doc,) = parse_ktap(clean_lines(KUNIT))
        self.assertEqual(doc.plan, 2)
        self.assertEqual([c.name for c in doc.children], ["pmm", "slab"])
        self.assertEqual([c.status for c in doc.children], ["ok", "ok"])
        self.assertEqual(doc.children[0].plan, 3)
        self.assertEqual([c.number for c in doc.children[0].children], [1, 2, 3])

    def test_crlf_and_escapes(self):
        text = "\x1b[H\x1b[J\x1b[1;1H  Booting `Numbat'\r\n\r\n" + KUNIT.replace("\n", "\r\n")
        self.assertEqual(summary(text), summary(KUNIT))
        self.assertEqual(summary(b"\x1b[0m" + text.encode()), summary(KUNIT))

    def test_carriage_return_first(self):
        self.assertEqual(summary("\rKTAP version 1\r\n\r1..1\r\n\rok 1 t\r\n"), [("t", PASS)])

    def test_interleaved_kernel_messages(self):
        lines = KUNIT.splitlines()
        noisy = []
        for i, line in enumerate(lines):
            noisy.append(line)
            noisy.append(f"numa: node {i} cpus 0-1 mem 256 MiB distances 10 20")
            noisy.append("  ok 9 two-space indent is not KTAP")
            noisy.append("      # some comment at odd depth")
            noisy.append("")
        self.assertEqual(summary("\n".join(noisy)), summary(KUNIT))

    def test_diagnostics_kept_for_the_report(self):
        text = KUNIT.replace("    not ok 2", "    # pmm_fallback: EXPECTATION FAILED at pmm.c:42\n"
                             "pmm: node 1 empty\n    not ok 2")
        r = [x for x in results(text) if x.status == FAIL]
        self.assertEqual(len(r), 1)
        self.assertIn("# pmm_fallback: EXPECTATION FAILED at pmm.c:42", r[0].diag)
        self.assertIn("pmm: node 1 empty", r[0].diag)

    def test_garbage_before_header_ignored(self):
        text = "ok 1 not_a_test\n1..5\n    ok 1 nope\n# Subtest: x\n" + KUNIT
        self.assertEqual(summary(text), summary(KUNIT))

    def test_no_ktap(self):
        self.assertEqual(parse_ktap(clean_lines("numbat: booting\nboot: complete in 1.0 ms\n")), [])
        self.assertEqual(results(""), [])

    def test_crash_mid_suite(self):
        text = """KTAP version 1
1..3
    KTAP version 1
    # Subtest: pmm
    1..4
    ok 1 a
    ok 2 b
TRAP: page fault (vector 14) on cpu 0, error 0x2
cpu 0 halted (trap in kernel)
"""
        self.assertEqual(summary(text), [
            ("pmm.a", PASS), ("pmm.b", PASS), ("pmm.#3", FAIL), ("pmm.#4", FAIL), ("#2", FAIL),
            ("#3", FAIL)])
        r = results(text)
        self.assertIn("missing result (plan 1..4, got 2)", r[2].reason)
        self.assertIn("TRAP: page fault (vector 14) on cpu 0, error 0x2", r[2].diag)
        self.assertEqual(r[3].diag, [])       # shown once, with the first missing one

    def test_crash_after_subtest_header(self):
        text = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: vm\nboom\n"
        self.assertEqual(summary(text), [("vm", FAIL)])
        self.assertEqual(results(text)[0].diag, ["boom"])

    def test_crash_after_subtest_plan(self):
        text = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: vm\n    1..2\n"
        self.assertEqual(summary(text), [("vm.#1", FAIL), ("vm.#2", FAIL)])

    def test_crash_between_suites(self):
        text = KUNIT.split("    KTAP version 1\n    # Subtest: slab")[0]
        self.assertEqual(summary(text), summary(KUNIT)[:3] + [("#2", FAIL)])

    def test_crash_before_suite_result_line(self):
        text = KUNIT.split("\nok 2 slab\n")[0]
        self.assertEqual(summary(text), summary(KUNIT))

    def test_header_only(self):
        self.assertEqual(summary("KTAP version 1\n"), [("(unnamed)", FAIL)])
        self.assertEqual(summary("KTAP version 1\n1..0\n"), [])

    def test_suite_not_ok_without_failing_leaf(self):
        text = KUNIT.replace("\nok 2 slab\n", "\nnot ok 2 slab # exit check failed\n")
        s = summary(text)
        self.assertEqual(s[-1], ("slab", FAIL))
        self.assertEqual(len(s), 6)
        # ... but not when a leaf already failed
        text = KUNIT.replace("\nok 1 pmm\n", "\nnot ok 1 pmm\n")
        self.assertEqual(summary(text), summary(KUNIT))

    def test_suite_failed_before_its_tests(self):
        text = ("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n"
                "not ok 1 s # suite init failed\n")
        r = results(text)
        self.assertEqual([(x.name, x.status) for x in r], [("s.#1", FAIL), ("s.#2", FAIL)])
        self.assertIn("suite init failed", r[0].reason)

    def test_skipped_suite(self):
        text = ("KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: numa\n    1..0\n"
                "ok 1 numa # SKIP one node\nok 2 other # skip lower case\n")
        self.assertEqual(summary(text), [("numa", SKIP), ("other", SKIP)])

    def test_not_ok_skip_and_todo(self):
        text = "KTAP version 1\n1..2\nnot ok 1 a # SKIP x\nnot ok 2 b # TODO later\n"
        self.assertEqual(summary(text), [("a", SKIP), ("b", SKIP)])

    def test_more_results_than_plan(self):
        text = "KTAP version 1\n1..1\nok 1 a\nok 2 b\n"
        self.assertEqual(summary(text), [("a", PASS), ("b", PASS), ("(plan)", FAIL)])

    def test_flat_tap_and_names(self):
        text = "TAP version 14\n1..4\nok 1 - dashed\nok 2\nnot ok 3 with spaces # why\nok 4 x#y\n"
        r = results(text)
        self.assertEqual([(x.name, x.status) for x in r],
                         [("dashed", PASS), ("#2", PASS), ("with spaces", FAIL), ("x", PASS)])
        self.assertEqual(r[2].reason, "why")

    def test_subtest_line_before_version(self):
        text = ("KTAP version 1\n1..1\n    # Subtest: old\n    KTAP version 1\n    1..1\n"
                "    ok 1 t\nok 1 old\n")
        self.assertEqual(summary(text), [("old.t", PASS)])

    def test_no_subtest_name(self):
        text = "KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    ok 1 t\nok 1 named_late\n"
        self.assertEqual(summary(text), [("named_late.t", PASS)])

    def test_tabs_and_three_levels(self):
        text = ("KTAP version 1\n1..1\n\tKTAP version 1\n\t# Subtest: a\n\t1..1\n"
                "\t\tKTAP version 1\n\t\t# Subtest: b\n\t\t1..2\n\t\tok 1 x\n\t\tnot ok 2 y\n"
                "\tnot ok 1 b\nnot ok 1 a\n")
        self.assertEqual(summary(text), [("a.b.x", PASS), ("a.b.y", FAIL)])

    def test_trailing_plan(self):
        text = "KTAP version 1\n1..1\n    # Subtest: s\n    ok 1 a\n    ok 2 b\n    1..2\nok 1 s\n"
        self.assertEqual(summary(text), [("s.a", PASS), ("s.b", PASS)])

    def test_two_documents(self):
        text = KUNIT + "init: running /tests\nKTAP version 1\n1..1\nnot ok 1 fork_cow\n"
        s = summary(text)
        self.assertEqual(len(s), 6)
        self.assertEqual(s[0], ("pmm.pmm_alloc_node_local", PASS))
        self.assertEqual(s[-1][1], FAIL)
        self.assertTrue(s[-1][0].endswith("fork_cow"))

    def test_missing_leaf_numbers_counted_once(self):
        text = "KTAP version 1\n1..3\nok 1 a\nok 3 c\n"
        self.assertEqual(summary(text), [("a", PASS), ("c", PASS), ("#3", FAIL)])


class NumaLineTest(unittest.TestCase):
    def test_lines(self):
        text = ("\x1b[1;1Hnuma: node 0 cpus 0-1 mem 256 MiB distances 10 20\r\n"
                "numa: node 1 cpus none mem 0 MiB distances 20 10  \r\n"
                "numa: 2 nodes\n")
        nodes, bad = parse_numa(clean_lines(text))
        self.assertEqual(bad, [])
        self.assertEqual([(n.id, n.cpus, n.mem, n.distances) for n in nodes],
                         [(0, [0, 1], 256, [10, 20]), (1, [], 0, [20, 10])])

    def test_prefix_and_malformed(self):
        text = ("[cpu0] numa: node 0 cpus 0,2-3 mem 12 MiB distances 10\n"
                "numa: node 1 cpus 0-1 mem 256 MiB\n"
                "numa: node 2 cpus 3-1 mem 1 MiB distances 10\n"
                "numa: node 3 cpus 0,,1 mem 1 MiB distances 10\n"
                "numa: node 4 cpus 1,0 mem 1 MiB distances 10\n"
                "numa: node 5 cpus 0 mem 1.5 MiB distances 10\n"
                "xnuma: node 6 cpus 0 mem 1 MiB distances 10\n")
        nodes, bad = parse_numa(clean_lines(text))
        self.assertEqual([(n.id, n.cpus) for n in nodes], [(0, [0, 2, 3])])
        self.assertEqual(len(bad), 6)

    def test_cpulist(self):
        self.assertEqual(parse_cpulist("none"), [])
        self.assertEqual(parse_cpulist("0"), [0])
        self.assertEqual(parse_cpulist("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11])
        for bad in ("", "-1", "1-", "a", "2-1", "0,0", "1,0", "0-2,1"):
            with self.assertRaises(ValueError, msg=bad):
                parse_cpulist(bad)
        self.assertEqual(format_cpulist([]), "none")
        self.assertEqual(format_cpulist([3, 0, 1, 2, 8, 10, 11]), "0-3,8,10-11")
        for s in ("0", "0-1", "0,2-3", "1,3,5", "0-63"):
            self.assertEqual(format_cpulist(parse_cpulist(s)), s)


def boot_of(text, **kw):
    return Boot(clean_lines(text), **kw)


def statuses(res):
    return [(r.name, r.status) for r in res]


class ChecksTest(unittest.TestCase):
    TWO = ("numa: node 0 cpus 0-1 mem 256 MiB distances 10 20\n"
           "numa: node 1 cpus 2-3 mem 255 MiB distances 20 10\n"
           "smp: 4 cpus online\nboot: complete in 12.345 ms\n")

    def test_topology_pass(self):
        res = checks.check_topology(even(2, 4, 512))(boot_of(self.TWO))
        self.assertTrue(all(r.status == PASS for r in res), statuses(res))
        self.assertEqual(len(res), 5)

    def test_topology_failures(self):
        topo = even(2, 4, 512)
        for bad in (self.TWO.replace("255 MiB", "254 MiB"),
                    self.TWO.replace("2-3", "2"),
                    self.TWO.replace("20 10", "20 10 10"),
                    self.TWO.replace("smp: 4", "smp: 3"),
                    self.TWO + self.TWO,
                    self.TWO.replace("numa: node 1", "numa: node 2"),
                    ""):
            res = checks.check_topology(topo)(boot_of(bad))
            self.assertEqual(len(res), 5)
            self.assertTrue(any(r.status == FAIL for r in res), bad)

    def test_even_matches_makefile_script(self):
        if not shutil.which("sh") or not os.path.exists(f"{ROOT}/scripts/qemu-numa.sh"):
            self.skipTest("no scripts/qemu-numa.sh")
        for shape in ((1, 2, 256), (2, 4, 512), (4, 4, 4096), (3, 4, 1000), (4, 2, 512), (2, 3, 511)):
            want = subprocess.run(["sh", f"{ROOT}/scripts/qemu-numa.sh", *map(str, shape), "20"],
                                  capture_output=True, text=True).stdout
            want = re.sub(r"cpus=(\d+)-\1\b", r"cpus=\1", want).split()    # 0-0 is 0
            self.assertEqual(even(*shape).qemu_numa().split(), want, shape)

    def test_even(self):
        t = even(4, 2, 512)
        self.assertEqual([(n.cpus, n.mem) for n in t.nodes],
                         [("none", 128), ("0", 128), ("none", 128), ("1", 128)])
        self.assertEqual(t.ncpus, 2)
        self.assertEqual(t.distances(1), [20, 10, 20, 20])

    def test_qemu_numa(self):
        t = Topology([Node("0-1", 512), Node("2-3", 0)])
        self.assertEqual(t.qemu_numa(), "-object memory-backend-ram,id=m0,size=512M "
                         "-numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3 "
                         "-numa dist,src=0,dst=1,val=20 -numa dist,src=1,dst=0,val=20")
        t = Topology([Node("0,2", 256), Node("none", 256)], [[10, 30], [30, 10]])
        self.assertEqual(t.qemu_numa(), "-object memory-backend-ram,id=m0,size=256M "
                         "-numa node,nodeid=0,cpus=0,cpus=2,memdev=m0 "
                         "-object memory-backend-ram,id=m1,size=256M -numa node,nodeid=1,memdev=m1 "
                         "-numa dist,src=0,dst=1,val=30 -numa dist,src=1,dst=0,val=30")
        self.assertEqual((t.ncpus, t.mem), (2, 512))

    def test_boot_checks(self):
        b = boot_of("  Booting `Numbat'\nboot: complete in 3 ms\n")
        self.assertEqual(checks.boots_once(b)[0].status, PASS)
        self.assertEqual(checks.boot_complete(b)[0].status, PASS)
        b = boot_of("  Booting `Numbat'\nboot: complete in 3 ms\n  Booting `Numbat'\n")
        self.assertEqual(checks.boots_once(b)[0].status, FAIL)
        self.assertEqual(checks.boot_complete(boot_of("boot: complete in ms\n"))[0].status, FAIL)
        self.assertEqual(checks.no_crash(boot_of("KERNEL PANIC: x\n"))[0].status, FAIL)
        self.assertEqual(checks.no_crash(boot_of("ktest: TRAP: ok\n"))[0].status, PASS)
        self.assertEqual(checks.powers_off(boot_of("", timed_out=True, timeout=5))[0].reason,
                         "no power-off within 5 s (hang?)")

    TRAP = """TRAP: page fault (vector 14) on cpu 0, error 0x2\r
CR2: 0x000000000dead000
RIP: 0xffffffff80101234 <ktest_trap_pf_fn+0x1c>
RAX=0x0000000000000000 RBX=0x1
Backtrace:
  #0 0xffffffff80101234 <ktest_trap_pf_fn+0x1c>
  #1 0xffffffff80105678 <ktest_run_suite+0x40>
cpu 0 halted (trap in kernel)
"""

    def trap_case(self, name):
        (case,) = [c for c in CASES if c.name == name]
        return case.checks[0]

    def test_trap_report(self):
        save = checks.kernel_symbol
        checks.kernel_symbol = lambda root, name: 0xffffffff80101218
        try:
            res = self.trap_case("trap-pf")(boot_of(self.TRAP))
            self.assertTrue(all(r.status == PASS for r in res), statuses(res))
            checks.kernel_symbol = lambda root, name: 0xffffffff80101000
            res = self.trap_case("trap-pf")(boot_of(self.TRAP))
            self.assertEqual([r.name for r in res if r.status == FAIL],
                             ["RIP address agrees with ktest_trap_pf_fn in kernel.elf"])
            checks.kernel_symbol = lambda root, name: 0xffffffff80101218
            res = self.trap_case("trap-pf")(boot_of(self.TRAP.replace("  #1", "cpu 0: x\n  #1")))
            self.assertEqual([r.name for r in res if r.status == FAIL], ["Backtrace walks past #0"])
            res = self.trap_case("trap-ud")(boot_of(self.TRAP))
            self.assertEqual(len([r for r in res if r.status == PASS]), 3)   # regs, 2 frames, halted
            res = self.trap_case("trap-pf")(boot_of(""))
            self.assertTrue(all(r.status == FAIL for r in res))
        finally:
            checks.kernel_symbol = save

    def test_unknown_options(self):
        fn = checks.check_unknown_options(["zzz=1", "%%"])
        ok = "cmdline: unknown option 'zzz=1' ignored\ncmdline: unknown option '%%' ignored\n"
        self.assertTrue(all(r.status == PASS for r in fn(boot_of(ok))))
        res = fn(boot_of(ok + "cmdline: unknown option 'poweroff' ignored\n"))
        self.assertEqual([r.name for r in res if r.status == FAIL], ["no other word reported unknown"])
        res = fn(boot_of("cmdline: unknown option '%' ignored\n"))
        self.assertEqual(len([r for r in res if r.status == FAIL]), 3)


class KtapCheckTest(unittest.TestCase):
    def test_all(self):
        res = checks.check_ktap(None)(boot_of(KUNIT))
        self.assertEqual(statuses(res)[:3], [("KTAP output present", PASS), ("ktest: done", PASS),
                                             ("KTAP has tests", PASS)])
        self.assertEqual(statuses(res)[3:], summary(KUNIT))

    def test_suites(self):
        res = checks.check_ktap(["pmm", "vm"])(boot_of(KUNIT))
        self.assertEqual(statuses(res)[2:4], [("KTAP suite pmm ran", PASS), ("KTAP suite vm ran", FAIL)])

    def test_empty(self):
        res = checks.check_ktap(None)(boot_of("KTAP version 1\n1..0\nktest: done\n"))
        self.assertEqual(statuses(res), [("KTAP output present", PASS), ("ktest: done", PASS),
                                         ("KTAP has tests", FAIL)])
        res = checks.check_ktap(["pmm"])(boot_of("numbat: booting\n"))
        self.assertEqual([r.status for r in res], [FAIL, FAIL, FAIL])


class CaseTableTest(unittest.TestCase):
    def test_suites_from_cmdline(self):
        from cases import Case
        self.assertIsNone(Case("a", cmdline="ktest=all poweroff").suites())
        self.assertEqual(Case("a", cmdline="poweroff ktest=pmm,slab").suites(), ["pmm", "slab"])
        self.assertIsNone(Case("a", cmdline="xktest=pmm").suites())

    def test_names_unique(self):
        names = [c.name for c in CASES]
        self.assertEqual(len(names), len(set(names)))
        for n in names:
            self.assertRegex(n, r"^[a-z0-9][a-z0-9-]*$")

    def test_make_vars(self):
        by = {c.name: c for c in CASES}
        self.assertEqual(by["topo-no-numa"].make_vars()["QEMU_NUMA"], "")
        self.assertEqual(by["topo-1node"].make_vars(), {"NODES": "1", "CPUS": "2", "MEM": "256"})
        v = by["topo-4node"].make_vars()
        self.assertEqual((v["CPUS"], v["MEM"]), ("4", "512"))
        self.assertIn("-numa dist,src=3,dst=1,val=20", v["QEMU_NUMA"])
        self.assertNotIn("NODES", v)
        self.assertEqual(by["big-4g-4node"].make_vars()["MEM"], "4096")

    def test_machines_consistent(self):
        for c in CASES:
            if not c.machine:
                continue
            cpus = sorted(x for n in c.machine.nodes for x in parse_cpulist(n.cpus))
            self.assertEqual(cpus, list(range(c.machine.ncpus)), c.name)
            n = len(c.machine.nodes)
            for i in range(n):
                d = c.machine.distances(i)
                self.assertEqual(len(d), n)
                self.assertEqual(d[i], 10)
                self.assertEqual([c.machine.distances(j)[i] for j in range(n)], d, c.name)


if __name__ == "__main__":
    unittest.main()
