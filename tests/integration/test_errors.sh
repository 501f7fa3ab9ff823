#!/bin/sh
# SPDX-License-Identifier: MIT
# Bad input: one clear line naming the problem and a documented status.
. "$(dirname "$0")/lib.sh"
require_kvm

run --help
check "--help" 0 "out:Usage: fpvm COMMAND" "out:  leakcheck " "out:fpstate check "
run run --help
check "run --help" 0 "out:Usage: fpvm run" "out:--timeout SECONDS" "out:Exit status: the guest's"
run help fpstate diff
check "help fpstate diff" 0 "out:Usage: fpvm fpstate diff A B" "out:1 some do"
run fpstate merge a
check "unknown fpstate operation" 64 "err:fpstate: unknown operation 'merge' (show, diff, check)" \
	"err:see 'fpvm --help'" lines:1
run version
check "version" 0 "out:fpvm "
run
check "no command" 64 "err:fpvm: no command given" lines:1
run frobnicate
check "unknown command" 64 "err:unknown command 'frobnicate'" lines:1
run run --cpus 0 "$GUEST_DIR/hello.elf"
check "--cpus 0" 64 "err:--cpus 0: out of range" lines:1
run run --cpus lots "$GUEST_DIR/hello.elf"
check "--cpus lots" 64 "err:--cpus 'lots': not a number" lines:1
run run --mem 1K "$GUEST_DIR/hello.elf"
check "--mem too small" 64 "err:--mem 1K: out of range (2M..64G)" lines:1
run run --mem 2M --cpus 32 "$GUEST_DIR/hello.elf"
check "--mem too small for the vCPUs" 64 "err:too small for 32 vCPUs" lines:1
run run --timeout x "$GUEST_DIR/hello.elf"
check "--timeout x" 64 "err:not a number of seconds" lines:1
run run --bogus "$GUEST_DIR/hello.elf"
check "unknown option" 64 "err:unknown option '--bogus'" lines:1
run run
check "no guest" 64 "err:no guest image given" lines:1

run run /nonexistent.elf
check "missing guest image" 65 "err:/nonexistent.elf: No such file or directory" lines:1
run run "$TMP"
check "a directory" 65 "err:is a directory" lines:1
# A FIFO would block the read until a writer came: refused at once.  The
# writer behind it ends a read that blocks anyway, as a failure, not a hang.
mkfifo "$TMP/fifo.elf"
{ sleep 10; : >"$TMP/fifo.elf"; } &
writer=$!
run run "$TMP/fifo.elf"
check "a FIFO as the guest image" 65 "err:$TMP/fifo.elf: is a FIFO, not a regular file" lines:1
run run /dev/zero
check "a device as the guest image" 65 "err:/dev/zero: is a device, not a regular file" lines:1
: >"$TMP/empty.elf"
run run "$TMP/empty.elf"
check "zero-length image" 65 "err:empty.elf: empty file" lines:1
head -c 100 "$GUEST_DIR/hello.elf" >"$TMP/short.elf"
run run "$TMP/short.elf"
check "truncated image" 65 "err:short.elf: program headers beyond the end" lines:1
head -c 5000 "$GUEST_DIR/hello.elf" >"$TMP/cut.elf"
run run "$TMP/cut.elf"
check "image cut inside a segment" 65 "err:beyond the end of the file" lines:1
echo "#!/bin/sh" >"$TMP/script.elf"
run run "$TMP/script.elf"
check "not an ELF" 65 "err:not an ELF file (bad magic)" lines:1
# fpvm itself: a static host program in the default build (ELF type 2,
# told by its thread-local storage), a PIE where it is sanitized (type 3).
run run "$FPVM"
if [ "$(od -An -tu1 -j16 -N1 "$FPVM" | tr -d ' ')" = 2 ]; then
	check "a host program" 65 "err:a host program, not a guest" lines:1
else
	check "a host program" 65 "err:not a static executable" lines:1
fi

run run --kvm /nonexistent/kvm "$GUEST_DIR/hello.elf"
check "missing KVM device" 69 "err:/nonexistent/kvm: no such device" lines:1
run run --kvm /dev/null "$GUEST_DIR/hello.elf"
check "not a KVM device" 69 "err:/dev/null: not a KVM device" lines:1
if [ "$(id -u)" -eq 0 ] && setpriv --help 2>&1 | grep -q -- --reuid; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$FPVM" run "$GUEST_DIR/hello.elf" \
		>"$TMP/out" 2>"$TMP/err"
	status=$?
	check "KVM permission denied" 69 "err:/dev/kvm: permission denied" lines:1
elif [ ! -w /dev/kvm ]; then
	run run "$GUEST_DIR/hello.elf"
	check "KVM permission denied" 69 "err:/dev/kvm: permission denied" lines:1
else
	skip "KVM permission denied" "cannot drop privileges here"
fi
run run --cpus 1024 --mem 16M "$GUEST_DIR/hello.elf"
check "more vCPUs than memory allows" 64 "err:too small for 1024 vCPUs" lines:1
run run --serial /nonexistent/dir/out "$GUEST_DIR/hello.elf"
check "unwritable --serial file" 74 "err:--serial /nonexistent/dir/out:" lines:1
run run --dump-dtb /nonexistent/dir/x.dtb "$GUEST_DIR/hello.elf"
check "unwritable --dump-dtb file" 74 "err:--dump-dtb /nonexistent/dir/x.dtb:" lines:1

kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

done_testing
