# GDB helpers for Numbat, loaded by build/gdbinit.
#   numa-nodes       one line per NUMA node: cpus, memory, free pages
#   buddy-free NODE  free blocks per order of one node's buddy allocator
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


NumaNodes()
BuddyFree()
print("numbat-gdb: commands numa-nodes, buddy-free NODE")
