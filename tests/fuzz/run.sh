#!/bin/sh
# SPDX-License-Identifier: MIT
#
# CI's short fuzzing run: each libFuzzer target of a -Dfuzz=true clang build
# for SECONDS, starting from its seed corpus.  The corpus is copied first,
# since libFuzzer adds what it finds to the directory it is given and the
# tree must stay as it is.  Exits 1 if any target found a crash, leak or
# timeout (its log and the input are kept, and named), 2 on a usage error.
#
#   tests/fuzz/run.sh BUILD-DIR SECONDS [TARGET...]
#
# TARGET is elf, linux, fpstate_file, layout, xcr0, cli, manifest, report,
# snapshot_manifest or gdb_packet; default all ten.

set -u

usage() {
	echo "usage: $0 BUILD-DIR SECONDS [TARGET...]" >&2
	echo "targets: elf linux fpstate_file layout xcr0 cli manifest report snapshot_manifest gdb_packet" >&2
	exit 2
}

[ $# -ge 2 ] || usage
build=$1
seconds=$2
shift 2
case $seconds in
'' | *[!0-9]*) usage ;;
esac
[ $# -gt 0 ] || set -- elf linux fpstate_file layout xcr0 cli manifest report snapshot_manifest gdb_packet

# The targets it runs, built first: one list, this file's.
ninja -C "$build" $(for t; do printf 'tests/fuzz/fuzz_%s ' "$t"; done) || exit 2

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fpvm-fuzz-run.XXXXXX") || exit 2
failed=0

for t in "$@"; do
	bin=$build/tests/fuzz/fuzz_$t
	case $t in
	elf | linux | fpstate_file) max_len=65536 ;;
	xcr0 | cli | manifest) max_len=4096 ;;
	snapshot_manifest | layout | report) max_len=8192 ;;
	gdb_packet) max_len=20480 ;;
	*) echo "$0: unknown target '$t'" >&2; usage ;;
	esac
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin not built (ninja -C $build tests/fuzz/fuzz_$t)"
		failed=1
		continue
	fi
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	cp "$here/corpus/$t/"* "$work/$t/corpus/"
	# -timeout: one input taking 10 s is a hang; libFuzzer's
	# -error_exitcode covers crashes, sanitizer reports and leaks.
	"$bin" -max_total_time="$seconds" -max_len=$max_len -timeout=10 \
		-rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
		-artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" \
		>"$work/$t/log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log")
	if [ $status -eq 0 ]; then
		echo "ok   $t: ${runs:-?} runs, ${speed:-?} exec/s"
	else
		echo "FAIL $t: exit status $status after ${runs:-?} runs; log $work/$t/log"
		for a in "$work/$t/artifacts/"*; do
			[ -e "$a" ] && echo "     input: $a"
		done
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed)' "$work/$t/log" |
			sed 's/^/     /'
		failed=1
	fi
done

if [ $failed -eq 0 ]; then
	rm -rf "$work"
else
	echo "kept $work"
fi
exit $failed
