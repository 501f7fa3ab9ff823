#!/bin/sh
# SPDX-License-Identifier: MIT
# fpvm test, the suite runner: the four outcomes in TAP13, JUnit (validated
# against tests/junit.xsd) and JSON; selection; -j; Ctrl-C; malformed
# manifests; every test a skip without a usable KVM; shards and merging
# their reports (no KVM needed).
. "$(dirname "$0")/lib.sh"
KVM=${FPVM_KVM:-/dev/kvm}
XSD=$(dirname "$0")/../junit.xsd
[ -f "$XSD" ] || XSD=$(dirname "$0")/junit.xsd	# inside the TCG lane

# manifest NAME: writes stdin to $TMP/NAME.cfg.
manifest() {
	cat >"$TMP/$1.cfg"
}

# fpvm_test ARGS...: fpvm test with this run's guests and a fresh log dir.
fpvm_test() {
	rm -rf "$TMP/logs"
	run test --kvm "$KVM" --guest-dir "$GUEST_DIR" --log-dir "$TMP/logs" "$@"
}

# junit_valid FILE DESC: FILE validates against the JUnit schema.
junit_valid() {
	if ! command -v xmllint >/dev/null 2>&1; then
		skip "$2" "xmllint not installed (Debian: libxml2-utils)"
	elif xmllint --noout --schema "$XSD" "$1" >"$TMP/xmllint" 2>&1; then
		ok "$2"
	else
		not_ok "$2" "$(cat "$TMP/xmllint")"
	fi
}

# has FILE TEXT DESC: FILE holds TEXT.
has() {
	grep -qF -- "$2" "$1" && ok "$3" || not_ok "$3" "$1 lacks '$2'"
}

# --- Malformed input: one line naming file and line, status 65 or 64. -------
manifest bad-key <<'EOF'
[a]
guest = hello.elf
colour = blue
EOF
fpvm_test "$TMP/bad-key.cfg"
check "unknown key" 65 "err:bad-key.cfg:3: unknown key 'colour'" lines:1
manifest bad-option <<'EOF'
[a]
guest = hello.elf

[b]
guest = hello.elf
options = --strict-io --cpus 0
EOF
fpvm_test "$TMP/bad-option.cfg"
check "a run option is checked by run's parser" 65 \
	"err:bad-option.cfg:6: test 'b': --cpus 0: out of range" lines:1
manifest bad-mem <<'EOF'
[a]
guest = hello.elf
mem = lots
options = --strict-io
EOF
fpvm_test "$TMP/bad-mem.cfg"
check "a bad mem names its own line" 65 \
	"err:bad-mem.cfg:3: test 'a': --mem 'lots': not a size" lines:1
printf '[a]\nfile = hello.elf\ntimeout = 10sjunk\n[b]\nfile = hello.elf\ntimeout = 9999999h\n' \
	>"$TMP/kut-timeout.cfg"
fpvm_test --kvm-unit-tests "$TMP/kut-timeout.cfg"
check "kvm-unit-tests: a timeout with junk after its unit" 65 \
	"err:kut-timeout.cfg:3: timeout '10sjunk'" lines:1
printf '[b]\nfile = hello.elf\ntimeout = 9999999h\n' >"$TMP/kut-timeout.cfg"
fpvm_test --kvm-unit-tests "$TMP/kut-timeout.cfg"
check "kvm-unit-tests: a timeout past a day" 65 \
	"err:kut-timeout.cfg:3: timeout '9999999h'" lines:1
