"""Host unit tests of the swap benchmark's scripts: reading /bench/swapbench's
lines (tests/bench.py), saying why a run has no figures, and the initramfs
that tests/linux_peer.py makes for Linux.

    python3 -m unittest tests/test_swapbench.py    # or: python3 tests/run.py -k host-unit
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import linux_peer  # noqa: E402

DONE = """\
swap: on /dev/ram0: 393212 KiB, priority -2
bench: swap start size_mib=192 idle=16 pages=49152
bench: swap idle ready
bench: swap phase=fill per_page=18917 pswpin=0 pswpout=31000 pgscan=70000 pgsteal=35000
bench: swap phase=seq1 per_page=33554 pswpin=60000 pswpout=60000 pgscan=-1 pgsteal=5
bench: swap phase=seq2 per_page=29811 pswpin=1 pswpout=2 pgscan=3 pgsteal=4
bench: swap phase=random per_page=20323 pswpin=1 pswpout=2 pgscan=3 pgsteal=4
bench: swap phase=fork per_page=58944 pswpin=1 pswpout=2 pgscan=3 pgsteal=4
bench: swap phase=total per_page=161549 pswpin=225519 pswpout=231030 pgscan=593295 pgsteal=277312
bench: swap wrong_words=0 idle_wrong_words=0
init exited with status 0x0: powering off
"""

OOM_IN_SEQ2 = """\
swap: on /dev/ram0: 393212 KiB, priority -2
bench: swap start size_mib=192 idle=0 pages=49152
bench: swap idle ready
bench: swap phase=fill per_page=1 pswpin=-1 pswpout=-1 pgscan=-1 pgsteal=-1
bench: swap phase=seq1 per_page=2 pswpin=-1 pswpout=-1 pgscan=-1 pgsteal=-1
oom: no memory for pid 1 (swapbench) at 100005ae6000: killed
init exited with status 0x9: powering off
"""


class SwapBench(unittest.TestCase):
    def test_parse_complete_run(self):
        phases, wrong = bench.swap_parse(DONE)
        self.assertEqual(list(phases), ["fill", "seq1", "seq2", "random", "fork", "total"])
        self.assertEqual(phases["seq1"]["pgscan"], -1)
        self.assertEqual(phases["total"]["pswpout"], 231030)
        self.assertEqual(wrong, (0, 0))
        self.assertIsNone(bench.swap_failure(DONE, False, phases))

    def test_row_of_complete_run(self):
        phases, wrong = bench.swap_parse(DONE)
        row = bench.swap_row("x", phases, wrong, None)
        self.assertEqual(row, "| x | 18,917 | 33,554 | 29,811 | 20,323 | 58,944 | 225,519 | "
                              "231,030 | 593,295 / 277,312 (2.14) | 0 + 0 idle | ok |")

    def test_oom_names_the_phase(self):
        phases, wrong = bench.swap_parse(OOM_IN_SEQ2)
        why = bench.swap_failure(OOM_IN_SEQ2, False, phases)
        self.assertTrue(why.startswith("OOM-killed in seq2"), why)
        row = bench.swap_row("x", phases, wrong, why)
        self.assertIn("| 1 | 2 | - | - | - | n/a | n/a | n/a / n/a (n/a) | - | OOM-killed", row)

    def test_oom_while_idle_processes_start(self):
        text = "swap: on /dev/ram0: 393212 KiB, priority -2\n" \
               "bench: swap start size_mib=192 idle=64 pages=49152\n" \
               "oom: no memory for pid 25 (swapbench) at 10000033c000: killed\n"
        why = bench.swap_failure(text, False, {})
        self.assertTrue(why.startswith("OOM-killed in the idle processes' set-up"), why)

    def test_wrong_words_fail_the_run(self):
        text = DONE.replace("wrong_words=0 idle", "wrong_words=512 idle").replace(
            "status 0x0", "status 0x100")
        phases, wrong = bench.swap_parse(text)
        self.assertEqual(wrong, (512, 0))
        self.assertEqual(bench.swap_failure(text, False, phases, wrong), "WRONG WORDS: 512 + 0 idle")
        self.assertIn("exit status 0x100", bench.swap_failure(text, False, phases))

    def test_fork_child_killed(self):
        text = DONE.replace("bench: swap phase=fork", "oom: no memory for pid 9 (swapbench) at 1: "
                            "killed\nbench: swap fork child died before reporting\n"
                            "bench: swap phase=fork").replace("wrong_words=0", "wrong_words=1")
        text = text.replace("status 0x0", "status 0x100")
        phases, wrong = bench.swap_parse(text)
        self.assertTrue(bench.swap_failure(text, False, phases).startswith(
            "OOM-killed in fork (the child)"))

    def test_timeout_and_no_start(self):
        on = "swap: on /dev/ram0: 393212 KiB, priority -2\n"
        self.assertEqual(bench.swap_failure(on, True, {}), "timed out in fill")
        self.assertEqual(bench.swap_failure(on + "panic\n", False, {}), "did not start")

    def test_no_swap_area_is_no_result(self):
        # figures from a run without swap would measure something else
        text = DONE.replace("swap: on /dev/ram0: 393212 KiB, priority -2",
                            "swap: no 655360 KiB on node 1")
        phases, _ = bench.swap_parse(text)
        self.assertEqual(bench.swap_failure(text, False, phases),
                         "no swap area (`swap: no 655360 KiB on node 1`)")
        self.assertTrue(bench.swap_failure(DONE.split("\n", 1)[1], False, phases)
                        .startswith("no swap area"))

    def test_swap_area_fits_the_fork_peak(self):
        # 192 MiB + 96 MiB of child copies + 4 MiB per idle process
        self.assertEqual([bench.swap_area_mib(192, i) for i in (0, 1, 16, 64)],
                         [384, 384, 384, 640])
        self.assertEqual(bench.swap_area_mib(32, 64), 384)
        self.assertEqual(bench.swap_machine(384).mem, 96 + 392)
        self.assertEqual(bench.swap_machine(640).mem, 96 + 652)

    def test_linux_figures_on_record(self):
        row = bench.swap_row("L", bench.linux_swap_phases(0), (0, 0), None)
        self.assertTrue(row.startswith("| L | 19,151 | 33,389 | 29,888 | 20,057 | 59,110 | "
                                       "225,577 | 230,981 | 644,481 / 277,318 (2.32) |"), row)

    def test_linux_failure(self):
        text = DONE.replace("init exited with status 0x0: powering off",
                            "peer: swapbench exited with status 0").replace(
            "swap: on /dev/ram0: 393212 KiB, priority -2",
            "/dev/ram0                               partition\t393212\t\t0\t\t-2")
        phases, _ = bench.swap_parse(text)
        self.assertIsNone(linux_peer.failure(text, False, phases))
        cut = text.split("bench: swap phase=random")[0] + "Memory cgroup out of memory\n"
        phases, _ = bench.swap_parse(cut)
        self.assertEqual(linux_peer.failure(cut, False, phases), "OOM-killed in random")
        self.assertEqual(linux_peer.failure(cut.replace("/dev/ram0", "x"), False, phases),
                         "no swap area (see the log)")


class LinuxMachine(unittest.TestCase):
    def test_same_qemu_settings_as_numbat(self):
        args = " ".join(linux_peer.qemu_args("vmlinuz", "initrd", "-s 192 -i 0", 384))
        for want in ("-accel tcg", "-cpu max", "-smp 1", "-m 872", "-icount shift=0",
                     "memory-backend-ram,id=m0,size=96M", "node,nodeid=0,cpus=0,memdev=m0",
                     "memory-backend-ram,id=m1,size=776M", "node,nodeid=1,memdev=m1",
                     "dist,src=0,dst=1,val=20"):
            self.assertIn(want, args)
        self.assertIn("-- -s 192 -i 0", args)

    def test_init_makes_swap_and_the_group(self):
        init = linux_peer.INIT.format(swap_kib=384 * 1024, memcg=64, lru_gen="")
        for want in ("insmod /brd.ko rd_nr=1 rd_size=393216", "swapon /dev/ram0",
                     "echo 64M > /sys/fs/cgroup/bench/memory.max", "exec /bench/swapbench"):
            self.assertIn(want, init)


class Initramfs(unittest.TestCase):
    @unittest.skipUnless(shutil.which("cpio"), "no cpio on this host")
    def test_cpio_lists_and_extracts(self):
        data = linux_peer.cpio_newc([("bin", stat.S_IFDIR | 0o755, b""),
                                     ("bin/x", stat.S_IFREG | 0o755, b"hello\n"),
                                     ("init", stat.S_IFREG | 0o755, b"#!/bin/sh\n")])
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["cpio", "-id", "--quiet"], input=data, cwd=d, check=True)
            with open(os.path.join(d, "bin", "x"), "rb") as fh:
                self.assertEqual(fh.read(), b"hello\n")
            self.assertTrue(os.access(os.path.join(d, "init"), os.X_OK))
            self.assertTrue(os.path.isdir(os.path.join(d, "bin")))


if __name__ == "__main__":
    unittest.main()
