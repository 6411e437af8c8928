#!/bin/sh
# calf: check that what one kind of target needs is installed.
#
#   sh test/install-deps.sh NEED     NEED: qemu, test, gdb, bear, format or lint
#
#   qemu    compiler and binutils (riscv64, prefix $TOOLPREFIX), QEMU, OpenSBI
#           ($OPENSBI, a fw_dynamic.bin), dtc: enough to build and boot
#   test    qemu's, and python3, gdb-multiarch, clang-format, cppcheck (the
#           tests run gdb, format-check and lint)
#   gdb, bear, format, lint    gdb-multiarch, bear, clang-format, cppcheck
#
# Each need is a Debian package and the tool it provides. A need is met when
# dpkg lists the package, or else when the tool is on PATH (OpenSBI: when the
# file exists); then the script says which tool it uses. Silent, exit 0, when
# every package is installed. Otherwise, with dpkg and as root, it installs
# the missing packages; without root it prints the apt-get command, without
# dpkg what is missing; and exits 1. The Makefile passes TOOLPREFIX and
# OPENSBI as it found them.

prefix=${TOOLPREFIX:-riscv64-unknown-elf-}
case "$prefix" in
riscv64-linux-gnu-) gccpkg=gcc-riscv64-linux-gnu binpkg=binutils-riscv64-linux-gnu ;;
*) gccpkg=gcc-riscv64-unknown-elf binpkg=binutils-riscv64-unknown-elf ;;
esac
opensbi=${OPENSBI:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin}

# package:tool pairs, by need
boot="$gccpkg:${prefix}gcc $binpkg:${prefix}ld qemu-system-misc:qemu-system-riscv64 opensbi:$opensbi device-tree-compiler:dtc"
case "$1" in
qemu) want="$boot" ;;
test) want="$boot python3:python3 gdb-multiarch:gdb-multiarch clang-format:clang-format cppcheck:cppcheck" ;;
gdb) want="gdb-multiarch:gdb-multiarch" ;;
bear) want="bear:bear" ;;
format) want="clang-format:clang-format" ;;
lint) want="cppcheck:cppcheck" ;;
*)
	echo "usage: sh test/install-deps.sh qemu|test|gdb|bear|format|lint" >&2
	exit 2
	;;
esac

# Is tool ($1: a command, or an absolute file name) there?
found() {
	case "$1" in
	/*) [ -f "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

dpkg=no
command -v dpkg >/dev/null 2>&1 && dpkg=yes
missing=
using=
for pair in $want; do
	pkg=${pair%%:*}
	tool=${pair#*:}
	[ $dpkg = yes ] && dpkg -s "$pkg" >/dev/null 2>&1 && continue
	if found "$tool"; then
		case "$tool" in /*) ;; *) tool=$(command -v "$tool") ;; esac
		using="$using $tool"
	else
		missing="$missing $pkg"
		[ -n "$OPENSBI" ] || [ "$pkg" != opensbi ] || echo "calf: no OpenSBI fw_dynamic.bin found; install opensbi or give make OPENSBI=path" >&2
	fi
done

if [ -n "$using" ]; then
	if [ $dpkg = yes ]; then
		echo "calf: some packages are not installed; using what is on PATH:$using" >&2
	else
		echo "calf: no dpkg here; using what is on PATH:$using" >&2
	fi
fi
[ -z "$missing" ] && exit 0

if [ $dpkg = no ]; then
	echo "calf: missing (Debian package names):$missing; install their equivalents," >&2
	echo "calf: or give make TOOLPREFIX=... (compiler prefix) or OPENSBI=... (fw_dynamic.bin)" >&2
	exit 1
fi
echo "calf: missing packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "calf: not root; install them with:"
	echo "  sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
echo "calf: installing them: apt-get update && apt-get install -y$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # one word per package
apt-get update && apt-get install -y $missing
