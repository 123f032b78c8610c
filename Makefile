# Numbat: build, boot, debug and test. `make help` lists the targets.
#
# Machine settings (README, "Changing the machine"); override on the command line,
# e.g. `make qemu NODES=4 CPUS=8 MEM=2048`.
NODES     ?= 2
CPUS      ?= 4
MEM       ?= 512
DISTANCE  ?= 20
ACCEL     ?= tcg
CMDLINE   ?=
DISK      ?= build/disk.img
QEMUEXTRA ?=
QEMU_NUMA ?= $(shell sh scripts/qemu-numa.sh $(NODES) $(CPUS) $(MEM) $(DISTANCE))
# DEBUG=1: the kernel built with -Og in build/debug/, where GDB shows the
# locals -O2 optimises away. `make qemu-gdb` and `make gdb` use it unless
# DEBUG=0 is given; everything else (tests, benchmarks) uses -O2 in build/.
DEBUG     ?=
KOUT      := $(if $(filter 1,$(DEBUG)),build/debug,build)
OPT       := $(if $(filter 1,$(DEBUG)),-Og,-O2)
ISO       ?= $(KOUT)/numbat.iso
# The GDB port: `make qemu-gdb` picks a free one and writes it to
# build/gdbport, where `make gdb` finds it; GDBPORT=N on both commands wins.
GDBPORT   ?=

comma   := ,
CC      := gcc
LD      := ld
NASM    := nasm
QEMU    := qemu-system-x86_64

# -fstack-protector-strong with one global guard (arch/x86_64/protect.c).
# -Wframe-larger-than: no stack frame may be as big as the 16 KiB hole under
# each kernel stack (kstack.c), or an overflow could jump over it.
CFLAGS  := -std=c11 $(OPT) -g -Wall -Wextra -Werror -Wno-unused-parameter \
           -ffreestanding -fno-builtin-printf -mno-red-zone -mcmodel=kernel \
           -mgeneral-regs-only -fno-pic -fno-pie -fstack-protector-strong -mstack-protector-guard=global \
           -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
           -fno-strict-aliasing -mno-sse -mno-sse2 -mno-mmx \
           -Wframe-larger-than=8192 \
           -Ikernel/include -Iarch/x86_64/include -MMD -MP
LDFLAGS := -n -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments --fatal-warnings -T linker.ld
NASMFLAGS := -f elf64

C_SRCS   := $(shell find kernel arch -name '*.c' | sort)
ASM_SRCS := $(shell find boot arch kernel -name '*.asm' | sort)
OBJS     := $(C_SRCS:%.c=$(KOUT)/%.o) $(ASM_SRCS:%.asm=$(KOUT)/%.o)

# -cpu max: every feature QEMU can give (under TCG too), among them SMEP,
# SMAP and RDRAND, which the kernel turns on (arch/x86_64/protect.c);
# TCG's default model, qemu64, has none of them. QEMU_CPU=qemu64 for the old one.
QEMU_CPU  ?= max
QEMU_BASE = $(QEMU) -machine pc -accel $(ACCEL) -cpu $(QEMU_CPU) -m $(MEM) -smp $(CPUS) \
            $(QEMU_NUMA) -cdrom $(ISO) -boot d \
            $(if $(wildcard $(DISK)),-drive file=$(DISK)$(comma)format=raw$(comma)if=virtio) \
            -no-reboot

.PHONY: all iso qemu qemu-nox qemu-gdb gdb test bench bench-swap bench-linux bench-numa bench-linux-numa bench-linux-rmap fuzz clean tools help plot FORCE
all: tools $(KOUT)/kernel.elf $(ISO) build/disk.img

