#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest failures: exceptions, triple fault, panics, timeouts, signals.
. "$(dirname "$0")/lib.sh"
require_kvm

for cpus in 1 2 4; do
	run run --cpus "$cpus" --timeout 20 "$GUEST_DIR/fault.elf"
	check "page fault with $cpus vCPUs" 112 \
		"err:guest exception: vector 14 (#PF page fault) at rip 0x" "err:error code 0x6, cr2 0x0, cpl 3" \
		"err:  rip 0000000000"
done

for m in "ud 6 #UD" "gp 13 #GP" "de 0 #DE" "bp 3 #BP"; do
	set -- $m
	run run --timeout 20 "$GUEST_DIR/fault.elf" "$1"
	check "fault $1 reports vector $2" 112 "err:vector $2 ($3"
done

run run --timeout 20 "$GUEST_DIR/fault.elf" cpl0-pf
check "page fault at CPL0" 112 "err:vector 14 (#PF page fault)" "err:cpl 0"
run run --timeout 20 "$GUEST_DIR/fault.elf" triple
# SVM resets the vCPU at shutdown: then the last state fpvm saw stands in for it.
if grep -qF "KVM has reset the vCPU already" "$TMP/err"; then
	check "triple fault after KVM reset the vCPU: the last state seen" 113 \
		"err:triple fault (KVM_EXIT_SHUTDOWN)" "err:the guest's registers at its last exit (IO)" \
		"err:  rip 0000000000" "!err:  rip 000000000000fff0" "!err:  cr0 "
else
	check "triple fault" 113 "err:triple fault (KVM_EXIT_SHUTDOWN)" "err:  cr0 " "err:  rip "
fi
run run --timeout 20 "$GUEST_DIR/fault.elf" panic
check "guest panic" 119 "err:guest panic: fault guest panics on request" lines:1
run run --timeout 20 "$GUEST_DIR/fault.elf" catch
check "guest_catch() recovers from #UD and #PF" 0 "out:caught vectors 6 and 14 (error code 0x6)"

# FLD1 at CPL0 is architectural; hosts that emulate CPL0 code may fail it.
run run --timeout 20 "$GUEST_DIR/fault.elf" cpl0-x87
if [ "$status" = 115 ]; then
	check "x87 at CPL0: KVM internal error with instruction bytes" 115 \
		"err:suberror 1 (instruction emulation failed), instruction bytes: d9 e8" "err:cpl 0"
else
	check "x87 at CPL0 runs" 1 "out:no exception was raised"
fi

for cpus in 1 2 4; do
	t0=$(date +%s)
	run run --cpus "$cpus" --timeout 1 "$GUEST_DIR/spin.elf"
	t1=$(date +%s)
	check "spin with $cpus vCPUs stops at --timeout" 124 "err:fpvm: timeout after 1 s" \
		"err:vcpu $((cpus - 1)): timeout after 1 s" "err:  rip "
	[ $((t1 - t0)) -le 4 ] && ok "timeout with $cpus vCPUs is prompt" ||
		not_ok "timeout with $cpus vCPUs is prompt" "took $((t1 - t0)) s"
done
run run --timeout 0.2 "$GUEST_DIR/spin.elf"
check "fractional timeout" 124 "err:timeout after 0.2 s"

t0=$(date +%s)
run run --cpus 4 --timeout 30 "$GUEST_DIR/spin.elf" exit
t1=$(date +%s)
check "one vCPU's exit stops 3 spinning vCPUs" 0 "out:vCPU 0 exits while 3 vCPUs spin" !err:timeout
[ $((t1 - t0)) -le 3 ] && ok "... promptly" || not_ok "... promptly" "took $((t1 - t0)) s"

