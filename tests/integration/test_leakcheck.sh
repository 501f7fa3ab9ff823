#!/bin/sh
# SPDX-License-Identifier: MIT
# fpvm leakcheck: a clean run finds nothing; every self-test injection is
# found and attributed exactly; reports in text, JSON and TAP; bad options;
# --snapshot's cycles: restored VMs hold only their own canaries; --pin
# (every VM process on one CPU) with its switches, --neighbour.
. "$(dirname "$0")/lib.sh"
require_kvm

t0=$(date +%s)
run leakcheck
t1=$(date +%s)
check "default run (2 VMs x 2 vCPUs) is clean" 0 "out:fpvm leakcheck: 2 VMs x 2 vCPUs" \
	"out:result: clean: no register content crossed" "out:exits checked" "out:  (none)"
[ $((t1 - t0)) -lt 10 ] && ok "default run finishes in under 10 s ($((t1 - t0)) s)" ||
	not_ok "default run finishes in under 10 s" "took $((t1 - t0)) s"
fresh=$(sed -n 's/^  fresh vCPUs *\([0-9]*\).*/\1/p' "$TMP/out")
[ "${fresh:-0}" -gt 0 ] && ok "fresh vCPUs were created and read ($fresh)" ||
	not_ok "fresh vCPUs were created and read" "$(cat "$TMP/out")"
rounds=$(sed -n 's/^  writer rounds *\([0-9]*\).*/\1/p' "$TMP/out")
[ "${rounds:-0}" -gt 100 ] && ok "writers ran rounds ($rounds)" ||
	not_ok "writers ran rounds" "$(cat "$TMP/out")"

run leakcheck --vms 3 --cpus 1 --duration 1
check "3 VMs x 1 vCPU" 0 "out:3 VMs x 1 vCPU for" "out:result: clean"

selftest() {
	mode=$1
	src=$2
	row=$3
	victim=$4
	shift 4
	run leakcheck --inject "$mode" "$@"
	check "--inject $mode${*:+ $*}: found and attributed to $src" 0 \
		"out:result: self-test passed: the injected $mode leak was found" \
		"out:attributed to $src" "out:$row" "out:-> $victim"
}
selftest cross-vm "VM1 vCPU0" "  VM1  vCPU0" "VM0 vCPU0 "
selftest cross-vcpu "VM0 vCPU1" "  VM0  vCPU1" "VM0 vCPU0 "
selftest host "VM0 vCPU0" "  VM0  vCPU0" "VM0 vCPU0 host thread"
selftest fresh-vcpu "VM0 vCPU0" "  VM0  vCPU0" "VM0 vCPU" --vms 1
grep -q "fresh vCPU: " "$TMP/out" && ok "--inject fresh-vcpu: the victim is a fresh vCPU" ||
	not_ok "--inject fresh-vcpu: the victim is a fresh vCPU" "$(cat "$TMP/out")"

# run_tmpdir DIR ARGS...: run, with fpvm's snapshots in DIR.
run_tmpdir() {
	d=$1
	shift
	TMPDIR=$d "$FPVM" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
}

# --snapshot: every VM snapshotted mid-run, restored in a new process, run on.
mkdir "$TMP/snaps"
run_tmpdir "$TMP/snaps" leakcheck --snapshot --duration 2
check "--snapshot: restored VMs are clean" 0 "out:restored in new processes" \
	"out:result: clean: no register content crossed" "out:nor through snapshots"
restored=$(sed -n 's/^  snapshots *\([0-9]*\) taken, \([0-9]*\) restored.*/\2/p' "$TMP/out")
[ "${restored:-0}" -ge 2 ] && ok "--snapshot: each VM restored at least once ($restored)" ||
	not_ok "--snapshot: each VM restored at least once" "$(cat "$TMP/out")"
[ -z "$(ls "$TMP/snaps")" ] && ok "--snapshot: its snapshots are removed" ||
	not_ok "--snapshot: its snapshots are removed" "$(ls -R "$TMP/snaps")"
selftest snapshot "VM1 vCPU0" "  VM1  vCPU0" "VM0 vCPU0 restored VM"
grep -q "injected          snapshot: VM1 vCPU0's state into VM0 vCPU0's snapshot image, done" \
	"$TMP/out" && ok "--inject snapshot: the image in VM0's snapshot was replaced" ||
	not_ok "--inject snapshot: the image in VM0's snapshot was replaced" "$(cat "$TMP/out")"