help:
	@echo "make            build $(KOUT)/kernel.elf and $(ISO) (DEBUG=1: -Og in build/debug/)"
	@echo "make qemu       boot with the serial console in this terminal (Ctrl-A X quits)"
	@echo "make qemu-nox   boot headless, serial on stdout; returns at power-off"
	@echo "make qemu-gdb   boot and wait for GDB on 127.0.0.1 (port in build/gdbport)"
	@echo "make gdb        attach GDB with kernel symbols (run qemu-gdb first)"
	@echo "make test       run every test; ends with 'N passed, N failed'"
	@echo "make bench      run the benchmarks under -icount shift=0"
	@echo "make bench-swap the swap benchmark alone (SWAP_MIB=192)"
	@echo "make bench-linux  the swap benchmark on Debian's Linux under the same QEMU (SWAP_MIB=192)"
	@echo "make bench-numa the NUMA-balancing benchmark alone"
	@echo "make bench-linux-numa  the NUMA-balancing benchmark on Debian's Linux (TCG, no -icount)"
	@echo "make bench-linux-rmap  faults and rmapbench on Debian's Linux (docs/rmap.md's Linux column)"
	@echo "make fuzz       random system calls on 3 machine shapes (FUZZ_SEED FUZZ_CALLS FUZZ_SHAPES FUZZ_ONLY FUZZ_SHRINK)"
	@echo "make fuzz-parsers  fuzz the ACPI, ELF, ext2 and command-line parsers on the host"
	@echo "                   (FUZZ_TIME=seconds per target, FUZZ_TARGETS='acpi cmdline elf ext2')"
	@echo "make plot       draw a boot log's page placement (LOG=build/tests/user-numawatch.log OUT=build/numaplot.png)"
	@echo "make labs       list the labs; make grade LAB=NAME grades one (GRADE_EXTRA=DIR: more tests)"
	@echo "make labcheck   cut, build and grade every lab's starting tree (docs/labs/README.md)"
	@echo "make tools      list the tools and their versions; install (as root) or report missing ones"
	@echo "make check-machine  check NODES CPUS MEM ACCEL DISK (the qemu targets do it first)"
	@echo "variables: NODES CPUS MEM DISTANCE ACCEL QEMU_CPU CMDLINE QEMU_NUMA DISK QEMUEXTRA GDBPORT"

# Versions are printed only when `tools` is asked for by name.
tools:
	@sh scripts/check-tools.sh $(if $(filter tools,$(MAKECMDGOALS)),-v)

# Refuse a machine that cannot boot, before QEMU starts: bad NODES, CPUS or
# MEM, ACCEL=kvm without KVM, or a DISK another QEMU has open.
.PHONY: check-machine
check-machine:
	@python3 scripts/check-machine.py NODES='$(NODES)' CPUS='$(CPUS)' MEM='$(MEM)' \
		DISTANCE='$(DISTANCE)' ACCEL='$(ACCEL)' DISK='$(DISK)' \
		NUMA=$(if $(filter file,$(origin QEMU_NUMA)),generated,given)

# Objects depend on the flags too: changing CFLAGS rebuilds everything.
$(KOUT)/.flags: FORCE
	@mkdir -p $(KOUT)
	@echo '$(CFLAGS) $(NASMFLAGS)' | cmp -s - $@ 2>/dev/null || echo '$(CFLAGS) $(NASMFLAGS)' > $@

$(KOUT)/%.o: %.c $(KOUT)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(KOUT)/%.o: %.asm $(KOUT)/.flags
	@mkdir -p $(dir $@)
	$(NASM) -M -MT $@ $< > $(@:.o=.d)
	$(NASM) $(NASMFLAGS) $< -o $@

# Two links: the first has an empty symbol table; its text symbols become the
# table (scripts/ksyms.sh) for the second. .ksyms is the last section in
# linker.ld, so filling it in moves nothing else; the cmp proves it.
# The object list too: deleting a source file relinks without it.
$(KOUT)/.objs: FORCE
	@mkdir -p $(KOUT)
	@echo '$(OBJS)' | cmp -s - $@ 2>/dev/null || echo '$(OBJS)' > $@

$(KOUT)/kernel.elf: $(OBJS) $(KOUT)/.objs linker.ld scripts/ksyms.sh
	sh scripts/ksyms.sh /dev/null > $(KOUT)/ksyms0.S
	$(CC) -c $(KOUT)/ksyms0.S -o $(KOUT)/ksyms0.o
	$(LD) $(LDFLAGS) -o $(KOUT)/kernel.pass1.elf $(OBJS) $(KOUT)/ksyms0.o
	nm -n $(KOUT)/kernel.pass1.elf | sh scripts/ksyms.sh - > $(KOUT)/ksyms.S
	$(CC) -c $(KOUT)/ksyms.S -o $(KOUT)/ksyms.o
	$(LD) $(LDFLAGS) -o $@ $(OBJS) $(KOUT)/ksyms.o
	@nm -n $(KOUT)/kernel.pass1.elf | grep -i ' t ' > $(KOUT)/syms1.txt
	@nm -n $@ | grep -i ' t ' > $(KOUT)/syms2.txt
	@cmp -s $(KOUT)/syms1.txt $(KOUT)/syms2.txt || { echo "ksyms: text moved between links"; exit 1; }

