#!/bin/sh
# calf: check for the Debian packages the build and the tests need. Silent, exit 0,
# when all are present; otherwise install the missing ones if run as root, or print
# the command that would and exit 1.

PKGS="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf qemu-system-misc opensbi device-tree-compiler gdb-multiarch python3 clang-format cppcheck bear"

set --
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || set -- "$@" "$p"
done
[ $# -eq 0 ] && exit 0

echo "calf: missing packages: $*"
if [ "$(id -u)" -ne 0 ]; then
	echo "calf: not root; install them with:"
	echo "  sudo apt-get update && sudo apt-get install -y $*"
	exit 1
fi
echo "calf: installing them: apt-get update && apt-get install -y $*"
export DEBIAN_FRONTEND=noninteractive
apt-get update && apt-get install -y "$@"
