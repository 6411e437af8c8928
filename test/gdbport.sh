#!/bin/sh
# test/gdbport.sh FIRST: print the first TCP port from FIRST on (FIRST to
# FIRST+99) that nothing on this machine listens on, for make qemu-gdb's gdb
# stub (Makefile GDBPORT); another user's QEMU, or our own, may hold FIRST.
# Listening sockets are read from /proc/net/tcp and tcp6 (Linux); where they
# are absent FIRST is printed as it is. Exits 1, saying why, if all 100
# ports are taken.
first=${1:?usage: sh test/gdbport.sh FIRST}
busy=$(awk '$4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
port=$first
while [ "$port" -lt $((first + 100)) ]; do
	if ! printf '%s\n' "$busy" | grep -qx "$(printf '%04X' "$port")"; then
		echo "$port"
		exit 0
	fi
	port=$((port + 1))
done
echo "calf: no free gdb port in $first-$((first + 99)): give one, make qemu-gdb GDBPORT=N" >&2
exit 1
