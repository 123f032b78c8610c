# Numbat: build, boot, debug and test. `make help` lists the targets.
#
# Machine settings (DESIGN.md section 8); override on the command line,
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
ISO       ?= build/numbat.iso
# Each user gets their own GDB port, so students sharing a machine don't collide.
GDBPORT   ?= $(shell expr `id -u` % 5000 + 25000)

comma   := ,
CC      := gcc
LD      := ld
NASM    := nasm
QEMU    := qemu-system-x86_64

CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
           -ffreestanding -fno-builtin-printf -mno-red-zone -mcmodel=kernel \
           -mgeneral-regs-only -fno-pic -fno-pie -fno-stack-protector \
           -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
           -fno-strict-aliasing -mno-sse -mno-sse2 -mno-mmx \
           -Ikernel/include -Iarch/x86_64/include -MMD -MP
LDFLAGS := -n -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments --fatal-warnings -T linker.ld
NASMFLAGS := -f elf64

C_SRCS   := $(shell find kernel arch -name '*.c' | sort)
ASM_SRCS := $(shell find boot arch kernel -name '*.asm' | sort)
OBJS     := $(C_SRCS:%.c=build/%.o) $(ASM_SRCS:%.asm=build/%.o)

QEMU_BASE = $(QEMU) -machine pc -accel $(ACCEL) -m $(MEM) -smp $(CPUS) \
            $(QEMU_NUMA) -cdrom $(ISO) -boot d \
            $(if $(wildcard $(DISK)),-drive file=$(DISK)$(comma)format=raw$(comma)if=virtio) \
            -no-reboot

.PHONY: all iso qemu qemu-nox qemu-gdb gdb test bench fuzz clean tools help FORCE
all: tools build/kernel.elf $(ISO) build/disk.img

help:
	@echo "make            build build/kernel.elf and $(ISO)"
	@echo "make qemu       boot with the serial console in this terminal (Ctrl-A X quits)"
	@echo "make qemu-nox   boot headless, serial on stdout; returns at power-off"
	@echo "make qemu-gdb   boot and wait for GDB on port $(GDBPORT)"
	@echo "make gdb        attach GDB with kernel symbols (run qemu-gdb first)"
	@echo "make test       run every test; ends with 'N passed, N failed'"
	@echo "make bench      run the benchmarks under -icount shift=0"
	@echo "make fuzz       random system calls on 3 machine shapes (FUZZ_SEED FUZZ_CALLS FUZZ_SHAPES FUZZ_ONLY FUZZ_SHRINK)"
	@echo "make tools      install (as root) or report missing tools"
	@echo "variables: NODES CPUS MEM DISTANCE ACCEL CMDLINE QEMU_NUMA DISK QEMUEXTRA GDBPORT"

tools:
	@sh scripts/check-tools.sh

# Objects depend on the flags too: changing CFLAGS rebuilds everything.
build/.flags: FORCE
	@mkdir -p build
	@echo '$(CFLAGS) $(NASMFLAGS)' | cmp -s - $@ 2>/dev/null || echo '$(CFLAGS) $(NASMFLAGS)' > $@

build/%.o: %.c build/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

build/%.o: %.asm build/.flags
	@mkdir -p $(dir $@)
	$(NASM) -M -MT $@ $< > $(@:.o=.d)
	$(NASM) $(NASMFLAGS) $< -o $@

# Two links: the first has an empty symbol table; its text symbols become the
# table (scripts/ksyms.sh) for the second. .ksyms is the last section in
# linker.ld, so filling it in moves nothing else; the cmp proves it.
# The object list too: deleting a source file relinks without it.
build/.objs: FORCE
	@mkdir -p build
	@echo '$(OBJS)' | cmp -s - $@ 2>/dev/null || echo '$(OBJS)' > $@

build/kernel.elf: $(OBJS) build/.objs linker.ld scripts/ksyms.sh
	sh scripts/ksyms.sh /dev/null > build/ksyms0.S
	$(CC) -c build/ksyms0.S -o build/ksyms0.o
	$(LD) $(LDFLAGS) -o build/kernel.pass1.elf $(OBJS) build/ksyms0.o
	nm -n build/kernel.pass1.elf | sh scripts/ksyms.sh - > build/ksyms.S
	$(CC) -c build/ksyms.S -o build/ksyms.o
	$(LD) $(LDFLAGS) -o $@ $(OBJS) build/ksyms.o
	@nm -n build/kernel.pass1.elf | grep -i ' t ' > build/syms1.txt
	@nm -n $@ | grep -i ' t ' > build/syms2.txt
	@cmp -s build/syms1.txt build/syms2.txt || { echo "ksyms: text moved between links"; exit 1; }

# The ISO is rebuilt when the kernel or the command line changes.
$(ISO).cmdline: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CMDLINE)' | cmp -s - $@ 2>/dev/null || echo '$(CMDLINE)' > $@

$(ISO): build/kernel.elf boot/grub.cfg $(ISO).cmdline
	@rm -rf $@.d && mkdir -p $@.d/boot/grub
	cp build/kernel.elf $@.d/boot/kernel.elf
	sed 's|@CMDLINE@|$(subst |,\|,$(CMDLINE))|' boot/grub.cfg > $@.d/boot/grub/grub.cfg
	grub-mkrescue -o $@ $@.d 2>$@.log || { cat $@.log; exit 1; }

iso: tools $(ISO)

# User programs and user-space tests (musl-gcc -static): user/user.mk.
include user/user.mk

# The root file system: an ext2 image made from the staging folder
# build/rootfs, where user/user.mk installs the programs and tests. It is
# made again when a program changes; otherwise Numbat's writes to it persist
# across boots (`rm build/disk.img` for a fresh one). docs/fs.md has the layout.
ROOTFS_DIRS := bin etc tmp proc sys dev tests
build/disk.img: $(USER_BINS)
	@mkdir -p $(addprefix build/rootfs/,$(ROOTFS_DIRS))
	@echo "Welcome to Numbat." > build/rootfs/etc/motd
	mke2fs -q -F -t ext2 -b 4096 -L numbat-root -d build/rootfs $@ 64M

qemu: all
	$(QEMU_BASE) -nographic $(QEMUEXTRA)

qemu-nox: all
	$(QEMU_BASE) -display none -serial stdio -monitor none $(QEMUEXTRA) </dev/null

build/gdbinit: scripts/gdbinit.tmpl FORCE
	@mkdir -p build
	@sed 's/@GDBPORT@/$(GDBPORT)/' scripts/gdbinit.tmpl > $@

qemu-gdb: all build/gdbinit
	@echo "*** QEMU waits for GDB on port $(GDBPORT): run 'make gdb' in another terminal"
	$(QEMU_BASE) -nographic -S -gdb tcp::$(GDBPORT) $(QEMUEXTRA)

gdb: build/gdbinit
	gdb -q -x build/gdbinit build/kernel.elf

test: all
	python3 tests/run.py

bench: all
	python3 tests/bench.py

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

clean:
	rm -rf build

-include $(OBJS:.o=.d)

