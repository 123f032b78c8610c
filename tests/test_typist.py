"""Host tests of the harness's typist (tests/qemu.py Typist, wait_typing):
keys typed on their cues, paused keys typed when due, and a cue that never
comes stopping the boot after the per-cue limit with the check that names
it (tests/checks.py typist_cues). A fake QEMU (its stdin a list) and a fake
clock stand in for the real ones; wait_typing runs against a real process
(`sleep`) that the typist must end."""
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checks import Boot, typist_cues  # noqa: E402
from ktap import FAIL, PASS  # noqa: E402
from qemu import Typist, wait_typing  # noqa: E402


class FakeStdin:
    def __init__(self):
        self.typed = []

    def write(self, data):
        self.typed.append(data)

    def flush(self):
        pass


class FakeProc:
    def __init__(self):
        self.stdin = FakeStdin()


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class TypistTest(unittest.TestCase):
    def setUp(self):
        self.proc, self.clock = FakeProc(), Clock()

    def typist(self, keys, limit=60):
        return Typist(self.proc, keys, limit, self.clock)

    def test_types_on_cues_in_order(self):
        t = self.typist([("^a$", b"1"), ("^b$", b"2")])
        t.feed(b"b\n")                      # b before a: not a's cue
        self.assertEqual(self.proc.stdin.typed, [])
        t.feed(b"b\na\n")
        self.assertEqual(self.proc.stdin.typed, [b"1"])
        t.feed(b"b\na\nb\n")
        self.assertEqual(self.proc.stdin.typed, [b"1", b"2"])
        self.assertIsNone(t.overdue())

    def test_pause_types_later(self):
        t = self.typist([("go", [b"\x13", 2, b"\x11"])])
        t.feed(b"go\n")
        self.assertEqual(self.proc.stdin.typed, [b"\x13"])
        self.clock.now += 1.5
        t.tick()
        self.assertEqual(self.proc.stdin.typed, [b"\x13"])
        self.clock.now += 0.6
        t.tick()
        self.assertEqual(self.proc.stdin.typed, [b"\x13", b"\x11"])

    def test_cue_limit_counts_from_the_previous_cue(self):
        t = self.typist([("one", b"1"), ("two", b"2")], limit=60)
        self.clock.now += 59
        self.assertIsNone(t.overdue())
        t.feed(b"one\n")
        self.clock.now += 59                # 118 s from the start, 59 from cue 1
        self.assertIsNone(t.overdue())
        self.clock.now += 2
        self.assertEqual(t.overdue(), (2, "two", 60))

    def test_no_limit_once_every_cue_came(self):
        t = self.typist([("one", b"1")], limit=5)
        t.feed(b"one\n")
        self.clock.now += 1000
        self.assertIsNone(t.overdue())

    def test_wait_typing_stops_a_boot_whose_cue_is_late(self):
        proc = subprocess.Popen(["sleep", "30"], stdin=subprocess.PIPE,
                                start_new_session=True)
        t = Typist(proc, [("never printed", b"x")], cue_limit=0.3)
        start = time.monotonic()
        try:
            late = wait_typing(proc, 20, t)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self.assertEqual(late, (1, "never printed", 0.3))
        self.assertLess(time.monotonic() - start, 10)
        self.assertIsNotNone(proc.returncode)

    def test_check_names_the_late_cue(self):
        late = typist_cues(Boot([], extra={"typist": (3, r"# type: \^Q", 180.0)}))
        self.assertEqual([(r.name, r.status) for r in late],
                         [(r"typist: cue 3 /# type: \^Q/ not seen within 180 s", FAIL)])
        ended = typist_cues(Boot([], extra={"typist": None, "typist_unseen": (2, "two")}))
        self.assertEqual([(r.name, r.status) for r in ended],
                         [("typist: cue 2 /two/ not seen before the boot ended", FAIL)])
        ok = typist_cues(Boot([], extra={"typist": None, "typist_unseen": None}))
        self.assertEqual([r.status for r in ok], [PASS])

    def test_unseen_names_the_first_cue_left(self):
        t = self.typist([("one", b"1"), ("two", b"2")])
        self.assertEqual(t.unseen(), (1, "one"))
        t.feed(b"one\n")
        self.assertEqual(t.unseen(), (2, "two"))
        t.feed(b"one\ntwo\n")
        self.assertIsNone(t.unseen())


if __name__ == "__main__":
    unittest.main()
