#!/bin/sh
# Check for the tools Numbat needs. As root with apt-get, install what is
# missing; otherwise print the one command that installs it, and fail.
# With -v (`make tools`), first print each tool found: where, and its version.
verbose=$1
need="gcc:gcc ld:binutils nasm:nasm grub-mkrescue:grub-common
xorriso:xorriso mformat:mtools qemu-system-x86_64:qemu-system-x86
musl-gcc:musl-tools mke2fs:e2fsprogs python3:python3 gdb:gdb clang:clang"
# grub-mkrescue needs the BIOS modules too.
# The first line a tool prints about its version (musl: the package's).
version() {
	opt=--version
	case $1 in
	musl-gcc) dpkg-query -W -f 'musl ${Version}' musl-dev 2>/dev/null && return ;;
	mke2fs) opt=-V ;;
	nasm) opt=-v ;;
	xorriso) opt=-version ;;
	esac
	v=$("$1" $opt 2>&1 </dev/null | sed -n '/[0-9]/{p;q;}')
	echo "${v:-(version unknown)}"
}
missing=""
for pair in $need; do
	cmd=${pair%%:*} pkg=${pair#*:}
	if path=$(command -v "$cmd" 2>/dev/null); then
		[ "$verbose" = -v ] && printf '%-20s %-36s %s\n' "$cmd" "$path" "$(version "$cmd")"
	else
		[ "$verbose" = -v ] && printf '%-20s %s\n' "$cmd" "MISSING (package $pkg)"
		missing="$missing $pkg"
	fi
done
[ -d /usr/lib/grub/i386-pc ] || missing="$missing grub-pc-bin"
# glibc's static libraries (user/pie: static-PIE test programs).
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$missing libc6-dev"
# Debian's static busybox, installed into the root image as /bin/busybox
# (user/user.mk). The dynamic package "busybox" would not run on Numbat.
dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q ' installed' ||
	missing="$missing busybox-static"
# matplotlib for tools/numaplot.py (make plot), as Debian's python3 has it:
# scripts/plot-python.sh finds a python3 that imports it.
plotpy=$(sh "$(dirname "$0")/plot-python.sh" 2>/dev/null) || missing="$missing python3-matplotlib"
# libFuzzer and the sanitizer runtimes (make fuzz-parsers, make test):
# Debian's clang only recommends them. Named after clang's major version.
rt=libclang-rt-14-dev
if command -v clang >/dev/null 2>&1; then
	v=$(clang -dumpversion | cut -d. -f1)
	rt=libclang-rt-$v-dev
	[ -f "$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ] ||
		missing="$missing $rt"
else
	missing="$missing $rt"
fi
if [ "$verbose" = -v ]; then
	[ -d /usr/lib/grub/i386-pc ] && echo "grub BIOS modules    /usr/lib/grub/i386-pc" \
		|| echo "grub BIOS modules    MISSING (package grub-pc-bin)"
	[ -f /usr/lib/x86_64-linux-gnu/libc.a ] && echo "glibc static libc    /usr/lib/x86_64-linux-gnu/libc.a" \
		|| echo "glibc static libc    MISSING (package libc6-dev)"
	[ -f "$(clang -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a" ] &&
		echo "libFuzzer runtime    $(clang -print-resource-dir)/lib/linux" ||
		echo "libFuzzer runtime    MISSING (package $rt)"
	[ -f /bin/busybox ] && echo "busybox (static)     /bin/busybox $(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null)" ||
		echo "busybox (static)     MISSING (package busybox-static)"
	[ -n "$plotpy" ] && echo "matplotlib           $plotpy $($plotpy -c 'import matplotlib; print(matplotlib.__version__)')" ||
		echo "matplotlib           MISSING (package python3-matplotlib)"
	[ -z "$missing" ] && echo "check-tools: all tools found"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "check-tools: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq $missing >/dev/null || {
		echo "check-tools: apt-get install failed" >&2; exit 1; }
	exit 0
fi
echo "check-tools: missing tools. Install them with:" >&2
echo "  sudo apt-get install$missing" >&2
exit 1