manifest bad-req <<'EOF'
[a]
guest = hello.elf
requires = cpu:avx9000
EOF
fpvm_test "$TMP/bad-req.cfg"
check "unknown requirement" 65 "err:bad-req.cfg:3: test 'a': requires 'cpu:avx9000'" lines:1
manifest bad-quirk <<'EOF'
[a]
guest = hello.elf
requires = !quirk:frobnicated
EOF
fpvm_test "$TMP/bad-quirk.cfg"
check "unknown quirk" 65 "err:unknown quirk (see 'fpvm probe')" lines:1
printf '[a]\nguest = hello.elf\nargs = "unterminated\n' >"$TMP/quote.cfg"
fpvm_test "$TMP/quote.cfg"
check "unterminated quote" 65 "err:quote.cfg:3: unterminated \" quote" lines:1
printf '[a]\nguest = a\0\n' >"$TMP/nul.cfg"
fpvm_test "$TMP/nul.cfg"
check "a NUL byte" 65 "err:not a manifest (a NUL byte)" lines:1
fpvm_test "$TMP/missing.cfg"
check "missing manifest" 65 "err:missing.cfg: No such file" lines:1
fpvm_test "$TMP"
check "a directory as manifest" 65 "err:$TMP: is a directory" lines:1
mkfifo "$TMP/fifo.cfg"
if command -v timeout >/dev/null 2>&1; then
	rm -rf "$TMP/logs"
	timeout 20 "$FPVM" test --kvm "$KVM" --log-dir "$TMP/logs" "$TMP/fifo.cfg" >"$TMP/out" 2>"$TMP/err"
	status=$?
	check "a FIFO as manifest is refused, never waited on" 65 \
		"err:fifo.cfg: is a FIFO, not a regular file" lines:1
else
	skip "a FIFO as manifest is refused, never waited on" "no timeout(1)"
fi
fpvm_test
check "no manifest" 64 "err:test: no manifest given" lines:1
fpvm_test -j 0 "$TMP/bad-key.cfg"
check "-j 0" 64 "err:--jobs 0: expected 1..256" lines:1

# --- Selection and --list need no KVM. -----------------------------------
manifest sel <<'EOF'
[alpha]
guest = hello.elf
groups = fast

[beta]
guest = hello.elf
args = b
groups = slow fpu

[gamma]
guest = hello.elf
EOF
fpvm_test --list "$TMP/sel.cfg"
check "--list" 0 "out:alpha" "out:beta" "out:gamma" "out: fast " "out:/hello.elf b"
fpvm_test --list -g fpu "$TMP/sel.cfg"
check "--list -g fpu" 0 "out:beta" "!out:alpha" "!out:gamma"
fpvm_test --list "$TMP/sel.cfg" 'a*' gamma
check "--list with name globs" 0 "out:alpha" "out:gamma" "!out:beta"
fpvm_test -g nosuch "$TMP/sel.cfg"
check "no test selected" 64 "err:no test matches the groups and names given" lines:1

# --- Without a usable KVM, every test is a skip with its reason. --------------
rm -rf "$TMP/logs"
run test --kvm "$TMP/no-kvm" --guest-dir "$GUEST_DIR" --log-dir "$TMP/logs" \
	--junit "$TMP/nokvm.xml" --json "$TMP/nokvm.json" "$TMP/sel.cfg"
check "no KVM: all skipped, status 0" 0 "out:TAP version 13" "out:1..3" \
	"out:ok 1 - alpha # SKIP no usable KVM: $TMP/no-kvm" "out:ok 3 - gamma # SKIP" "!out:not ok"
junit_valid "$TMP/nokvm.xml" "no KVM: the JUnit report validates"
has "$TMP/nokvm.xml" 'tests="3" failures="0" errors="0" skipped="3"' "no KVM: JUnit counts 3 skips"
has "$TMP/nokvm.json" '"tests": 3, "passed": 0, "failed": 0, "skipped": 3' "no KVM: JSON counts 3 skips"

# --- Reports parse whatever bytes they carry: a reason quoting a device path,
# a manifest's name, its groups (CR, ESC, ill-formed UTF-8, U+FFFE). --------
bad=$(printf 'cr\r esc\033[2J ff\377 overlong\300\257 surrogate\355\240\200 fffe\357\277\276 big\364\220\200\200')
printf '[hostile]\nguest = hello.elf\ngroups = %s\n' "$bad" >"$TMP/bytes-$bad.cfg"
rm -rf "$TMP/logs"
run test --kvm "$TMP/no-kvm-$bad" --guest-dir "$GUEST_DIR" --log-dir "$TMP/logs" \
	--junit "$TMP/bytes.xml" --json "$TMP/bytes.json" "$TMP/bytes-$bad.cfg"
check "hostile bytes: the test is skipped, status 0" 0 "out:ok 1 - hostile # SKIP no usable KVM: "
[ "$(tr -d '\r\033' <"$TMP/out" | cmp -s - "$TMP/out"; echo $?)" = 0 ] &&
	ok "hostile bytes: TAP carries no CR or ESC" ||
	not_ok "hostile bytes: TAP carries no CR or ESC" "$(od -c "$TMP/out" | head -20)"
