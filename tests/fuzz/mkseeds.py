#!/usr/bin/env python3
"""Make the seed corpora of the parser fuzzers (tests/fuzz/runfuzz.py).

    python3 tests/fuzz/mkseeds.py OUTDIR

OUTDIR/acpi:    memory images holding ACPI tables laid out as QEMU's
                firmware lays them out (RSDP first, then RSDT, XSDT, MADT,
                SRAT, SLIT, FADT, DSDT with \\_S5), for 1, 2 and 4 nodes.
OUTDIR/cmdline: command lines the tests boot with.
OUTDIR/elf:     the programs user/ builds (build/rootfs): an 8-byte file
                size, then the first 4 KiB of the file (tests/fuzz/elf.c).
OUTDIR/ext2:    small ext2 images made by mke2fs -d: block sizes 1, 2 and
                4 KiB, several groups, indirect blocks, both symlink kinds,
                a directory of several blocks; revision 0 without file types.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def checksum_fix(table):
    """Set byte 9 so that the bytes of an ACPI table sum to 0."""
    t = bytearray(table)
    t[9] = 0
    t[9] = (-sum(t)) & 0xFF
    return bytes(t)


def acpi_table(sig, body, revision=1):
    length = 36 + len(body)
    hdr = struct.pack("<4sIBB6s8sIII", sig, length, revision, 0, b"NUMBAT",
                      b"FUZZSEED", 1, 0x4E424154, 1)
    return checksum_fix(hdr + body)


def madt(ncpus):
    body = struct.pack("<II", 0xFEE00000, 1)
    for i in range(ncpus):
        body += struct.pack("<BBBBI", 0, 8, i, i, 1)              # local APIC
    body += struct.pack("<BBBBII", 1, 12, 0, 0, 0xFEC00000, 0)    # I/O APIC
    body += struct.pack("<BBHQ", 5, 12, 0, 0xFEE00000)            # override
    body += struct.pack("<BBHIII", 9, 16, 0, ncpus, 1, ncpus)     # x2APIC
    return acpi_table(b"APIC", body, 3)


def srat(nodes, ncpus, mem_mib):
    body = struct.pack("<IQ", 1, 0)
    per = max(1, ncpus // nodes)
    for c in range(ncpus):
        pxm = min(c // per, nodes - 1)
        body += struct.pack("<BBBBIB3sI", 0, 16, pxm, c, 1, 0, b"\0\0\0", 0)
    size = (mem_mib << 20) // nodes
    for n in range(nodes):
        body += struct.pack("<BBIHQQIIQ", 1, 40, n, 0, n * size, size, 0, 1, 0)
    body += struct.pack("<BBHIIIII", 2, 24, 0, 0, ncpus, 1, 0, 0)
    return acpi_table(b"SRAT", body, 3)


def slit(nodes):
    body = struct.pack("<Q", nodes)
    for i in range(nodes):
        body += bytes(10 if i == j else 20 + 2 * abs(i - j) for j in range(nodes))
    return acpi_table(b"SLIT", body)


def dsdt():
    aml = b"\x10\x05\\_SB_" + b"\x08_S5_\x12\x06\x04\x0A\x05\x0A\x05\x00\x00"
    return acpi_table(b"DSDT", aml, 2)


def facp(dsdt_addr):
    f = bytearray(244 - 36)
    struct.pack_into("<I", f, 40 - 36, dsdt_addr)
    struct.pack_into("<I", f, 48 - 36, 0xB2)          # SMI_CMD
    f[52 - 36] = 0xF1                                 # ACPI_ENABLE
    struct.pack_into("<I", f, 64 - 36, 0x604)         # PM1a_CNT_BLK
    struct.pack_into("<Q", f, 140 - 36, dsdt_addr)    # X_DSDT
    return acpi_table(b"FACP", bytes(f), 5)


def acpi_image(nodes, ncpus, mem_mib, v1=False, with_slit=True):
    """RSDP at 0, tables after it, each 16-byte aligned."""
    img = bytearray(64)
    tables = [madt(ncpus)]
    if nodes > 1:
        tables.append(srat(nodes, ncpus, mem_mib))
        if with_slit:
            tables.append(slit(nodes))
    addrs = []
    pos = 64

    def place(t):
        nonlocal pos
        a = pos
        img.extend(b"\0" * (a + len(t) - len(img)))
        img[a:a + len(t)] = t
        pos = (a + len(t) + 15) & ~15
        return a

    d = place(dsdt())
    tables.append(facp(d))
    for t in tables:
        addrs.append(place(t))
    rsdt = place(acpi_table(b"RSDT", b"".join(struct.pack("<I", a) for a in addrs)))
    xsdt = place(acpi_table(b"XSDT", b"".join(struct.pack("<Q", a) for a in addrs)))
    r = bytearray(struct.pack("<8sB6sBI", b"RSD PTR ", 0, b"NUMBAT", 0 if v1 else 2, rsdt))
    r[8] = (-sum(r)) & 0xFF
    if not v1:
        r += struct.pack("<IQB3s", 36, xsdt, 0, b"\0\0\0")
        r[32] = (-sum(r)) & 0xFF
    img[0:len(r)] = r
    return bytes(img)


def write(outdir, name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def acpi_seeds(out):
    write(out, "qemu-1node", acpi_image(1, 1, 128))
    write(out, "qemu-2node", acpi_image(2, 4, 512))
    write(out, "qemu-4node", acpi_image(4, 8, 2048))
    write(out, "qemu-2node-noslit", acpi_image(2, 2, 256, with_slit=False))
    write(out, "rsdp-v1-2node", acpi_image(2, 4, 512, v1=True))


CMDLINES = ["", "poweroff", "ktest=all", "ktest=pmm,numa poweroff",
            "init=/bin/sh poweroff -- /tests/run.sh",
            "init=/tests/demand poweroff rmap_check=500 rmap=scan",
            "ramdisk=4M@1,8M strace", "zzz=1 --- =x %% ktest=",
            "  init=/bin/nodes   poweroff  --  a b  c "]


def cmdline_seeds(out):
    for i, line in enumerate(CMDLINES):
        write(out, "line%d" % i, line.encode())


def elf_seeds(out):
    n = 0
    for sub in ("bin", "tests"):
        d = os.path.join(ROOT, "build/rootfs", sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                head = f.read(4096)
            if head[:4] != b"\x7fELF":
                continue
            write(out, "%s-%s" % (sub, name),
                  struct.pack("<Q", os.path.getsize(path)) + head)
            n += 1
    if not n:
        print("mkseeds: no programs in build/rootfs (run make): no ELF seeds",
              file=sys.stderr)


def fill_tree(top):
    os.makedirs(os.path.join(top, "dir/sub"))
    with open(os.path.join(top, "small"), "w") as f:
        f.write("hello\n")
    with open(os.path.join(top, "big"), "wb") as f:   # indirect blocks at 1 KiB
        f.write(bytes(range(256)) * 90)
    for i in range(40):                              # a directory of several blocks
        open(os.path.join(top, "dir", "file-with-a-longer-name-%02d" % i), "w").close()
    with open(os.path.join(top, "dir/sub/x"), "w") as f:
        f.write("x")
    os.symlink("small", os.path.join(top, "fast"))
    os.symlink("dir/sub/" + "s" * 80 + "/../x", os.path.join(top, "slow"))


def ext2_seeds(out):
    tmp = tempfile.mkdtemp()
    try:
        fill_tree(os.path.join(tmp, "tree"))
        # As small as mke2fs allows: smaller inputs run faster, and more
        # of the fuzzer's mutations land on metadata.
        variants = [("b1024-groups", ["-b", "1024", "-g", "256"], 384),
                    ("b1024", ["-b", "1024"], 128),
                    ("b2048", ["-b", "2048"], 128),
                    ("b4096", ["-b", "4096"], 256),
                    ("b1024-rev0", ["-b", "1024", "-r", "0", "-O", "^filetype"], 128)]
        for name, opts, kib in variants:
            img = os.path.join(tmp, name)
            subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-N", "64", "-m", "0",
                            *opts, "-d", os.path.join(tmp, "tree"), img, "%dk" % kib],
                           check=True, stdout=subprocess.DEVNULL)
            shutil.copy(img, os.path.join(out, name))
    finally:
        shutil.rmtree(tmp)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for kind, make in (("acpi", acpi_seeds), ("cmdline", cmdline_seeds),
                       ("elf", elf_seeds), ("ext2", ext2_seeds)):
        out = os.path.join(sys.argv[1], kind)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        make(out)


if __name__ == "__main__":
    main()
