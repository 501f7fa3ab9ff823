#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/linux_boot.sh on the faithful lane (tests/tcg/tcg_lane.py), where
# the only KVM of a machine without /dev/kvm is.  What it needs travels
# into the lane beside the script: Debian's cloud kernel
# (tests/linux/kernel.py), an initramfs with the test init, kvmtool's
# lkvm-static (LKVM, built outside this repository; skipped without it),
# and, by the lane's run --with-qemu, this host's qemu-system-x86_64 with
# its libraries and firmware (QEMU and QEMU_L inside).
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
with_qemu=
command -v qemu-system-x86_64 >/dev/null && with_qemu=--with-qemu
# shellcheck disable=SC2086
python3 "$SRC/tests/tcg/tcg_lane.py" --build "$BUILD" --cache "$CACHE" --timeout 1800 \
	run "$@" $with_qemu -- env "$lkvm_env" sh linux_boot.sh bzImage rootfs.cpio fpvm "$ROUNDS"
