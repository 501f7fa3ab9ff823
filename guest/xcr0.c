// SPDX-License-Identifier: MIT
/*
 * Reports what the guest sees of its XSAVE configuration, as key=value
 * lines fpvm (probe, tests) can compare with the XCR0 it configured.
 * argv[1] picks the check:
 *   report       XGETBV at CPL3 and CPUID leaf 0xD (default); exit 0 when
 *                XGETBV equals the configured XCR0
 *   avx          run an AVX instruction; exit 0 when it faults exactly
 *                when the configured XCR0 lacks AVX
 *   cpl0-xgetbv  XGETBV at CPL0       cpl0-xsave   XSAVE at CPL0
 *   cpl0-x87     FLD1 at CPL0
 *   syscall      SYSCALL with STAR/LSTAR set: reports the CS the handler
 *                ran with (architecturally 0x8, i.e. CPL0)
 *   int3         INT3 at CPL3: "ok" when the VMM took it (a debugger's
 *                breakpoint, KVM_GUESTDBG_USE_SW_BP) and moved past it
 */
#include "runtime.h"

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv_result;

static void do_xgetbv(void *arg)
{
	uint32_t lo, hi;

	(void)arg;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xgetbv_result = ((uint64_t)hi << 32) | lo;
}

static void do_int3(void *arg)
{
	(void)arg;
	__asm__ volatile("int3" ::: "memory");
}

static void do_avx(void *arg)
{
	(void)arg;
	__asm__ volatile("vpxor %%ymm15, %%ymm15, %%ymm15" ::: "memory");
}

static uint64_t cpl0_xgetbv(uint64_t arg)
{
	(void)arg;
	do_xgetbv(NULL);
	return xgetbv_result;
}

static uint8_t xsave_area[4096] __attribute__((aligned(64)));

static uint64_t cpl0_xsave(uint64_t mask)
{
	__asm__ volatile("xsave64 %0" : "+m"(xsave_area) : "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)));
	return *(uint64_t *)(xsave_area + 512);
}

static uint64_t cpl0_x87(uint64_t arg)
{
	uint16_t sw;

	(void)arg;
	__asm__ volatile("fninit; fld1; fstp %%st(0); fnstsw %0" : "=m"(sw));
	return sw;
}

/* SYSCALL lands here; records CS and returns with IRETQ (valid at CPL0 or CPL3). */
extern volatile uint64_t syscall_cs;
extern void syscall_probe_entry(void);
__asm__(".pushsection .text\n"
	".globl syscall_probe_entry\n"
	"syscall_probe_entry:\n"
	"	movq %rsp, %rax\n"
	"	pushq $0x1b\n"		/* SS */
	"	pushq %rax\n"		/* RSP */
	"	pushq %r11\n"		/* RFLAGS */
	"	pushq $0x23\n"		/* CS */
	"	pushq %rcx\n"		/* RIP */
	"	movq %cs, %rax\n"
	"	movq %rax, syscall_cs(%rip)\n"
	"	iretq\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 8\n"
	".globl syscall_cs\n"
	"syscall_cs: .quad 0\n"
	".popsection\n");

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t cpl0_setup_syscall(uint64_t arg)
{
	uint32_t lo, hi;

	(void)arg;
	wrmsr(0xc0000081, (0x10ULL << 48) | (0x08ULL << 32));	/* STAR */
	wrmsr(0xc0000082, (uint64_t)(uintptr_t)syscall_probe_entry);	/* LSTAR */
	wrmsr(0xc0000084, 0x200);				/* SFMASK: IF */
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	wrmsr(0xc0000080, (((uint64_t)hi << 32) | lo) | 1);	/* EFER.SCE */
	return 0;
}

static int report(uint64_t want)
{
	struct guest_trap trap;
	uint32_t d0[4], d1[4], l1[4];
	int v;

	cpuid(1, 0, l1);
	cpuid(0xd, 0, d0);
	cpuid(0xd, 1, d1);
	guest_printf("cpuid.1.ecx=0x%x\n", l1[2]);
	guest_printf("cpuid.d.0=0x%x,0x%x,0x%x,0x%x\n", d0[0], d0[1], d0[2], d0[3]);
	guest_printf("cpuid.d.1=0x%x,0x%x,0x%x,0x%x\n", d1[0], d1[1], d1[2], d1[3]);
	v = guest_catch(do_xgetbv, NULL, &trap);
	if (v >= 0) {
		guest_printf("xgetbv=fault:%d\n", v);
		return 1;
	}
	guest_printf("xgetbv=0x%llx\n", (unsigned long long)xgetbv_result);
	return xgetbv_result == want ? 0 : 1;
}

int guest_main(void)
{
	const char *mode = guest_argc() > 1 ? guest_argv(1) : "report";
	uint64_t want = guest_xcr0();
	struct guest_trap trap;

	guest_printf("xcr0.configured=0x%llx\n", (unsigned long long)want);
	if (!strcmp(mode, "report"))
		return report(want);
	if (!strcmp(mode, "avx")) {
		int v = guest_catch(do_avx, NULL, &trap);

		guest_printf("avx=%s\n", v < 0 ? "ok" : v == 6 ? "#UD" : "other-fault");
		return (v < 0) == !!(want & 0x4) ? 0 : 1;
	}
	if (!strcmp(mode, "cpl0-xgetbv")) {
		uint64_t v = guest_cpl0_call(cpl0_xgetbv, 0);

		guest_printf("cpl0.xgetbv=0x%llx\n", (unsigned long long)v);
		return v == want ? 0 : 1;
	}
	if (!strcmp(mode, "cpl0-xsave")) {
		uint64_t bv = guest_cpl0_call(cpl0_xsave, want);

		guest_printf("cpl0.xsave.xstate_bv=0x%llx\n", (unsigned long long)bv);
		return 0;
	}
	if (!strcmp(mode, "cpl0-x87")) {
		uint64_t sw = guest_cpl0_call(cpl0_x87, 0);

		guest_printf("cpl0.x87.fsw=0x%llx\n", (unsigned long long)sw);
		return 0;
	}
	if (!strcmp(mode, "syscall")) {
		guest_cpl0_call(cpl0_setup_syscall, 0);
		__asm__ volatile("syscall" ::: "rax", "rcx", "r11", "memory");
		guest_printf("syscall.cs=0x%llx\n", (unsigned long long)syscall_cs);
		return (syscall_cs & 3) == 0 ? 0 : 1;
	}
	if (!strcmp(mode, "int3")) {
		int v = guest_catch(do_int3, NULL, &trap);

		guest_printf("int3=%s\n", v < 0 ? "ok" : v == 3 ? "#BP" : "other-fault");
		return v < 0 ? 0 : 1;
	}
	guest_printf("xcr0: unknown mode '%s'\n", mode);
	return 2;
}