junit_valid "$TMP/bytes.xml" "hostile bytes: the JUnit report validates"
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool "$TMP/bytes.json" >"$TMP/json.out" 2>&1 &&
		ok "hostile bytes: the JSON report parses" ||
		not_ok "hostile bytes: the JSON report parses" "$(cat "$TMP/json.out")"
	python3 -c 'import sys; open(sys.argv[1], encoding="utf-8", errors="strict").read()' \
		"$TMP/out" >"$TMP/py.out" 2>&1 && ok "hostile bytes: TAP is UTF-8" ||
		not_ok "hostile bytes: TAP is UTF-8" "$(cat "$TMP/py.out")"
else
	skip "hostile bytes: the JSON report parses" "no python3 (the TCG lane's busybox)"
	skip "hostile bytes: TAP is UTF-8" "no python3 (the TCG lane's busybox)"
fi

# --- Shards (--list needs no KVM): disjoint, complete, stable, balanced. ------
i=0
: >"$TMP/many.cfg"
while [ $i -lt 23 ]; do
	printf '[t%d]\nguest = hello.elf\n\n' $i >>"$TMP/many.cfg"
	i=$((i + 1))
done
fpvm_test --list "$TMP/many.cfg"
awk '{print $1}' "$TMP/out" | sort >"$TMP/all"
# (lib.sh's counter is $n: the loops count with other names.)
for shards in 1 2 3 5 23 40; do
	k=1
	: >"$TMP/union"
	while [ $k -le $shards ]; do
		fpvm_test --list --shard $k/$shards "$TMP/many.cfg"
		[ "$status" = 0 ] || break
		awk '{print $1}' "$TMP/out" >>"$TMP/union"
		k=$((k + 1))
	done
	sort "$TMP/union" | cmp -s - "$TMP/all" && ok "--shard K/$shards: disjoint and complete" ||
		not_ok "--shard K/$shards: disjoint and complete" "$(sort "$TMP/union" | diff - "$TMP/all")"
done
fpvm_test --list --shard 2/5 "$TMP/many.cfg"
cp "$TMP/out" "$TMP/shard2"
{ printf '[added-first]\nguest = hello.elf\n\n'; cat "$TMP/many.cfg"; printf '[added-last]\nguest = hello.elf\n'; } \
	>"$TMP/more.cfg"
fpvm_test --list --shard 2/5 "$TMP/more.cfg"
grep -v '^added-' "$TMP/out" | cmp -s - "$TMP/shard2" &&
	ok "--shard: tests added elsewhere move no other test" ||
	not_ok "--shard: tests added elsewhere move no other test" "$(diff "$TMP/shard2" "$TMP/out")"
JOB_COMPLETION_INDEX=1 run test --list --shard index/5 --guest-dir "$GUEST_DIR" "$TMP/many.cfg"
cmp -s "$TMP/out" "$TMP/shard2" && ok "--shard index/5 is JOB_COMPLETION_INDEX + 1 of 5" ||
	not_ok "--shard index/5 is JOB_COMPLETION_INDEX + 1 of 5" "$(diff "$TMP/shard2" "$TMP/out")"
fpvm_test --list --shard 5/5 "$TMP/sel.cfg" alpha
check "an empty shard lists nothing, status 0" 0 "!out:alpha"
fpvm_test --list --shard 0/3 "$TMP/sel.cfg"
check "--shard 0/3" 64 "err:--shard 0/3: expected K/N with 1 <= K <= N" lines:1
(unset JOB_COMPLETION_INDEX; fpvm_test --list --shard index/3 "$TMP/sel.cfg"; echo $status >"$TMP/st")
status=$(cat "$TMP/st")
check "--shard index/3 without JOB_COMPLETION_INDEX" 64 "err:JOB_COMPLETION_INDEX is not set" lines:1
fpvm_test --list --shard-timings "$TMP/none.json" "$TMP/sel.cfg"
check "--shard-timings alone" 64 "err:test: --shard-timings needs --shard" lines:1
# Durations of 8, 7, 6 and 5 s onto two shards: 8+5 and 7+6, whatever the names hash to.
printf '{"manifest": "m.cfg", "duration_ms": 1, "interrupted": false, "results": [\n' >"$TMP/times.json"
for t in t0:8000 t1:7000 t2:6000 t3:5000; do
	printf '{"name": "%s", "result": "pass", "status": 0, "expected": 0, "duration_ms": %s},\n' \
		"${t%:*}" "${t#*:}" >>"$TMP/times.json"
