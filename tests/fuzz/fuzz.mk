# Host fuzzing of the kernel's parsers (docs/testing.md, "Parser fuzzers").
# The real kernel .c files are compiled for the host with clang, libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, against a thin shim
# (tests/fuzz/shim*.c, tests/fuzz/shim/arch/paging.h).
#
#   make fuzz-parsers                   every target, FUZZ_TIME seconds each
#   make fuzz-parsers FUZZ_TARGETS=ext2 FUZZ_TIME=60
#   build/fuzz/fuzz-ext2 -help=1        libFuzzer's own options
#
# New inputs that reach new code are kept in build/fuzz/corpus/NAME; a crash
# is saved as build/fuzz/crashes/NAME-crash-*. Seeds are generated into
# build/fuzz/seeds/NAME (tests/fuzz/mkseeds.py); tests/fuzz/regress/NAME
# holds inputs that once found a bug, replayed by every run and `make test`.
FUZZ_CC      := clang
FUZZ_TIME    ?= 600
FUZZ_TARGETS ?= acpi cmdline elf ext2
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -g -O1 -fno-omit-frame-pointer -fno-strict-aliasing \
                -Wall -Wextra -Werror -Wno-unused-parameter $(FUZZ_SAN) \
                -Itests/fuzz/shim -Ikernel/include -Iarch/x86_64/include -MMD -MP

fuzz_acpi_SRCS    := tests/fuzz/acpi.c tests/fuzz/shim.c
fuzz_cmdline_SRCS := tests/fuzz/cmdline.c tests/fuzz/shim.c
fuzz_elf_SRCS     := tests/fuzz/elf.c tests/fuzz/shim.c kernel/proc/exec_elf.c
fuzz_ext2_SRCS    := tests/fuzz/ext2.c tests/fuzz/shim.c tests/fuzz/shim_fs.c \
                     $(sort $(wildcard kernel/fs/ext2/*.c)) kernel/fs/vfs_inode.c \
                     kernel/block/bcache.c kernel/block/blkdev.c
FUZZ_ALL     := acpi cmdline elf ext2
FUZZ_BINS    := $(FUZZ_ALL:%=build/fuzz/fuzz-%)
FUZZ_OBJS    := $(sort $(foreach t,$(FUZZ_ALL),$(fuzz_$(t)_SRCS:%.c=build/fuzz/obj/%.o)))

build/fuzz/obj/%.o: %.c tests/fuzz/fuzz.mk $(wildcard tests/fuzz/shim/arch/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# One link rule per target: build/fuzz/fuzz-NAME from its objects.
define fuzz_link
build/fuzz/fuzz-$(1): $(addprefix build/fuzz/obj/,$(fuzz_$(1)_SRCS:.c=.o))
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer $$^ -o $$@
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_link,$(t))))

# Seeds: generated from the ELF programs user/ builds, mke2fs images and
# hand-made ACPI tables; remade when the generator or a program changes.
build/fuzz/seeds/.stamp: tests/fuzz/mkseeds.py $(USER_BINS)
	python3 tests/fuzz/mkseeds.py build/fuzz/seeds
	@touch $@

fuzz-build: $(FUZZ_BINS) build/fuzz/seeds/.stamp

fuzz-parsers: tools fuzz-build
	python3 tests/fuzz/runfuzz.py --time $(FUZZ_TIME) $(FUZZ_TARGETS)

.PHONY: fuzz-build fuzz-parsers
-include $(FUZZ_OBJS:.o=.d)
