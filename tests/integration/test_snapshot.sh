#!/bin/sh
# SPDX-License-Identifier: MIT
# Snapshots end to end: the snap guest computes with every register full
# of known values, asks for a snapshot halfway, and prints digests of its
# final registers; each restore in a new process must print the same
# digests, hold exactly the snapshot's XSAVE images, and a damaged
# snapshot must be refused naming the part.  Also SIGUSR1 snapshots,
# snapshot show, restore --check, and what goes wrong in the wrong order.
. "$(dirname "$0")/lib.sh"

# What needs no KVM: a bad snapshot is a bad snapshot on any machine.
mkdir -p "$TMP/junk"
printf 'format = 1\nthis is not a manifest\n' >"$TMP/junk/manifest"
run restore --kvm /nonexistent "$TMP/junk"
check "no KVM needed: a snapshot with a malformed manifest is refused" 65 "err:snapshot: manifest" lines:1
run restore --check --kvm /nonexistent "$TMP/junk"
check "no KVM needed: restore --check refuses it too" 65 "err:snapshot: manifest" lines:1
run snapshot show "$TMP/junk"
check "no KVM needed: snapshot show refuses it" 65 "err:snapshot: manifest" lines:1
run restore --kvm /nonexistent "$TMP/none"
check "no KVM needed: a missing snapshot directory" 65 "err:none" lines:1
run restore
check "restore without a snapshot: usage error" 64 "err:restore: expected one snapshot directory"
run run --snapshot-dir
check "run --snapshot-dir without DIR: usage error" 64 "err:--snapshot-dir"

# The rest takes and restores snapshots: without a KVM it is one skip, with the reason.
if ! why=$(kvm_usable "${FPVM_KVM:-/dev/kvm}"); then
	skip "snapshots of running guests, restores, conversions, SIGUSR1" "$why"
	done_testing
	exit
fi

G=$GUEST_DIR/snap.elf
ROUNDS=200000

# digests FILE: the digest lines, sorted (vCPUs print in any order).
digests() {
	grep "digest" "$1" | sort
}

for cpus in 1 2; do
	S=$TMP/snap$cpus
	run run --cpus $cpus --snapshot-dir "$S" "$G" $ROUNDS
	check "snap guest, $cpus vCPU(s): runs and takes its snapshot" 0 "out:snap: snapshot taken"
	digests "$TMP/out" >"$TMP/want$cpus"
	[ "$(wc -l <"$TMP/want$cpus")" -eq $cpus ] && ok "$cpus digest line(s) from the run" ||
		not_ok "$cpus digest line(s) from the run" "$(cat "$TMP/want$cpus")"

	run restore --save-loaded-fpstate "$TMP/loaded$cpus" "$S"
	check "restore, $cpus vCPU(s): the guest learns it was restored" 0 "out:snap: restored" \
		"!out:snapshot taken"
	digests "$TMP/out" >"$TMP/got$cpus"
	if cmp -s "$TMP/want$cpus" "$TMP/got$cpus"; then
		ok "restore, $cpus vCPU(s): the same digests as the run that took the snapshot"
	else
		not_ok "restore, $cpus vCPU(s): the same digests" "$(cat "$TMP/want$cpus" "$TMP/got$cpus")"
	fi
	i=0
	while [ $i -lt $cpus ]; do
		run fpstate diff "$S/vcpu$i.xsave" "$TMP/loaded$cpus/vcpu$i.xsave"
		check "restore, vcpu $i: fpstate diff of the snapshot and what KVM holds is empty" 0 \
			"out:0 registers differ"
		i=$((i + 1))
	done
	# A second restore of the same snapshot: snapshots are not used up.
	run restore "$S"
	digests "$TMP/out" >"$TMP/got$cpus"
	cmp -s "$TMP/want$cpus" "$TMP/got$cpus" && ok "a second restore, $cpus vCPU(s), again the same" ||
		not_ok "a second restore, $cpus vCPU(s)" "$(cat "$TMP/got$cpus")"