# The other self-tests stay exact with snapshot cycles going on.
selftest cross-vcpu "VM0 vCPU1" "  VM0  vCPU1" "VM0 vCPU0 " --snapshot
run leakcheck --inject snapshot --vms 3 --cpus 1 --tap --json "$TMP/s.json"
check "--inject snapshot --tap" 0 "out:ok 5 - VM0: restored writers hold only their own canaries" \
	"out:(apart from the" "out:ok 10 - VM1: restored writers" "out:1..16"
grep -q '"victim": {"kind": "restored", "vm": 0, "vcpu": 0}' "$TMP/s.json" &&
	grep -q '"snapshot": true' "$TMP/s.json" && grep -q '"status": 0' "$TMP/s.json" &&
	ok "--json names the restored victim" || not_ok "--json names the restored victim" \
	"$(cat "$TMP/s.json")"

run leakcheck --inject cross-vm --json "$TMP/r.json" --tap
check "--tap with --inject" 0 "out:ok 1 - VM0: writers' registers hold only their own canaries" \
	"out:injected cross-vm leak found and attributed to VM1 vCPU0" "out:1..9"
grep -q '"source": {"vm": 1, "vcpu": 0}, "victim": {"kind": "' "$TMP/r.json" &&
	grep -q '"inject": "cross-vm"' "$TMP/r.json" && grep -q '"status": 0' "$TMP/r.json" &&
	ok "--json report names source, victim and status" ||
	not_ok "--json report names source, victim and status" "$(cat "$TMP/r.json")"
run leakcheck --duration 1 --json "$TMP/clean.json"
grep -q '"leaks": \[\]' "$TMP/clean.json" && grep -q '"result": "clean' "$TMP/clean.json" &&
	ok "--json report of a clean run" || not_ok "--json report of a clean run" "$(cat "$TMP/clean.json")"
# Each VM's figures come from fpvm run's --stats code: one object per VM.
[ "$(grep -o '{"phases_ms": {"kvm_open": ' "$TMP/clean.json" | wc -l)" -eq 2 ] &&
	grep -q '"memory_kib": {"rss": ' "$TMP/clean.json" &&
	ok "--json report carries each VM's --stats" ||
	not_ok "--json report carries each VM's --stats" "$(cat "$TMP/clean.json")"
run leakcheck --duration 1 --xcr0 x87,sse
check "--xcr0 x87,sse limits the canaries" 0 "out:XCR0 0x3 (x87,sse)" "out:result: clean"

# --pin: every VM process, each of its threads, on one CPU; the report counts
# the context switches the check covered.  Both lanes have CPUs 0 and 1.
# kids_cpus PID: "PID/TID:CPUS" of every thread of each child of PID that
# runs vCPU threads: shell builtins for the scan (forks are slow in the lane).
kids_cpus() {
	for p in $(vcpu_threads "[0-9]*" | sed 's|/.*||' | sort -u); do
		read -r _ _ _ ppid _ <"/proc/$p/stat" 2>/dev/null || continue
		[ "$ppid" = "$1" ] || continue
		for t in /proc/"$p"/task/*; do
			# A fresh vCPU's thread may end between the listing and the read.
			c=$(thread_cpus "$p/${t##*/}" 2>/dev/null)
			[ -z "$c" ] || echo "$p/${t##*/}:$c"
		done
	done
}
switches() {
	sed -n 's/^  context switches *\([0-9]*\) .*/\1/p' "$TMP/out"
}
"$FPVM" leakcheck --pin 1 --duration 4 --json "$TMP/pin.json" >"$TMP/out" 2>"$TMP/err" &
lc=$!
seen=""
i=0
# Until the VM processes' vCPU threads show, while leakcheck runs (at most 60 s).
while [ -z "$seen" ] && kill -0 $lc 2>/dev/null && [ $i -lt 120 ]; do
	sleep 0.5
	seen=$(kids_cpus $lc)
	i=$((i + 1))