# The ISO is rebuilt when the kernel or the command line changes.
$(ISO).cmdline: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CMDLINE)' | cmp -s - $@ 2>/dev/null || echo '$(CMDLINE)' > $@

$(ISO): $(KOUT)/kernel.elf boot/grub.cfg $(ISO).cmdline
	@rm -rf $@.d && mkdir -p $@.d/boot/grub
	cp $(KOUT)/kernel.elf $@.d/boot/kernel.elf
	sed 's|@CMDLINE@|$(subst &,\&,$(subst |,\|,$(CMDLINE)))|' boot/grub.cfg > $@.d/boot/grub/grub.cfg
	grub-mkrescue -o $@ $@.d 2>$@.log || { cat $@.log; exit 1; }

iso: tools $(ISO)

# User programs and user-space tests (musl-gcc -static): user/user.mk.
include user/user.mk

# Host fuzzing of the parsers (clang, libFuzzer, ASan, UBSan).
include tests/fuzz/fuzz.mk

# The root file system: an ext2 image made from the staging folder
# build/rootfs, where user/user.mk installs the programs and tests. It is
# made again when a program changes; otherwise Numbat's writes to it persist
# across boots (`rm build/disk.img` for a fresh one). docs/fs.md has the layout.
# busybox's applets are symbolic links to /bin/busybox in /bin, /sbin,
# /usr/bin and /usr/sbin (scripts/busybox-links.sh), except those Numbat has
# a program of its own for (user/*.c: init, mkswap, swapon, swapoff, ...).
# /etc/profile is read by the login shell init starts (ash, as -sh).
ROOTFS_DIRS := bin sbin usr/bin usr/sbin etc tmp proc sys dev tests
build/disk.img: $(USER_BINS) scripts/busybox-links.sh
	@mkdir -p $(addprefix build/rootfs/,$(ROOTFS_DIRS))
	sh scripts/busybox-links.sh build/rootfs $(USER_PROGS)
	@echo "Welcome to Numbat." > build/rootfs/etc/motd
	@echo "root:x:0:0:root:/:/bin/sh" > build/rootfs/etc/passwd
	@echo "root:x:0:" > build/rootfs/etc/group
	@printf '%s\n' "PS1='numbat:\\w\\$$ '" > build/rootfs/etc/profile
	mke2fs -q -F -t ext2 -b 4096 -L numbat-root -d build/rootfs $@ 64M
	@printf 'cd /tests\nmknod hostnull c 1 3\nsif hostnull mode 020666\n' > build/disk-nodes.cmd
	debugfs -w -f build/disk-nodes.cmd $@ >/dev/null 2>&1

qemu: check-machine all
	$(QEMU_BASE) -nographic $(QEMUEXTRA)

# QEMU_STDIN: what the serial console reads (the harness passes /dev/stdin
# to type keys, see tests/qemu.py).
QEMU_STDIN ?= /dev/null
qemu-nox: check-machine all
	$(QEMU_BASE) -display none -serial stdio -monitor none $(QEMUEXTRA) <$(QEMU_STDIN)

# GDB wants the -Og build (locals visible): without DEBUG on the command
# line, qemu-gdb and gdb run again with DEBUG=1 (DEBUG=0 for the -O2 one).
ifeq ($(DEBUG),)
qemu-gdb gdb:
	@$(MAKE) --no-print-directory DEBUG=1 $@
else
# The GDB stub listens on 127.0.0.1 only, so no other machine can attach to
# your kernel; without GDBPORT, on a free port picked now (nobody else's),
# kept in build/gdbport while QEMU runs.
qemu-gdb: check-machine all
	@port=$(or $(GDBPORT),$$(python3 scripts/check-machine.py --free-port)); \
	$(if $(GDBPORT),,echo $$port > build/gdbport;) \
	echo "*** QEMU waits for GDB on 127.0.0.1:$$port: run 'make gdb' in another terminal"; \
	$(QEMU_BASE) -nographic -S -gdb tcp:127.0.0.1:$$port $(QEMUEXTRA); \
	rc=$$?; $(if $(GDBPORT),,rm -f build/gdbport;) exit $$rc

