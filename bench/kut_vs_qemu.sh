#!/bin/sh
# SPDX-License-Identifier: MIT
# kvm-unit-tests images under fpvm against qemu-system-x86_64 -accel kvm on
# the same KVM, end to end (process start to exit), interleaved in one run:
# the ratio is the figure, absolute times on a shared machine are noise.
#
#   bench/kut_vs_qemu.sh KUT_DIR [FPVM [ROUNDS]]
#
# KUT_DIR is a kvm-unit-tests tree built outside this repository
# (docs/multiboot.md); without it, or without QEMU or /dev/kvm, the
# benchmark says why and stops with 77 (meson's skip).  QEMU runs the way
# kvm-unit-tests' own scripts run it (x86/run): pc-testdev, isa-debug-exit
# at 0xf4, 128 MiB, -cpu qemu64 (PVM refuses -cpu host's MSRs).
KUT=${1:-/tmp/kut}
FPVM=${2:-build/fpvm}
ROUNDS=${3:-3}
# name, image, vCPUs, arguments
TESTS="setjmp:setjmp.flat:1: smptest:smptest.flat:2: tsc:tsc.flat:1: xsave:xsave.flat:1:
vmexit_cpuid:vmexit.flat:1:cpuid msr:msr.flat:1: s3:s3.flat:1: lam:lam.flat:1:"

skip() { echo "kut_vs_qemu: skipped: $1"; exit 77; }
[ -f "$KUT/x86/setjmp.flat" ] || skip "no built kvm-unit-tests at $KUT (README: Multiboot kernels)"
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "no qemu-system-x86_64"
[ -c "${FPVM_KVM:-/dev/kvm}" ] || skip "no ${FPVM_KVM:-/dev/kvm}"

now_ms() { date +%s%3N; }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-14s %10s %10s %8s  %s\n' test "QEMU ms" "fpvm ms" ratio "exit statuses (QEMU, fpvm)"
for t in $TESTS; do
	name=${t%%:*}; rest=${t#*:}; img=${rest%%:*}; rest=${rest#*:}; smp=${rest%%:*}; args=${rest#*:}
	[ -f "$KUT/x86/$img" ] || continue
	: >/tmp/kutq.$$; : >/tmp/kutf.$$
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		t0=$(now_ms)
		timeout 120 qemu-system-x86_64 -machine accel=kvm -cpu qemu64 -nodefaults -vnc none \
			-serial stdio -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
			-m 128 -smp "$smp" -kernel "$KUT/x86/$img" ${args:+-append "$args"} \
			>/dev/null 2>&1
		qs=$?
		echo $(( $(now_ms) - t0 )) >>/tmp/kutq.$$
		t0=$(now_ms)
		"$FPVM" run --exit-status=qemu --timeout 120 --mem 128M --cpus "$smp" "$KUT/x86/$img" \
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
