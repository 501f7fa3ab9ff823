#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest fpstate end to end: what the fpu guest loads arrives byte for byte
# in --save-fpstate output; --xcr0, --amx, --dump-fpstate, probe and the
# fpstate commands; quirks as fpvm probe reports them.
. "$(dirname "$0")/lib.sh"
require_kvm

kvm_xcr0=$(probe_value "KVM-supported XCR0")
default_xcr0=$(probe_value "default guest XCR0")
[ -n "$kvm_xcr0" ] && ok "probe reports KVM's XCR0 ($kvm_xcr0) and the default ($default_xcr0)" ||
	not_ok "probe reports KVM's XCR0" "$(cat "$TMP/probe.txt")"

# fpu: every loaded byte arrives in the saved image.
fpu() {
	desc=$1
	shift
	rm -rf "$TMP/fs"
	run run --save-fpstate "$TMP/fs" "$@" "$GUEST_DIR/fpu.elf"
	check "$desc" 0 "out:fpu: XCR0"
	kmov=kmovq
	grep -q "kmovw" "$TMP/out" && kmov=kmovw
	"$FPU_CHECK" "$TMP/fs/vcpu0.xsave" "$kmov" >"$TMP/out" 2>"$TMP/err"
	status=$?
	check "$desc: saved image matches byte for byte" 0 "out:0 wrong"
}
for cpus in 1 2 4; do
	fpu "fpu guest, default XCR0, $cpus vCPUs" --cpus "$cpus"
done
case $default_xcr0 in
0x*e?|0x*f?)
	grep -q "32 vector registers of 64 bytes" "$TMP/out" &&
		ok "zmm16-31 and k0-7 (AVX-512) checked" ||
		not_ok "zmm16-31 and k0-7 (AVX-512) checked" "$(cat "$TMP/out")" ;;
*)
	skip "zmm16-31 and k0-7 (AVX-512) checked" "this CPU has no AVX-512 (XCR0 $default_xcr0)" ;;
esac
fpu "fpu guest, --xcr0 x87,sse,avx" --xcr0 x87,sse,avx
fpu "fpu guest, --xcr0 x87,sse" --xcr0 x87,sse
fpu "fpu guest, --xcr0 0x3 (a number)" --xcr0 0x3
[ -f "$TMP/fs/vcpu0.layout" ] && grep -q "^xcr0 = 0x3$" "$TMP/fs/vcpu0.layout" &&
	ok "layout records the configured XCR0" || not_ok "layout records the configured XCR0" "$(cat "$TMP/fs/vcpu0.layout")"

rm -rf "$TMP/fs"
"$FPVM" run --save-fpstate "$TMP/fs" "$GUEST_DIR/fpu.elf" >/dev/null 2>&1
cp "$TMP/fs/vcpu0.xsave" "$TMP/fpu.xsave"
cp "$TMP/fs/vcpu0.layout" "$TMP/fpu.layout"
poke "$TMP/fs/vcpu0.xsave" 170 '\377'
"$FPU_CHECK" "$TMP/fs/vcpu0.xsave" kmovq >"$TMP/out" 2>"$TMP/err"
status=$?
check "fpu_check catches a corrupted byte" 1 "out:mismatch: vec0 byte 10 (offset 170)"

run run --dump-fpstate --cpus 2 "$GUEST_DIR/fpu.elf"
check "--dump-fpstate decodes every vCPU" 0 "out:--- vcpu 0 fpstate (XCR0 $default_xcr0" \
	"out:--- vcpu 1 fpstate" "out:fcw        0x027f" "out:mxcsr      0x00009f80" \
	"out:st0        0x4008fc00000000000000  1008 (valid)" "out:st7        0x4008fa40000000000000  1001 (valid)"
run run --xcr0 x87,sse --dump-fpstate "$GUEST_DIR/hello.elf"
check "--dump-fpstate with --xcr0 x87,sse" 0 "out:features   0x3 (x87,sse)" "!out:ymm0" "out:xmm15 "
# x87 alone is a valid XCR0 (SDM: only bit 0 is required): the buffer still
# carries x87 and SSE, as the kernel's always does.
run run --xcr0 x87 --dump-fpstate "$GUEST_DIR/hello.elf"
check "--xcr0 x87 alone boots" 0 "out:Hello from fpvm guest!" "out:features   0x1 (x87)"

# --xcr0 rules reach the command line with their names.
run run --xcr0 sse "$GUEST_DIR/hello.elf"
check "--xcr0 without x87" 64 "err:rule x87-required" lines:1
run run --xcr0 x87,avx "$GUEST_DIR/hello.elf"
check "--xcr0 AVX without SSE" 64 "err:rule avx-needs-sse" lines:1
run run --xcr0 0x80003 "$GUEST_DIR/hello.elf"
check "--xcr0 with an unsupported bit" 64 "err:rule unsupported-bits" "err:apx (0x80000)" lines:1
run run --xcr0 avx2 "$GUEST_DIR/hello.elf"
check "--xcr0 with an unknown name" 64 "err:unknown feature 'avx2'" lines:1
case $kvm_xcr0 in
0x*e?|0x*f?)
	run run --xcr0 x87,sse,avx,opmask "$GUEST_DIR/hello.elf"
	check "--xcr0 with part of AVX-512" 64 "err:rule avx512-all-or-none" lines:1 ;;
