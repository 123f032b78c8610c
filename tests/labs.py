"""The graded tests of each finished lab (docs/labs/README.md).

Each Graded test is a case of tests/cases.py (a boot or a GDB session, as
`make test` runs it) and, optionally, a regex picking some of that case's
results (its KTAP leaves or harness checks) by name: the test is worth its
points when every result picked passed (and at least one was picked). A
case that hangs past its time limit, or whose kernel panics or traps,
fails every test drawn from it. Each lab's points sum to 100.
"""
from dataclasses import dataclass


@dataclass
class Graded:
    name: str                 # what the grader prints
    case: str                 # a tests/cases.py case name
    points: int
    pick: str = None          # regex (re.search) on result names; None: all of them


@dataclass
class Lab:
    name: str
    doc: str
    tests: list


LABS = [
    Lab("intro", "docs/labs/intro.md", [
        Graded("cat /proc/uptime as init prints its two numbers", "intro-cat-uptime", 15),
        Graded("uptime: two numbers with two decimals", "user-uptime", 10, r"^uptime: format"),
        Graded("uptime: grows as time passes", "user-uptime", 15, r"^uptime: grows"),
        Graded("uptime: idle time at most uptime times the CPUs", "user-uptime", 10, r"^uptime: idle"),
        Graded("uptime: agrees with sysinfo(2) and CLOCK_BOOTTIME", "user-uptime", 10,
               r"^uptime: agrees"),
        Graded("procfiles: /proc/uptime", "user-procfiles", 15, r"^uptime: "),
        Graded("gdb: show_uptime() runs in open(2) and returns 0", "gdb-uptime", 25),
    ]),
    Lab("pgtbl", "docs/labs/pgtbl.md", [
        Graded("pagemap: a touched page: present, exclusive, its frame", "user-pagemap", 15,
               r"^a touched anonymous page"),
        Graded("pagemap: kpagecount finds the frame mapped once", "user-pagemap", 10,
               r"^kpagecount: its frame"),
        Graded("pagemap: a file page says so", "user-pagemap", 10, r"^a file page read"),
        Graded("pagemap: a page moved to node 1 shows its new frame", "user-pagemap", 10,
               r"^a page moved to (node \d|the other node)"),
        Graded("ptables: pagemap of pages 2 MiB apart", "user-ptables", 15, r"^pagemap: "),
        Graded("ptables: munmap gives the tables back", "user-ptables", 25, r"^unmap: "),
        Graded("ptables: exit gives the tables back", "user-ptables", 15, r"^exit: "),
    ]),
    Lab("cow", "docs/labs/cow.md", [
        Graded("cow: fork with more than half of memory", "user-cow", 25, r"^big: "),
        Graded("cow: three processes write one region", "user-cow", 15, r"^three: "),
        Graded("cow: read() into a copy-on-write page", "user-cow", 15, r"^pipe: "),
        Graded("cow: 100 rounds of nested forks", "user-cow", 10, r"^nested: "),
        Graded("pagemap: the child shares the frame until it writes", "user-pagemap", 10,
               r"^(after fork the child maps|kpagecount says 2|the child's write gave)"),
        Graded("cowreuse: a write copies a shared page", "user-cowreuse", 10, r"^copy: "),
        Graded("cowreuse: a page left with one user is reused", "user-cowreuse", 15, r"^reuse: "),
    ]),
    # rmap's cases say rmap=chain: its starting tree uses rmap=obj by default.
    Lab("rmap", "docs/labs/rmap.md", [
        Graded("ktest rmap: add and remove at every order (direct, pair, chain)",
               "ktest-rmap-walk-chain", 15, r"^rmap\.add_remove_every_order$"),
        Graded("ktest rmap: a pair becomes a chain and a chain a pair again",
               "ktest-rmap-walk-chain", 10, r"^rmap\.pair_then_chain_and_back$"),
        Graded("ktest rmap: rmap_check finds a broken pair and a leaked block, and no more",
               "ktest-rmap-walk-chain", 15, r"^rmap\.check_"),
        Graded("ktest rmap_walk: the walk reaches every PTE of anonymous and file pages",
               "ktest-rmap-walk-chain", 10, r"^rmap_walk\.(anon|file|busy|migrate)"),
        Graded("forkchain: three generations, the reverse map checked at every fault",
               "user-forkchain-rmap-chain", 15),
        Graded("forkchain without pairs: a chain from the second mapping",
               "user-forkchain-rmap-chain-no-pairs", 10),
        Graded("rmapstress: four processes map and unmap file pages, checked every 3 faults",
               "user-rmapstress-rmap-chain", 10),
        # Not its file scenario: its move back failed once under load in
        # the reference too (move_pages counted a page it could not move,
        # perhaps one busy in writeback, where Linux's waits); six quiet
        # runs passed.
        Graded("rmapwalk: move_pages reaches every PTE of pages mapped up to 200 times",
               "user-rmapwalk-rmap-chain", 10, r"^(anon shared by|after mremap|fork chain)"),
        Graded("mremap: the chains follow PTEs that move", "user-mremap-rmap-chain", 5,
               r"^(grow with MAYMOVE|fork children|shared: |file: |rmap_check every|"
               r"the test exits)"),
    ]),
    Lab("numa", "docs/labs/numa.md", [
        Graded("numahint: hint faults queue remote pages, kmigrated moves 95 % of them",
               "user-numahint", 20,
               r"^(95% of the pages moved|the scanner marked|they took hint|numa_pages_migrated"
               r" counts|pgmigrate_success counts|no word changed)"),
        Graded("numahint: local pages and balancing off move nothing", "user-numahint", 5,
               r"^(local pages|balancing off|the settings are back)"),
        Graded("numabal converge: a process re-pinned to node 1 takes its 64 MiB along",
               "numabal-converge", 20),
        Graded("numabal local: pages already local stay", "numabal-local", 5),
        Graded("numabal pingpong: a page written from both nodes moves at most once",
               "numabal-pingpong", 15),
        Graded("numabal policy: an MPOL_BIND region stays on its node", "numabal-policy", 10),
        Graded("numabal ratelimit: no more pages a second than the limit allows",
               "numabal-ratelimit", 15),
        Graded("gdb: a hint fault queues the page, kmigrated migrates the batch", "gdb-numa", 10),
    ]),
]

# Labs planned but not written yet, in course order (docs/labs/README.md).
PLANNED = ["filemap", "reclaim"]


def lab(name):
    for lb in LABS:
        if lb.name == name:
            return lb
    return None