: >"$TMP/out"
"$FPVM" run --cpus 3 "$GUEST_DIR/spin.elf" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_lines spinning "$TMP/out" 3
# KVM adds kernel workers (kvm-nx-lpage-recovery) to the process: ignore them.
names=$(cat /proc/$pid/task/*/comm | grep -v '^kvm' | sort | tr '\n' ' ')
# Seccomp mode 2 (a filter) on fpvm's own threads, once the guest runs.
filtered=$(for t in /proc/$pid/task/*; do
	grep -q '^kvm' "$t/comm" || sed -n 's/^Seccomp:[[:space:]]*//p' "$t/status"; done | sort | uniq -c |
	tr -s ' ' | tr '\n' ' ')
kill -INT "$pid"
wait "$pid"
[ "$names" = "fpvm fpvm-vcpu0 fpvm-vcpu1 fpvm-vcpu2 " ] && ok "one thread per vCPU, named fpvm-vcpuN" ||
	not_ok "one thread per vCPU, named fpvm-vcpuN" "threads: $names"
if [ "${FPVM_SANITIZE:-none}" != none ]; then
	skip "every thread runs under its seccomp filter" "a sanitizer build runs unfiltered (seccomp.h)"
else
	[ "$filtered" = " 4 2 " ] && ok "every thread runs under its seccomp filter" ||
		not_ok "every thread runs under its seccomp filter" "Seccomp modes (count mode): $filtered"
fi
: >"$TMP/out"
"$FPVM" run --no-seccomp --cpus 2 "$GUEST_DIR/spin.elf" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_lines spinning "$TMP/out" 2
modes=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/$pid/task/*/status | sort -u | tr '\n' ' ')
kill -INT "$pid"
wait "$pid"
[ "$modes" = "0 " ] && ok "--no-seccomp: no thread is filtered" ||
	not_ok "--no-seccomp: no thread is filtered" "Seccomp modes: $modes"

for sig in INT:130 TERM:143; do
	"$FPVM" run --cpus 2 "$GUEST_DIR/spin.elf" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 1
	kill -"${sig%:*}" "$pid"
	wait "$pid"
	status=$?
	check "SIG${sig%:*} ends the VM cleanly" "${sig#*:}" "err:interrupted by SIG${sig%:*}"
done

# The UART's THR writes go through KVM's coalesced PIO ring where this KVM
# has one (vmm/coalesced.c): the same output with one exit a FIFO load
# fewer, and a line written just before the guest spins still comes out
# while it spins (the main thread's kick drains the ring).
if "$FPVM" probe 2>/dev/null | grep -q "coalesced PIO *yes"; then
	run run --stats "$GUEST_DIR/hello.elf" a1 "two words"
	check "THR writes without an exit, the output whole and in order" 0 \
		"out:Hello from fpvm guest! (1 vCPU)" "out:arg[2] = two words" \
		"err:THR writes without an exit (coalesced PIO)"
	run run --stats --cpus 2 "$GUEST_DIR/hello.elf"
	check "2 vCPUs: THR writes exit, for each vCPU's lines" 0 \
		"out:Hello from fpvm guest! (2 vCPUs)" "!err:THR writes without an exit"
else
	skip "THR writes without an exit" "this KVM has no KVM_CAP_COALESCED_PIO (fpvm probe)"
fi
: >"$TMP/out"	# not the last run's lines: the loop below reads it at once
"$FPVM" run --timeout 60 "$GUEST_DIR/spin.elf" >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while ! grep -q "vCPU 0 spinning" "$TMP/out" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -INT "$pid"
wait "$pid"
grep -q "vCPU 0 spinning" "$TMP/out" && [ $i -lt 100 ] &&
	ok "a line written before the guest spins comes out while it spins" ||
	not_ok "a line written before the guest spins comes out while it spins" \
		"not within 10 s; stdout: $(head -c 200 "$TMP/out")"

run run --timeout 20 --cpus 2 "$GUEST_DIR/fault.elf" halt
check "every vCPU halts without an exit status" 116 \
	"err:all vCPUs halted without writing an exit status"
run run --timeout 60 --cpus 65 "$GUEST_DIR/hello.elf"
check "more vCPUs than the guest runtime supports" 119 "err:supports at most 64 vCPUs"

done_testing
