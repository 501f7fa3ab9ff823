#!/bin/sh
# SPDX-License-Identifier: MIT
# Snapshots end to end: the snap guest computes with every register full
# of known values, asks for a snapshot halfway, and prints digests of its
# final registers; each restore in a new process must print the same
# digests, hold exactly the snapshot's XSAVE images, and a damaged
# snapshot must be refused naming the part.  Also SIGUSR1 snapshots,
# snapshot show, restore --check, and what goes wrong in the wrong order;
# inconsistent snapshots refused before /dev/kvm is opened; links planted
# in the directory never followed; and a snapshot killed at many moments,
# or out of room on a full disk, leaving the earlier one, never neither.
. "$(dirname "$0")/lib.sh"

# generation DIR: the generation DIR/manifest names; part DIR NAME: where that part is.
generation() {
	sed -n 's/^generation = //p' "$1/manifest" 2>/dev/null
}
part() {
	echo "$1/gen-$(generation "$1")/$2"
}

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

# every_reader DIR DESC TEXT: restore, restore --check and snapshot show
# each refuse DIR at once, before KVM (65, TEXT), never waiting on a FIFO.
every_reader() {
	for cmd in "restore --kvm /nonexistent" "restore --check --kvm /nonexistent" \
		"snapshot show"; do
		# shellcheck disable=SC2086
		timeout 20 "$FPVM" $cmd "$1" >"$TMP/out" 2>"$TMP/err"
		status=$?
		check "$cmd of $2: refused at once" 65 "err:$3" lines:1
	done
}

# A FIFO where the manifest should be: refused at once, never waited on.
mkdir -p "$TMP/fifo"
mkfifo "$TMP/fifo/manifest"
every_reader "$TMP/fifo" "a FIFO manifest (no KVM needed)" "snapshot: manifest: is a FIFO"
# What an interrupted first snapshot leaves: a generation no manifest names.
mkdir -p "$TMP/partial/gen-1"
printf 'x' >"$TMP/partial/gen-1/memory"
printf 'x' >"$TMP/partial/manifest.tmp"
run restore --check --kvm /nonexistent "$TMP/partial"
check "no KVM needed: a partial snapshot directory is refused" 65 "err:snapshot: manifest: missing" \
	lines:1

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
		run fpstate diff "$(part "$S" "vcpu$i.xsave")" "$TMP/loaded$cpus/vcpu$i.xsave"
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
	run fpstate diff "$(part "$TMP/other" vcpu1.xsave)" "$TMP/other-loaded/vcpu1.xsave"
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

# Damage, each refused with the part named (status 65), nothing run, and
# before /dev/kvm is opened: a missing KVM is never what is reported.
# damage WHAT PART COMMAND: COMMAND is run on a copy, $D its parts' directory.
damage() {
	what=$1 part=$2
	rm -rf "$TMP/d"
	cp -r "$S" "$TMP/d"
	D=$TMP/d/gen-$(generation "$TMP/d")
	eval "$3"
	run restore --kvm /nonexistent "$TMP/d"
	check "damaged snapshot ($what): refused before KVM, naming $part" 65 "err:$part" \
		"!out:snap:" lines:1
	run restore --check --kvm /nonexistent "$TMP/d"
	check "damaged snapshot ($what): restore --check refuses it too" 65 "err:$part"
}
# shellcheck disable=SC2016
{
damage "a flipped bit in a vCPU's XSAVE image" vcpu1.xsave 'poke "$D/vcpu1.xsave" 600 "\125"'
damage "a truncated vCPU state" vcpu0.state 'truncate -s 100 "$D/vcpu0.state"'
damage "a missing CPUID part" vcpu1.cpuid 'rm "$D/vcpu1.cpuid"'
damage "a flipped bit in memory" memory 'poke "$D/memory" 4096 "\001"'
damage "a missing manifest" manifest 'rm "$TMP/d/manifest"'
damage "an edited manifest" manifest 'sed -i "s/^cpus = 2/cpus = 1/" "$TMP/d/manifest"'
damage "a missing generation" gen- 'rm -r "$D"'
damage "a generation that is a link" gen- 'mv "$D" "$TMP/d/moved" && ln -s moved "$D"'
}

