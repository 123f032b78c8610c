# GDB helpers for Numbat, loaded by build/gdbinit (docs/debugging.md).
#   numa-nodes         one line per NUMA node: cpus, memory, free pages
#   buddy-free NODE    a node's buddy free lists: blocks per order, first pfns
#   procs              every process: pid, state, cpu, name, mm
#   vmas PID           a process's VMAs: range, rwx, private/shared, file/anon
#   ptwalk PID VA      the page-table walk of VA in PID's address space
#   page PFN           the struct page of a frame, decoded
#   rmap PFN           the reverse map of a frame: each PTE, its mm and address
#
# Every argument is a GDB expression without spaces (`page $ptwalk_pfn`,
# `vmas cpus[0].rq.curr->pid`). The helpers only read memory, so they work
# on a QEMU stopped anywhere; they never call functions in the target. Bit
# and flag names are read from the C headers when this file is loaded, so
# they are written once, in C.
import os
import re

import gdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    globals().get("__file__", os.path.join("scripts", "numbat-gdb.py")))))
HEADERS = ["kernel/include/kernel/page.h", "arch/x86_64/include/arch/paging.h",
           "arch/x86_64/include/arch/pte.h", "kernel/include/kernel/swap.h"]
STATES = {1: "RUNNABLE", 2: "RUNNING", 3: "SLEEPING", 4: "ZOMBIE", 5: "STOPPED"}
LEVELS = [("PML4", 39), ("PDPT", 30), ("PD", 21), ("PT", 12)]
LIST_LIMIT = 100000        # a list longer than this is taken to be a loop


def read_defines():
    """{name: value} of every `#define NAME (1U << N)` or `#define NAME 0x...`
    in HEADERS (PG_*, PL_*, PTE_*, DIRECT_MAP_BASE, ...), and of the
    `#define NAME ((1UL << N) - 1)` masks and decimal `NAME_SHIFT`s there."""
    bit = re.compile(r"#define\s+(\w+)\s+\(\s*1U?L*\s*<<\s*(\d+)\s*\)")
    num = re.compile(r"#define\s+(\w+)\s+(0x[0-9a-fA-F]+)U?L*\b")
    mask = re.compile(r"#define\s+(\w+)\s+\(\(\s*1U?L*\s*<<\s*(\d+)\s*\)\s*-\s*1\s*\)")
    shift = re.compile(r"#define\s+(\w+_SHIFT)\s+(\d+)\b")
    out = {}
    for h in HEADERS:
        with open(os.path.join(ROOT, h)) as fh:
            for line in fh:
                m = bit.match(line)
                if m:
                    out[m.group(1)] = 1 << int(m.group(2))
                elif num.match(line):
                    m = num.match(line)
                    out[m.group(1)] = int(m.group(2), 16)
                elif mask.match(line):
                    m = mask.match(line)
                    out[m.group(1)] = (1 << int(m.group(2))) - 1
                elif shift.match(line):
                    m = shift.match(line)
                    out[m.group(1)] = int(m.group(2))
    return out


DEFS = read_defines()
PG = {k[3:]: v for k, v in DEFS.items() if k.startswith("PG_") and not k.endswith("_SHIFT")}
PL = {k[3:]: v for k, v in DEFS.items() if k.startswith("PL_")}
PTE_BITS = {k[4:]: v for k, v in DEFS.items()   # single bits only
            if k.startswith("PTE_") and v & (v - 1) == 0 and not k.endswith("_SHIFT")}
PTE_ADDR = DEFS["PTE_ADDR"]
DIRECT_MAP = DEFS["DIRECT_MAP_BASE"]
SWP_TYPE_SHIFT = DEFS["SWP_TYPE_SHIFT"]


def bit_names(value, names, none="-"):
    """'anon|pcache' for the bits of value named in names (+ leftover hex)."""
    out, left = [], value
    for name, b in sorted(names.items(), key=lambda kv: kv[1]):
        if value & b:
            out.append(name)
            left &= ~b
    if left:
        out.append("%#x" % left)
    return "|".join(out) or none


