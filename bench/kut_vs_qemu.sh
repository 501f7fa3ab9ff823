#!/bin/sh
# SPDX-License-Identifier: MIT
# kvm-unit-tests images under fpvm against qemu-system-x86_64 -accel kvm on
# the same KVM, end to end (process start to exit), interleaved in one run:
# the ratio is the figure, absolute times on a shared machine are noise.
#
#   bench/kut_vs_qemu.sh KUT_DIR [FPVM [ROUNDS]]
#   bench/kut_vs_qemu.sh --lane KUT_DIR [BUILD [ROUNDS]]
#
# KUT_DIR is a kvm-unit-tests tree built outside this repository
# (docs/multiboot.md); without it, or without QEMU or /dev/kvm, the
# benchmark says why and stops with 77 (meson's skip).  QEMU runs the way
# kvm-unit-tests' own scripts run it (x86/run): pc-testdev, isa-debug-exit
# at 0xf4, 128 MiB, -cpu qemu64 (PVM refuses -cpu host's MSRs).
#
# --lane runs the same comparison on the faithful lane (tests/tcg), on its
# KVM: this script, the images, QEMU with the shared libraries ldd names
# and the firmware it loads (SeaBIOS, the Multiboot option ROM) travel into
# the lane's VM, where QEMU runs through the dynamic loader with them, and
# BUILD's fpvm as the lane carries it.
if [ "${1:-}" = "--lane" ]; then
	KUT=${2:-/tmp/kut}; BUILD=${3:-build}; ROUNDS=${4:-3}
	here=$(cd "$(dirname "$0")" && pwd)
	qemu=$(command -v qemu-system-x86_64) || { echo "kut_vs_qemu: skipped: no qemu-system-x86_64"; exit 77; }
	[ -f "$KUT/x86/setjmp.flat" ] || { echo "kut_vs_qemu: skipped: no built kvm-unit-tests at $KUT"; exit 77; }
	set -- --add "$here/kut_vs_qemu.sh" --add "$qemu"
	for lib in $(ldd "$qemu" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^[[:space:]]*\(/[^ ]*\) .*|\1|p'); do
		set -- "$@" --add "$lib"
	done
	# -L names the firmware directory: what -kernel of a Multiboot image on
	# the pc machine loads (qemu's datadir, where Debian links SeaBIOS in).
	for fw in bios-256k.bin multiboot_dma.bin linuxboot_dma.bin kvmvapic.bin; do
		for d in /usr/share/qemu /usr/share/seabios; do
			[ -e "$d/$fw" ] && { set -- "$@" --add "$d/$fw"; break; }
		done
	done
	for img in "$KUT"/x86/*.flat; do set -- "$@" --add "$img"; done
	exec env python3 "$here/../tests/tcg/tcg_lane.py" --build "$BUILD" --quiet run "$@" -- \
		env QEMU="/add/ld-linux-x86-64.so.2 --library-path /add /add/qemu-system-x86_64 -L /add" \
		sh /add/kut_vs_qemu.sh /add /fpvm/fpvm "$ROUNDS"
fi
KUT=${1:-/tmp/kut}
# The images are in KUT_DIR/x86, or KUT_DIR itself (the lane's /add).
IMAGES=$KUT/x86
[ -d "$IMAGES" ] || IMAGES=$KUT
QEMU=${QEMU:-qemu-system-x86_64}
FPVM=${2:-build/fpvm}
ROUNDS=${3:-3}
# name, image, vCPUs, arguments
TESTS="setjmp:setjmp.flat:1: smptest:smptest.flat:2: tsc:tsc.flat:1: xsave:xsave.flat:1:
vmexit_cpuid:vmexit.flat:1:cpuid msr:msr.flat:1: s3:s3.flat:1: lam:lam.flat:1:"

skip() { echo "kut_vs_qemu: skipped: $1"; exit 77; }
[ -f "$IMAGES/setjmp.flat" ] || skip "no built kvm-unit-tests at $KUT (README: Multiboot kernels)"
command -v "${QEMU%% *}" >/dev/null 2>&1 || skip "no ${QEMU%% *}"
[ -c "${FPVM_KVM:-/dev/kvm}" ] || skip "no ${FPVM_KVM:-/dev/kvm}"

# busybox's date (the lane's) has no %N: /proc/uptime's centiseconds there.
if [ "$(date +%N)" = "%N" ]; then
	now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
else
	now_ms() { date +%s%3N; }
fi

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-14s %10s %10s %8s  %s\n' test "QEMU ms" "fpvm ms" ratio "exit statuses (QEMU, fpvm)"
for t in $TESTS; do
	name=${t%%:*}; rest=${t#*:}; img=${rest%%:*}; rest=${rest#*:}; smp=${rest%%:*}; args=${rest#*:}
	[ -f "$IMAGES/$img" ] || continue
	: >/tmp/kutq.$$; : >/tmp/kutf.$$
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		t0=$(now_ms)
		# shellcheck disable=SC2086
		timeout 120 $QEMU -machine accel=kvm -cpu qemu64 -nodefaults -vnc none \
			-serial stdio -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
			-m 128 -smp "$smp" -kernel "$IMAGES/$img" ${args:+-append "$args"} \
			>/dev/null 2>&1
		qs=$?
		echo $(( $(now_ms) - t0 )) >>/tmp/kutq.$$
		t0=$(now_ms)
		"$FPVM" run --exit-status=qemu --timeout 120 --mem 128M --cpus "$smp" "$IMAGES/$img" \
			${args:+-- $args} >/dev/null 2>&1
		fs=$?
		echo $(( $(now_ms) - t0 )) >>/tmp/kutf.$$
		i=$((i + 1))
	done
	q=$(median </tmp/kutq.$$); f=$(median </tmp/kutf.$$)
	printf '%-14s %10s %10s %7sx  %s, %s\n' "$name" "$q" "$f" \
		"$(awk -v q="$q" -v f="$f" 'BEGIN { printf "%.1f", (f > 0) ? q / f : 0 }')" "$qs" "$fs"
done
rm -f /tmp/kutq.$$ /tmp/kutf.$$
