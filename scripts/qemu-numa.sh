#!/bin/sh
# Print QEMU options for NODES nodes sharing CPUS cpus and MEM MiB evenly,
# with distance DIST between different nodes (10 to itself).
# Usage: qemu-numa.sh NODES CPUS MEM DIST
nodes=$1 cpus=$2 mem=$3 dist=$4
[ "$nodes" -ge 1 ] 2>/dev/null || { echo "qemu-numa.sh: NODES must be >= 1" >&2; exit 1; }
per=$((mem / nodes))
i=0
while [ $i -lt "$nodes" ]; do
	size=$per
	[ $i -eq $((nodes - 1)) ] && size=$((mem - per * (nodes - 1)))
	first=$((i * cpus / nodes))
	last=$(((i + 1) * cpus / nodes - 1))
	printf -- '-object memory-backend-ram,id=m%d,size=%dM ' $i $size
	if [ $last -ge $first ]; then
		printf -- '-numa node,nodeid=%d,cpus=%d-%d,memdev=m%d ' $i $first $last $i
	else
		printf -- '-numa node,nodeid=%d,memdev=m%d ' $i $i
	fi
	i=$((i + 1))
done
i=0
while [ $i -lt "$nodes" ]; do
	j=0
	while [ $j -lt "$nodes" ]; do
		[ $i -ne $j ] && printf -- '-numa dist,src=%d,dst=%d,val=%d ' $i $j $dist
		j=$((j + 1))
	done
	i=$((i + 1))
done
echo
