#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/linux_boot.sh on the faithful lane (tests/tcg/tcg_lane.py), where
# the only KVM of a machine without /dev/kvm is.  Everything it needs
# travels into the lane beside the script: Debian's cloud kernel
# (tests/linux/kernel.py), an initramfs with the test init, kvmtool's
# lkvm-static (LKVM, built outside this repository; skipped without it),
# and this host's qemu-system-x86_64 with its shared libraries, its dynamic
# loader and the firmware -kernel needs (SeaBIOS, linuxboot_dma.bin,
# kvmvapic.bin), run there as `ld.so --library-path /add qemu -L /add`.
#
#   bench/linux_boot_lane.sh [BUILD [ROUNDS [CACHE]]]
BUILD=${1:-build}
ROUNDS=${2:-5}
CACHE=${3:-$BUILD/tcg-cache}
SRC=$(cd "$(dirname "$0")/.." && pwd)
LKVM=${LKVM:-/tmp/kvmtool/lkvm-static}

skip() { echo "linux_boot_lane: skipped: $1"; exit 77; }
K=$(python3 "$SRC/tests/linux/kernel.py" --cache "$CACHE") || skip "no kernel"
[ -x "$BUILD/tests/linux/linux-init" ] || skip "$BUILD/tests/linux/linux-init is not built"
TMP=$(mktemp -d) || exit 70
trap 'rm -rf "$TMP"' EXIT
python3 "$SRC/tests/linux/mkinitramfs.py" "$BUILD/tests/linux/linux-init" "$TMP/rootfs.cpio" || exit 70
cp "$K" "$TMP/bzImage"

set -- --add "$SRC/bench/linux_boot.sh" --add "$TMP/bzImage" --add "$TMP/rootfs.cpio"
lkvm_env=LKVM=/none
if [ -x "$LKVM" ]; then
	set -- "$@" --add "$LKVM"
	lkvm_env="LKVM=/add/$(basename "$LKVM")"
fi
qemu_env=QEMU=false
q=$(command -v qemu-system-x86_64)
if [ -n "$q" ]; then
	for f in "$q" $(ldd "$q" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }') \
		/usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
		/usr/share/qemu/kvmvapic.bin; do
		# --add keeps the name it is given: libraries by their soname.
		[ -e "$f" ] && cp -L "$f" "$TMP/" && set -- "$@" --add "$TMP/$(basename "$f")"
	done
	qemu_env="QEMU=/add/ld-linux-x86-64.so.2 --library-path /add /add/qemu-system-x86_64 -L /add"
fi
exec python3 "$SRC/tests/tcg/tcg_lane.py" --build "$BUILD" --cache "$CACHE" --timeout 1800 \
	run "$@" -- env "$lkvm_env" "$qemu_env" sh linux_boot.sh bzImage rootfs.cpio fpvm "$ROUNDS"
