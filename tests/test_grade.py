"""The lab machinery on the host (docs/labs/README.md): the markers'
parser and the generator (scripts/mklab.py) on small texts and a tiny fake
tree, the grader's table and output (tests/grade.py, tests/labs.py), and
labcheck's comparison. No boot: `make labcheck` does those."""
import contextlib
import io
import os
import re
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))

import grade  # noqa: E402
import labcheck  # noqa: E402
import labs  # noqa: E402
import mklab  # noqa: E402
from cases import CASES  # noqa: E402
from ktap import FAIL, PASS, SKIP, Result  # noqa: E402
from qemu import ROOT  # noqa: E402

GOOD = """int f(int x)
{
/* LAB cow: BEGIN return twice x */
\treturn 2 * x;
/* LAB cow: END */
/* LAB cow: STUB
\treturn -38;
*/
}

int g(void)
{
/* LAB intro: BEGIN return one */
\treturn 1;
/* LAB intro: END */
/* LAB intro: STUB */
}
"""

CUT_COW = """int f(int x)
{
/* LAB cow: BEGIN return twice x */
\treturn -38;
/* LAB cow: END */
}

int g(void)
{
/* LAB intro: BEGIN return one */
\treturn 1;
/* LAB intro: END */
/* LAB intro: STUB */
}
"""


def bad(text):
    """The MarkerError message parse gives for text."""
    try:
        mklab.parse("t.c", text)
    except mklab.MarkerError as e:
        return str(e)
    return None


class Markers(unittest.TestCase):
    def test_regions_found(self):
        r = mklab.parse("t.c", GOOD)
        self.assertEqual([(x.lab, x.task, x.begin, x.end, x.stub_end) for x in r],
                         [("cow", "return twice x", 2, 4, 7), ("intro", "return one", 12, 14, 15)])
        self.assertEqual(r[0].stub, ["\treturn -38;"])
        self.assertEqual(r[1].stub, [])

    def test_cut_replaces_only_that_lab(self):
        r = mklab.parse("t.c", GOOD)
        self.assertEqual(mklab.cut(GOOD, r, "cow"), CUT_COW)
        self.assertEqual(mklab.cut(GOOD, r, "pgtbl"), GOOD)
        self.assertNotIn("return 1;", mklab.cut(GOOD, r, "intro"))

    def test_unbalanced_and_malformed_markers_refused(self):
        begin, end, stub = "/* LAB cow: BEGIN t */\n", "/* LAB cow: END */\n", "/* LAB cow: STUB */\n"
        cases = {
            "never ends": begin + "x;\n",
            "without its BEGIN": "x;\n" + end + stub,
            "BEGIN inside": begin + begin + end + stub,
            "must be followed by its STUB": begin + end + "x;\n",
            "never closed": begin + end + "/* LAB cow: STUB\nx;\n",
            "may not hold a comment": begin + end + "/* LAB cow: STUB\n/* c */\n*/\n",
            "unknown lab": "/* LAB nosuch: BEGIN t */\n",
            "needs a one-line task": "/* LAB cow: BEGIN */\n",
            "malformed": "/*LAB cow BEGIN t */\n",
            "not right after an END": stub,
            "END of lab intro without": begin + "/* LAB intro: END */\n",
        }
        for why, text in cases.items():
            with self.subTest(why=why):
                msg = bad(text)
                self.assertIsNotNone(msg)
                self.assertIn(why, msg)
                self.assertRegex(msg, r"^t\.c:\d+: ")

    def test_reference_tree_markers(self):
        """Every marker of this tree parses, every finished lab has regions,
        and the regions' stubs have no marker or comment (parse checks)."""
        found = mklab.scan(ROOT)
        have = {r.lab for _, regions in found.values() for r in regions}
        for lab in labs.LABS:
            self.assertIn(lab.name, have)


