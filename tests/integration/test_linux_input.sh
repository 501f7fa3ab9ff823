#!/bin/sh
# SPDX-License-Identifier: MIT
# The `linux-input` suite: Linux images, initrds and command lines fpvm
# must refuse, each with one line and its status before /dev/kvm is
# opened, so it needs no KVM (every run points at a device that is not
# there).  Synthetic images from the fuzz corpus (LINUX_CORPUS:
# tests/fuzz/corpus/linux, and PVH kernels beside it in ../elf), and
# Debian's cloud kernel and its PVH vmlinux where LINUX_FETCH can fetch
# them.
. "$(dirname "$0")/lib.sh"

: "${LINUX_CORPUS:?LINUX_CORPUS must name tests/fuzz/corpus/linux}"
C=$LINUX_CORPUS
NOKVM=$TMP/no-kvm
printf 'initrd' >"$TMP/initrd"

# refuse DESC STATUS MESSAGE FPVM-RUN-ARGS...: refused with one line, never reaching KVM.
refuse() {
	desc=$1
	want=$2
	msg=$3
	shift 3
	run run --kvm "$NOKVM" "$@"
	check "$desc" "$want" "err:$msg" "!err:$NOKVM" lines:1
}

refuse "a boot sector without \"HdrS\" is no bzImage" 65 "not an ELF file" "$C/bad-magic"
refuse "a header cut short" 65 "bad-truncated-header: truncated Linux image: 576 bytes" \
	"$C/bad-truncated-header"
refuse "a kernel cut short" 65 "bad-truncated-kernel: truncated Linux image: 4608 bytes" \
	"$C/bad-truncated-kernel"
refuse "boot protocol 2.11" 65 "Linux boot protocol 2.11 is older than 2.12" \
	"$C/bad-protocol-2.11"
refuse "no 64-bit entry point" 65 "Linux image has no 64-bit entry point" \
	"$C/bad-no-64bit-entry"
refuse "a zImage" 65 "Linux zImage (loaded below 1 MiB), not a bzImage" "$C/bad-zimage"
refuse "kernel_alignment not a power of two" 65 "is not a power of two" "$C/bad-alignment"
refuse "not relocatable, below 1 MiB" 65 "is not relocatable and loads at 0x80000" \
	"$C/bad-not-relocatable-low"
# console=ttyS0 panic=-1 (fpvm's defaults) and 150 bytes: 173 over the header's 100.
refuse "a command line longer than cmdline_size" 65 \
	"bad-cmdline-size: Linux command line of 173 bytes is longer than the kernel's limit of 100" \
	"$C/bad-cmdline-size" -- "$(printf '%0150d' 0)"
# The kernel ends at 20 MiB, initrd_addr_max is 24 MiB: 5 MB do not fit, 256M of RAM would.
head -c 5000000 /dev/zero >"$TMP/initrd-5m"
refuse "an initrd that does not fit below initrd_addr_max" 65 \
	"bad-initrd-addr-max: initrd of 5000000 bytes does not fit between the kernel's end" \
	--mem 256M --initrd "$TMP/initrd-5m" "$C/bad-initrd-addr-max"
refuse "two initrds" 65 "good: a Linux kernel takes one initrd, not 2" \
	--initrd "$TMP/initrd" --initrd "$TMP/initrd" "$C/good"
refuse "RAM too small for the kernel's init_size" 64 "--mem 64M is too small for this Linux kernel" --mem 64M \
	"$C/big-init-size"
run run --kvm "$NOKVM" --initrd "$TMP/initrd" "$C/good" -- console=hvc0 quiet
check "a good image with its initrd reaches the KVM error" 69 "err:$NOKVM: no such device" lines:1

# PVH kernels: an ELF vmlinux with Xen's PHYS32_ENTRY note.
P=$C/../elf
refuse "a PVH entry note of 6 bytes" 65 "pvh-bad-desc-size: PVH entry note of 6 bytes, not 4 or 8" \
	"$P/pvh-bad-desc-size"
refuse "a PVH entry above 4 GiB" 65 "PVH entry 0x100000000 is above 4 GiB" \
	"$P/pvh-bad-entry-above-4g"
refuse "a PVH entry outside the kernel" 65 "PVH entry 0x2000000 is not inside a loaded segment" \
	"$P/pvh-bad-entry-outside"
refuse "a PVH kernel over fpvm's first MiB" 65 "overlaps fpvm's boot area" \
	"$P/pvh-bad-boot-area"
refuse "a PVH kernel with two initrds" 65 "pvh-good: a PVH kernel takes one initrd, not 2" \
	--initrd "$TMP/initrd" --initrd "$TMP/initrd" "$P/pvh-good"
refuse "a PVH command line of 2048 bytes" 65 \
	"command line of 2048 bytes is longer than the kernel's limit of 2047" \
	"$P/pvh-good" -- "$(printf '%02025d' 0)"
refuse "RAM below a PVH kernel's end" 64 \
	"--mem 64M is too small for this PVH kernel (it needs at least 81M)" --mem 64M "$P/pvh-big"
# Without --mem a Linux kernel gets 256M (docs/linux.md), where this one fits.
run run --kvm "$NOKVM" --initrd "$TMP/initrd" "$P/pvh-big" -- quiet
check "a PVH kernel of 80M with no --mem reaches the KVM error" 69 \
	"err:$NOKVM: no such device" lines:1

# fetched OPTION: the path LINUX_FETCH OPTION prints ("": the bzImage,
# --vmlinux: the vmlinux in it), or "" with its reason in $TMP/fetch.
fetched() {
	[ -n "${LINUX_FETCH:-}" ] && sh -c "$LINUX_FETCH $1" 2>"$TMP/fetch"
}

# The same refusals on a kernel no one here built.
K=$(fetched "") || K=""
if [ -f "$K" ]; then
	head -c 100000 "$K" >"$TMP/cut"
	refuse "Debian's kernel cut short" 65 "cut: truncated Linux image: 100000 bytes" "$TMP/cut"
	refuse "a command line over Debian's 2047 bytes" 65 \
		"limit of 2047 (cmdline_size)" --mem 256M "$K" -- "$(printf '%03000d' 0)"
	refuse "64M, fpvm's default for other guests, is too small for Debian's kernel" 64 \
		"--mem 64M is too small for this Linux kernel (it needs at least" --mem 64M "$K"
	run run --kvm "$NOKVM" --initrd "$TMP/initrd" "$K" -- quiet
	check "Debian's kernel with an initrd and no --mem (256M) reaches the KVM error" 69 \
		"err:$NOKVM: no such device" lines:1
else
	skip "Debian's cloud kernel" "no kernel: $(tail -n 1 "$TMP/fetch" 2>/dev/null)"
fi
V=$(fetched --vmlinux) || V=""
if [ -f "$V" ]; then
	refuse "Debian's vmlinux in 62M, short of its end" 64 \
		"--mem 62M is too small for this PVH kernel (it needs at least 63M)" --mem 62M "$V"
	run run --kvm "$NOKVM" --initrd "$TMP/initrd" "$V" -- quiet
	check "Debian's vmlinux with an initrd and no --mem reaches the KVM error" 69 \
		"err:$NOKVM: no such device" lines:1
else
	skip "Debian's vmlinux" "no vmlinux: $(tail -n 1 "$TMP/fetch" 2>/dev/null)"
fi

done_testing
