#!/bin/sh
# SPDX-License-Identifier: MIT
# The `linux` suite: a kernel no one here built (Debian's cloud kernel)
# boots to a static test init (tests/linux/init.c) under fpvm, and what the
# init and the kernel do becomes fpvm's exit status.  Refusals that need no
# KVM are test_linux_input.sh's.
#
# Environment: LINUX_KERNEL and LINUX_INITRD (a bzImage and an initramfs
# with the test init; the lane passes both), or LINUX_FETCH (a command that
# prints a bzImage's path: tests/linux/kernel.py), LINUX_INIT (the built
# init) and MKINITRAMFS (tests/linux/mkinitramfs.py) to make them;
# LINUX_VMLINUX, the same kernel as a PVH vmlinux (LINUX_FETCH --vmlinux
# prints it), or its case skips.
. "$(dirname "$0")/lib.sh"

require_kvm

if [ -z "${LINUX_KERNEL:-}" ] && [ -n "${LINUX_FETCH:-}" ]; then
	LINUX_KERNEL=$(sh -c "$LINUX_FETCH" 2>"$TMP/fetch") || {
		echo "1..0 # SKIP no kernel: $(tail -n 1 "$TMP/fetch")"
		exit 0
	}
fi
if [ -z "${LINUX_VMLINUX:-}" ] && [ -n "${LINUX_FETCH:-}" ]; then
	LINUX_VMLINUX=$(sh -c "$LINUX_FETCH --vmlinux" 2>"$TMP/fetch-vmlinux") || LINUX_VMLINUX=
fi
if [ -z "${LINUX_INITRD:-}" ] && [ -f "${LINUX_INIT:-}" ]; then
	LINUX_INITRD=$TMP/rootfs.cpio
	python3 "$MKINITRAMFS" "$LINUX_INIT" "$LINUX_INITRD" || LINUX_INITRD=
fi
if [ ! -f "${LINUX_KERNEL:-}" ] || [ ! -f "${LINUX_INITRD:-}" ]; then
	echo "1..0 # SKIP no Linux kernel or initramfs (LINUX_KERNEL, LINUX_INITRD)"
	exit 0
fi
# Where KVM emulates CPL0 code an instruction at a time (PVM), a stock
# kernel's boot does not end in minutes: the lane runs these instead.
if quirk cpl0-x87-fails; then
	echo "1..0 # SKIP this KVM emulates CPL0 code (quirk cpl0-x87-fails): a stock kernel does not boot in bounded time"
	exit 0
fi

K=$LINUX_KERNEL
I=$LINUX_INITRD
# A KVM that now and then gives the guest an interrupt while its IF is 0
# (the faithful lane's QEMU, docs/linux.md) deadlocks some boots: where it
# says so in LINUX_BOOT_RETRIES, a boot that timed out is tried again that
# many times at most, each retry said in a TAP comment.  Anywhere else a
# timeout is a failure at once.
RETRIES=${LINUX_BOOT_RETRIES:-0}
retried=0
# timed_out: the last boot ended by --timeout, and may be tried again.
timed_out() {
	[ "$status" = 124 ] && [ "$tries" -lt "$RETRIES" ] || return 1
	tries=$((tries + 1))
	retried=$((retried + 1))
	echo "# boot timed out (vCPU 0 at$(sed -n 's/.*\( rip [0-9a-f]*\).*/\1/p' "$TMP/err" | head -n 1)), retry $tries of $RETRIES"
}

