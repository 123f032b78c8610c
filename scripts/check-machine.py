#!/usr/bin/env python3
"""Check the machine `make qemu*` is about to start, before QEMU starts.

    python3 scripts/check-machine.py NODES=2 CPUS=4 MEM=512 DISTANCE=20 \
        ACCEL=tcg DISK=build/disk.img NUMA=generated
    python3 scripts/check-machine.py --free-port     # a free TCP port on 127.0.0.1

NUMA=given means QEMU_NUMA was set by hand, so NODES and DISTANCE are not
used. The kernel command line comes from the environment (CMDLINE, which
make puts there when it is given on make's command line). Prints one `check-machine: ...` line per problem on stderr and exits 1
if there is any. Run by the Makefile's check-machine target, which every
qemu target depends on; tests/test_machine.py tests it.

For tests, NUMBAT_CPUINFO and NUMBAT_DEVKVM replace /proc/cpuinfo and
/dev/kvm.
"""
import os
import re
import socket
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_MEM = 32            # MiB: the smallest machine that boots to user space
MIN_NODE_MEM = 16       # MiB per node when the Makefile splits MEM evenly


def kernel_limit(name, header):
    """#define NAME N from a kernel header (MAX_NODES, MAX_CPUS)."""
    with open(os.path.join(ROOT, header)) as fh:
        m = re.search(rf"^#define\s+{name}\s+(\d+)", fh.read(), re.M)
    return int(m.group(1))


def whole(value, name, errors):
    """value as an int, or None after adding an error."""
    if re.fullmatch(r"\d+", value or ""):
        return int(value)
    errors.append(f"{name}={value!r} is not a whole number" + (" of MiB" if name == "MEM" else ""))
    return None


def shape_problems(nodes, cpus, mem, distance, numa_given):
    """Errors for a machine shape that cannot boot (strings as from make)."""
    errors = []
    max_cpus = kernel_limit("MAX_CPUS", "kernel/include/kernel/cpumask.h")
    max_nodes = kernel_limit("MAX_NODES", "kernel/include/kernel/topology.h")
    c = whole(cpus, "CPUS", errors)
    if c is not None and not 1 <= c <= max_cpus:
        errors.append(f"CPUS={c}: Numbat runs 1 to {max_cpus} CPUs (MAX_CPUS)")
    m = whole(mem, "MEM", errors)
    if m is not None and m < MIN_MEM:
        errors.append(f"MEM={m}: Numbat needs at least {MIN_MEM} MiB (MEM is in MiB)")
    if numa_given:
        return errors
    n = whole(nodes, "NODES", errors)
    if n is not None and not 1 <= n <= max_nodes:
        errors.append(f"NODES={n}: Numbat runs 1 to {max_nodes} nodes (MAX_NODES)")
    elif n is not None and m is not None and m // n < MIN_NODE_MEM:
        errors.append(f"NODES={n} MEM={m}: {m // n} MiB per node; each node needs at least "
                      f"{MIN_NODE_MEM} MiB, so MEM must be at least {n * MIN_NODE_MEM}")
    d = whole(distance, "DISTANCE", errors)
    if d is not None and not 11 <= d <= 254:
        errors.append(f"DISTANCE={d}: a distance to another node is 11 to 254 (10 is local)")
    return errors


def kvm_problems(cpuinfo="/proc/cpuinfo", devkvm="/dev/kvm"):
    """Why ACCEL=kvm cannot work here, or [] if it can."""
    try:
        with open(cpuinfo) as fh:
            flags = set(w for line in fh if line.startswith("flags") for w in line.split())
    except OSError as e:
        return [f"ACCEL=kvm: cannot read {cpuinfo}: {e.strerror}"]
    if not flags & {"vmx", "svm"}:
        return ["ACCEL=kvm: this CPU has no hardware virtualisation (no vmx or svm flag in "
                f"{cpuinfo}), so KVM cannot run guests and QEMU would stop at the GRUB "
                "screen. Use ACCEL=tcg (the default)."]
    if not os.path.exists(devkvm):
        return [f"ACCEL=kvm: there is no {devkvm} (is the kvm module loaded?). "
                "Use ACCEL=tcg (the default)."]
    if not os.access(devkvm, os.R_OK | os.W_OK):
        return [f"ACCEL=kvm: {devkvm} is not readable and writable by you (join its group, "
                "often kvm). Use ACCEL=tcg (the default)."]
    return []


def accel_problems(accel):
    if accel == "tcg":
        return []
    if accel == "kvm":
        return kvm_problems(os.environ.get("NUMBAT_CPUINFO", "/proc/cpuinfo"),
                            os.environ.get("NUMBAT_DEVKVM", "/dev/kvm"))
    return [f"ACCEL={accel!r}: use tcg (the default) or kvm"]


def disk_users(path, proc="/proc"):
    """(pid, command name) of every other process (that we may look at)
    with path open: the machines already using that disk image."""
    target, users = os.path.realpath(path), []
    for pid in filter(str.isdigit, os.listdir(proc)):
        if int(pid) == os.getpid():
            continue
        fds = os.path.join(proc, pid, "fd")
        try:
            links = [os.readlink(os.path.join(fds, fd)) for fd in os.listdir(fds)]
            if target in links:
                with open(os.path.join(proc, pid, "comm")) as fh:
                    users.append((int(pid), fh.read().strip()))
        except OSError:             # gone, or not ours to look at
            continue
    return users


def disk_problems(disk):
    if not disk or not os.path.isfile(disk):
        return []
    users = disk_users(disk)
    if not users:
        return []
    who = ", ".join(f"pid {pid} ({name})" for pid, name in users)
    root, ext = os.path.splitext(disk)
    copy = f"{root}2{ext}"
    return [f"{disk} is in use by {who}: another machine from this tree is running, "
            "and two machines must not share one disk image. To run a second machine, "
            f"boot a copy: cp {disk} {copy}; make qemu DISK={copy}"]


def cmdline_problems(cmdline):
    """CMDLINE goes into boot/grub.cfg as it is, and GRUB reads that line as
    a command of its script language: a ; | & < or > outside "double
    quotes" (and not after a backslash) ends or redirects the command, and
    GRUB stops at a syntax error with no boot; a ' opens a quote the
    Makefile's own shell line cannot hold."""
    problems, quoted, escaped = [], False, False
    for c in cmdline or "":
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "'":
            problems.append("CMDLINE has a ': use \"double quotes\" for an argument with spaces")
        elif c in ";|&<>" and not quoted:
            problems.append(f"CMDLINE has a {c} outside \"double quotes\": GRUB would take it "
                            "as script syntax and stop before booting; quote the init argument "
                            f"that holds it (README.md, \"Kernel command line\")")
    if quoted:
        problems.append("CMDLINE has a \" that is never closed")
    return sorted(set(problems))


def free_port():
    """A TCP port on 127.0.0.1 that is free now (the system picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv):
    if argv == ["--free-port"]:
        print(free_port())
        return 0
    v = dict(a.split("=", 1) for a in argv if "=" in a)
    errors = shape_problems(v.get("NODES"), v.get("CPUS"), v.get("MEM"), v.get("DISTANCE"),
                            v.get("NUMA") == "given")
    errors += accel_problems(v.get("ACCEL", "tcg"))
    errors += disk_problems(v.get("DISK"))
    errors += cmdline_problems(os.environ.get("CMDLINE"))
    for e in errors:
        print("check-machine: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
