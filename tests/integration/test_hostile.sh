#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile guests: tests/hostile.cfg through 'fpvm test', one TAP line per
# manifest test, then what a manifest cannot check: fpvm's memory stays
# flat under endless serial output, output streams while the guest runs,
# a reader that stops reading or goes away does not keep fpvm from
# stopping, signals and timeouts end every attack promptly, and fpvm's own
# messages stay bounded.  Times are whole seconds (busybox date has no %N).
. "$(dirname "$0")/lib.sh"
require_kvm

dir=$(dirname "$0")
manifest=$dir/../hostile.cfg
[ -f "$manifest" ] || manifest=$dir/hostile.cfg	# inside the TCG lane
G=$GUEST_DIR/hostile.elf
KVM=${FPVM_KVM:-/dev/kvm}

# timed_run ARGS...: run, and how long it took in $secs.
timed_run() {
	t0=$(date +%s)
	run run "$@"
	secs=$(($(date +%s) - t0))
}

# within SECONDS: the last timed_run (or $secs) took at most SECONDS.
within() {
	[ "$secs" -le "$1" ] && ok "... within $secs s" || not_ok "... within $1 s" "took $secs s"
}

# ---- the manifest, its TAP renumbered into this suite's ----

"$FPVM" test --kvm "$KVM" --guest-dir "$GUEST_DIR" --log-dir "$TMP/logs" \
	--json "$TMP/hostile.json" "$manifest" >"$TMP/tap" 2>"$TMP/test.err"
test_status=$?
results=0
while IFS= read -r line; do
	case $line in
	"ok "*)
		results=$((results + 1))
		n=$((n + 1))
		echo "ok $n - hostile.cfg: ${line#ok * - }" ;;
	"not ok "*)
		results=$((results + 1))
		n=$((n + 1))
		failed=$((failed + 1))
		echo "not ok $n - hostile.cfg: ${line#not ok * - }" ;;
	"  "*)
		echo "# $line" ;;	# a failure's YAML diagnostics
	esac
done <"$TMP/tap"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$TMP/tap")
if [ "$test_status" = 0 ] && [ "$results" = "$plan" ] && [ "$results" -ge 25 ]; then
	ok "fpvm test ran all $results hostile tests and exited 0"
else
	why="status $test_status, $results results of plan '$plan'"
	not_ok "fpvm test ran all hostile tests and exited 0" "$why; $(head -c 500 "$TMP/test.err")"
fi
# Each test's time, for the record.
sed -n 's/.*"name": "\([^"]*\)", "result": "\([a-z]*\)".*"duration_ms": \([0-9]*\).*/# \1: \2, \3 ms/p' "$TMP/hostile.json"

# fpvm's own messages stay bounded whatever the guest floods.
for t in ctl-flood string-io dev-regs ctl-hostile; do
	f=$TMP/logs/$t.log
	[ -f "$f" ] || continue
	l=$(grep -c '^fpvm: ' "$f")
	[ "$l" -le 11 ] && ok "$t: $l lines of fpvm messages (at most 11)" ||
		not_ok "$t: at most 11 lines of fpvm messages" "$l lines"
done

# fpvm's memory after each attack (fpvm test records it per test).
big=$(sed -n 's/.*"name": "\([^"]*\)".*"memory_kib": {"rss": \([0-9]*\).*/\2 \1/p' \
	"$TMP/hostile.json" | sort -n | tail -n 1)
if [ -z "$big" ]; then
	skip "fpvm's RSS after every attack is below 64 MiB" "fpvm test reported no memory"
elif [ "${big%% *}" -lt 65536 ]; then
	ok "fpvm's RSS after every attack is below 64 MiB (largest: ${big#* }, ${big%% *} KiB)"
else
	not_ok "fpvm's RSS after every attack is below 64 MiB" "${big#* }: ${big%% *} KiB"
fi

# ---- endless serial output without a newline ----

# rss_kib PID: VmRSS of a running process, empty once it is gone.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

"$FPVM" run --cpus 2 --timeout 5 "$G" serial-forever >"$TMP/serial.out" 2>"$TMP/err" &
pid=$!
sleep 1
first=$(rss_kib "$pid")
max=${first:-0}
size1=$(wc -c <"$TMP/serial.out")
i=0
while [ $i -lt 10 ]; do
	sleep 0.3
	r=$(rss_kib "$pid")
	[ -n "$r" ] || break
	[ "$r" -gt "$max" ] && max=$r
	i=$((i + 1))
