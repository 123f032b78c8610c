#!/bin/sh
# Run user-space tests on a real Linux, in QEMU, on a small NUMA machine with
# swap: the swap and reclaim tests (user/tests/swap*.c, kswapd.c, oomswap.c)
# assert Linux's behaviour, and the host that builds Numbat usually has
# neither swap nor two nodes. Nothing on the host changes.
#
#   scripts/linux-vm.sh [-m MIB] [-n NODES] [-c CPUS] [-s SWAP_MIB] [-z ZRAM_MIB] 'CMD' ...
#
# Boots the host's kernel (/boot/vmlinuz-*, modules from /lib/modules) with
# an initramfs made of Debian's static busybox, build/rootfs/tests and
# Numbat's NUMA tools from build/rootfs/bin (numastat, numawatch: busybox
# has neither); memory split evenly over NODES nodes, CPUs in turn;
# a sparse virtio disk of SWAP_MIB made swap (/dev/vda; 0: none), or with
# -z a RAM disk swap (zram) instead. Each CMD runs in /tmp (a tmpfs, emptied
# after each) with the shell, then the machine powers off. The root is a
# ramfs, never swapped: swap in use then belongs to processes or to /tmp.
# TCG; LINUX_VM_KVM=1 tries KVM (nested KVM may hang at boot).
# Example: scripts/linux-vm.sh -m 128 -n 2 -c 2 -s 512 '/tests/swapstress -m 32M'
set -e
mem=128 nodes=2 cpus=2 swap=512 zram=0
while getopts m:n:c:s:z: o; do
	case $o in
	m) mem=$OPTARG ;; n) nodes=$OPTARG ;; c) cpus=$OPTARG ;;
	s) swap=$OPTARG ;; z) zram=$OPTARG; swap=0 ;; *) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
root=$(cd "$(dirname "$0")/.." && pwd)
kver=$(ls /lib/modules | sort -V | tail -1)
kernel=/boot/vmlinuz-$kver
busybox=$(command -v busybox)
[ -r "$kernel" ] && [ -n "$busybox" ] || { echo "linux-vm: need $kernel and busybox" >&2; exit 1; }
work=$(mktemp -d /tmp/linux-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
ird=$work/initrd
mkdir -p "$ird/bin" "$ird/tests" "$ird/mod" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/tmp"
cp "$busybox" "$ird/bin/busybox"
for a in $("$busybox" --list); do [ -e "$ird/bin/$a" ] || ln -s busybox "$ird/bin/$a"; done
cp "$root"/build/rootfs/tests/* "$ird/tests/"
for t in numastat numawatch; do
	if [ -x "$root/build/rootfs/bin/$t" ]; then cp "$root/build/rootfs/bin/$t" "$ird/bin/"; fi
done
for m in virtio/virtio virtio/virtio_ring virtio/virtio_pci_legacy_dev \
	 virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk block/zram/zram; do
	cp "/lib/modules/$kver/kernel/drivers/$m.ko" "$ird/mod/"
done
{
	echo '#!/bin/sh'
	echo 'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev'
	echo 'mount -t tmpfs -o size=64m tmp /tmp'
	echo 'for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do insmod /mod/$m.ko; done'
	if [ "$swap" -gt 0 ]; then
		echo 'mkswap /dev/vda >/dev/null && swapon /dev/vda'
	elif [ "$zram" -gt 0 ]; then
		echo "insmod /mod/zram.ko && echo ${zram}M > /sys/block/zram0/disksize"
		echo 'mkswap /dev/zram0 >/dev/null && swapon /dev/zram0'
	fi
	echo 'cd /tmp; uname -sr; cat /proc/swaps'
	for c in "$@"; do
		echo "echo '### $c'"
		echo "t0=\$(cut -d' ' -f1 /proc/uptime); $c; echo \"### exit status \$? after \$(cut -d' ' -f1 /proc/uptime) - \$t0 s\"; rm -rf /tmp/*"
	done
	echo 'poweroff -f'
} > "$ird/init"
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"
numa="" per=$((mem / nodes))
for n in $(seq 0 $((nodes - 1))); do
	cl=""
	for c in $(seq "$n" "$nodes" $((cpus - 1))); do cl="$cl,cpus=$c"; done
	numa="$numa -object memory-backend-ram,id=m$n,size=${per}M -numa node,nodeid=$n,memdev=m$n$cl"
done
disk=""
if [ "$swap" -gt 0 ]; then
	truncate -s "${swap}M" "$work/swap.img"
	disk="-drive file=$work/swap.img,format=raw,if=virtio"
fi
accel=tcg cpu=max
[ -n "$LINUX_VM_KVM" ] && accel=kvm cpu=host,-arch-capabilities   # nested KVM may hang
# shellcheck disable=SC2086
qemu-system-x86_64 -machine q35,accel=$accel -cpu $cpu -m "$mem" -smp "$cpus" $numa $disk \
	-kernel "$kernel" -initrd "$work/initrd.gz" -nographic -no-reboot \
	-append "console=ttyS0 quiet rdinit=/init rootfstype=ramfs transparent_hugepage=never panic=-1"
