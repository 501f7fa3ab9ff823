#!/bin/sh
# SPDX-License-Identifier: MIT
# The gdb stub end to end: Debian's gdb in batch mode against the debuggee
# guest on two vCPUs: threads, a breakpoint at a symbol, registers
# (info registers, $ymm, and $zmm and $k where XCR0 has AVX-512), memory
# read and written, a watchpoint, steps, Ctrl-C of a spinning guest, and
# register and memory writes the guest checks and reports as its status.
# Then the same guest from a snapshot, under restore --gdb.
# Kept to one gdb session: the faithful lane is slow.
. "$(dirname "$0")/lib.sh"
require_kvm

GDB=${GDB:-gdb}
if ! command -v "$GDB" >/dev/null 2>&1; then
	echo "1..0 # SKIP no gdb ($GDB) on this host"
	exit 0
fi

# wait_for FILE TEXT SECONDS: until FILE has TEXT, or the time is up.
wait_for() {
	i=0
	while ! grep -qF -- "$2" "$1" 2>/dev/null && [ $i -lt "$3" ]; do
		sleep 1
		i=$((i + 1))
	done
}

# end PID SECONDS: waits that long for PID to end by itself, then ends it.
end() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt "$2" ]; do
		sleep 1
		i=$((i + 1))
	done
	kill "$1" 2>/dev/null
}

# Bad specs are usage errors, before any KVM.
run run --gdb tcp:1.2.3.4.5:1 "$GUEST_DIR/hello.elf"
check "--gdb with a bad host" 64 "err:is not an IPv4 address" lines:1
run run --gdb serial:x "$GUEST_DIR/hello.elf"
check "--gdb with an unknown kind" 64 "err:not tcp:HOST:PORT or unix:PATH" lines:1
run run --gdb-wait "$GUEST_DIR/hello.elf"
check "--gdb-wait without --gdb" 64 "err:--gdb-wait: needs --gdb" lines:1

# A unix socket is its owner's alone; the guest runs on without a client.
run run --gdb "unix:$TMP/g.sock" "$GUEST_DIR/hello.elf"
check "a gdb stub nobody connects to leaves the guest alone" 0 "out:Hello from fpvm guest!" \
	"err:fpvm: gdb stub on $TMP/g.sock"
[ ! -e "$TMP/g.sock" ] && ok "the unix socket is removed at exit" ||
	not_ok "the unix socket is removed at exit" "$(ls -l "$TMP/g.sock")"

# The lane's init leaves the loopback interface down.
ip link show lo 2>/dev/null | grep -q ',UP' || ip link set lo up 2>/dev/null

# What the guest's XCR0 enables decides which registers gdb may name.
avx="" avx512=""
xcr0=$(probe_value "default guest XCR0")
case $xcr0 in
0x*)
	[ $((xcr0 & 0x4)) -ne 0 ] && avx=1
	[ $((xcr0 & 0xe0)) -eq $((0xe0)) ] && avx512=1 ;;
esac

# What this KVM's guest debug can do decides which cases run (fpvm probe's quirks).
brk=break hw=1
if quirk sw-breakpoint-not-intercepted; then
	brk=""
	skip "a software breakpoint (break, Z0)" "quirk sw-breakpoint-not-intercepted"
fi
if quirk hw-breakpoint-not-intercepted; then
	hw=""
	skip "a watchpoint (watch, Z2)" "quirk hw-breakpoint-not-intercepted"
fi
[ -n "$brk" ] || [ -z "$hw" ] || brk=hbreak

port=$((20000 + $$ % 20000))
# gdb_head: what every gdb session's script starts with.
gdb_head() {
	printf 'set pagination off\nset confirm off\nset width 0\ntarget remote 127.0.0.1:%s\n' "$port"
}
"$FPVM" run --cpus 2 --gdb "tcp:127.0.0.1:$port" --gdb-wait --timeout 600 \
	"$GUEST_DIR/debuggee.elf" >"$TMP/guest.out" 2>"$TMP/guest.err" &
fpvm_pid=$!
wait_for "$TMP/guest.err" 'gdb stub on' 60

# Session 1, at the guest's first instruction: threads, registers, memory,
# steps, the breakpoint and watchpoint this KVM can take; gdb writes
# registers and memory the guest checks later; then it detaches.
{ gdb_head; cat <<GDB
info threads
info registers rip
set var debuggee_poke = 0x1234
${avx:+set \$ymm4.v8_int32[7] = 77}
${avx512:+set \$k5 = 0x55}
x/1xw &debuggee_poke
p \$pc
stepi
stepi
p \$pc
${brk:+$brk debuggee_here}
${brk:+continue}
${hw:+watch debuggee_watched}
${hw:+continue}
${hw:+delete}
detach
GDB
} >"$TMP/one.gdb"
# Session 2, a new client: Ctrl-C of the spinning guest, the registers it
# set, and its release; fpvm's status is then the guest's verdict.
{ gdb_head; cat <<GDB
continue
${avx:+p/x \$ymm3.v8_int32[0]}
${avx:+p/x \$ymm3.v8_int32[7]}
${avx512:+p/x \$zmm17.v16_int32[15]}
${avx512:+p/x \$k3}
p debuggee_result
monitor xcr0
monitor fpstate
info threads
set var debuggee_release = 1
detach
GDB
} >"$TMP/two.gdb"

