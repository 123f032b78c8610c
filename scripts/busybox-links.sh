#!/bin/sh
# busybox-links.sh ROOTFS KEEP...: give the root image busybox's applets.
#
# For every applet ROOTFS/bin/busybox lists (`busybox --list-full`: the
# folder each belongs in, bin/ls, sbin/swapon, usr/bin/awk, ...) it makes a
# relative symbolic link to ROOTFS/bin/busybox, e.g. usr/bin/awk ->
# ../../bin/busybox; busybox reads the applet's name from argv[0]. The
# links are made on the host when the image is built (mke2fs -d copies
# them into ext2 as fast symlinks), never at boot.
#
# KEEP names Numbat's own programs (user/*.c): an applet of that name gets
# no link in any folder, so that PATH finds Numbat's program only.
set -e
root=$1; shift
bb=$root/bin/busybox
[ -x "$bb" ] || { echo "busybox-links: no $bb" >&2; exit 1; }
"$bb" --list-full | while read -r path; do
	name=${path##*/}
	case " $* " in *" $name "*) continue ;; esac
	[ "$path" = bin/busybox ] && continue
	dir=${path%/*}
	case $dir in
	bin|sbin) up=.. ;;
	*) up=../.. ;;
	esac
	# (/linuxrc, in the root folder, is for initrds: not here)
	[ "$dir" = "$path" ] && continue
	mkdir -p "$root/$dir"
	target=$up/bin/busybox
	[ "$dir" = bin ] && target=busybox
	ln -sfn "$target" "$root/$path"
done