# ------------------------------------------------------------ target access

def read_u64(addr):
    try:
        mem = gdb.selected_inferior().read_memory(addr, 8)
    except gdb.MemoryError:
        raise gdb.GdbError("cannot read memory at %#x (is paging set up yet?)" % addr)
    return int.from_bytes(bytes(mem), "little")


def read_phys(pa):
    """The 8 bytes at physical address pa, through the kernel's direct map."""
    return read_u64(DIRECT_MAP + pa)


def offset_of(type_name, member):
    return gdb.lookup_type(type_name)[member].bitpos // 8


def list_entries(head, type_name, member, limit=LIST_LIMIT):
    """The structs on a struct list_head (a gdb.Value of the head), as
    list_entry() finds them: at most limit of them."""
    ptr_t = gdb.lookup_type(type_name).pointer()
    off, addr = offset_of(type_name, member), int(head.address)
    node = int(head["next"])
    while node != addr and limit > 0:
        yield gdb.Value(node - off).cast(ptr_t).dereference()
        node = int(gdb.Value(node).cast(gdb.lookup_type("struct list_head").pointer())["next"])
        limit -= 1


def nodes():
    """(id, struct numa_node) of every online node."""
    arr = gdb.parse_and_eval("numa_nodes")
    count = arr.type.sizeof // arr[0].type.sizeof
    return [(i, arr[i]) for i in range(count) if bool(arr[i]["online"])]


def page_of(pfn):
    """struct page of pfn, from the node that spans it, or None."""
    for _, n in nodes():
        if int(n["start_pfn"]) <= pfn < int(n["end_pfn"]) and int(n["mem_map"]):
            return n["mem_map"][pfn - int(n["start_pfn"])]
    return None


def pfn_of(page):
    """The frame number of a struct page (a gdb.Value)."""
    n = gdb.parse_and_eval("numa_nodes")[int(page["node"])]
    return int(n["start_pfn"]) + (int(page.address) - int(n["mem_map"])) // page.type.sizeof


def procs():
    """Every process on the kernel's list (proc.c all_procs); idle ones are not."""
    return list(list_entries(gdb.parse_and_eval("all_procs"), "struct proc", "all"))


def cstr(arr):
    return arr.string(length=arr.type.sizeof).split("\0")[0]


# ------------------------------------------------------------ arguments

class Helper(gdb.Command):
    """Base: argument checks. A subclass sets NAME, USAGE and run(args)."""
    NAME, USAGE, NARGS = "", "", 0

    def __init__(self):
        super().__init__(self.NAME, gdb.COMMAND_USER)

    def fail(self, why):
        raise gdb.GdbError("%s: %s\nusage: %s" % (self.NAME, why, self.USAGE))

    def number(self, expr, what):
        try:
            return int(gdb.parse_and_eval(expr))
        except (gdb.error, ValueError, OverflowError) as e:
            self.fail("%s '%s' is not a number: %s" % (what, expr, e))

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != self.NARGS:
            self.fail("expected %d argument%s, got %d" % (
                self.NARGS, "" if self.NARGS == 1 else "s", len(args)))
        try:
            self.run(args)
        except gdb.MemoryError as e:
            raise gdb.GdbError("%s: %s" % (self.NAME, e))
        except gdb.error as e:        # e.g. no symbols loaded
            raise gdb.GdbError("%s: %s" % (self.NAME, e))

    def node(self, expr):
        nid = self.number(expr, "NODE")
        online = dict(nodes())
        if nid not in online:
            self.fail("no node %d (online nodes: %s)" % (
                nid, " ".join(str(i) for i in sorted(online)) or "none yet"))
        return online[nid]

    def proc(self, expr):
        pid = self.number(expr, "PID")
        found = [p for p in procs() if int(p["pid"]) == pid]
        if not found:
            self.fail("no process with pid %d (see 'procs')" % pid)
        return found[0]

    def page(self, expr):
        pfn = self.number(expr, "PFN")
        p = page_of(pfn) if pfn >= 0 else None
        if p is None:
            spans = ", ".join("node %d %#x-%#x" % (i, int(n["start_pfn"]), int(n["end_pfn"]))
                              for i, n in nodes() if int(n["mem_map"]))
            self.fail("pfn %#x has no struct page (%s)" % (pfn, spans or "mem_map not set up yet"))
        return pfn, p