timeout 300 "$GDB" -nx -batch -x "$TMP/one.gdb" "$GUEST_DIR/debuggee.elf" >"$TMP/one.out" 2>&1
"$GDB" -nx -batch -x "$TMP/two.gdb" "$GUEST_DIR/debuggee.elf" >"$TMP/two.out" 2>&1 &
gdb_pid=$!
wait_for "$TMP/guest.out" "gdb's writes" 120
wait_for "$TMP/two.out" "Continuing." 120
sleep 2
kill -INT "$gdb_pid" 2>/dev/null
end "$gdb_pid" 120
end "$fpvm_pid" 30
wait "$fpvm_pid"
fpvm_status=$?
cp "$TMP/guest.err" "$TMP/err"

status=0
cp "$TMP/one.out" "$TMP/out"
check "gdb lists both vCPUs as threads" 0 "out:Thread 1" "out:Thread 2"
check "info registers" 0 "out:rip            0x"
check "memory written and read back" 0 "out:0x00001234"
pcs=$(grep -E '^\$[0-9]+ = \(void \(\*\)\(' "$TMP/one.out" | sed 's/.*) \(0x[0-9a-f]*\).*/\1/' | tr '\n' ' ')
set -- $pcs
[ $# -ge 2 ] && [ "$1" != "$2" ] && ok "stepi moves the pc ($1 to $2)" ||
	not_ok "stepi moves the pc" "pc values: $pcs"
if [ -n "$brk" ]; then
	check "a breakpoint ($brk) at a symbol" 0 "out:Breakpoint 1, " "out:debuggee_here"
else
	skip "a breakpoint at a symbol" "quirks sw- and hw-breakpoint-not-intercepted"
fi
[ -z "$hw" ] || check "a watchpoint fires" 0 "out:atchpoint 2: debuggee_watched" "out:New value = 2"
check "gdb detaches" 0 "out:(Remote target) detached"

cp "$TMP/two.out" "$TMP/out"
check "Ctrl-C stops a spinning guest" 0 "out:SIGINT"
if [ -n "$avx" ]; then
	check "\$ymm3 as the guest set it" 0 "out:= 0x33323130" "out:= 0x4f4e4d4c"
else
	skip "\$ymm3" "XCR0 $xcr0 has no AVX"
fi
if [ -n "$avx512" ]; then
	check "\$zmm17 and \$k3 as the guest set them" 0 "out:= 0x6f6e6d6c" "out:= 0x5a5a"
else
	skip "\$zmm17 and \$k3" "XCR0 $xcr0 has no AVX-512"
fi
check "a second client after the first detached" 0 "out:Thread 2"
check "monitor xcr0 and fpstate" 0 "out:vcpu 0: XCR0 0x" "out:features   0x"
grep -q "gdb's writes arrived" "$TMP/guest.out" && ok "the guest saw gdb's register and memory writes" ||
	not_ok "the guest saw gdb's register and memory writes" "$(tr '\n' ' ' <"$TMP/guest.out")"
status=$fpvm_status
check "fpvm's status is the guest's verdict" 0

# restore --gdb: a SIGUSR1 snapshot of the debuggee spinning with no gdb
# writes (its verdict 1), restored waiting for gdb, which reads what the
# snapshot holds, overrules the verdict in memory and releases the guest.
S=$TMP/snap
"$FPVM" run --cpus 2 --timeout 600 --snapshot-dir "$S" "$GUEST_DIR/debuggee.elf" \
	>"$TMP/snap.out" 2>"$TMP/snap.err" &
fpvm_pid=$!
wait_for "$TMP/snap.out" "gdb's writes" 120
kill -USR1 "$fpvm_pid"
wait_for "$S/manifest" "generation = 1" 120
kill -TERM "$fpvm_pid"
wait "$fpvm_pid"
port=$((port + 1))
"$FPVM" restore --gdb "tcp:127.0.0.1:$port" --gdb-wait --timeout 600 "$S" \
	>"$TMP/restored.out" 2>"$TMP/restored.err" &
fpvm_pid=$!
wait_for "$TMP/restored.err" 'gdb stub on' 60
{ gdb_head; cat <<GDB
info threads
info registers rip
p debuggee_result
${avx:+p/x \$ymm3.v8_int32[7]}
set var debuggee_result = 0
set var debuggee_release = 1
continue
GDB
} >"$TMP/three.gdb"
timeout 300 "$GDB" -nx -batch -x "$TMP/three.gdb" "$GUEST_DIR/debuggee.elf" >"$TMP/out" 2>&1
end "$fpvm_pid" 30
wait "$fpvm_pid"
fpvm_status=$?
status=0
check "restore --gdb: threads, rip and the snapshot's memory" 0 "out:Thread 2" \
	"out:rip            0x" "out:\$1 = 1"
if [ -n "$avx" ]; then
	check "restore --gdb: \$ymm3 as the snapshot holds it" 0 "out:= 0x4f4e4d4c"
else
	skip "restore --gdb: \$ymm3" "XCR0 $xcr0 has no AVX"
fi
check "restore --gdb: the guest's exit reaches gdb" 0 "out:exited normally"
cp "$TMP/restored.err" "$TMP/err"
status=$fpvm_status
check "restore --gdb: the guest's verdict as gdb wrote it" 0
done_testing
