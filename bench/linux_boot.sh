#!/bin/sh
# SPDX-License-Identifier: MIT
# A Linux guest's boot under fpvm, kvmtool and QEMU on the same KVM: the
# time from the VMM's process start to the test init's first line
# ("fpvm-init: started", tests/linux/init.c), in interleaved rounds so
# that a shared machine's noise falls on all three alike; medians and the
# ratios are the figures.  Then each VMM's own private memory while the
# guest runs: Private_Dirty over its mappings (/proc/PID/smaps), the guest
# RAM's mapping (the one of the guest's size) left out.
#
#   bench/linux_boot.sh BZIMAGE INITRD [FPVM [ROUNDS]]
#
# INITRD holds the test init (tests/linux/mkinitramfs.py).  LKVM is
# kvmtool's lkvm-static, built from its public source outside this
# repository (never committed); QEMU is qemu-system-x86_64 (default: the
# one on PATH), QEMU_L a directory with its firmware for -L (the faithful
# lane's run --with-qemu sets both: bench/linux_boot_lane.sh).  A VMM that
# is not there is skipped with the reason; without /dev/kvm or the images
# the benchmark stops with 77.
K=$1
I=$2
FPVM=${3:-build/fpvm}
ROUNDS=${4:-5}
LKVM=${LKVM:-/tmp/kvmtool/lkvm-static}
QEMU=${QEMU:-qemu-system-x86_64}
MEM=256
WAIT=${WAIT:-90}	# seconds a boot may take to reach the init

skip() { echo "linux_boot: skipped: $1"; exit 77; }
{ [ -f "$K" ] && [ -f "$I" ]; } || skip "no bzImage or initramfs (BZIMAGE INITRD)"
[ -c /dev/kvm ] || skip "no /dev/kvm"
TMP=$(mktemp -d) || exit 70
trap 'rm -rf "$TMP"' EXIT

vmms=fpvm
if [ -x "$LKVM" ]; then vmms="$vmms kvmtool"; else echo "# kvmtool: skipped: no $LKVM (LKVM)"; fi
# shellcheck disable=SC2086
if $QEMU -version >/dev/null 2>&1; then vmms="$vmms qemu"; else echo "# qemu: skipped: '$QEMU' does not run (QEMU)"; fi

# vmm VMM INIT-ARGS...: becomes the VMM (exec), so that its PID is the one
# start() gives, to stop and to measure.
vmm() {
	v=$1
	shift
	case $v in
	fpvm)
		exec "$FPVM" run --mem ${MEM}M --timeout $((WAIT * 2)) --initrd "$I" "$K" -- quiet -- "$@" ;;
	kvmtool)
		# kvmtool's own command line (console=ttyS0, noapic, noacpi, ...) plus quiet.
		HOME=$TMP exec "$LKVM" run -m $MEM -c 1 -k "$K" -i "$I" -p "quiet -- $*" ;;
	qemu)
		# shellcheck disable=SC2086
		exec $QEMU ${QEMU_L:+-L "$QEMU_L"} -accel kvm -cpu host -m $MEM -nodefaults -no-user-config -display none \
			-serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
			-kernel "$K" -initrd "$I" -append "console=ttyS0 panic=-1 quiet -- $*" ;;
	esac
}

# start VMM INIT-ARGS...: the VMM in the background, its console in $TMP/out.
start() {
	vmm "$@" </dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
}

now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# The init's first line, or nothing after WAIT seconds (of the clock: a
# loaded machine's sleeps and greps take longer than they say).
wait_init() {
	end=$(( $(now_cs) + WAIT * 100 ))
	while ! grep -q 'fpvm-init: started' "$TMP/out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$(now_cs)" -ge $end ] && return 1
		sleep 0.02
	done
}

stop() {
	kill "$pid" 2>/dev/null
	sleep 1
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for v in $vmms; do : >"$TMP/$v.ms"; done
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for v in $vmms; do
		t0=$(now_cs)
		start "$v" status=0
		if wait_init; then
			echo $(( ($(now_cs) - t0) * 10 )) >>"$TMP/$v.ms"
		else
			echo "# $v round $r: no init line within $WAIT s: $(tail -n 1 "$TMP/err")"
		fi
		stop
	done
done

# Private_Dirty in KiB, the mapping of the guest's RAM left out.
private_kib() {
	awk -v ram=$((MEM * 1024)) '/^[0-9a-f]+-[0-9a-f]+ / { n = split($1, a, "-"); guest = 0 }
		/^Size:/ { guest = ($2 == ram) }
		/^Private_Dirty:/ && !guest { s += $2 }
		END { print s + 0 }' "/proc/$1/smaps"
}

for v in $vmms; do
	start "$v" sleep=4 status=0
	if wait_init; then
		sleep 1
		private_kib "$pid" >"$TMP/$v.kib" ||
			echo "# $v: $pid's smaps not read"
	else
		echo "# $v memory round: no init line within $WAIT s: $(tail -n 1 "$TMP/err")"
	fi
	stop
done

printf '%-8s %6s %12s %10s %14s\n' VMM boots "median ms" "vs fpvm" "private KiB"
f=$(median <"$TMP/fpvm.ms" 2>/dev/null)
for v in $vmms; do
	m=$(median <"$TMP/$v.ms" 2>/dev/null)
	n=$(wc -l <"$TMP/$v.ms" 2>/dev/null || echo 0)
	printf '%-8s %6s %12s %10s %14s\n' "$v" "$n/$ROUNDS" "${m:--}" \
		"$(awk -v m="$m" -v f="$f" 'BEGIN { if (m > 0 && f > 0) printf "%.2fx", m / f; else print "-" }')" \
		"$(cat "$TMP/$v.kib" 2>/dev/null || echo -)"
done
