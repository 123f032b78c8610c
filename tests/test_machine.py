"""Host tests of the make loop's machine check (scripts/check-machine.py):
a machine that cannot boot stops with a clear message before QEMU starts.

Through make, QEMU is replaced by a script that leaves a mark when it runs,
and `-o all` keeps make from building anything: each bad shape must fail
fast with its message and leave no mark, and a good shape must run the fake
QEMU (so the test can see QEMU start at all)."""
import importlib.util
import os
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qemu import ROOT, make_env  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "check_machine", os.path.join(ROOT, "scripts", "check-machine.py"))
cm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cm)

FAST = 15        # seconds: a refusal must come long before a boot would


class Shapes(unittest.TestCase):
    def test_good_shapes(self):
        for shape in (("2", "4", "512"), ("1", "1", "32"), ("4", "4", "64"), ("16", "64", "4096")):
            self.assertEqual(cm.shape_problems(*shape, "20", False), [], shape)

    def test_bad_shapes(self):
        for (nodes, cpus, mem), words in [
                (("0", "4", "512"), "NODES=0"), (("2", "0", "512"), "CPUS=0"),
                (("4", "4", "2"), "each node needs at least 16 MiB"),
                (("2", "4", "abc"), "MEM='abc' is not a whole number"),
                (("17", "4", "512"), "NODES=17"), (("2", "65", "512"), "CPUS=65"),
                (("2", "4", "20"), "at least 32 MiB")]:
            errors = cm.shape_problems(nodes, cpus, mem, "20", False)
            self.assertTrue(any(words in e for e in errors), (nodes, cpus, mem, errors))

    def test_qemu_numa_given_ignores_nodes(self):
        self.assertEqual(cm.shape_problems("0", "4", "512", "20", True), [])


class Kvm(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def file(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    def test_no_vmx_or_svm(self):
        info = self.file("cpuinfo", "processor\t: 0\nflags\t\t: fpu pae sse2 lm\n")
        dev = self.file("kvm", "")
        errors = cm.kvm_problems(info, dev)
        self.assertEqual(len(errors), 1)
        self.assertIn("no vmx or svm flag", errors[0])

    def test_no_dev_kvm(self):
        info = self.file("cpuinfo", "flags\t\t: fpu vmx lm\n")
        errors = cm.kvm_problems(info, os.path.join(self.dir.name, "missing"))
        self.assertTrue(errors and "there is no" in errors[0], errors)

    def test_kvm_usable(self):
        info = self.file("cpuinfo", "flags\t\t: fpu svm lm\n")
        dev = self.file("kvm", "")
        os.chmod(dev, stat.S_IRUSR | stat.S_IWUSR)
        self.assertEqual(cm.kvm_problems(info, dev), [])


class Cmdline(unittest.TestCase):
    def test_good_cmdlines(self):
        for line in ("", "init=/bin/nodes poweroff", "rmap=obj ktest=rmap,pmm",
                     'init=/bin/busybox poweroff -- sh -c "echo a \\| busybox rev & wait"',
                     'init=/bin/sh -- -c "a; b || c > d"', "init=/bin/sh -- -c a\\;b"):
            self.assertEqual(cm.cmdline_problems(line), [], line)

    def test_bad_cmdlines(self):
        for line, words in [("init=/bin/sh -- -c /tests/ttyflow;true", "has a ; outside"),
                            ("init=/bin/sh -- -c a||true", "has a | outside"),
                            ("init=/bin/sh -- -c a&", "has a & outside"),
                            ("init=/bin/sh -- -c a>b", "has a > outside"),
                            ("init=/bin/sh -- -c 'a b'", "has a '"),
                            ('init=/bin/sh -- -c "a b', "never closed")]:
            problems = cm.cmdline_problems(line)
            self.assertTrue(any(words in p for p in problems), (line, problems))


class ThroughMake(unittest.TestCase):
    """`make qemu-nox ...` with a fake QEMU that records that it ran."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.mark = os.path.join(self.dir.name, "qemu-ran")
        self.qemu = os.path.join(self.dir.name, "fake-qemu")
        with open(self.qemu, "w") as fh:
            fh.write(f"#!/bin/sh\necho \"$@\" > {self.mark}\n")
        os.chmod(self.qemu, 0o755)

    def make(self, *args, env=None):
        e = make_env()
        e.update(env or {})
        start = time.monotonic()
        p = subprocess.run(["make", "-s", "-o", "all", "qemu-nox", f"QEMU={self.qemu}",
                            "DISK=none", *args], cwd=ROOT, env=e, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        return p.returncode, p.stdout, time.monotonic() - start

    def refused(self, args, words, env=None):
        rc, out, secs = self.make(*args, env=env)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("check-machine: " + words, out)
        self.assertFalse(os.path.exists(self.mark), "QEMU was started: " + out)
        self.assertLess(secs, FAST)

    def test_good_machine_starts_qemu(self):
        rc, out, _ = self.make("NODES=2", "CPUS=4", "MEM=512")
        self.assertEqual(rc, 0, out)
        self.assertTrue(os.path.exists(self.mark), out)

    def test_nodes_0(self):
        self.refused(["NODES=0"], "NODES=0: Numbat runs 1 to")

    def test_cpus_0(self):
        self.refused(["CPUS=0"], "CPUS=0: Numbat runs 1 to")

    def test_4_nodes_mem_2(self):
        self.refused(["NODES=4", "MEM=2"], "NODES=4 MEM=2: 0 MiB per node")

    def test_cmdline_with_semicolon(self):
        self.refused(["CMDLINE=init=/bin/sh poweroff -- -c /tests/ttyflow;true"],
                     "CMDLINE has a ; outside")

    def test_mem_not_a_number(self):
        self.refused(["MEM=lots"], "MEM='lots' is not a whole number")

    def test_kvm_without_kvm(self):
        info = os.path.join(self.dir.name, "cpuinfo")
        with open(info, "w") as fh:
            fh.write("processor\t: 0\nflags\t\t: fpu pae lm\n")
        self.refused(["ACCEL=kvm"], "ACCEL=kvm: this CPU has no hardware virtualisation",
                     env={"NUMBAT_CPUINFO": info})

    def test_disk_in_use(self):
        disk = os.path.join(self.dir.name, "disk.img")
        with open(disk, "wb") as fh:
            fh.truncate(1 << 20)
        holder = subprocess.Popen([sys.executable, "-c",
                                   "import sys, time; f = open(sys.argv[1], 'rb'); "
                                   "print('open', flush=True); time.sleep(60)", disk],
                                  stdout=subprocess.PIPE, text=True)
        try:
            holder.stdout.readline()          # the file is open now
            self.refused([f"DISK={disk}"], f"{disk} is in use by pid {holder.pid}")
            rc, out, _ = self.make(f"DISK={disk}")
            self.assertIn(f"cp {disk} ", out)
        finally:
            holder.kill()
            holder.wait()
            holder.stdout.close()
        rc, out, _ = self.make(f"DISK={disk}")     # free again: it boots
        self.assertEqual(rc, 0, out)
        self.assertTrue(os.path.exists(self.mark), out)


if __name__ == "__main__":
    unittest.main()
