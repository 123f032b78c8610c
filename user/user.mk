# User programs and user-space tests (docs/design.md), included at the end
# of the root Makefile. Everything is built with musl-gcc -static, so the same
# binaries run on the Linux host and on Numbat.
#
#   user/*.c        one program each   -> build/rootfs/bin/NAME
#   user/tests/*.c  one KTAP test each -> build/rootfs/tests/NAME
#   user/bench/*.c  one benchmark each -> build/rootfs/bench/NAME (make bench)
#   user/fuzz/*.c   the system-call fuzzer   -> build/rootfs/bin/fuzz
#   user/glibc/*.c  one KTAP test each, built with glibc (gcc -static -pthread)
#                   -> build/rootfs/tests/NAME
#   user/lib/*.c    shared code (KTAP printer, helpers) -> build/user/libuser.a
#   build/rootfs/tests/run.sh: a script for /bin/sh (busybox's ash) that runs every test
#
# build/rootfs/ is the staging tree the root disk image is made from.
# Intermediate files (objects, dependency files, the library) go in build/user/.

MUSLCC      ?= musl-gcc
USER_CFLAGS := -static -O2 -Wall -Wextra -Werror -std=gnu11 -Iuser/lib -MMD -MP
ROOTFS      := build/rootfs

USER_PROGS    := $(sort $(patsubst user/%.c,%,$(wildcard user/*.c)))
USER_TESTS    := $(sort $(patsubst user/tests/%.c,%,$(wildcard user/tests/*.c)))
USER_BENCH    := $(sort $(patsubst user/bench/%.c,%,$(wildcard user/bench/*.c)))
# Static-PIE tests, built with the host's glibc (gcc -static-pie): Debian's
# musl has no self-relocating start-up for static-PIE.
USER_PIE      := $(sort $(patsubst user/pie/%.c,%,$(wildcard user/pie/*.c)))
# Tests built with the host's glibc (gcc -static -pthread), e.g. a musl
# test's source compiled again against glibc's pthreads.
USER_GLIBC    := $(sort $(patsubst user/glibc/%.c,%,$(wildcard user/glibc/*.c)))
USER_LIB_OBJS := $(patsubst user/lib/%.c,build/user/lib/%.o,$(sort $(wildcard user/lib/*.c)))
USER_LIB      := build/user/libuser.a
# The fuzzer (user/fuzz/*.c, one program): build/rootfs/bin/fuzz.
USER_FUZZ_OBJS := $(patsubst user/%.c,build/user/%.o,$(sort $(wildcard user/fuzz/*.c)))
USER_OBJS     := $(USER_PROGS:%=build/user/%.o) $(USER_TESTS:%=build/user/tests/%.o) \
                 $(USER_BENCH:%=build/user/bench/%.o) $(USER_LIB_OBJS) $(USER_FUZZ_OBJS)
USER_BINS     := $(USER_PROGS:%=$(ROOTFS)/bin/%) $(USER_TESTS:%=$(ROOTFS)/tests/%) \
                 $(USER_BENCH:%=$(ROOTFS)/bench/%) $(USER_PIE:%=$(ROOTFS)/tests/%) \
                 $(USER_GLIBC:%=$(ROOTFS)/tests/%) \
                 $(ROOTFS)/tests/run.sh $(ROOTFS)/bin/fuzz $(ROOTFS)/bin/busybox
# Empty directories for the kernel to mount procfs and sysfs on, and /tmp.
USER_DIRS     := $(ROOTFS)/proc $(ROOTFS)/sys $(ROOTFS)/tmp

.PHONY: user FORCE
.SECONDARY: $(USER_OBJS)   # keep objects: they are not throwaway intermediates
all: user
user: $(USER_BINS) | $(USER_DIRS)

$(USER_DIRS):
	mkdir -p $@
	chmod $(if $(filter %/tmp,$@),1777,755) $@

# Rebuild everything when the compiler, the flags or the list of tests change.
build/user/.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MUSLCC) $(USER_CFLAGS) $(USER_TESTS)' | cmp -s - $@ 2>/dev/null || \
		echo '$(MUSLCC) $(USER_CFLAGS) $(USER_TESTS)' > $@

# (More specific than the kernel's build/%.o rule, so make picks this one.)
build/user/%.o: user/%.c build/user/.flags
	@mkdir -p $(dir $@)
	$(MUSLCC) $(USER_CFLAGS) -c $< -o $@

$(USER_LIB): $(USER_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(ROOTFS)/bin/%: build/user/%.o $(USER_LIB)
	@mkdir -p $(dir $@)
	$(MUSLCC) -static -o $@ $< $(USER_LIB)

$(ROOTFS)/bin/fuzz: $(USER_FUZZ_OBJS) $(USER_LIB)
	@mkdir -p $(dir $@)
	$(MUSLCC) -static -o $@ $(USER_FUZZ_OBJS) $(USER_LIB)

$(USER_PIE:%=$(ROOTFS)/tests/%): $(ROOTFS)/tests/%: user/pie/%.c
	@mkdir -p $(dir $@)
	gcc -static-pie -fPIE -O2 -Wall -Wextra -Werror -o $@ $<

# The KTAP helpers are compiled in again (libuser.a is musl's).
$(USER_GLIBC:%=$(ROOTFS)/tests/%): $(ROOTFS)/tests/%: user/glibc/%.c $(wildcard user/tests/*.c) \
		$(wildcard user/lib/*.c user/lib/*.h)
	@mkdir -p $(dir $@)
	gcc -static -pthread -O2 -Wall -Wextra -Werror -std=gnu11 -Iuser/lib -o $@ $< \
		user/lib/ktap.c user/lib/util.c user/lib/segvwriter.c

$(ROOTFS)/bench/%: build/user/bench/%.o $(USER_LIB)
	@mkdir -p $(dir $@)
	$(MUSLCC) -static -o $@ $< $(USER_LIB)

$(ROOTFS)/tests/%: build/user/tests/%.o $(USER_LIB)
	@mkdir -p $(dir $@)
	$(MUSLCC) -static -o $@ $< $(USER_LIB)

# Debian's static busybox (package busybox-static, built with glibc), as
# /bin/busybox: run an applet as `busybox NAME ARGS`.
$(ROOTFS)/bin/busybox: /bin/busybox
	@mkdir -p $(dir $@)
	cp $< $@

# Benchmarks (user/bench/*.c, run by tests/bench.py): build/rootfs/bench/NAME
# One line per test, run by /bin/sh (init=/bin/sh -- /tests/run.sh).
# Tests write scratch files in their working directory: /tests.
$(ROOTFS)/tests/run.sh: build/user/.flags
	@mkdir -p $(dir $@)
	@{ echo '# Run every user-space test in turn; each prints its own KTAP.'; \
	   echo 'cd /tests'; \
	   for t in $(USER_TESTS); do echo "/tests/$$t"; done; } > $@
	@echo "  GEN     $@"

-include $(USER_OBJS:.o=.d)