done
printf '{"name": "gone", "result": "pass", "status": 0, "expected": 0, "duration_ms": 1}]}\n' \
	>>"$TMP/times.json"
printf '[t0]\nguest = hello.elf\n[t1]\nguest = hello.elf\n[t2]\nguest = hello.elf\n[t3]\nguest = hello.elf\n' \
	>"$TMP/four-timed.cfg"
fpvm_test --list --shard 1/2 --shard-timings "$TMP/times.json" "$TMP/four-timed.cfg"
check "--shard-timings: longest first onto the least loaded shard" 0 "out:t0 " "out:t3 " \
	"!out:t1 " "!out:t2 "
fpvm_test --list --shard 1/2 --shard-timings "$TMP/missing.json" "$TMP/four-timed.cfg"
check "--shard-timings: a missing report" 65 "err:missing.json: No such file" lines:1

# --- Merging shards' reports: one TAP, JUnit and JSON report, with totals. ----
for k in 1 2 3; do
	rm -rf "$TMP/logs"
	run test --kvm "$TMP/no-kvm" --guest-dir "$GUEST_DIR" --log-dir "$TMP/logs" --shard $k/3 \
		--json "$TMP/shard$k.json" "$TMP/many.cfg"
done
run test --merge --junit "$TMP/merged.xml" --json "$TMP/merged.json" \
	"$TMP/shard1.json" "$TMP/shard2.json" "$TMP/shard3.json"
check "--merge: three shards' skips in one report" 0 "out:TAP version 13" "out:1..23" \
	"out:# SKIP no usable KVM" "!out:not ok"
junit_valid "$TMP/merged.xml" "--merge: the JUnit report validates"
has "$TMP/merged.xml" 'tests="23" failures="0" errors="0" skipped="23"' "--merge: JUnit totals"
has "$TMP/merged.json" '"tests": 23, "passed": 0, "failed": 0, "skipped": 23' "--merge: JSON totals"
# Every outcome, as shards on a KVM report them.
printf '{"manifest": "dir/four.cfg", "duration_ms": 700, "interrupted": false, "results": [
{"name": "passing", "result": "pass", "status": 0, "expected": 0, "duration_ms": 12, "reason": "", "log": null, "stats": null, "groups": ["smoke"]},
{"name": "failing", "result": "fail", "status": 112, "expected": 0, "duration_ms": 34, "reason": "exit status 112, expected 0", "log": null, "stats": null, "groups": []}]}\n' \
	>"$TMP/a.json"
printf '{"manifest": "dir/four.cfg", "duration_ms": 300, "interrupted": false, "results": [
{"name": "timing-out", "result": "timeout", "status": -1, "expected": 0, "duration_ms": 300, "reason": "timed out after 0.3 s", "log": null, "stats": null, "groups": []},
{"name": "skipped", "result": "skip", "status": 0, "expected": 0, "duration_ms": 0, "reason": "requires quirk:x: detected (\\u00e9)", "log": null, "stats": null, "groups": []}]}\n' \
	>"$TMP/b.json"
run test --merge --junit "$TMP/m4.xml" --json "$TMP/m4.json" "$TMP/a.json" "$TMP/b.json"
check "--merge: a failure in a shard fails the merge" 1 "out:1..4" "out:ok 1 - passing" \
	"out:not ok 2 - failing" "out:not ok 3 - timing-out" "out:ok 4 - skipped # SKIP requires quirk:x: detected (é)" \
	"out:  status: 112"
junit_valid "$TMP/m4.xml" "--merge: the JUnit report of every outcome validates"
has "$TMP/m4.xml" '<testsuites name="fpvm" tests="4" failures="2" errors="0" skipped="1" time="1.000">' \
	"--merge: JUnit totals add up over shards"
has "$TMP/m4.xml" '<testcase name="timing-out" classname="four" time="0.300">' "--merge: JUnit keeps durations"
has "$TMP/m4.xml" '<failure type="fail" message="exit status 112, expected 0">status 112, expected 0</failure>' \
	"--merge: JUnit keeps statuses"
