# GDB helpers for Numbat, loaded by build/gdbinit.
#   numa-nodes       one line per NUMA node: cpus, memory, free pages
#   buddy-free NODE  free blocks per order of one node's buddy allocator
#   rmap PFN         the reverse map of a frame: each PTE, its mm and address
import gdb


class NumaNodes(gdb.Command):
    """Print every online NUMA node: id, cpu mask, present and free pages."""

    def __init__(self):
        super().__init__("numa-nodes", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        nodes = gdb.parse_and_eval("numa_nodes")
        count = nodes.type.sizeof // nodes[0].type.sizeof
        for i in range(count):
            n = nodes[i]
            if not bool(n["online"]):
                continue
            print("node %d: cpus 0x%x present %d pages, free %d, mem_map %s" % (
                i, int(n["cpus"]["bits"]), int(n["present_pages"]),
                int(n["free_pages"]), n["mem_map"]))


class BuddyFree(gdb.Command):
    """buddy-free NODE: number of free blocks of each order on NODE."""

    def __init__(self):
        super().__init__("buddy-free", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        node = int(arg or "0")
        n = gdb.parse_and_eval("numa_nodes")[node]
        for order in range(int(gdb.parse_and_eval("sizeof(numa_nodes[0].free_area)/sizeof(numa_nodes[0].free_area[0])"))):
            print("order %2d (%6d KiB): %d free" % (
                order, 4 << order, int(n["free_area"][order]["nr_free"])))


class Rmap(gdb.Command):
    """rmap PFN: the pte_chain of frame PFN (docs/rmap.md): direct or each
    block with its index, and for every PTE its value, mm and address."""

    def __init__(self):
        super().__init__("rmap", gdb.COMMAND_USER)

    @staticmethod
    def page(pfn):
        """struct page of pfn, found in the node that spans it (no calls into
        the target, so it works on a stopped QEMU)."""
        nodes = gdb.parse_and_eval("numa_nodes")
        for i in range(nodes.type.sizeof // nodes[0].type.sizeof):
            n = nodes[i]
            if bool(n["online"]) and int(n["start_pfn"]) <= pfn < int(n["end_pfn"]) \
                    and int(n["mem_map"]):
                return n["mem_map"][pfn - int(n["start_pfn"])]
        return None

    def pte_line(self, pa):
        pgtable = self.page(pa >> 12)
        va = int(pgtable["index"]) + ((pa & 0xfff) // 8) * 4096
        pte = int(gdb.parse_and_eval("*(unsigned long *)(0xffff800000000000 + %d)" % pa))
        return "pte@%#x = %#x  mm %s  va %#x" % (pa, pte, pgtable["mapping"], va)

    def invoke(self, arg, from_tty):
        pfn = int(gdb.parse_and_eval(arg))
        p = self.page(pfn)
        if p is None:
            print("pfn %#x: no struct page" % pfn)
            return
        flags, maps = int(p["flags"]), int(p["mapcount"])
        print("pfn %#x: mapcount %d refcount %d flags %#x" % (pfn, maps, int(p["refcount"]), flags))
        if maps == 0:
            return
        if flags & 0x8:                          # PG_direct
            print("  direct  " + self.pte_line(int(p["pte"]["direct"])))
            return
        nrpte = 7
        pc = int(p["pte"]["chain"])
        while pc:
            chain = gdb.parse_and_eval("*(struct pte_chain *)%d" % pc)
            nai = int(chain["next_and_idx"])
            print("  block %#x idx %d" % (pc, nai & nrpte))
            for i in range(nai & nrpte, nrpte):
                print("    [%d] %s" % (i, self.pte_line(int(chain["ptes"][i]))))
            pc = nai & ~nrpte


NumaNodes()
BuddyFree()
Rmap()
print("numbat-gdb: commands numa-nodes, buddy-free NODE, rmap PFN")