gdb:
	@port=$(or $(GDBPORT),$$(cat build/gdbport 2>/dev/null)); \
	[ -n "$$port" ] || { echo "make gdb: no build/gdbport: start 'make qemu-gdb' in another" \
		"terminal first (or give both the same GDBPORT=N)" >&2; exit 1; }; \
	mkdir -p build && sed "s/@GDBPORT@/$$port/" scripts/gdbinit.tmpl > build/gdbinit; \
	exec gdb -q -x build/gdbinit $(KOUT)/kernel.elf
endif

test: all
	python3 tests/run.py

bench: all
	python3 tests/bench.py

# Only the swap table of `make bench` (user/bench/swapbench.c); SWAP_MIB=16
# fits in RAM, to try the script without reclaim.
SWAP_MIB ?= 192
bench-swap: all
	python3 tests/bench.py --swap-only --swap-size $(SWAP_MIB)

# The same benchmark on Debian's Linux 6.1 under the same QEMU settings
# (tests/linux_peer.py): never part of `make test`.
bench-linux: all
	python3 tests/linux_peer.py --size $(SWAP_MIB)

# Only the NUMA-balancing table of `make bench` (user/bench/numabench.c),
# and the same binary on Debian's Linux (tests/linux_peer.py --numa).
bench-numa: all
	python3 tests/bench.py --numa-only

bench-linux-numa: all
	python3 tests/linux_peer.py --numa

bench-linux-rmap: all
	python3 tests/linux_peer.py --rmap

# A long campaign of /bin/fuzz (user/fuzz/) per machine shape, with the
# reverse map checked: tests/syzfuzz.py reports panics, hangs, worker
# failures and e2fsck errors with the seed and the last calls of each worker.
FUZZ_SEED   ?= 1
FUZZ_CALLS  ?= 5000
FUZZ_SHAPES ?= 1node,2node,4node
FUZZ_ONLY   ?=
FUZZ_SHRINK ?=
fuzz: all
	python3 tests/syzfuzz.py --seed $(FUZZ_SEED) --calls $(FUZZ_CALLS) --shapes $(FUZZ_SHAPES) \
		$(if $(FUZZ_ONLY),--only $(FUZZ_ONLY)) $(if $(FUZZ_SHRINK),--shrink)

# A picture of where a process's pages were (scripts/numaplot.py): from a
# boot log with /bin/numawatch's lines and the trace's migrate_page lines.
# Without LOG, the numawatch test's log, made first if it is missing.
LOG ?= build/tests/user-numawatch.log
OUT ?= build/numaplot.png
plot: tools
	@if [ "$(LOG)" = build/tests/user-numawatch.log ] && [ ! -f "$(LOG)" ]; then \
		$(MAKE) all && python3 tests/run.py -k user-numawatch -j 1; fi
	$$(sh scripts/plot-python.sh) scripts/numaplot.py "$(LOG)" -o "$(OUT)"

# Labs (docs/labs/README.md): `make labs` lists the labs that can be
# graded; `make grade LAB=cow` boots that lab's tests and prints each with
# its points and `Score: N/100` (in a tree cut by scripts/mklab.py, LAB
# defaults to that tree's lab, from .lab); GRADE_EXTRA=DIR adds the test
# programs DIR/*.c; GRADE_FLAGS passes more options (--timeout-scale 3).
# `make labcheck` cuts, builds and grades every lab's starting tree.
LAB         ?= $(shell cat .lab 2>/dev/null)
GRADE_EXTRA ?=
GRADE_FLAGS ?=
.PHONY: labs grade labcheck
labs:
	@python3 tests/grade.py --list

grade: tools
	@python3 tests/grade.py $(GRADE_FLAGS) $(if $(GRADE_EXTRA),--extra $(GRADE_EXTRA)) $(LAB)

labcheck: all
	python3 tests/labcheck.py $(GRADE_FLAGS)

clean:
	rm -rf build

-include $(OBJS:.o=.d)