# boot [FPVM-OPTIONS...] -- [INIT-ARGS...]: the kernel with the test init.
boot() {
	opts=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts="$opts $1"
		shift
	done
	[ $# -gt 0 ] && shift
	tries=0
	# shellcheck disable=SC2086
	run run --mem 256M --timeout 60 $opts --initrd "$I" "$K" -- quiet -- "$@"
	while timed_out; do
		# shellcheck disable=SC2086
		run run --mem 256M --timeout 60 $opts --initrd "$I" "$K" -- quiet -- "$@"
	done
}

boot --
check "boots to the init, which exits 0" 0 "out:fpvm-init: started" \
	"out:fpvm-init: done, status 0" "!out:XSAVE consistency problem" "lines:0"
grep -m 1 "fpvm-init: started" "$TMP/out" | sed 's/^/# /'

boot -- status=7
check "the init's status through the exit port" 7 "out:fpvm-init: done, status 7"

# The same kernel as a PVH vmlinux, with no --mem: a Linux kernel's 256M.
if [ -f "${LINUX_VMLINUX:-}" ]; then
	tries=0
	run run --timeout 60 --initrd "$I" "$LINUX_VMLINUX" -- quiet -- status=0
	while timed_out; do
		run run --timeout 60 --initrd "$I" "$LINUX_VMLINUX" -- quiet -- status=0
	done
	check "a PVH vmlinux boots to the init with the default RAM" 0 \
		"out:fpvm-init: started" "out:fpvm-init: done, status 0" \
		"!out:XSAVE consistency problem"
	grep -m 1 "fpvm-init: started" "$TMP/out" | sed 's/^/# PVH: /'
else
	skip "a PVH vmlinux boots to the init" "no vmlinux: $(tail -n 1 "$TMP/fetch-vmlinux" 2>/dev/null)"
fi

boot -- exit=5
check "a kernel panic: status 119, the panic line kept" 119 \
	"out:Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000500" \
	"err:Kernel panic - not syncing: Attempted to kill init!" "lines:1"

boot -- poweroff
check "power-off through ACPI S5 is success" 0 "out:fpvm-init: poweroff" "err:ACPI S5 (soft off)" \
	"lines:1"

boot -- reboot
check "a reboot is a system event" 118 "out:fpvm-init: reboot" "err:system reset"

boot --cpus 2 -- cpus=2
check "--cpus 2 brings up 2 CPUs" 0 "out:fpvm-init: cpus 2" "out:status 0"

# --xcr0 decides what Linux sees: XCR0, its flags and its x86/fpu lines agree.
boot --xcr0 x87,sse -- xcr0=0x3
check "--xcr0 x87,sse: no AVX in Linux" 0 "out:fpvm-init: xcr0 0x3" \
	"!out:fpu flags: fpu sse sse2 xsave avx" "!out:'AVX registers'" \
	"!out:XSAVE consistency problem"
boot --xcr0 x87,sse,avx -- xcr0=0x7
check "--xcr0 x87,sse,avx: AVX in Linux" 0 "out:fpvm-init: xcr0 0x7" \
	"out:fpu flags: fpu sse sse2 xsave avx" "out:Enabled xstate features 0x7," \
	"!out:XSAVE consistency problem"

boot --dump-fpstate --save-fpstate "$TMP/fp" --check-host-fpstate --
check "--dump-fpstate, --save-fpstate, --check-host-fpstate" 0 "out:status 0"
[ -s "$TMP/fp/vcpu0.xsave" ] && [ -s "$TMP/fp/vcpu0.layout" ] &&
	ok "--save-fpstate wrote vcpu0's image and layout" ||
	not_ok "--save-fpstate wrote vcpu0's image and layout" "$(ls -l "$TMP/fp" 2>&1)"

# snapshot_mid_run INIT-ARGS...: the kernel run with --snapshot-dir, and a
# snapshot taken (SIGUSR1) once the init ticks; the run goes on to its end.
snapshot_mid_run() {
	tries=0
	snapshot_run "$@"
	while timed_out; do
		snapshot_run "$@"
	done
}
# snapshot_run INIT-ARGS...: one such run.
snapshot_run() {
	rm -rf "$TMP/snap"
	: >"$TMP/out"	# not the last run's lines: the loop below reads it at once
	"$FPVM" run --mem 256M --timeout 60 --snapshot-dir "$TMP/snap" --initrd "$I" "$K" \
		-- quiet -- "$@" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	i=0
	while ! grep -q "fpvm-init: tick 1" "$TMP/out" && kill -0 $pid 2>/dev/null &&
		[ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -USR1 $pid 2>/dev/null
	wait $pid
	status=$?
}

# A snapshot of the running guest; the restored copy's timers and console
# go on and the init ends with its status (its outl to the exit port from
# user space: the TSS's I/O bitmap works after the restore).
snapshot_mid_run sleep=4 status=3
check "snapshot of a running Linux guest, which goes on" 3 "out:fpvm-init: tick 4" \
	"out:fpvm-init: done, status 3"
run restore --timeout 90 "$TMP/snap"
check "restored, its timers and console go on to the init's status" 3 \
	"out:fpvm-init: tick 4" "out:fpvm-init: done, status 3"

# The restored VM knows it runs Linux (the snapshot records the guest's
# kind): its kernel panic is the panic, with its line, not a plain reset.
snapshot_mid_run sleep=3 exit=5
check "snapshot of a Linux guest whose init will exit" 119 \
	"err:Kernel panic - not syncing: Attempted to kill init!"
run restore --timeout 90 "$TMP/snap"
check "restored, its kernel panic is status 119 with the panic line" 119 \
	"out:fpvm-init: tick 3" "err:Kernel panic - not syncing: Attempted to kill init!"

echo "# boots tried again after a timeout: $retried"
done_testing
