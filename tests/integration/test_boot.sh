#!/bin/sh
# SPDX-License-Identifier: MIT
# Booting the bundled guests: what tests/guests.cfg (run by the 'guests'
# suite through 'fpvm test') cannot say: counts, files, stderr, dtc.
. "$(dirname "$0")/lib.sh"
require_kvm

for cpus in 1 2 4; do
	run run --cpus "$cpus" "$GUEST_DIR/hello.elf"
	check "hello with $cpus vCPUs" 0 "out:Hello from fpvm guest!" !err:fpvm
	[ "$(count Hello "$TMP/out")" -eq 1 ] && ok "hello greets once with $cpus vCPUs" ||
		not_ok "hello greets once with $cpus vCPUs" "$(count Hello "$TMP/out") greetings"

	run run --cpus "$cpus" --mem 64M "$GUEST_DIR/smp.elf"
	check "smp with $cpus vCPUs" 0 "out:smp: all $cpus vCPUs reported"
	[ "$(count reporting "$TMP/out")" -eq "$cpus" ] && ok "smp: every one of $cpus vCPUs reports" ||
		not_ok "smp: every one of $cpus vCPUs reports" "$(count reporting "$TMP/out") reports"
done

run run "$GUEST_DIR/hello.elf" -- one "two words" --cpus
check "guest receives its arguments" 0 "out:arg[1] = one" "out:arg[2] = two words" \
	"out:arg[3] = --cpus"

run run --exit-status=qemu "$GUEST_DIR/fault.elf" bogus
check "--exit-status=qemu maps 2 to 5" 5

run run --serial "$TMP/serial.txt" "$GUEST_DIR/hello.elf" x
check "--serial sends output to a file" 0 "!out:Hello"
grep -qF "Hello from fpvm guest!" "$TMP/serial.txt" && grep -qF "arg[1] = x" "$TMP/serial.txt" &&
	ok "--serial file holds the output" || not_ok "--serial file holds the output" "$(cat "$TMP/serial.txt")"

run run --dump-dtb "$TMP/guest.dtb" --cpus 2 "$GUEST_DIR/hello.elf" a1
check "--dump-dtb" 0
if command -v dtc >/dev/null 2>&1; then
	dtc -I dtb -O dts "$TMP/guest.dtb" >"$TMP/out" 2>"$TMP/err"
	status=$?
	check "dtc decodes the dumped tree" 0 "out:cpu@1 {" "out:memory@0 {" \
		'out:fpvm,argv = "'"$GUEST_DIR"'/hello.elf\0a1";' 'out:bootargs = "a1";' 'out:compatible = "ns16550a";' \
		"out:/memreserve/"
else
	skip "dtc decodes the dumped tree" "dtc not installed"
fi

run run -v "$GUEST_DIR/io.elf" unknown
check "-v reports unknown accesses" 0 "err:1-byte read of unknown port 0x2f8" \
	"err:4-byte read of unknown MMIO address 0xfed00000" "err:1 unknown port and 1 unknown MMIO"
run run --strict-io "$GUEST_DIR/io.elf" unknown
check "--strict-io stops at an unknown access" 117 "err:of unknown MMIO address 0xfed00000 at rip 0x"
run run --strict-io "$GUEST_DIR/io.elf" uart
check "--strict-io passes a guest that stays on known devices" 0 "out:uart probe ok"
# A test guest's vCPUs have KVM's LAPIC where KVM offers one (fpvm probe):
# its registers answer from KVM, not as unknown MMIO.
if "$FPVM" probe 2>/dev/null | grep -q "LAPIC in KVM *yes"; then
	run run --strict-io "$GUEST_DIR/io.elf" lapic
	check "a test guest's vCPU has KVM's LAPIC" 0 "out:: a LAPIC" "!err:unknown MMIO"
else
	run run "$GUEST_DIR/io.elf" lapic
	check "a test guest's vCPU has no LAPIC where KVM has no split irqchip" 0 "out:: no LAPIC"
fi

