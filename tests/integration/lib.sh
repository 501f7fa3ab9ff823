# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# Shared by the integration tests.  POSIX sh only: the same scripts run
# under busybox ash inside the TCG lane (tests/tcg).  Output is TAP.
#
# Environment: FPVM (the binary), GUEST_DIR (built guests), FPVM_KVM (the
# KVM device the suites need, default /dev/kvm; a missing path makes them
# skip as on a machine without KVM).

: "${FPVM:?FPVM must name the fpvm binary}"
: "${GUEST_DIR:?GUEST_DIR must name the built guests}"

. "$(dirname "$0")/kvm_usable.sh"

n=0
failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fpvm-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# run ARGS...: run fpvm; stdout in $TMP/out, stderr in $TMP/err, $status.
run() {
	"$FPVM" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
}

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	printf "# %s\n" "$2"
	sed 's/^/#   stdout: /' "$TMP/out"
	sed 's/^/#   stderr: /' "$TMP/err"
}

# check DESC STATUS [CHECK...]: after run, compare the status and outputs.
# A CHECK is out:TEXT or err:TEXT (fixed text that must appear), !out:TEXT
# or !err:TEXT (must not appear), or lines:N (stderr has exactly N lines).
check() {
	desc=$1
	want=$2
	shift 2
	why=""
	[ "$status" = "$want" ] || why="exit status $status, expected $want"
	for c in "$@"; do
		case $c in
		out:*) grep -qF -- "${c#out:}" "$TMP/out" || why="$why; stdout lacks '${c#out:}'" ;;
		err:*) grep -qF -- "${c#err:}" "$TMP/err" || why="$why; stderr lacks '${c#err:}'" ;;
		!out:*) ! grep -qF -- "${c#!out:}" "$TMP/out" || why="$why; stdout has '${c#!out:}'" ;;
		!err:*) ! grep -qF -- "${c#!err:}" "$TMP/err" || why="$why; stderr has '${c#!err:}'" ;;
		lines:*)
			l=$(wc -l <"$TMP/err")
			[ "$l" -eq "${c#lines:}" ] || why="$why; stderr has $l lines, expected ${c#lines:}" ;;
		*) why="$why; bad check '$c'" ;;
		esac
	done
	if [ -z "$why" ]; then ok "$desc"; else not_ok "$desc" "${why#; }"; fi
}

# count TEXT FILE: how many lines of FILE contain TEXT; 0 while FILE does not
# exist yet (a command started with & opens its redirections only once it runs).
count() {
	[ -e "$2" ] || { echo 0; return; }
	grep -cF -- "$1" "$2"
}

# wait_lines TEXT FILE N: until N lines of FILE contain TEXT, at most 60 s;
# false if they never did.  For a guest started with & whose threads or
# output a test reads next: a fixed sleep is too short on a loaded machine.
wait_lines() {
	w=0
	while [ "$(count "$1" "$2")" -lt "$3" ] && [ $w -lt 600 ]; do
		sleep 0.1
		w=$((w + 1))
	done
	[ "$(count "$1" "$2")" -ge "$3" ]
}

# require_kvm: a suite that needs a KVM and finds none is skipped with its
# reason (a TAP plan of 1..0, which Meson reports as SKIP), never failed;
# the faithful lane (tests/tcg) runs it instead.
require_kvm() {
	why=$(kvm_usable "${FPVM_KVM:-/dev/kvm}") && return 0
	echo "1..0 # SKIP $why"
	exit 0
}

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

# quirk NAME: true when fpvm probe detected quirk NAME on this host.
# Lane-specific expectations hang on this, never on a lane's name.
quirk() {
	[ -f "$TMP/probe.txt" ] || "$FPVM" probe >"$TMP/probe.txt" 2>&1
	grep -E "^  $1 +DETECTED" "$TMP/probe.txt" >/dev/null
}

# probe_value LABEL: a value from fpvm probe's text output ("KVM-supported XCR0").
probe_value() {
	[ -f "$TMP/probe.txt" ] || "$FPVM" probe >"$TMP/probe.txt" 2>&1
	sed -n "s/^  $1  *\([^ ]*\).*/\1/p" "$TMP/probe.txt" | head -n 1
}

# poke FILE OFFSET BYTE...: overwrite bytes (octal escapes, e.g. '\377').
poke() {
	f=$1
	off=$2
	shift 2
	printf "$@" | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
}

# vcpu_threads PID: "PID/TID NAME" of each fpvm-vcpuN thread of process PID
# (any process of fpvm's with PID "*"), from /proc, which both lanes have.
vcpu_threads() {
	for c in /proc/$1/task/*/comm; do
		read -r name <"$c" 2>/dev/null || continue
		case $name in fpvm-vcpu*) t=${c%/comm}; p=${t%/task/*}; echo "${p#/proc/}/${t##*/} $name" ;; esac
	done
}

# thread_cpus PID/TID: the thread's Cpus_allowed_list.
thread_cpus() {
	sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/${1%/*}/task/${1#*/}/status"
}

# thread_policy PID/TID: its scheduling policy, as a number (SCHED_OTHER 0,
# FIFO 1, RR 2, BATCH 3, IDLE 5): field 41 of stat, after the ")" of comm.
thread_policy() {
	sed 's/.*) //' "/proc/${1%/*}/task/${1#*/}/stat" | cut -d' ' -f39
}

# wait_vcpu_threads PID N: until process PID (or "*") has N fpvm-vcpu threads, at most 60 s.
wait_vcpu_threads() {
	i=0
	while [ "$(vcpu_threads "$1" | wc -l)" -lt "$2" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(vcpu_threads "$1" | wc -l)" -ge "$2" ]
}