has "$TMP/m4.json" '"name": "timing-out", "result": "timeout", "status": -1, "expected": 0, "duration_ms": 300' \
	"--merge: JSON keeps every field"
has "$TMP/m4.json" '"groups": ["smoke"]' "--merge: JSON keeps groups"
run test --merge "$TMP/a.json" "$TMP/a.json"
check "--merge: the same shard twice" 65 "err:a.json: test 'passing' is also in an earlier report" lines:1
printf '{"manifest": "m"' >"$TMP/cut.json"
run test --merge "$TMP/a.json" "$TMP/cut.json"
check "--merge: a truncated report" 65 "err:cut.json: byte 16: expected ',' or '}'" lines:1
sed 's/"interrupted": false/"interrupted": true/' "$TMP/b.json" >"$TMP/int.json"
run test --merge "$TMP/int.json"
check "--merge: an interrupted shard fails the merge" 1 "err:a shard's run was interrupted" lines:1
run test --merge
check "--merge: no report" 64 "err:test: --merge: no report given" lines:1
run test --merge --shard 1/2 "$TMP/a.json"
check "--merge with --shard" 64 "err:--merge takes no --shard" lines:1

if ! why=$(kvm_usable "$KVM"); then
	skip "the four outcomes on a KVM" "$why"
	done_testing
	exit
fi

# --- The four outcomes. -------------------------------------------------
# 'skipped' requires a quirk and its absence: one of the two never holds.
manifest four <<'EOF'
[passing]
guest = hello.elf
output = Hello from fpvm guest!

[failing]
guest = fault.elf

[timing-out]
guest = spin.elf
timeout = 0.3

[skipped]
guest = hello.elf
requires = quirk:guest-xcr0-not-enforced !quirk:guest-xcr0-not-enforced

[wrong-output]
guest = hello.elf
output = Goodbye
EOF
fpvm_test -j 2 --junit "$TMP/four.xml" --json "$TMP/four.json" "$TMP/four.cfg"
check "four outcomes: status 1" 1 "out:TAP version 13" "out:1..5" "out:- skipped # SKIP requires" \
	"out:- passing" "out:not ok " "out:  message: 'exit status 112, expected 0'" \
	"out:  result: timeout" "out:  message: 'timed out after 0.3 s'" \
	"out:  message: 'output lacks ''Goodbye'''" "out:vector 14 (#PF page fault)"
[ "$(grep -c '^not ok' "$TMP/out")" -eq 3 ] && ok "three tests fail" ||
	not_ok "three tests fail" "$(cat "$TMP/out")"
junit_valid "$TMP/four.xml" "the JUnit report of the four outcomes validates"
has "$TMP/four.xml" 'tests="5" failures="3" errors="0" skipped="1"' "JUnit counts"
has "$TMP/four.xml" '<failure type="fail" message="exit status 112, expected 0">' "JUnit failure"
has "$TMP/four.xml" '<failure type="timeout" message="timed out after 0.3 s">' "JUnit timeout"
has "$TMP/four.xml" '<skipped message="requires ' "JUnit skipped"
has "$TMP/four.xml" '<system-out>Hello from fpvm guest!' "JUnit system-out holds the log"
has "$TMP/four.json" '"name": "timing-out", "result": "timeout", "status": 124' "JSON timeout"
has "$TMP/logs/failing.log" "guest exception: vector 14" "the log holds fpvm's messages"
has "$TMP/four.json" '"stats": {"phases_ms": {"kvm_open": ' "JSON carries each run's --stats"
has "$TMP/four.json" '"name": "skipped", "result": "skip", "status": 0, "expected": 0, "duration_ms": 0' \
	"JSON: a skip ran nothing"

# --- A log of hostile bytes (the guest prints its arguments) in every report. --
printf '[echo]\nguest = hello.elf\nargs = %s\noutput = %s\n' "$bad" "$bad" >"$TMP/echo.cfg"
fpvm_test --junit "$TMP/echo.xml" --json "$TMP/echo.json" "$TMP/echo.cfg"
check "hostile log: the output check fails" 1 "out:not ok 1 - echo" "out:  message: 'output lacks ''cr? esc?[2J"
junit_valid "$TMP/echo.xml" "hostile log: the JUnit report validates"
has "$TMP/echo.xml" "arg[1] = cr&#13;" "hostile log: JUnit's system-out holds the log, escaped"
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool "$TMP/echo.json" >"$TMP/json.out" 2>&1 &&
		ok "hostile log: the JSON report parses" ||
		not_ok "hostile log: the JSON report parses" "$(cat "$TMP/json.out")"