# Multiboot v1 kernels (ELF32 program headers, and the a.out kludge).
for k in mb32 mb32-aout; do
	run run "$GUEST_DIR/$k.elf" one two
	check "Multiboot kernel $k: entry state and information" 0 \
		"out:ok: EAX holds the boot loader magic 0x2badb002" "out:ok: protected mode, paging off" \
		"out:ok: mem_lower is 639 KiB" "out:cmdline: $GUEST_DIR/$k.elf one two" \
		"out:ok: boot loader name" "!out:FAIL"
done
# The fpstate options work for Multiboot kernels too, the waiting AP's included.
run run --check-host-fpstate --save-fpstate "$TMP/mbfs" --dump-fpstate --xcr0 x87,sse --cpus 2 \
	"$GUEST_DIR/mb32.elf"
check "Multiboot kernel with the fpstate options" 0 "out:--- vcpu 0 fpstate (XCR0 0x3" \
	"out:--- vcpu 1 fpstate (XCR0 0x3" "out:ok: boot loader name" "!out:FAIL"
run fpstate check "$TMP/mbfs/vcpu1.xsave"
check "... and the saved state validates" 0 "out:valid as a guest fpstate"
printf 'hello, module!' >"$TMP/mod1"
printf 'NR_CPUS=1\n' >"$TMP/env"
run run --module "$TMP/mod1,first string" --initrd "$TMP/env" "$GUEST_DIR/mb32.elf"
check "Multiboot modules: strings, sizes, contents, page-aligned" 0 \
	"out:module 0x00000000: 'first string' at 0x" "out:, 0x0000000e bytes: hello, module!" \
	"out:module 0x00000001: '' at 0x" "out:bytes: NR_CPUS=1." "out:ok: module page-aligned" \
	"!out:FAIL"
run run --module "$TMP/missing" "$GUEST_DIR/mb32.elf"
check "a missing module" 65 "err:$TMP/missing: No such file" lines:1
mkfifo "$TMP/fifo"
{ sleep 10; : >"$TMP/fifo"; } &
writer=$!
run run --module "$TMP/fifo,string" "$GUEST_DIR/mb32.elf"
check "a FIFO as a module: refused, not waited on" 65 \
	"err:$TMP/fifo: is a FIFO, not a regular file" lines:1
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
run run --module "$TMP/mod1" "$GUEST_DIR/hello.elf"
check "modules are for Multiboot kernels" 65 "err:modules (--module, --initrd) are for Multiboot kernels only" lines:1
run run --mem 5G "$GUEST_DIR/mb32.elf"
check "Multiboot memory map with RAM above 4 GiB" 0 "out:ok: the memory map holds" "!out:FAIL"
run run --exit-status=qemu "$GUEST_DIR/mb32.elf"
check "Multiboot kernel with --exit-status=qemu" 1
# The PC platform: the application processor waits for INIT/SIPI in KVM's
# LAPIC, which this kernel never sends; the BSP's exit ends the VM.
run run --cpus 2 --timeout 20 "$GUEST_DIR/mb32.elf"
check "Multiboot kernel on 2 vCPUs: the AP waits for SIPI" 0 "out:ok: boot loader name" \
	"!out:FAIL" "!err:timeout"

# The PC platform (guest/mb32/pc.c): every access it makes hits a device,
# and S3, S5 and the reset register end the way the platform says.
run run --strict-io --cpus 4 "$GUEST_DIR/mb32-pc.elf"
check "PC platform: ACPI, PM timer, RTC, pc-testdev, PCI, with --strict-io" 0 \
	"out:ok: MADT lists every CPU's LAPIC, enabled, IDs 0..n-1" "out:MADT: 0x00000004 LAPICs" \
	"out:ok: PM timer runs at 3.579545 MHz" "out:ok: pc-testdev IRQ line 14 reaches" "!out:FAIL"
run run --timeout 10 "$GUEST_DIR/mb32-pc.elf" s3
check "PC platform: S3 suspend, RTC alarm wake, real mode at the FACS vector" 0 "out:entering S3" \
	"!out:FAIL"
