#!/bin/sh
# SPDX-License-Identifier: MIT
# Every thread joined, everything freed: on a clean exit, a timeout, a
# guest fault and an early error.  Valgrind cannot check a static program:
# it runs FPVM_DYNAMIC, the same code linked dynamically, where fpvm is static.
. "$(dirname "$0")/lib.sh"
require_kvm

if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind" "valgrind not installed"
	done_testing
	exit 0
fi

vg() {
	desc=$1
	want=$2
	shift 2
	valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
		--errors-for-leak-kinds=all "${FPVM_DYNAMIC:-$FPVM}" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	check "valgrind: $desc" "$want" "!err:=="
}

vg "smp, 2 vCPUs" 0 run --cpus 2 "$GUEST_DIR/smp.elf"
vg "timeout, 2 vCPUs" 124 run --cpus 2 --timeout 1 "$GUEST_DIR/spin.elf"
vg "guest exception" 112 run "$GUEST_DIR/fault.elf"
vg "fpu guest, --check-host-fpstate, --save-fpstate" 0 run --check-host-fpstate \
	--save-fpstate "$TMP/fs" --dump-fpstate "$GUEST_DIR/fpu.elf"
vg "fpstate show" 0 fpstate show "$TMP/fs/vcpu0.xsave"
vg "probe" 0 probe
printf '[a]\nguest = hello.elf\nrequires = !quirk:frobnicated\n' >"$TMP/bad.cfg"
vg "test: a malformed manifest" 65 test "$TMP/bad.cfg"
# c runs or is skipped, as this host's quirk says; b fails either way.
printf '[a]\nguest = hello.elf\noutput = Hello\n[b]\nguest = fault.elf\n[c]\nguest = hello.elf\nrequires = quirk:guest-xcr0-not-enforced\n' \
	>"$TMP/s.cfg"
vg "test: pass, failure, requirement; JUnit and JSON" 1 test -j 2 --guest-dir "$GUEST_DIR" \
	--log-dir "$TMP/logs" --junit "$TMP/r.xml" --json "$TMP/r.json" "$TMP/s.cfg"
vg "snapshot, 2 vCPUs" 0 run --cpus 2 --snapshot-dir "$TMP/snap" "$GUEST_DIR/snap.elf" 2000
vg "restore, 2 vCPUs" 0 restore --save-loaded-fpstate "$TMP/loaded" "$TMP/snap"
vg "restore --check" 0 restore --check "$TMP/snap"
vg "snapshot show --json" 0 snapshot show --json "$TMP/snap"
rm -f "$TMP/snap/vcpu1.state"
vg "restore of a damaged snapshot" 65 restore "$TMP/snap"
vg "bad image" 65 run /nonexistent.elf
vg "bad KVM device" 69 run --kvm /dev/null "$GUEST_DIR/hello.elf"

done_testing
