"""The GDB walkthroughs in the docs are the sessions the harness runs
(tests/gdb_check.py): a doc marks the code blocks that quote a session with
`<!-- gdb_check: NAME -->` on the line before them. Their `(gdb) ` lines
must be the session's commands, in order, and the key lines the harness
checks in the real output must be in the quoted output too (a `  <- note`
at the end of a line is the doc's annotation and is ignored)."""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gdb_check import SESSIONS  # noqa: E402
from qemu import ROOT  # noqa: E402

MARK = re.compile(r"^<!-- gdb_check: (\S+) -->$")


def quoted(doc, name):
    """The lines of every code block in doc marked for session name."""
    with open(os.path.join(ROOT, doc)) as fh:
        lines = fh.read().splitlines()
    out, i = [], 0
    while i < len(lines):
        m = MARK.match(lines[i])
        if m and m.group(1) == name and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            i += 2
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(re.sub(r"\s+<- .*$", "", lines[i].replace("\t", "    ")))
                i += 1
        i += 1
    return out


class DocsQuoteSessions(unittest.TestCase):
    def test_each_documented_session(self):
        documented = [s for s in SESSIONS if s.doc]
        self.assertTrue(documented)
        for s in documented:
            with self.subTest(session=s.name, doc=s.doc):
                lines = quoted(s.doc, s.name)
                self.assertTrue(lines, f"{s.doc} has no block marked gdb_check: {s.name}")
                cmds = [line[6:] for line in lines if line.startswith("(gdb) ")]
                self.assertEqual(cmds, s.commands)
                at = 0
                for what, rx in s.expect:
                    hit = next((i for i in range(at, len(lines)) if re.search(rx, lines[i])), None)
                    self.assertIsNotNone(hit, f"{s.doc}: no quoted line for '{what}' (/{rx}/)")
                    at = hit + 1


if __name__ == "__main__":
    unittest.main()