run run "$GUEST_DIR/mb32-pc.elf" s5
check "PC platform: S5 is soft off" 118 "err:ACPI S5 (soft off)"
run run "$GUEST_DIR/mb32-pc.elf" reset
check "PC platform: the FADT's reset register" 118 "err:system reset through port 0xcf9"

# --stats: the min guest makes four port writes, three serial bytes and
# the exit port.  Where KVM queues THR's writes (coalesced PIO, fpvm
# probe) the bytes make no exit and are counted as queued; elsewhere each
# byte is an exit.
run run --stats=json --stats-file "$TMP/stats.json" "$GUEST_DIR/min.elf"
check "--stats=json --stats-file" 0 "out:ok" lines:0
if "$FPVM" probe 2>/dev/null | grep -q "coalesced PIO *yes"; then
	expect='"id": 0, "exits": 1, "exits_by_reason": {"io": 1}'
	queued='"coalesced_serial_writes": 3'
else
	expect='"id": 0, "exits": 4, "exits_by_reason": {"io": 4}'
	queued='"coalesced_serial_writes": 0'
fi
grep -qF "$expect" "$TMP/stats.json" && grep -qF "$queued" "$TMP/stats.json" &&
	ok "--stats counts the min guest's 4 port writes: I/O exits and queued bytes" ||
	not_ok "--stats counts the min guest's 4 port writes: I/O exits and queued bytes" \
		"$(cat "$TMP/stats.json")"
for key in '"phases_ms": {"kvm_open": ' '"vcpus": ' '"first_exit": ' '"teardown": ' \
	'"memory_kib": {"rss": ' '"fpvm_private": ' '"host_cpus": "' '"voluntary_switches": ' \
	'"involuntary_switches": ' '"migrations": '; do
	grep -qF "$key" "$TMP/stats.json" && ok "--stats=json has $key" ||
		not_ok "--stats=json has $key" "$(cat "$TMP/stats.json")"
done
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["vcpus"][0]["exits"] == 4' \
		"$TMP/stats.json" >"$TMP/out" 2>"$TMP/err" && status=0 || status=$?
	check "--stats=json parses as JSON" 0
else
	skip "--stats=json parses as JSON" "no python3 (the TCG lane's busybox)"
fi
run run --stats --cpus 2 "$GUEST_DIR/smp.elf"
check "--stats on stderr, two lines per vCPU" 0 "err:fpvm: stats: phases (ms): kvm_open " \
	"err:fpvm: stats: vcpu 0: " "err:fpvm: stats: vcpu 1: " "err:fpvm: stats: memory (KiB): RSS " \
	"err:; context switches " "err:; migrations " lines:6
# Where the host ran each vCPU thread: on the one CPU it was given.
run run --stats --cpus 2 --affinity all:1 "$GUEST_DIR/smp.elf"
check "--stats --affinity all:1: both vCPU threads ran on CPU 1" 0 \
	"err:fpvm: stats: vcpu 0: host CPUs 1; context switches " \
	"err:fpvm: stats: vcpu 1: host CPUs 1; context switches " lines:6
# The thread reads its own counters at its end, through its seccomp filter.
[ "$(grep -cE '; context switches [0-9]+ voluntary, [0-9]+ involuntary; migrations ([0-9]+|unknown)' \
	"$TMP/err")" -eq 2 ] && ok "--stats: each vCPU thread's context switches were read" ||
	not_ok "--stats: each vCPU thread's context switches were read" "$(cat "$TMP/err")"
run run --stats=yaml "$GUEST_DIR/min.elf"
check "--stats=yaml" 64 "err:--stats=yaml: expected --stats or --stats=json" lines:1
run run --stats-file /nonexistent/dir/s.json "$GUEST_DIR/min.elf"
check "--stats-file that cannot be written" 74 "err:--stats-file /nonexistent/dir/s.json:" lines:1