*)
	skip "--xcr0 with part of AVX-512" "KVM offers no AVX-512 here ($kvm_xcr0)" ;;
esac
run run --xcr0 x87,sse,amx "$GUEST_DIR/hello.elf"
check "--xcr0 AMX without --amx" 64 "err:AMX needs --amx" lines:1

if grep -q "AMX  *not offered" "$TMP/probe.txt"; then
	run run --amx "$GUEST_DIR/hello.elf"
	check "--amx where AMX is not offered" 69 "err:--amx: AMX guest permission refused" lines:1
else
	run run --amx --dump-fpstate "$GUEST_DIR/hello.elf"
	check "--amx grants AMX to the guest" 0 "out:xtiledata"
fi

# What the guest sees of its XCR0, against what probe says of this host.
run run "$GUEST_DIR/xcr0.elf"
check "xcr0 guest: XGETBV equals the default XCR0" 0 "out:xcr0.configured=$default_xcr0" \
	"out:xgetbv=$default_xcr0"
run run --xcr0 x87,sse "$GUEST_DIR/xcr0.elf"
if quirk guest-xcr0-not-enforced; then
	check "xcr0 guest with XCR0 0x3: XGETBV differs, as probe reported" 1 \
		"out:xcr0.configured=0x3" "!out:xgetbv=0x3"
else
	check "xcr0 guest with XCR0 0x3: XGETBV is 0x3" 0 "out:xgetbv=0x3"
fi
run run --xcr0 x87,sse "$GUEST_DIR/xcr0.elf" avx
if quirk avx-without-xcr0; then
	check "AVX with XCR0 0x3 runs, as probe reported" 1 "out:avx=ok"
else
	check "AVX with XCR0 0x3 raises #UD" 0 "out:avx=#UD"
fi
# fpvm validates what KVM hands back: AVX state where XCR0 has no AVX is refused.
run run --xcr0 x87,sse --dump-fpstate "$GUEST_DIR/xcr0.elf" avx
if quirk xsave-beyond-xcr0; then
	check "KVM's out-of-XCR0 AVX state is caught by validation, as probe reported" 121 \
		"err:guest fpstate from KVM fails validation: XSTATE_BV" "err:outside the guest fpstate's features 0x3"
else
	# The guest exits 1 where AVX ran (avx-without-xcr0) and 0 where it took #UD.
	want=0
	quirk avx-without-xcr0 && want=1
	check "guest fpstate stays within XCR0 0x3" $want "out:features   0x3 (x87,sse)"
fi
for m in xgetbv xsave x87; do
	run run --timeout 20 "$GUEST_DIR/xcr0.elf" cpl0-$m
	if quirk cpl0-$m-fails; then
		check "$m at CPL0 stops the vCPU, as probe reported" 115 "err:instruction emulation failed"
	else
		check "$m at CPL0 works" 0 "out:cpl0.$m"
	fi
done

run probe
check "probe" 0 "out:Guest XSAVE layout" "out:Quirks" "out:guest-xcr0-not-enforced" \
	"out:default guest XCR0     $default_xcr0"
run probe --json
check "probe --json" 0 'out:"quirks": [' "out:\"default_xcr0\": \"$default_xcr0\"" 'out:"name": "syscall-stays-cpl3", "detected": '
run probe --bogus
check "probe with a bad option" 64 "err:probe: unknown option '--bogus'" \
	"err:see 'fpvm probe --help'" lines:1

# fpstate show / diff / check on saved images.
run fpstate show "$TMP/fpu.xsave"
check "fpstate show" 0 "out:vcpu 0, XCR0 $default_xcr0, 4096 bytes, guest fpstate" "out:fcw        0x027f"
run fpstate show --json "$TMP/fpu.xsave"
check "fpstate show --json" 0 'out:"registers": {"features": ' 'out:"fcw": "0x027f"'
run fpstate diff "$TMP/fpu.xsave" "$TMP/fpu.xsave"
check "fpstate diff of identical states" 0 "out:0 registers differ"
rm -rf "$TMP/h"
"$FPVM" run --save-fpstate "$TMP/h" "$GUEST_DIR/hello.elf" >/dev/null 2>&1
run fpstate diff "$TMP/fpu.xsave" "$TMP/h/vcpu0.xsave"
check "fpstate diff names changed registers" 1 "out:fcw        0x027f" "out:st0 " "out:mxcsr "
run fpstate diff --json "$TMP/fpu.xsave" "$TMP/h/vcpu0.xsave"
check "fpstate diff --json" 1 'out:{"register": "fcw", "a": "0x027f", "b": "0x037f"}'
run fpstate check "$TMP/fpu.xsave"
check "fpstate check: a valid state" 0 "out:valid as a guest fpstate (0 errors, 0 warnings)"