done
S=$TMP/snap2

# The digests really depend on the registers: other rounds, other digests.
run run "$G" 1000
digests "$TMP/out" >"$TMP/other"
cmp -s "$TMP/other" "$TMP/want1" && not_ok "digests depend on the computation" "$(cat "$TMP/other")" ||
	ok "digests depend on the computation"

run snapshot show "$S"
check "snapshot show: machine, host, parts, vCPUs" 0 "out:vcpu 1:" "out:memory" "out:XCR0"
run snapshot show --json "$S"
check "snapshot show --json" 0 'out:"vcpus"'
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["vcpus"]) == 2' "$TMP/out" &&
		ok "snapshot show --json parses, with both vCPUs" ||
		not_ok "snapshot show --json parses" "$(cat "$TMP/out")"
else
	skip "snapshot show --json parses" "no python3 here (the TCG lane's busybox)"
fi
run restore --check "$S"
check "restore --check: fits this host" 0 "out:restores on this host"

# As if taken on a machine with another XSAVE layout (Skylake-SP: opmask at
# 1088, not AMD's 832; AMD: PKRU at 2432 with no MPX before it): the images
# are converted back here, and the guest cannot tell.  The first fixture whose
# layout differs from this host's for the guest's XCR0 is used.
converted=""
for fx in intel-skylake-sp amd-epyc-avx512-pvm-host; do
	rm -rf "$TMP/other" "$TMP/other-loaded"
	cp -r "$S" "$TMP/other"
	"$SNAP_RELAYOUT" "$TMP/other" "$FIXTURE_DIR/cpuid/$fx.txt" >"$TMP/out" 2>"$TMP/err"
	status=$?
	# A machine without one of the guest's features cannot have taken it.
	grep -q ", 0 on this host" "$TMP/err" && continue
	check "a snapshot rewritten into the XSAVE layout of $fx" 0
	run restore --save-loaded-fpstate "$TMP/other-loaded" "$TMP/other"
	if grep -q "XSAVE layout differs" "$TMP/err"; then
		converted=$fx
		break
	fi
	check "restore of the $fx-layout snapshot (the same layout as here)" 0 "out:snap: restored"
done
if [ -n "$converted" ]; then
	check "restore of the $converted-layout snapshot: converted, and said so" 0 "out:snap: restored"
	digests "$TMP/out" >"$TMP/got"
	cmp -s "$TMP/want2" "$TMP/got" && ok "converted from $converted's layout: the same digests" ||
		not_ok "converted from $converted's layout: the same digests" "$(cat "$TMP/got")"
	run fpstate diff "$TMP/other/vcpu1.xsave" "$TMP/other-loaded/vcpu1.xsave"
	check "the $converted-layout image and what KVM holds decode to the same registers" 0 \
		"out:0 registers differ"
else
	skip "restore converted from another layout" "no fixture has another layout with every feature of XCR0 $(sed -n 's/^guest_xcr0 = //p' "$S/manifest")"
fi

# A feature the guest was given that this host's KVM lacks: refused, named (110).
rm -rf "$TMP/feat"
cp -r "$S" "$TMP/feat"
"$SNAP_RELAYOUT" --cpuid-bit "$TMP/feat" 7 0 edx 22 >"$TMP/out" 2>"$TMP/err"
run restore --check "$TMP/feat"
check "restore --check of a snapshot whose guest had amx-bf16: refused, named" 110 \
	"err:amx-bf16" "err:does not fit this host"
run restore "$TMP/feat"
check "restore of it: refused before any vCPU runs" 110 "err:amx-bf16" "!out:snap:"

