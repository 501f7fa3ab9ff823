#!/bin/sh
# SPDX-License-Identifier: MIT
# Without a usable KVM every host suite is skipped with its reason, never
# failed and never passed in silence; tests/summary.py counts skips per lane.
# Needs no KVM itself: it points the suites at devices that are not there.
. "$(dirname "$0")/lib.sh"

dir=$(dirname "$0")
: >"$TMP/plain-file"
for dev in "$TMP/no-kvm:no such device" "$TMP/plain-file:not a character device"; do
	path=${dev%%:*}
	for s in boot errors failures fpstate leakcheck hostile valgrind gdb; do
		FPVM_KVM=$path sh "$dir/test_$s.sh" >"$TMP/out" 2>"$TMP/err"
		status=$?
		check "$s skips when the KVM device is ${dev#*:}" 0 \
			"out:1..0 # SKIP no usable KVM: $path: ${dev#*:}" lines:0
		[ "$(wc -l <"$TMP/out")" -eq 1 ] && ok "$s: the skip is the suite's only output" ||
			not_ok "$s: the skip is the suite's only output" "$(wc -l <"$TMP/out") lines"
	done
	# The guests suite is fpvm test's TAP: each test a skip with the reason.
	FPVM_KVM=$path sh "$dir/test_guests.sh" >"$TMP/out" 2>"$TMP/err"
	status=$?
	check "guests: every test skips when the KVM device is ${dev#*:}" 0 \
		"out:ok 1 - hello # SKIP no usable KVM: $path: " "!out:not ok" lines:0
	[ "$(grep -c '# SKIP no usable KVM' "$TMP/out")" -eq "$(grep -c '^\[' "$dir/../guests.cfg")" ] &&
		ok "guests: one skip per test of tests/guests.cfg" ||
		not_ok "guests: one skip per test of tests/guests.cfg" "$(cat "$TMP/out")"
done

# What needs no KVM is checked before KVM is opened: a bad image or
# layout is reported as such on a machine without /dev/kvm.
printf 'garbage' >"$TMP/garbage.elf"
run run --kvm "$TMP/no-kvm" "$TMP/garbage.elf"
check "no KVM: a bad image is reported as a bad image" 65 \
	"err:fpvm: $TMP/garbage.elf: not an ELF file (bad magic)" lines:1
run run --kvm "$TMP/no-kvm" "$TMP/missing.elf"
check "no KVM: a missing image" 65 "err:$TMP/missing.elf: No such file" lines:1
run run --kvm "$TMP/no-kvm" --mem 2M --cpus 64 "$GUEST_DIR/hello.elf"
check "no KVM: memory too small for the vCPUs" 64 "err:--mem 2048K is too small for 64 vCPUs" lines:1
run run --kvm "$TMP/no-kvm" --stats-file /nonexistent/s.json "$GUEST_DIR/hello.elf"
check "no KVM: an output file that cannot be written" 74 "err:--stats-file /nonexistent/s.json" lines:1
run run --kvm "$TMP/no-kvm" "$GUEST_DIR/hello.elf"
check "no KVM: a good image reaches the KVM error" 69 "err:$TMP/no-kvm: no such device" lines:1

# Values that meant something else than they said are refused as usage errors.
run run --kvm "$TMP/no-kvm" --timeout 0 "$GUEST_DIR/hello.elf"
check "--timeout 0 (no timeout at all) is refused" 64 "err:--timeout 0: must be more than 0" lines:1
run run --kvm "$TMP/no-kvm" --timeout 1e-400 "$GUEST_DIR/hello.elf"
check "--timeout 1e-400 is 0 and refused" 64 "err:--timeout 1e-400: must be more than 0" lines:1
run run --kvm "" "$GUEST_DIR/hello.elf"
check "--kvm '' names the problem" 64 "err:option '--kvm' needs a value, not an empty string" \
	"!err:fpvm: : " lines:1
run run --kvm "$TMP/no-kvm" --xcr0 sse "$GUEST_DIR/hello.elf"
check "--xcr0 sse breaks a rule, before KVM is opened" 64 \
	"err:--xcr0 sse: XCR0 0x2 violates rule x87-required" lines:1
run version extra
check "version takes no arguments" 64 "err:version takes no arguments" lines:1
run --help bogus
check "--help of no command" 64 "err:unknown command 'bogus'" lines:1
run --help run
check "--help COMMAND is that command's help" 0 "out:Usage: fpvm run" lines:0

# summary.py on a run with a passing unit suite, a skipped host suite and a
# TAP suite with a failure and a skip.
mkdir -p "$TMP/b/meson-logs"
cat >"$TMP/b/meson-logs/testlog.json" <<'JSON'
{"name": "fpvm:unit / cli", "result": "OK", "stdout": "Running suite(s): cli\n100%: Checks: 11, Failures: 0, Errors: 0\n"}
{"name": "fpvm:integration / boot", "result": "SKIP", "stdout": "1..0 # SKIP no usable KVM: /dev/kvm: no such device\n"}
{"name": "fpvm:tcg / tcg", "result": "FAIL", "stdout": "ok 1 - a\nnot ok 2 - b\n# got 1:0\n#   stderr: oops\nok 3 - c # SKIP no AVX-512\n1..3\n"}
JSON
if command -v python3 >/dev/null 2>&1; then
	status=0
	python3 "$dir/../summary.py" "$TMP/b" >"$TMP/out" 2>"$TMP/err" || status=$?
	check "summary counts per lane" 0 \
		"out:unit (Check)          1 of  1 suites ran:   11 tests,   11 passed, 0 failed, 0 skipped" \
		"out:host KVM              0 of  1 suites ran:    0 tests,    0 passed, 0 failed, 0 skipped" \
		"out:skipped (boot): no usable KVM: /dev/kvm: no such device" \
		"out:faithful lane (tcg)   1 of  1 suites ran:    3 tests,    1 passed, 1 failed, 1 skipped" \
		"out:total: 12 passed, 1 failed, 2 skipped"
	# A failure comes with its diagnostics: a CI log may be all there is.
	grep -A2 '^failed in fpvm:tcg / tcg: not ok 2 - b$' "$TMP/out" | tr '\n' '|' | \
		grep -qx 'failed in fpvm:tcg / tcg: not ok 2 - b|    # got 1:0|    #   stderr: oops|' &&
		ok "summary prints each failed test with its diagnostics" ||
		not_ok "summary prints each failed test with its diagnostics" "$(cat "$TMP/out")"
else
	skip "summary counts per lane" "no python3 (the TCG lane's busybox)"
fi
done_testing
