"""The differential suite: tests/bbdiff.sh on Numbat and on this Linux host.

The boot case busybox-diff (tests/cases.py) runs the script with the image's
busybox as init (`/bin/sh bbdiff.sh /tmp/bbdiff`); compare() runs the same
script with the same busybox (build/rootfs/bin/busybox, and PATH through the
image's applet links) on the host, as an unprivileged user in a scratch
folder, then compares the two outputs block by block: one check per block
named `bbdiff: NAME`, with the difference in the log when they differ. The
whole of both outputs and every difference are kept in
build/tests/busybox-diff.{numbat,linux,diff}.

A block in XFAIL needs a system call Numbat does not have yet; it is
reported as skipped while it differs, and fails once it matches (take it
off the list then).
"""
import difflib
import os
import re
import shutil
import subprocess
import tempfile

from ktap import FAIL, PASS, SKIP, Result, clean_lines
from qemu import ROOT

SCRIPT = os.path.join(ROOT, "tests", "bbdiff.sh")
ROOTFS = os.path.join(ROOT, "build", "rootfs")
OUT = os.path.join(ROOT, "build", "tests", "busybox-diff")
END = "END"

# Blocks that cannot match yet, each with the system call it misses
# (empty: every block matches; ash's `read` builtin, which polls its input
# before each byte, needed poll).
XFAIL = {}

# What differs by nature between two machines, replaced on both sides
# before comparing. Keep this list short: each entry hides a difference.
FILTERS = [
    # A process that is gone is named by its PID in the error message.
    (re.compile(r"\bpid \d+\b"), "pid N"),
]


def blocks(lines):
    """{name: [lines]} from '=== NAME' markers up to '=== END', in order;
    lines before the first marker (the boot log) are not part of any."""
    out, cur = {}, None
    for line in lines:
        m = re.match(r"^=== (\S+)\s*$", line)
        if m:
            if m.group(1) == END:
                break
            cur = out.setdefault(m.group(1), [])
        elif cur is not None:
            cur.append(line.rstrip())
    return out


def filtered(lines):
    for pat, rep in FILTERS:
        lines = [pat.sub(rep, line) for line in lines]
    return lines


def host_command(script, work):
    """The host's run: the image's busybox, a clean environment as Numbat's
    init gets, PATH through the image's links; as nobody when we are root."""
    path = ":".join(os.path.join(ROOTFS, d) for d in ("sbin", "usr/sbin", "bin", "usr/bin"))
    cmd = ["env", "-i", "HOME=/", "TERM=dumb", f"PATH={path}",
           os.path.join(ROOTFS, "bin", "busybox"), "sh", script, work]
    if os.geteuid() == 0 and shutil.which("setpriv"):
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
    return cmd


def run_host():
    """Run bbdiff.sh on the host in a scratch folder; its output lines."""
    with tempfile.TemporaryDirectory(prefix="numbat-bbdiff-") as d:
        os.chmod(d, 0o755)
        shutil.copy(SCRIPT, os.path.join(d, "bbdiff.sh"))
        work = os.path.join(d, "w")
        if os.geteuid() == 0:
            os.chown(d, 65534, 65534)
        p = subprocess.run(host_command("bbdiff.sh", work), cwd=d, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        return clean_lines(p.stdout)


def image(path):
    """build/disk.img with the script as /bbdiff.sh."""
    subprocess.run(["cp", "--sparse=always", os.path.join(ROOT, "build", "disk.img"), path],
                   check=True)
    from fsimg import tool
    subprocess.run([tool("debugfs"), "-w", "-R", f"write {SCRIPT} /bbdiff.sh", path],
                   check=True, capture_output=True)


def compare_block(name, mine, theirs):
    """One Result: Numbat's lines against Linux's for one block."""
    diff = list(difflib.unified_diff(theirs, mine, "linux", "numbat", lineterm="", n=1))
    why = XFAIL.get(name)
    if not diff:
        if why:
            return Result(f"bbdiff: {name}", FAIL,
                          f"XPASS: matches now; take it off XFAIL ({why})"), diff
        return Result(f"bbdiff: {name}", PASS), diff
    if why:
        return Result(f"bbdiff: {name}", SKIP, f"XFAIL needs {why}"), diff
    return Result(f"bbdiff: {name}", FAIL, f"{len(diff) - 2} diff lines", diff[2:12]), diff


def write_outputs(numbat, linux, diffs):
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    for suffix, lines in (("numbat", numbat), ("linux", linux), ("diff", diffs)):
        with open(f"{OUT}.{suffix}", "w") as f:
            f.write("\n".join(lines) + "\n")


def compare(boot):
    """The harness check: every block of the host's run, against Numbat's."""
    linux = run_host()
    theirs, mine = blocks(linux), blocks(boot.lines)
    results = [Result("bbdiff: the host run reaches === END", PASS if f"=== {END}" in linux
                      else FAIL, "the script stopped early on Linux"),
               Result("bbdiff: Numbat's run reaches === END",
                      PASS if any(line.strip() == f"=== {END}" for line in boot.lines) else FAIL,
                      "the script stopped early on Numbat")]
    all_diffs = []
    for name in theirs:
        if name not in mine:
            results.append(Result(f"bbdiff: {name}", SKIP if name in XFAIL else FAIL,
                                  "no such block in Numbat's output"))
            continue
        r, diff = compare_block(name, filtered(mine[name]), filtered(theirs[name]))
        results.append(r)
        if diff:
            all_diffs += [f"=== {name}" + (f" (XFAIL: {XFAIL[name]})" if name in XFAIL else "")]
            all_diffs += diff[2:]
    write_outputs([line for line in boot.lines], linux, all_diffs)
    return results
