#!/bin/sh
# Turn `nm -n` output (on stdin with "-", or none with /dev/null) into the
# kernel's symbol table for backtraces: ksyms[] sorted by address, each an
# address and a pointer to the name. See kernel/lib/ksyms.c.
src=$1
[ "$src" = "-" ] && src=/dev/stdin
awk '
BEGIN { n = 0 }
$2 ~ /^[tT]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count"
	print "ksyms_count:\t.quad " n
	print "\t.globl ksyms_table"
	print "ksyms_table:"
	for (i = 0; i < n; i++)
		printf "\t.quad 0x%s, .Lname%d\n", addr[i], i
	for (i = 0; i < n; i++)
		printf ".Lname%d:\t.asciz \"%s\"\n", i, name[i]
}' "$src"
