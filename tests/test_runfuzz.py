"""Host unit tests of the parser-fuzzer runner (tests/fuzz/runfuzz.py): the
figures it reads from libFuzzer's log, and the lines it shows on a failure.

    python3 -m unittest discover -s tests      # or: python3 tests/run.py -k host-unit
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))

import runfuzz  # noqa: E402

# Trimmed from a real run of build/fuzz/fuzz-acpi.
LOG_OK = """\
INFO: Seed: 43020796
#2\tINITED cov: 104 ft: 180 corp: 40/30Kb exec/s: 0 rss: 38Mb
#8192\tpulse  cov: 131 ft: 300 corp: 80/40Kb lim: 1108 exec/s: 4096 rss: 90Mb
#729846\tDONE   cov: 135 ft: 329 corp: 97/52Kb lim: 8192 exec/s: 20273 rss: 416Mb
Done 729846 runs in 36 second(s)
stat::number_of_executed_units: 729846
stat::average_exec_per_sec:     20273
stat::new_units_added:          169
stat::peak_rss_mb:              416
"""

LOG_CRASH = """\
#1000\tNEW    cov: 120 ft: 250 corp: 50/35Kb lim: 1108 exec/s: 0 rss: 40Mb
AddressSanitizer:DEADLYSIGNAL
==9837==ERROR: AddressSanitizer: SEGV on unknown address 0x7ef774bfffff
    #0 0x7f17 in __memcmp_evex_movbe memcmp-evex-movbe.S:122
    #1 0x5612 in MemcmpInterceptorCommon
    #3 0x5612 in acpi_find arch/x86_64/acpi.c:101:8
    #7 0x5612 in fuzzer::Fuzzer::MutateAndTestOne()
SUMMARY: AddressSanitizer: SEGV in __memcmp_evex_movbe
artifact_prefix='build/fuzz/crashes/acpi-'; Test unit written to build/fuzz/crashes/acpi-crash-3138
"""


class FinalStats(unittest.TestCase):
    def test_figures_of_a_finished_run(self):
        st = runfuzz.final_stats(LOG_OK)
        self.assertEqual(st, {"runs": 729846, "exec/s": 20273, "peak_rss_mb": 416,
                              "cov": 135, "ft": 329, "corpus": 97})

    def test_no_figures_in_garbage(self):
        self.assertEqual(runfuzz.final_stats("nothing here\n"), {})


class FailureLines(unittest.TestCase):
    def test_report_frames_and_artifact(self):
        lines = runfuzz.failure_lines(LOG_CRASH)
        self.assertIn("==9837==ERROR: AddressSanitizer: SEGV on unknown address 0x7ef774bfffff",
                      lines)
        self.assertTrue(any("acpi_find" in line for line in lines))
        self.assertFalse(any("MutateAndTestOne" in line for line in lines))   # frame 7
        self.assertTrue(lines[-1].endswith("acpi-crash-3138"))

    def test_nothing_to_show_for_a_clean_run(self):
        self.assertEqual(runfuzz.failure_lines(LOG_OK), [])


class Targets(unittest.TestCase):
    def test_every_target_has_a_length_limit_and_a_source(self):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for name in runfuzz.TARGETS:
            self.assertIn(name, runfuzz.MAX_LEN)
            self.assertTrue(os.path.exists(os.path.join(root, "tests/fuzz", name + ".c")), name)


if __name__ == "__main__":
    unittest.main()
