// SPDX-License-Identifier: MIT
/*
 * The gdb stub's test guest (tests/integration/test_gdb.sh).  vCPU 0 sets
 * ymm3 (and zmm17 and k3 where XCR0 has AVX-512) for gdb to print, calls
 * debuggee_here() for a breakpoint, writes debuggee_watched for a
 * watchpoint, then checks what gdb wrote meanwhile (debuggee_poke, ymm4,
 * k5) and spins until gdb sets debuggee_release: its exit status says
 * whether every write arrived (0) or not (1).  The other vCPUs spin, as
 * the threads gdb lists.
 */
#include "runtime.h"

#define POKE		0x1234	/* what gdb writes to debuggee_poke */
#define YMM4_LANE7	77	/* ... to $ymm4.v8_int32[7] */
#define K5		0x55	/* ... to $k5 */

volatile uint64_t debuggee_poke;
volatile uint64_t debuggee_watched;
volatile uint64_t debuggee_release;
volatile uint64_t debuggee_result;
static unsigned int spinning;

static uint8_t pattern[64] __attribute__((aligned(64)));
static uint32_t ymm4[8] __attribute__((aligned(32)));

__attribute__((noinline)) void debuggee_here(void)
{
	__asm__ volatile("" ::: "memory");
}

void guest_ap_main(void)
{
	__atomic_fetch_add(&spinning, 1, __ATOMIC_SEQ_CST);
	for (;;)
		guest_cpu_relax();
}

int guest_main(void)
{
	uint64_t xcr0 = guest_xcr0();
	bool avx = xcr0 & 0x4, avx512 = (xcr0 & 0xe0) == 0xe0;
	bool ok;

	for (unsigned int i = 0; i < 64; i++)
		pattern[i] = (uint8_t)(0x30 + i);
	/* Inline asm alone touches vector registers here (-mgeneral-regs-only). */
	if (avx)
		__asm__ volatile("vmovdqu %0, %%ymm3" : : "m"(pattern));
	if (avx512)
		__asm__ volatile("vmovdqu64 %0, %%zmm17\n\t"
				 "movl $0x5a5a, %%eax\n\t"
				 "kmovw %%eax, %%k3" : : "m"(pattern) : "rax");
	while (__atomic_load_n(&spinning, __ATOMIC_SEQ_CST) + 1 < guest_nr_cpus())
		guest_cpu_relax();
	guest_printf("debuggee: XCR0 0x%llx, %u vCPUs\n", (unsigned long long)xcr0,
		     guest_nr_cpus());
	debuggee_here();
	debuggee_watched = 2;

	ok = debuggee_poke == POKE;
	if (avx) {
		__asm__ volatile("vmovdqu %%ymm4, %0" : "=m"(ymm4));
		ok = ok && ymm4[7] == YMM4_LANE7;
	}
	if (avx512) {
		uint32_t k5;

		__asm__ volatile("kmovw %%k5, %0" : "=r"(k5));
		ok = ok && (k5 & 0xffff) == K5;
	}
	debuggee_result = ok ? 0 : 1;
	guest_printf("debuggee: gdb's writes %s\n", ok ? "arrived" : "did not arrive");
	while (!debuggee_release)
		guest_cpu_relax();
	return (int)debuggee_result;
}