class FakeTree(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.src = os.path.join(self.tmp.name, "src")
        os.makedirs(os.path.join(self.src, "sub"))
        self.write("a.c", GOOD)
        self.write("sub/b.h", "/* LAB cow: BEGIN a macro */\n#define X 1\n/* LAB cow: END */\n"
                              "/* LAB cow: STUB\n#define X 0\n*/\n")
        self.write("README.md", "/* LAB cow: BEGIN not a C file: never read */\n")
        os.makedirs(os.path.join(self.src, "build"))
        self.write("build/junk.o", "x")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        with open(os.path.join(self.src, name), "w") as f:
            f.write(text)

    def read(self, root, name):
        with open(os.path.join(root, name)) as f:
            return f.read()

    def test_generate(self):
        out = os.path.join(self.tmp.name, "out")
        cuts = mklab.generate(self.src, "cow", out)
        self.assertEqual(len(cuts), 2)
        self.assertEqual(self.read(out, "a.c"), CUT_COW)
        self.assertEqual(self.read(out, "sub/b.h"), "/* LAB cow: BEGIN a macro */\n#define X 0\n"
                                                    "/* LAB cow: END */\n")
        self.assertEqual(self.read(out, "README.md"), self.read(self.src, "README.md"))
        self.assertEqual(self.read(out, ".lab"), "cow\n")
        self.assertFalse(os.path.exists(os.path.join(out, "build")))
        marked = mklab.scan(self.src)
        self.assertEqual(labcheck.outside_regions(GOOD, self.read(out, "a.c"), marked["a.c"][1],
                                                  "cow"), [])
        with self.assertRaisesRegex(mklab.MarkerError, "not empty"):
            mklab.generate(self.src, "cow", out)
        mklab.generate(self.src, "intro", out, force=True)
        self.assertEqual(self.read(out, ".lab"), "intro\n")

    def test_refusals(self):
        out = os.path.join(self.tmp.name, "out")
        with self.assertRaisesRegex(mklab.MarkerError, "no regions"):
            mklab.generate(self.src, "numa", out)
        with self.assertRaisesRegex(mklab.MarkerError, "unknown lab"):
            mklab.generate(self.src, "nosuch", out)
        self.write("sub/c.c", "/* LAB cow: BEGIN t */\n")
        with self.assertRaisesRegex(mklab.MarkerError, r"sub/c\.c:1: region of lab cow never ends"):
            mklab.generate(self.src, "cow", out)
        self.assertFalse(os.path.exists(out))      # nothing written

    def test_main_exit_status(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            self.write("sub/c.c", "/* LAB cow: END */\n")
            self.assertEqual(mklab.main(["--src", self.src, "--check"]), 1)
        self.assertIn("mklab: sub/c.c:1: END of lab cow without its BEGIN", err.getvalue())

    def test_outside_regions_flags_other_changes(self):
        regions = mklab.parse("a.c", GOOD)
        changed = GOOD.replace("int g(void)", "int g(int y)")
        self.assertEqual(labcheck.outside_regions(GOOD, changed, regions, "cow"), [11])
        self.assertEqual(labcheck.outside_regions(GOOD, CUT_COW, regions, "intro"), [4, 6])


class Grader(unittest.TestCase):
    def test_table(self):
        """Each lab's tests are cases that exist, their points sum to 100,
        and the labs are mklab's, in course order."""
        names = {c.name for c in CASES}
        order = [lb.name for lb in labs.LABS]
        self.assertEqual(order, [x for x in mklab.LABS if x in order])
        self.assertEqual(sorted(order + labs.PLANNED), sorted(mklab.LABS))
        for lab in labs.LABS:
            with self.subTest(lab=lab.name):
                self.assertEqual(sum(t.points for t in lab.tests), 100)
                for t in lab.tests:
                    self.assertIn(t.case, names)
                    if t.pick:
                        re.compile(t.pick)

    def test_judge(self):
        g = labs.Graded("t", "c", 10, r"^big: ")
        boot = [Result("powers off (qemu-nox returns)", PASS), Result("no kernel panic or trap", PASS)]
        good = boot + [Result("big: one", PASS), Result("big: two", PASS), Result("small", FAIL)]
        self.assertEqual(grade.judge(g, good), (True, ""))
        one_bad = boot + [Result("big: one", PASS), Result("big: two", FAIL, "why")]
        self.assertEqual(grade.judge(g, one_bad), (False, "not ok: big: two # why"))
        self.assertFalse(grade.judge(g, boot + [Result("big: one", SKIP)])[0])
        self.assertEqual(grade.judge(g, boot)[1], "no such result (did the test run?)")
        hung = [Result("powers off (qemu-nox returns)", FAIL, "no power-off within 60 s (hang?)"),
                Result("big: one", PASS)]
        self.assertIn("hang", grade.judge(g, hung)[1])
        self.assertFalse(grade.judge(labs.Graded("t", "c", 5), good)[0])   # all: 'small' failed
        self.assertFalse(grade.judge(g, [])[0])

    def test_report_round_trip(self):
        tests = [labs.Graded("a: first", "c1", 30, "^x"), labs.Graded("b: second", "c1", 70, "^y")]
        got = {"c1": [Result("x one", PASS), Result("y one", FAIL, "bad")]}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(grade.report(labs.LABS[0], tests, got), (30, 100))
        text = out.getvalue()
        self.assertEqual(grade.parse(text), ([("a: first", True, 30, 30), ("b: second", False, 0, 70)],
                                             (30, 100)))
        self.assertIn("    # not ok: y one # bad\n", text)
        self.assertTrue(text.endswith("Score: 30/100\n"))

    def test_parse_sample(self):
        sample = ("== grade: lab cow (docs/labs/cow.md)\n-- user-cow: 4.1 s\n"
                  "cow: fork: with a colon: OK 25/25\npipe: FAIL 0/15\n    # not ok: x\n"
                  "Score: 25/40\n")
        self.assertEqual(grade.parse(sample),
                         ([("cow: fork: with a colon", True, 25, 25), ("pipe", False, 0, 15)], (25, 40)))
        self.assertEqual(grade.parse("nothing\n"), ([], None))

    def test_extra_folder(self):
        with tempfile.TemporaryDirectory() as d:
            for n in ("one", "two"):
                open(os.path.join(d, n + ".c"), "w").close()
            with open(os.path.join(d, "points"), "w") as f:
                f.write("# name points\ntwo 25\n")
            cases, tests = grade.extra_tests(d)
        self.assertEqual([c.name for c in cases], ["extra-one", "extra-two"])
        self.assertEqual([(t.name, t.points) for t in tests], [("extra: one", 10), ("extra: two", 25)])
        self.assertEqual(cases[1].cmdline, "init=/tests/extra-two poweroff")


if __name__ == "__main__":
    unittest.main()