# --affinity and --sched: each vCPU thread places itself before its seccomp
# filter; the kernel's view of the threads (/proc) must say so, and the
# main thread must keep the process's CPUs.
own_cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$$/status)
# placed ARGS...: runs the spin guest with ARGS; "CPUS:POLICY" of vCPU 0, then 1, in $got.
placed() {
	: >"$TMP/out"
	"$FPVM" run --cpus 2 --timeout 60 "$@" "$GUEST_DIR/spin.elf" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	got="no vCPU threads"
	# Both threads placed themselves once their vCPUs run the guest.
	wait_lines spinning "$TMP/out" 2
	if wait_vcpu_threads $pid 2; then
		got=""
		for t in $(vcpu_threads $pid | sort -k2 | cut -d' ' -f1); do
			got="$got$(thread_cpus "$t"):$(thread_policy "$t") "
		done
		main=$(thread_cpus "$pid/$pid")
	fi
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}
placed --affinity 0:1,1:0 --sched batch
[ "$got" = "1:3 0:3 " ] && ok "--affinity 0:1,1:0 --sched batch: vCPU 0 on CPU 1, vCPU 1 on 0, SCHED_BATCH" ||
	not_ok "--affinity 0:1,1:0 --sched batch: vCPU 0 on CPU 1, vCPU 1 on 0, SCHED_BATCH" "got $got"
[ "$main" = "$own_cpus" ] && ok "--affinity leaves the main thread on the process's CPUs ($main)" ||
	not_ok "--affinity leaves the main thread on the process's CPUs" "main $main, expected $own_cpus"
placed --affinity all:0 --sched idle
[ "$got" = "0:5 0:5 " ] && ok "--affinity all:0 --sched idle: both vCPUs on CPU 0, SCHED_IDLE" ||
	not_ok "--affinity all:0 --sched idle: both vCPUs on CPU 0, SCHED_IDLE" "got $got"
placed --affinity 1:0
[ "$got" = "$own_cpus:0 0:0 " ] && ok "--affinity 1:0: vCPU 0 left alone, vCPU 1 on CPU 0" ||
	not_ok "--affinity 1:0: vCPU 0 left alone, vCPU 1 on CPU 0" "got $got"
# A real-time policy: applied where the process may use one, else refused with 77.
rtprio=$(ulimit -r 2>/dev/null || echo 0)
if [ "$(id -u)" = 0 ] || [ "$rtprio" = unlimited ] || [ "${rtprio:-0}" -ge 5 ] 2>/dev/null; then
	placed --affinity all:1 --sched rr:5
	[ "$got" = "1:2 1:2 " ] && ok "--sched rr:5 --affinity all:1: SCHED_RR on CPU 1" ||
		not_ok "--sched rr:5 --affinity all:1: SCHED_RR on CPU 1" "got $got"
else
	run run --sched fifo:5 --timeout 10 "$GUEST_DIR/min.elf"
	check "--sched fifo:5 refused where the process may not use it" 77 \
		"err:scheduling policy fifo:5: not permitted to this process" "!out:ok"
fi
run run --affinity 0:2-1 "$GUEST_DIR/min.elf"
check "--affinity with a backwards range" 64 "err:--affinity 0:2-1: range 2-1 runs backwards" lines:1
run run --affinity 1:0 "$GUEST_DIR/min.elf"
check "--affinity for a vCPU the VM lacks" 64 "err:--affinity: vCPU 1: the VM has 1 vCPU" lines:1
run run --affinity all:1023 "$GUEST_DIR/min.elf"
check "--affinity with a CPU the process may not use" 64 \
	"err:--affinity: CPU 1023: not one this process may run on" lines:1
run run --affinity 0 "$GUEST_DIR/min.elf"
check "--affinity without a vCPU" 64 "err:--affinity '0': expected VCPU:LIST" lines:1
run run --sched fifo "$GUEST_DIR/min.elf"
check "--sched fifo without a priority" 64 "err:--sched 'fifo': fifo needs a priority" lines:1
run run --sched deadline "$GUEST_DIR/min.elf"
check "--sched deadline" 64 "err:--sched 'deadline': expected other, batch, idle" lines:1

done_testing