done
size2=$(wc -c <"$TMP/serial.out")
wait "$pid"
status=$?
size3=$(wc -c <"$TMP/serial.out")
: >"$TMP/out"
check "endless serial output ends at --timeout" 124 "err:timeout after 5 s"
if [ -n "$first" ] && [ "$max" -le $((first + 1024)) ] && [ "$max" -lt 32768 ]; then
	ok "fpvm's RSS stays flat during endless output ($first KiB at 1 s, at most $max KiB)"
else
	not_ok "fpvm's RSS stays flat during endless output" "$first KiB at 1 s, $max KiB at most"
fi
if [ "$size1" -gt 0 ] && [ "$size2" -gt "$size1" ] && [ "$size3" -ge "$size2" ]; then
	ok "output streams while the guest runs ($size1, $size2, $size3 bytes)"
else
	not_ok "output streams while the guest runs" "$size1, $size2, $size3 bytes"
fi
if tr -d 'xb' <"$TMP/serial.out" | grep -q .; then
	not_ok "the output is the guest's, and no newline was added" \
		"$(tr -d 'xb' <"$TMP/serial.out" | head -c 100)"
else
	ok "the output is the guest's, and no newline was added"
fi

# A reader that holds the pipe open and never reads: once the pipe is
# full, every write blocks.  --timeout and SIGTERM must still end fpvm.
mkfifo "$TMP/fifo"
sleep 60 <"$TMP/fifo" &
reader=$!
t0=$(date +%s)
"$FPVM" run --cpus 2 --timeout 1 "$G" serial-forever >"$TMP/fifo" 2>"$TMP/err"
status=$?
secs=$(($(date +%s) - t0))
check "a reader that never reads: --timeout still ends fpvm" 124 "err:timeout after 1 s"
within 5
"$FPVM" run --cpus 2 "$G" serial-forever >"$TMP/fifo" 2>"$TMP/err" &
pid=$!
sleep 2
t0=$(date +%s)
kill -TERM "$pid"
wait "$pid"
status=$?
secs=$(($(date +%s) - t0))
check "a reader that never reads: SIGTERM still ends fpvm" 143 "err:interrupted by SIGTERM"
within 4
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null

# A reader that goes away: writes fail with EPIPE, the guest runs on.
{ "$FPVM" run --timeout 1 "$G" serial-forever 2>"$TMP/err"; echo $? >"$TMP/rc"; } |
	head -c 1000 >/dev/null
status=$(cat "$TMP/rc")
check "a reader that goes away does not stop the guest" 124 "err:timeout after 1 s"

# ---- prompt ends: signals and timeouts in the middle of an attack ----

timed_run --cpus 4 --timeout 60 "$G" exit-while-busy
check "vCPU 0 exits while 3 vCPUs spin at CPL0, flood ports and storm MMIO" 0 \
	"out:vCPU 0 exits while 3 vCPUs spin" !err:timeout
within 5
timed_run --cpus 8 --timeout 60 "$G" exit-race 42
check "8 vCPUs write the exit port at once" 42
within 5
timed_run --timeout 1 "$G" string-forever
check "REP OUTSB with RCX = 2^64-1 ends at --timeout" 124 "err:timeout after 1 s"
within 4
timed_run --cpus 2 --timeout 1 "$G" cli-spin
check "2 vCPUs spinning with interrupts off end at --timeout" 124 \
	"err:vcpu 0: timeout after 1 s" "err:vcpu 1: timeout after 1 s"
within 4

# signal_during SIG STATUS CPUS MODE [ARG]: SIG one second into the attack.
signal_during() {
	sig=$1
	want=$2
	cpus=$3
	shift 3
	"$FPVM" run --cpus "$cpus" "$G" "$@" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 1
	t0=$(date +%s)
	kill -"$sig" "$pid"
	wait "$pid"
	status=$?
	secs=$(($(date +%s) - t0))
	check "SIG$sig during $* ($cpus vCPUs)" "$want" "err:interrupted by SIG$sig"
	within 3
}

signal_during TERM 143 2 exit-flood 100000000
signal_during INT 130 1 string-forever
signal_during TERM 143 2 cli-spin
signal_during INT 130 1 ctl-flood 100000000

done_testing