# ------------------------------------------------------------ commands

class NumaNodes(Helper):
    """numa-nodes: every online NUMA node: id, cpu mask, present and free pages."""
    NAME, USAGE, NARGS = "numa-nodes", "numa-nodes", 0

    def run(self, args):
        for i, n in nodes():
            print("node %d: cpus 0x%x present %d pages, free %d, mem_map %s" % (
                i, int(n["cpus"]["bits"]), int(n["present_pages"]),
                int(n["free_pages"]), n["mem_map"]))


class BuddyFree(Helper):
    """buddy-free NODE: the free lists of NODE's buddy allocator: for each
    order the number of free blocks and the first frames on the list."""
    NAME, USAGE, NARGS = "buddy-free", "buddy-free NODE   (a node from numa-nodes)", 1
    SHOW = 4

    def run(self, args):
        n = self.node(args[0])
        area = n["free_area"]
        total = 0
        for order in range(area.type.sizeof // area[0].type.sizeof):
            blocks = [pfn_of(p) for p in
                      list_entries(area[order]["list"], "struct page", "lru", self.SHOW)]
            nr = int(area[order]["nr_free"])
            total += nr << order
            more = " ..." if nr > len(blocks) else ""
            print(("order %2d (%5d KiB): %6d free  %s%s" % (
                order, 4 << order, nr, " ".join("%#x" % b for b in blocks), more)).rstrip())
        print("free pages %d (node says %d)" % (total, int(n["free_pages"])))


class Procs(Helper):
    """procs: every process: pid, state, cpu, name and mm (0 for a kernel thread)."""
    NAME, USAGE, NARGS = "procs", "procs", 0

    def run(self, args):
        print("%5s %-9s %3s %-16s %s" % ("pid", "state", "cpu", "name", "mm"))
        for p in procs():
            st = int(p["state"])
            print("%5d %-9s %3d %-16s %#x" % (int(p["pid"]), STATES.get(st, str(st)),
                                             int(p["cpu"]), cstr(p["name"]), int(p["mm"])))


class Vmas(Helper):
    """vmas PID: the VMAs of process PID: start-end, prot rwx, private or
    shared, file (inode number) or anon, file page offset."""
    NAME, USAGE, NARGS = "vmas", "vmas PID   (a pid from procs)", 1

    def run(self, args):
        p = self.proc(args[0])
        mm = p["mm"]
        if not int(mm):
            self.fail("pid %d (%s) is a kernel thread: no address space" % (
                int(p["pid"]), cstr(p["name"])))
        print("pid %d (%s) mm %#x: %d vmas" % (int(p["pid"]), cstr(p["name"]), int(mm),
                                               int(mm["nr_vmas"])))
        for v in list_entries(mm["vmas"], "struct vma", "node"):
            prot, flags = int(v["prot"]), int(v["flags"])
            rwx = "".join(c if prot & b else "-" for c, b in (("r", 1), ("w", 2), ("x", 4)))
            kind = "shared " if flags & 1 else "private"
            what = ("file ino %d" % int(v["inode"]["ino"])) if int(v["inode"]) else "anon"
            grows = " growsdown" if flags & (1 << 16) else ""
            print("  %#014x-%#014x %s %s %-12s pgoff %#x%s" % (
                int(v["start"]), int(v["end"]), rwx, kind, what, int(v["pgoff"]), grows))


def swap_fields(e):
    """(type, slot) of a swap-entry PTE, as arch/pte.h's pte_swp_type and
    pte_swp_offset read them."""
    return ((e >> DEFS["PTE_SWP_TYPE_SHIFT"]) & DEFS["PTE_SWP_TYPE_MASK"],
            (e >> DEFS["PTE_SWP_OFF_SHIFT"]) & DEFS["PTE_SWP_OFF_MASK"])


def swap_entry_fields(val):
    """(val, type, slot) of a swp_entry_t's value (kernel/swap.h: the type
    in the bits from SWP_TYPE_SHIFT up, the slot below)."""
    shift = SWP_TYPE_SHIFT
    return val, val >> shift, val & ((1 << shift) - 1)


def decode_entry(e):
    """Words for one page-table entry: its bits, and what it points at."""
    if e == 0:
        return "empty", None
    if not e & DEFS["PTE_P"]:
        if e & DEFS["PTE_MIGRATION"]:
            return "not present: migration entry, frame %#x kept" % ((e & PTE_ADDR) >> 12), None
        if e & DEFS["PTE_SWAP"] and not e & DEFS["PTE_PROTNONE"]:
            return "not present: swap entry, type %d slot %#x" % swap_fields(e), None
        if e & DEFS["PTE_NUMA"] and not e & DEFS["PTE_PROTNONE"]:
            names = {k: v for k, v in PTE_BITS.items() if k not in ("MIGRATION", "NUMA")}
            return "not present: NUMA-hint entry, %s kept" % bit_names(
                e & ~PTE_ADDR & ~DEFS["PTE_NUMA"], names), e & PTE_ADDR
        return "not present: unknown entry (neither empty, migration, swap nor NUMA hint)", None
    names = {k: v for k, v in PTE_BITS.items() if k != "MIGRATION"}
    return bit_names(e & ~PTE_ADDR, names), e & PTE_ADDR


class PtWalk(Helper):
    """ptwalk PID VA: walk PID's page tables for virtual address VA, one line
    per level: index, entry, decoded bits, the next table or the frame. Sets
    $ptwalk_pfn to the frame found (for `page` and `rmap`)."""
    NAME, USAGE, NARGS = "ptwalk", "ptwalk PID VA   (pid from procs, VA a virtual address)", 2

    def run(self, args):
        p = self.proc(args[0])
        va = self.number(args[1], "VA") & 0xffffffffffffffff
        if 0x0000800000000000 <= va < 0xffff800000000000:
            self.fail("%#x is not a canonical address" % va)
        mm = p["mm"]
        if not int(mm):
            self.fail("pid %d (%s) is a kernel thread: no address space" % (
                int(p["pid"]), cstr(p["name"])))
        table = int(mm["pml4_phys"])
        print("pid %d (%s) mm %#x va %#x: pml4 at phys %#x" % (
            int(p["pid"]), cstr(p["name"]), int(mm), va, table))
        for name, shift in LEVELS:
            idx = (va >> shift) & 511
            e = read_phys(table + idx * 8)
            words, nxt = decode_entry(e)
            line = "  %-4s[%3d] = %#018x  %s" % (name, idx, e, words)
            if nxt is None:
                print(line)
                print("  %#x is not mapped" % va)
                return
            if shift == 12 or (e & DEFS["PTE_PS"] and shift in (21, 30)):
                pa = (nxt & ~((1 << shift) - 1)) + (va & ((1 << shift) - 1))
                size = "" if shift == 12 else "%d MiB page, " % (1 << (shift - 20))
                print(line + "  -> %sframe %#x (phys %#x)" % (size, pa >> 12, pa))
                gdb.set_convenience_variable("ptwalk_pfn", pa >> 12)
                return
            print(line + "  -> table %#x" % nxt)
            table = nxt


def pte_line(pa):
    """One PTE of a reverse map: its value, the owning mm and the address."""
    pgtable = page_of(pa >> 12)
    if pgtable is None:
        return "pte@%#x: not in any node" % pa
    va = int(pgtable["index"]) + ((pa & 0xfff) // 8) * 4096
    return "pte@%#x = %#x  mm %#x  va %#x" % (pa, read_phys(pa), int(pgtable["mapping"]), va)


def print_rmap(p):
    """Print the direct PTE, the pair of PTEs (two mappings: each stored as
    its physical address / 8) or every pte_chain block of struct page p."""
    if int(p["mapcount"]) == 0:
        print("  no mappings")
        return
    if int(p["flags"]) & PG["direct"]:
        print("  direct  " + pte_line(int(p["pte"]["direct"])))
        return
    if int(p["flags"]) & PG["pair"]:
        print("  pair (no block)")
        for i in range(2):
            print("    [%d] %s" % (i, pte_line(int(p["pte"]["pair"][i]) << 3)))
        return
    chain_t = gdb.lookup_type("struct pte_chain")
    nrpte = chain_t["ptes"].type.sizeof // 8
    mask = nrpte                 # NRPTE + 1 is a power of two: low bits = index
    pc, seen = int(p["pte"]["chain"]), 0
    while pc and seen < LIST_LIMIT:
        chain = gdb.Value(pc).cast(chain_t.pointer()).dereference()
        nai = int(chain["next_and_idx"])
        print("  block %#x idx %d" % (pc, nai & mask))
        for i in range(nai & mask, nrpte):
            print("    [%d] %s" % (i, pte_line(int(chain["ptes"][i]))))
        pc, seen = nai & ~mask, seen + 1


class Page(Helper):
    """page PFN: the struct page of frame PFN: flags by name, node, order,
    counts, lock bits, mapping/index (or slab cache, or page-table owner),
    and its reverse map (direct PTE or chain)."""
    NAME, USAGE, NARGS = "page", "page PFN   (a frame number, e.g. $ptwalk_pfn)", 1

    def run(self, args):
        pfn, p = self.page(args[0])
        flags = int(p["flags"])
        print("pfn %#x: struct page %#x node %d order %d" % (
            pfn, int(p.address), int(p["node"]), int(p["order"])))
        print("  flags %#x %s" % (flags, bit_names(flags & ((1 << DEFS["PG_LAST_NID_SHIFT"]) - 1), PG)))
        last = flags >> DEFS["PG_LAST_NID_SHIFT"]
        if last:
            print("  last NUMA-hint fault from node %d" % (last - 1))
        print("  refcount %d mapcount %d lockbits %#x %s" % (
            int(p["refcount"]), int(p["mapcount"]), int(p["lockbits"]),
            bit_names(int(p["lockbits"]), PL)))
        if flags & PG["slab"]:
            cache = p["slab_cache"]
            name = cache["name"].string() if int(cache) else "?"
            print("  slab cache %#x (%s) freelist %#x" % (int(cache), name, int(p["freelist"])))
        elif flags & PG["pgtable"]:
            print("  page table of mm %#x, maps from va %#x" % (
                int(p["mapping"]), int(p["index"])))
        else:
            print("  mapping %#x index %#x" % (int(p["mapping"]), int(p["index"])))
        if flags & PG["swapcache"]:
            print("  swap cache: entry %#x (type %d slot %#x)" % swap_entry_fields(int(p["private"])))
        if int(p["mapcount"]) or flags & (PG["direct"] | PG["pair"]):
            print_rmap(p)


class Rmap(Helper):
    """rmap PFN: the reverse map of frame PFN (docs/rmap.md): direct, a
    pair, or each pte_chain block with its index, and for every PTE its
    value, mm and address."""
    NAME, USAGE, NARGS = "rmap", "rmap PFN   (a frame number, e.g. $ptwalk_pfn)", 1

    def run(self, args):
        pfn, p = self.page(args[0])
        print("pfn %#x: mapcount %d refcount %d flags %#x %s" % (
            pfn, int(p["mapcount"]), int(p["refcount"]), int(p["flags"]),
            bit_names(int(p["flags"]), PG)))
        print_rmap(p)


COMMANDS = [NumaNodes, BuddyFree, Procs, Vmas, PtWalk, Page, Rmap]
for _c in COMMANDS:
    _c()
print("numbat-gdb: commands " + ", ".join(c.USAGE.split("   ")[0] for c in COMMANDS)
      + " (help NAME)")