# A FIFO as the machine part: refused at once, by every command.
rm -rf "$TMP/d"
cp -r "$S" "$TMP/d"
rm "$(part "$TMP/d" machine)"
mkfifo "$(part "$TMP/d" machine)"
every_reader "$TMP/d" "a snapshot whose machine part is a FIFO" \
	"snapshot: part machine: is a FIFO"

# A part fpvm does not use is part of the snapshot all the same.
rm -rf "$TMP/x"
cp -r "$S" "$TMP/x"
"$SNAP_RELAYOUT" --edit "$TMP/x" extra >"$TMP/out" 2>"$TMP/err"
run snapshot show "$TMP/x"
check "snapshot show of a snapshot with one more part" 0 "out:notes"
poke "$(part "$TMP/x" notes)" 2 'X'
run snapshot show "$TMP/x"
check "snapshot show: a bad checksum in a part fpvm does not use is a damaged snapshot" 65 \
	"err:snapshot: part notes: checksum mismatch" lines:1
rm "$(part "$TMP/x" notes)"
run snapshot show "$TMP/x"
check "snapshot show: so is that part missing" 65 "err:snapshot: part notes: missing" lines:1
run restore --check --kvm /nonexistent "$TMP/x"
check "restore --check: so is that part missing" 65 "err:snapshot: part notes: missing" lines:1

# Inconsistent in itself, checksums right: what KVM would refuse is found
# before /dev/kvm is opened, as a damaged snapshot (65), by --check too.
inconsistent() {
	what=$1 part=$2 why=$3
	rm -rf "$TMP/i"
	cp -r "$S" "$TMP/i"
	"$SNAP_RELAYOUT" --edit "$TMP/i" "$what" >"$TMP/out" 2>"$TMP/err" ||
		not_ok "snap_relayout --edit $what" "$(cat "$TMP/err")"
	run restore --check --kvm /nonexistent "$TMP/i"
	check "restore --check of a snapshot with $what KVM refuses: 65 before KVM, naming $part" \
		65 "err:snapshot: part $part: $why" "!out:restores" lines:1
	run restore "$TMP/i"
	check "restore of it: 65, nothing run" 65 "err:snapshot: part $part: $why" "!out:snap:" \
		lines:1
}
inconsistent cr4 vcpu0.state "CR4 0xffffffffffffffff: "
inconsistent mp-state vcpu0.state "MP state 99: not an x86 vCPU state"
inconsistent xcr0 vcpu0.state "XCR0"
inconsistent cpuid-empty vcpu0.cpuid "0 entries, without leaf 0 or 1"
inconsistent mxcsr vcpu0.xsave "MXCSR 0x8"
inconsistent xcomp-bv vcpu0.xsave "XCOMP_BV is 0x8"
inconsistent uart machine "impossible UART state"
run restore "$TMP/nonexistent"
check "a missing snapshot directory" 65 "err:nonexistent" lines:1

# A snapshot whose guest has AMX state, on a host without AMX: it does not
# fit here (110), and no option of the user's is to blame.
xcr0=$(probe_value "KVM-supported XCR0")
if [ -n "$xcr0" ] && [ $((xcr0 & 0x40000)) -ne 0 ]; then
	skip "an AMX snapshot on a host without AMX" "this host's KVM offers AMX ($xcr0)"