cp "$TMP/fpu.xsave" "$TMP/bad.xsave"
cp "$TMP/fpu.layout" "$TMP/bad.layout"
poke "$TMP/bad.xsave" 527 '\200'
run fpstate check "$TMP/bad.xsave"
check "fpstate check: compacted XCOMP_BV" 1 "out:XCOMP_BV is 0x8000000000000000, must be 0" \
	"out:invalid as a guest fpstate (1 error"
cp "$TMP/fpu.xsave" "$TMP/bad.xsave"
poke "$TMP/bad.xsave" 560 '\001'
run fpstate check --json "$TMP/bad.xsave"
check "fpstate check: reserved header byte" 1 'out:"valid": false' "out:reserved byte 48 (offset 560)"
cp "$TMP/fpu.xsave" "$TMP/bad.xsave"
# Bit 31: reserved on every x86 CPU (AMD's MXCSR_MASK may have bit 17, MM).
poke "$TMP/bad.xsave" 24 '\000\000\000\200'
run fpstate check "$TMP/bad.xsave"
check "fpstate check: MXCSR outside MXCSR_MASK" 1 "out:MXCSR 0x80000000: bits 0x80000000 outside"
rm -rf "$TMP/s"
"$FPVM" run --xcr0 x87,sse --save-fpstate "$TMP/s" "$GUEST_DIR/fpu.elf" >/dev/null 2>&1
poke "$TMP/s/vcpu0.xsave" 512 '\007'
run fpstate check "$TMP/s/vcpu0.xsave"
check "fpstate check: XSTATE_BV beyond the guest's features" 1 \
	"out:bits avx (0x4) outside the guest fpstate's features 0x3"
features=$(sed -n 's/^xfeatures = //p' "$TMP/fpu.layout")
xss=$(sed -n 's/^xss_supported = //p' "$TMP/fpu.layout")
# CET_KERNEL as a CET host's layout describes it (CPUID 0xD.12: 24 bytes,
# supervisor): the layout parser refuses a feature it does not describe.
{
	sed -e "s/^xfeatures = .*/xfeatures = $(printf '0x%x' $((features | 0x1000)))/" \
		-e "s/^xss_supported = .*/xss_supported = $(printf '0x%x' $((xss | 0x1000)))/" \
		-e '/^component = 12 /d' "$TMP/fpu.layout"
	echo "component = 12 0 24 0x1"
} >"$TMP/host.layout"
cp "$TMP/fpu.xsave" "$TMP/host.xsave"
run fpstate check --host "$TMP/host.xsave"
check "fpstate check --host: guest-only supervisor state in a host fpstate" 0 \
	"out:warning: host fpstate carries guest-only supervisor state cet_kernel (0x1000)" \
	"out:valid as a host fpstate (0 errors, 1 warning)"
run fpstate check "$TMP/host.xsave"
check "fpstate check: the same as a guest fpstate is clean" 0 "out:(0 errors, 0 warnings)"
run fpstate show "$TMP/nolayout.bin"
check "fpstate show of a non-.xsave file" 65 "err:expected a NAME.xsave file" lines:1
: >"$TMP/orphan.xsave"
run fpstate show "$TMP/orphan.xsave"
check "fpstate show without its layout" 65 "err:orphan.layout: No such file" lines:1
mkdir "$TMP/dir.xsave"
cp "$TMP/fpu.layout" "$TMP/dir.layout"
run fpstate show "$TMP/dir.xsave"
check "fpstate show of a directory as an .xsave" 65 "err:dir.xsave: is a directory" lines:1
sed 's/^size = .*/size = 4294971392/' "$TMP/fpu.layout" >"$TMP/wrap.layout"
cp "$TMP/fpu.xsave" "$TMP/wrap.xsave"
run fpstate show "$TMP/wrap.xsave"
check "fpstate show: a layout's size beyond 16 MiB" 65 "err:size 4294971392 is out of range" lines:1
run fpstate diff "$TMP/fpu.xsave"
check "fpstate diff with one file" 64 "err:expected two files" lines:1

# The host fpstate check: clean across every exit of real guests.
run run --check-host-fpstate --cpus 2 "$GUEST_DIR/smp.elf"
check "--check-host-fpstate: smp" 0 "!err:changed"
run run --check-host-fpstate "$GUEST_DIR/fpu.elf"
check "--check-host-fpstate: fpu guest" 0 "!err:changed"
run run --check-host-fpstate --timeout 0.5 --cpus 2 "$GUEST_DIR/spin.elf"
check "--check-host-fpstate: kicked vCPUs" 124 "!err:changed"

done_testing
