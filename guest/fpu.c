// SPDX-License-Identifier: MIT
/*
 * Loads known values (guest/fpu_pattern.h) into every register its XCR0
 * enables, at CPL3, then exits 0 without touching them again:
 * x87 (FCW, ST0-7), MXCSR, xmm0-15 or ymm0-15, or zmm0-31 and k0-7.
 * `fpvm run --save-fpstate DIR` then holds them for checking.
 */
#include <libfdt.h>

#include "fpu_pattern.h"
#include "runtime.h"

enum fpu_level { FPU_SSE, FPU_AVX, FPU_AVX512 };

struct fpu_load {
	uint8_t vec[32][64];	/* offset 0, 64-byte aligned */
	uint64_t st[8];		/* 2048 */
	uint64_t k[8];		/* 2112 */
	uint32_t mxcsr;		/* 2176 */
	uint16_t fcw;		/* 2180 */
	uint16_t kmovq;		/* 2182 */
	uint32_t level;		/* 2184 */
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct fpu_load, st) == 2048, "fpu_load.S");
_Static_assert(__builtin_offsetof(struct fpu_load, k) == 2112, "fpu_load.S");
_Static_assert(__builtin_offsetof(struct fpu_load, mxcsr) == 2176, "fpu_load.S");
_Static_assert(__builtin_offsetof(struct fpu_load, fcw) == 2180, "fpu_load.S");
_Static_assert(__builtin_offsetof(struct fpu_load, kmovq) == 2182, "fpu_load.S");
_Static_assert(__builtin_offsetof(struct fpu_load, level) == 2184, "fpu_load.S");

_Noreturn void fpu_load_and_exit(const struct fpu_load *l);
void fpu_try_kmovq(void *arg);

static struct fpu_load load;

int guest_main(void)
{
	uint64_t xcr0 = guest_xcr0();
	struct guest_trap trap;

	load.level = (xcr0 & 0xe0) == 0xe0 ? FPU_AVX512 : (xcr0 & 0x4) ? FPU_AVX : FPU_SSE;
	load.fcw = FPU_PATTERN_FCW;
	load.mxcsr = FPU_PATTERN_MXCSR;
	for (unsigned int i = 0; i < 8; i++) {
		load.st[i] = FPU_PATTERN_ST_BASE + i;
		load.k[i] = fpu_pattern_k(i);
	}
	for (unsigned int r = 0; r < 32; r++)
		for (unsigned int b = 0; b < 64; b++)
			load.vec[r][b] = fpu_pattern_vec(r, b);
	/* KMOVQ needs AVX512BW; without it only the low 16 bits go in. */
	if (load.level == FPU_AVX512)
		load.kmovq = guest_catch(fpu_try_kmovq, NULL, &trap) < 0;
	guest_printf("fpu: XCR0 0x%llx: loading x87 sse%s%s\n", (unsigned long long)xcr0,
		     load.level >= FPU_AVX ? " avx" : "",
		     load.level < FPU_AVX512 ? "" : load.kmovq ? " avx512 kmovq" : " avx512 kmovw");
	fpu_load_and_exit(&load);
}
