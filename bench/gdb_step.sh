#!/bin/sh
# SPDX-License-Identifier: MIT
# The gdb stub's step cost: gdb in batch mode connects to
# `fpvm run --gdb ... --gdb-wait` on the spin guest and runs STEPS stepi
# (gdb's own `while` loop), against the same session with no steps; the
# difference over STEPS is one single-step round trip (gdb's vCont;s, the
# KVM_EXIT_DEBUG, every vCPU parked, the stop reply, gdb's register and
# memory reads for the new pc).
#
#   bench/gdb_step.sh [FPVM [GUEST_DIR [STEPS]]]
#
# Times come from /proc/uptime (10 ms), which busybox inside the faithful
# lane has too: tests/tcg/tcg_lane.py run --add bench/gdb_step.sh -- sh gdb_step.sh
# Then the same against QEMU's stub (-S, on 127.0.0.1) on the same KVM, when
# QEMU is there (QEMU, QEMU_L: as tcg_lane.py run --with-qemu sets them);
# it steps SeaBIOS from the reset vector, fpvm the spin guest.
FPVM=${1:-build/fpvm}
GUEST_DIR=${2:-build/guest}
STEPS=${3:-10000}
GDB=${GDB:-gdb}

skip() { echo "gdb_step: skipped: $1"; exit 77; }
command -v "$GDB" >/dev/null 2>&1 || skip "no gdb"
[ -c "${FPVM_KVM:-/dev/kvm}" ] || skip "no ${FPVM_KVM:-/dev/kvm}"
[ -f "$GUEST_DIR/spin.elf" ] || skip "no $GUEST_DIR/spin.elf"
ip link show lo 2>/dev/null | grep -q ',UP' || ip link set lo up 2>/dev/null

now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gdb-step.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# gdb_steps STEPS PORT WHAT STUB-LOG [FILE]: gdb in batch mode steps the stub
# at PORT STEPS times; prints its time in centiseconds (now_cs), and the
# tails of gdb's output and STUB-LOG where the count did not come back.
gdb_steps() {
	cat >"$TMP/steps.gdb" <<GDB
set pagination off
set confirm off
target remote 127.0.0.1:$2
set \$i = 0
while \$i < $1
stepi
set \$i = \$i + 1
end
p \$i
kill
GDB
	t0=$(now_cs)
	"$GDB" -nx -batch -x "$TMP/steps.gdb" ${5:+"$5"} >"$TMP/gdb.out" 2>&1
	t1=$(now_cs)
	grep -q "= $1\$" "$TMP/gdb.out" || { echo "gdb_step: $3 of $1 steps failed:" >&2;
		tail -5 "$TMP/gdb.out" "$4" >&2; }
	echo $((t1 - t0))
}

# session STEPS: centiseconds of one gdb session of STEPS stepi.
session() {
	port=$((30000 + ($$ + $1) % 20000))
	"$FPVM" run --gdb "tcp:127.0.0.1:$port" --gdb-wait --timeout 3600 "$GUEST_DIR/spin.elf" \
		>/dev/null 2>"$TMP/fpvm.err" &
	fpvm_pid=$!
	i=0
	while ! grep -q 'gdb stub on' "$TMP/fpvm.err" && [ $i -lt 300 ]; do
		sleep 1
		i=$((i + 1))
	done
	elapsed=$(gdb_steps "$1" "$port" "session" "$TMP/fpvm.err" "$GUEST_DIR/spin.elf")
	wait "$fpvm_pid" 2>/dev/null
	echo "$elapsed"
}

# qemu_session STEPS: the same against QEMU's stub (-s -S) on the same KVM,
# stepping SeaBIOS from the reset vector (QEMU's -S stops there).
qemu_session() {
	port=$((30000 + ($$ + $1 + 7) % 20000))
	"$QEMU" ${QEMU_L:+-L "$QEMU_L"} -accel kvm -nodefaults -display none -m 64 \
		-gdb "tcp:127.0.0.1:$port" -S >/dev/null 2>"$TMP/qemu.err" &
	qemu_pid=$!
	sleep 3
	elapsed=$(gdb_steps "$1" "$port" "QEMU session" "$TMP/qemu.err")
	kill "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	echo "$elapsed"
}

per_step() { awk -v a="$1" -v b="$2" -v n="$STEPS" 'BEGIN { printf "%.1f", (a - b) * 10000 / n }'; }

base=$(session 0)
many=$(session "$STEPS")
echo "fpvm: gdb session without steps $((base * 10)) ms, with $STEPS stepi $((many * 10)) ms;" \
	"per step $(per_step "$many" "$base") us"
QEMU=${QEMU:-qemu-system-x86_64}
if command -v "$QEMU" >/dev/null 2>&1; then
	qbase=$(qemu_session 0)
	qmany=$(qemu_session "$STEPS")
	echo "QEMU: gdb session without steps $((qbase * 10)) ms, with $STEPS stepi $((qmany * 10))" \
		"ms; per step $(per_step "$qmany" "$qbase") us"
	echo "per step, QEMU/fpvm: $(awk -v q="$((qmany - qbase))" -v f="$((many - base))" \
		'BEGIN { printf "%.2f", (f > 0) ? q / f : 0 }')"
else
	echo "QEMU: not measured (no $QEMU)"
fi