# Damage, each refused with the part named (status 65), nothing run.
damage() {
	what=$1 part=$2
	shift 2
	rm -rf "$TMP/d"
	cp -r "$S" "$TMP/d"
	"$@"
	run restore "$TMP/d"
	check "damaged snapshot ($what): refused, naming $part" 65 "err:$part" "!out:snap:" lines:1
	run restore --check "$TMP/d"
	check "damaged snapshot ($what): restore --check refuses it too" 65 "err:$part"
}
damage "a flipped bit in a vCPU's XSAVE image" vcpu1.xsave poke "$TMP/d/vcpu1.xsave" 600 '\125'
damage "a truncated vCPU state" vcpu0.state truncate -s 100 "$TMP/d/vcpu0.state"
damage "a missing CPUID part" vcpu1.cpuid rm "$TMP/d/vcpu1.cpuid"
damage "a flipped bit in memory" memory poke "$TMP/d/memory" 4096 '\001'
damage "a missing manifest" manifest rm "$TMP/d/manifest"
damage "an edited manifest" manifest sed -i 's/^cpus = 2/cpus = 1/' "$TMP/d/manifest"
run restore "$TMP/nonexistent"
check "a missing snapshot directory" 65 "err:nonexistent" lines:1

# SIGUSR1: a snapshot of a guest that knows nothing of snapshots (spinning vCPUs).
rm -rf "$TMP/usr1"
"$FPVM" run --cpus 2 --timeout 30 --snapshot-dir "$TMP/usr1" "$GUEST_DIR/spin.elf" \
	>"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while [ $i -lt 100 ] && [ "$(count spinning "$TMP/out")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
kill -USR1 $pid
i=0
while [ $i -lt 100 ] && [ ! -f "$TMP/usr1/manifest" ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
status=$?
check "SIGUSR1 writes a snapshot while the guest runs on (then SIGTERM)" 143
grep -q "^reason = SIGUSR1" "$TMP/usr1/manifest" 2>/dev/null &&
	ok "the snapshot says SIGUSR1 took it" || not_ok "the snapshot says SIGUSR1 took it" "$(cat "$TMP/err")"
run restore --check "$TMP/usr1"
check "the SIGUSR1 snapshot fits this host" 0 "out:restores on this host"
run restore --timeout 0.5 "$TMP/usr1"
check "the SIGUSR1 snapshot resumes: both vCPUs spin on until the timeout" 124 "err:timeout" \
	"!out:spinning"

# The PC platform of Multiboot kernels: irqchip, LAPIC timer and clock come back.
rm -rf "$TMP/mb"
run run --timeout 20 --snapshot-dir "$TMP/mb" "$GUEST_DIR/mb32-snap.elf"
if [ "$status" = 115 ] && quirk cpl0-x87-fails; then
	skip "Multiboot kernel with its LAPIC timer through a snapshot" \
		"this KVM cannot emulate the kernel's 32-bit IRET at CPL0 (status 115; fpvm probe: cpl0-*-fails)"
else
	check "Multiboot kernel with its LAPIC timer: takes a snapshot" 0 "out:mb32-snap: snapshot taken" \
		"out:the timer fires"
	run restore --timeout 20 "$TMP/mb"
	check "Multiboot kernel restored: the LAPIC timer fires again" 0 "out:mb32-snap: restored" \
		"out:the timer fires"
fi

# The wrong order, where this KVM shows what goes wrong (order_check.c).
"$ORDER_CHECK" "${FPVM_KVM:-/dev/kvm}" >"$TMP/order" 2>&1
while read -r verdict rest; do
	case $verdict in
	ok) ok "restore order: $rest" ;;
	skip) skip "restore order: ${rest%%:*}" "${rest#*: }" ;;
	*) not_ok "restore order: $rest" "$(cat "$TMP/order")" ;;
	esac
done <"$TMP/order"

# The guest asks without --snapshot-dir: its request fails, it says so.
run run "$G" 1000
check "a snapshot request without --snapshot-dir fails in the guest" 119 "err:snapshot request failed: -1"

done_testing