done
pinned=$(echo "$seen" | grep -c ':1$')
loose=$(echo "$seen" | grep -v ':1$' | grep .)
wait $lc
status=$?
[ "$pinned" -gt 0 ] && [ -z "$loose" ] &&
	ok "--pin 1: every thread of the VM processes may run on CPU 1 alone ($pinned threads)" ||
	not_ok "--pin 1: every thread of the VM processes may run on CPU 1 alone" \
	"seen: $(echo ${seen:-none})"
check "--pin 1: 2 VMs stay clean and report their switches" 0 "out:result: clean" \
	"out:  pinned            every VM process on host CPU 1" "out:involuntary, of the VM processes' threads, all on one CPU"
[ "$(switches)" -gt 0 ] 2>/dev/null && ok "--pin 1: the check covered $(switches) context switches" ||
	not_ok "--pin 1: the check covered context switches" "$(cat "$TMP/out")"
grep -q '"pin_cpu": 1, ' "$TMP/pin.json" && grep -q '"switches_per_s": [1-9]' "$TMP/pin.json" &&
	ok "--json: pin_cpu and switches_per_s" || not_ok "--json: pin_cpu and switches_per_s" \
	"$(cat "$TMP/pin.json")"
run leakcheck --pin 0 --vms 8 --cpus 1 --duration 2
check "--pin 0 with 8 VMs stays clean" 0 "out:8 VMs x 1 vCPU" "out:result: clean" \
	"out:every VM process on host CPU 0"
[ "$(switches)" -gt 0 ] 2>/dev/null && ok "--pin 0, 8 VMs: $(switches) context switches" ||
	not_ok "--pin 0, 8 VMs: context switches counted" "$(cat "$TMP/out")"
# Every planted leak is still found with every process on one CPU.
selftest cross-vm "VM1 vCPU0" "  VM1  vCPU0" "VM0 vCPU0 " --pin 0
selftest cross-vcpu "VM0 vCPU1" "  VM0  vCPU1" "VM0 vCPU0 " --pin 0
selftest host "VM0 vCPU0" "  VM0  vCPU0" "VM0 vCPU0 host thread" --pin 0
selftest fresh-vcpu "VM0 vCPU0" "  VM0  vCPU0" "VM0 vCPU" --vms 1 --pin 0
selftest snapshot "VM1 vCPU0" "  VM1  vCPU0" "VM0 vCPU0 restored VM" --pin 0
# A neighbour: another guest, booted again and again on the same CPU.
run leakcheck --pin 0 --neighbour "$GUEST_DIR/fpu.elf" --duration 2
check "--neighbour fpu.elf on the --pin CPU: clean" 0 "out:result: clean" \
	"out:  neighbour         $GUEST_DIR/fpu.elf, booted again until the end: every boot ended well"
run leakcheck --neighbour "$GUEST_DIR/mb32.elf" --duration 1
check "--neighbour with a Multiboot kernel" 0 "out:result: clean" "out:every boot ended well"
printf 'not a guest' >"$TMP/junk"
run leakcheck --neighbour "$TMP/junk"
check "--neighbour that is no guest image" 65 "err:$TMP/junk" lines:1
run leakcheck --pin 1023
check "--pin to a CPU the process may not use" 64 "err:--pin: CPU 1023: not one this process may run on" \
	lines:1
run leakcheck --pin one
check "--pin one" 64 "err:--pin 'one': expected a host CPU number" lines:1

run leakcheck --vms 0
check "--vms 0" 64 "err:--vms 0: expected 1..32" lines:1
run leakcheck --inject bogus
check "--inject bogus" 64 "err:--inject 'bogus'" lines:1
run leakcheck --inject cross-vm --vms 1
check "--inject cross-vm with one VM" 64 "err:needs --vms 2 or more" lines:1
run leakcheck --inject snapshot --vms 1
check "--inject snapshot with one VM" 64 "err:--inject snapshot needs --vms 2 or more" lines:1
run_tmpdir /nonexistent/dir leakcheck --snapshot --duration 1
check "--snapshot without a TMPDIR to write" 70 \
	"err:fpvm: --snapshot: the snapshots' directory /nonexistent/dir/fpvm-leakcheck." \
	lines:1
run leakcheck --kvm /nonexistent/kvm
check "leakcheck without KVM" 69 "err:no such device" lines:1
run leakcheck --duration 1 --json /nonexistent/dir/r.json
check "unwritable --json file" 74 "err:--json /nonexistent/dir/r.json" "out:result: clean"

done_testing
