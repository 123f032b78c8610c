#!/usr/bin/env python3
"""Run the host parser fuzzers (build/fuzz/fuzz-NAME) and report.

    python3 tests/fuzz/runfuzz.py [--time SECONDS] [NAME ...]

Each target first replays every input of its corpus: the seeds
(build/fuzz/seeds/NAME), the regression inputs that once found a bug
(tests/fuzz/regress/NAME) and what earlier runs kept
(build/fuzz/corpus/NAME, where new inputs go). Then it fuzzes for the
given time. A sanitizer report, a crash, a leak or a timeout makes the
target fail; libFuzzer saves the input as build/fuzz/crashes/NAME-*.
tests/run.py uses run_target() for the short runs of `make test`.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = ["acpi", "cmdline", "elf", "ext2"]
# Largest input libFuzzer makes, per target (the seeds' sizes).
MAX_LEN = {"acpi": 8192, "cmdline": 1100, "elf": 8192, "ext2": 393216}


def corpus_dirs(name, scratch):
    """The corpus directories of a target. libFuzzer adds new inputs to the
    first: build/fuzz/corpus/NAME, or `scratch` for a run that keeps none."""
    dirs = [scratch or os.path.join(ROOT, "build/fuzz/corpus", name),
            os.path.join(ROOT, "build/fuzz/seeds", name),
             os.path.join(ROOT, "tests/fuzz/regress", name)]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    return dirs


def final_stats(log):
    """libFuzzer's figures: runs, cov, ft, corpus size, from its log."""
    stats = {}
    for key, pat in (("runs", r"stat::number_of_executed_units:\s+(\d+)"),
                     ("exec/s", r"stat::average_exec_per_sec:\s+(\d+)"),
                     ("peak_rss_mb", r"stat::peak_rss_mb:\s+(\d+)")):
        m = re.search(pat, log)
        if m:
            stats[key] = int(m.group(1))
    lines = re.findall(r"^#\d+\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", log, re.M)
    if lines:
        cov, ft, corp = lines[-1]
        stats.update(cov=int(cov), ft=int(ft), corpus=int(corp))
    return stats


def failure_lines(log):
    """The lines that say what went wrong: the report, the first frames of
    its stack, and where libFuzzer saved the input."""
    keep = [line for line in log.splitlines()
            if re.search(r"ERROR:|runtime error:|kernel panic|not given back|"
                         r"runfuzz: hung|^\s+#[0-4] |Test unit written", line)]
    return keep[:9] + keep[-1:] if len(keep) > 10 else keep


def run_target(name, seconds, keep=True):
    """Fuzz one target for `seconds`; returns (ok, stats, log)."""
    binary = os.path.join(ROOT, "build/fuzz", "fuzz-" + name)
    crashes = os.path.join(ROOT, "build/fuzz/crashes")
    os.makedirs(crashes, exist_ok=True)
    cmd = [binary, "-max_total_time=%d" % seconds, "-timeout=10",
           "-rss_limit_mb=2048", "-max_len=%d" % MAX_LEN[name],
           "-print_final_stats=1", "-artifact_prefix=%s/%s-" % (crashes, name)]
    scratch = None if keep else tempfile.mkdtemp(prefix="fuzz-" + name + "-")
    cmd += corpus_dirs(name, scratch)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=seconds + 120)
        log = p.stdout.decode(errors="replace")
        ok = p.returncode == 0
    except subprocess.TimeoutExpired as e:
        log = (e.stdout or b"").decode(errors="replace") + "\nrunfuzz: hung\n"
        ok = False
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    bad = re.search(r"ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|"
                    r"runtime error:|kernel panic|fuzz: .* not given back", log)
    return ok and not bad, final_stats(log), log


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time", type=int, default=600, help="seconds per target")
    ap.add_argument("targets", nargs="*", default=TARGETS)
    args = ap.parse_args()
    failed = 0
    rows = []
    for name in args.targets:
        print("runfuzz: %s for %d s" % (name, args.time), flush=True)
        ok, st, log = run_target(name, args.time)
        rows.append((name, ok, st))
        if not ok:
            failed += 1
            print("\n".join(log.splitlines()[-60:]))
    print("| target | result | runs | exec/s | cov | ft | corpus |")
    print("|--------|--------|------|--------|-----|----|--------|")
    for name, ok, st in rows:
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, "ok" if ok else "FAILED", st.get("runs", "?"), st.get("exec/s", "?"),
            st.get("cov", "?"), st.get("ft", "?"), st.get("corpus", "?")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