else
	rm -rf "$TMP/amx"
	cp -r "$S" "$TMP/amx"
	"$SNAP_RELAYOUT" --edit "$TMP/amx" amx >"$TMP/out" 2>"$TMP/err" ||
		not_ok "snap_relayout --edit amx" "$(cat "$TMP/err")"
	run restore --check "$TMP/amx"
	check "restore --check of an AMX snapshot on a host without AMX: does not fit (110)" 110 \
		"err:AMX" "err:does not fit this host" "!err:--amx" lines:1
	run restore "$TMP/amx"
	check "restore of it: 110 too, nothing run" 110 "err:does not fit this host" "!err:--amx" \
		"!out:snap:" lines:1
fi

# SIGUSR1: a snapshot of a guest that knows nothing of snapshots (spinning vCPUs).
rm -rf "$TMP/usr1"
: >"$TMP/out"
"$FPVM" run --cpus 2 --timeout 30 --snapshot-dir "$TMP/usr1" "$GUEST_DIR/spin.elf" \
	>"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_lines spinning "$TMP/out" 2
kill -USR1 $pid
i=0
while [ $i -lt 100 ] && [ "$(generation "$TMP/usr1")" != 1 ]; do sleep 0.1; i=$((i + 1)); done
# A second one replaces the first: generation 2, and generation 1 gone with it.
kill -USR1 $pid
i=0
while [ $i -lt 100 ] && [ "$(generation "$TMP/usr1")" != 2 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
status=$?
check "SIGUSR1 writes a snapshot while the guest runs on (then SIGTERM)" 143
grep -q "^reason = SIGUSR1" "$TMP/usr1/manifest" 2>/dev/null &&
	ok "the snapshot says SIGUSR1 took it" || not_ok "the snapshot says SIGUSR1 took it" "$(cat "$TMP/err")"
[ "$(ls "$TMP/usr1" | tr '\n' ' ')" = "gen-2 manifest " ] &&
	ok "a second SIGUSR1 replaced the first snapshot: gen-2 and its manifest, nothing else" ||
	not_ok "a second SIGUSR1 replaced the first snapshot" "$(ls -l "$TMP/usr1")"
run restore --check "$TMP/usr1"
check "the SIGUSR1 snapshot fits this host" 0 "out:restores on this host"
run restore --timeout 0.5 "$TMP/usr1"
check "the SIGUSR1 snapshot resumes: both vCPUs spin on until the timeout" 124 "err:timeout" \
	"!out:spinning"

# Links planted where fpvm 0.1.0 wrote its parts and its manifest.tmp: the
# snapshot is written, and nothing through them (issue 20, item 1).
rm -rf "$TMP/links" "$TMP/outside"
mkdir -p "$TMP/links"
printf 'precious' >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/links/vcpu0.xsave"
ln -s "$TMP/outside" "$TMP/links/vcpu0.layout"
ln -s "$TMP/victim" "$TMP/links/manifest.tmp"
ln -s "$TMP/victim" "$TMP/links/manifest"
run run --snapshot-dir "$TMP/links" "$G" 1000
check "a snapshot into a directory of planted links is taken" 0 "out:snap: snapshot taken"
if [ "$(cat "$TMP/victim")" = precious ] && [ ! -e "$TMP/outside" ]; then
	ok "no link in the snapshot directory was written through"
else
	not_ok "no link in the snapshot directory was written through" \
		"victim: $(cat "$TMP/victim" | head -c 40); outside: $(ls -l "$TMP/outside" 2>&1)"
fi
run restore --check "$TMP/links"
check "that snapshot restores" 0 "out:restores on this host"

# SIGKILL at many moments of a snapshot: restore --check must take the
# earlier snapshot or the new one, never neither (issue 20, item 4).
K=$TMP/kill
rm -rf "$K"
# spin_until_killed DELAY: a spinning guest, SIGUSR1, DELAY seconds, SIGKILL.
spin_until_killed() {
	: >"$TMP/kout"
	"$FPVM" run -v --cpus 2 --timeout 60 --snapshot-dir "$K" "$GUEST_DIR/spin.elf" \
		>"$TMP/kout" 2>"$TMP/kerr" &
	kpid=$!
	i=0
	while [ $i -lt 200 ] && [ "$(count spinning "$TMP/kout")" -lt 2 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -USR1 $kpid
	[ "$1" = wait ] && while [ $i -lt 400 ] && [ ! -f "$K/manifest" ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$1" = wait ] || sleep "$1"
	kill -KILL $kpid
	wait $kpid 2>/dev/null
}
spin_until_killed wait
took=$(sed -n 's/.*snapshot (SIGUSR1) in .*: \([0-9.]*\) ms/\1/p' "$TMP/kerr")
echo "# a whole snapshot of the spinning guest took ${took:-?} ms here"
tried=0 lost=0 kept=0 new=0 partial=0
for d in 0 0.001 0.002 0.004 0.006 0.008 0.01 0.015 0.02 0.025 0.03 0.04 0.05 0.06 0.08 \
	0.1 0.12 0.15 0.2 0.25 0.3 0.4 0.5 0.75 1; do
	before=$(generation "$K")
	spin_until_killed $d
	tried=$((tried + 1))
	# What a writer killed mid-way leaves beside the snapshot (the next one removes it).
	extra=$(ls "$K" | grep -v -x -e manifest -e "gen-$(generation "$K")" | wc -l)
	[ "$extra" -gt 0 ] && partial=$((partial + 1))
	if "$FPVM" restore --check "$K" >"$TMP/out" 2>"$TMP/err"; then
		[ "$(generation "$K")" = "$before" ] && kept=$((kept + 1)) || new=$((new + 1))
	else
		lost=$((lost + 1))
		echo "# killed ${d}s after SIGUSR1: $(cat "$TMP/err")"
	fi
done
if [ $lost -eq 0 ] && [ $tried -gt 0 ]; then
	ok "SIGKILL at $tried moments of a snapshot: $kept kept the earlier, $new the new one ($partial mid-write); 0 lost"
else
	not_ok "SIGKILL at $tried moments of a snapshot: $lost lost" "$kept kept, $new new, $partial mid-write"
fi

# A full disk: a second snapshot, larger than the first (one more vCPU),
# does not fit on the nearly full tmpfs, fails, and the first one stays
# (issue 20, item 4).
SM=$TMP/small
mkdir -p "$SM"
if mount -t tmpfs -o size=4m tmpfs "$SM" 2>/dev/null; then
	run run --cpus 1 --snapshot-dir "$SM/s" "$G" 1000
	check "a snapshot on a 4 MiB tmpfs" 0 "out:snap: snapshot taken"
	avail=$(df -k "$SM" | tail -n 1 | awk '{ print $4 }')
	echo "# the snapshot takes $(du -sk "$SM/s" | cut -f1) KiB; $avail KiB left, filled to 8"
	dd if=/dev/zero of="$SM/filler" bs=1024 count=$((avail - 8)) 2>/dev/null
	run run --cpus 2 --snapshot-dir "$SM/s" "$G" 1000
	check "the next snapshot, on the full tmpfs: fails, saying so once" 74 \
		"err:snapshot: " "err:No space left on device" "!err:snapshot: snapshot:" lines:1
	run restore --check "$SM/s"
	check "the earlier snapshot still restores" 0 "out:restores on this host (1 vCPUs"
	[ "$(ls "$SM/s" | tr '\n' ' ')" = "gen-1 manifest " ] &&
		ok "the failed snapshot left nothing beside it" ||
		not_ok "the failed snapshot left nothing beside it" "$(ls -l "$SM/s")"
	rm -f "$SM/filler"
	run run --cpus 2 --snapshot-dir "$SM/s" "$G" 1000
	check "with room again, the next snapshot replaces it" 0 "out:snap: snapshot taken"
	run restore "$SM/s"
	check "and restores" 0 "out:snap: restored"
	umount "$SM"
else
	skip "a snapshot that does not fit on a full tmpfs" "cannot mount a tmpfs here (not root)"
fi

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
