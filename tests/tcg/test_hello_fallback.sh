#!/bin/sh
# SPDX-License-Identifier: MIT
# ./fpvm-dev hello without a usable /dev/kvm: the hello guest boots on the
# faithful lane, one line on stderr says why, and the status is the guest's.
# Environment: SOURCE (the source tree), BUILD (its build directory).
n=0
failed=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

check() {
	n=$((n + 1))
	if [ "$2" = ok ]; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		echo "# $2"
		sed 's/^/#   stdout: /' "$out"
		sed 's/^/#   stderr: /' "$err"
	fi
}

FPVM_KVM=/nonexistent/kvm FPVM_BUILD=$BUILD "$SOURCE/fpvm-dev" hello >"$out" 2>"$err"
status=$?
[ $status -eq 0 ] && check "hello's status passes through (0)" ok ||
	check "hello's status passes through (0)" "status $status"
grep -q 'Hello from fpvm guest! (1 vCPU)' "$out" && check "hello greets from the faithful lane" ok ||
	check "hello greets from the faithful lane" "no greeting"
lines=$(wc -l <"$err")
grep -q '^fpvm-dev: no usable KVM: /nonexistent/kvm: no such device; booting hello on the faithful lane' \
	"$err" && [ "$lines" -eq 1 ] && check "one line on stderr says why" ok ||
	check "one line on stderr says why" "$lines lines"

# The lane's run mode passes a failing guest's status through as well.
python3 "$SOURCE/tests/tcg/tcg_lane.py" --build "$BUILD" --quiet run -- \
	fpvm run /fpvm/guest/fault.elf >"$out" 2>"$err"
status=$?
[ $status -eq 112 ] && check "a faulting guest's status passes through (112)" ok ||
	check "a faulting guest's status passes through (112)" "status $status"
echo "1..$n"
[ $failed -eq 0 ]