else
	skip "hostile log: the JSON report parses" "no python3 (the TCG lane's busybox)"
fi

# --- -j 1 and the default -j give the same results. ---------------------------
fpvm_test -j 1 --json "$TMP/j1.json" "$TMP/sel.cfg"
check "-j 1" 0 "out:ok 1 - alpha" "out:ok 2 - beta" "out:ok 3 - gamma"
fpvm_test --json "$TMP/jn.json" "$TMP/sel.cfg"
check "default -j" 0 "out:- alpha" "out:- beta" "out:- gamma" "!out:not ok"
grep -o '"name": "[a-z]*", "result": "[a-z]*", "status": [0-9]*' "$TMP/j1.json" >"$TMP/j1"
grep -o '"name": "[a-z]*", "result": "[a-z]*", "status": [0-9]*' "$TMP/jn.json" >"$TMP/jn"
cmp -s "$TMP/j1" "$TMP/jn" && [ -s "$TMP/j1" ] && ok "same results with -j 1 and the default" ||
	not_ok "same results with -j 1 and the default" "$(cat "$TMP/j1" "$TMP/jn")"

# --- kvm-unit-tests' unittests.cfg, read as it is (fpvm's Multiboot kernels). --
manifest kut <<'EOF'
# in kvm-unit-tests' own format
[passes]
file = mb32.elf
smp = 2
qemu_params = -cpu max -append 'a b'
groups = mb

[skips_itself]
file = mb32.elf
test_args = skip

[fails]
file = hostile.elf
test_args = exit-byte

[i386_only]
file = cmpxchg8b.flat
arch = i386
EOF
fpvm_test --kvm-unit-tests --json "$TMP/kut.json" "$TMP/kut.cfg"
check "--kvm-unit-tests: their manifest, their exit convention" 1 "out:1..4" \
	"out:ok 1 - i386_only # SKIP arch i386: fpvm runs the x86_64 build" "out:- passes" \
	"out:- skips_itself # SKIP the test skipped itself (status 77)" \
	"out:, expected 1'"
grep -q '^not ok [0-9]* - fails$' "$TMP/out" && ok "--kvm-unit-tests: a wrong status fails" ||
	not_ok "--kvm-unit-tests: a wrong status fails" "$(cat "$TMP/out")"
has "$TMP/logs/passes.log" "cmdline: $GUEST_DIR/mb32.elf a b" "--kvm-unit-tests: -append gives the arguments"

# --- A hostile manifest: a missing guest fails that test, not the runner. -----
manifest hostile <<'EOF'
[missing-guest]
guest = no-such-guest.elf

[fine]
guest = hello.elf
EOF
fpvm_test "$TMP/hostile.cfg"
check "a missing guest is that test's failure" 1 "out:ok 2 - fine" \
	"out:  message: 'exit status 65, expected 0'" "out:no-such-guest.elf"

# --- SIGINT stops every test and still writes what finished. ----------------
manifest slow <<'EOF'
[quick]
guest = hello.elf

[spins]
guest = spin.elf
timeout = 60
EOF
rm -rf "$TMP/logs"
"$FPVM" test -j 2 --kvm "$KVM" --guest-dir "$GUEST_DIR" --log-dir "$TMP/logs" \
	--junit "$TMP/int.xml" "$TMP/slow.cfg" >"$TMP/out" 2>"$TMP/err" &
pid=$!
sleep 1
kill -INT $pid
t0=$(date +%s)
wait $pid
status=$?
t1=$(date +%s)
check "SIGINT: status 130" 130 "out:ok 1 - quick" "out:Bail out! interrupted by Interrupt"
[ $((t1 - t0)) -le 5 ] && ok "SIGINT stops the spinning test promptly" ||
	not_ok "SIGINT stops the spinning test promptly" "took $((t1 - t0)) s"
junit_valid "$TMP/int.xml" "SIGINT: the JUnit report of what finished validates"
has "$TMP/int.xml" 'tests="1" failures="0"' "SIGINT: JUnit holds the finished test only"

done_testing
