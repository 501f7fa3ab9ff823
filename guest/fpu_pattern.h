/* SPDX-License-Identifier: MIT */
/*
 * The register values the fpu guest loads, shared with the test that
 * checks them in the saved XSAVE image (tests/integration/fpu_check.c).
 * Freestanding: included by guest and host code alike.
 */
#ifndef FPVM_FPU_PATTERN_H
#define FPVM_FPU_PATTERN_H

#include <stdint.h>

#define FPU_PATTERN_FCW		0x027f		/* double precision, all masked */
#define FPU_PATTERN_MXCSR	0x9f80		/* FZ, all exceptions masked */
#define FPU_PATTERN_ST_BASE	1001		/* FILD 1001..1008: ST(i) = 1008 - i */

/* Byte @byte of vector register @reg (0-31), full 512-bit view. */
static inline uint8_t fpu_pattern_vec(unsigned int reg, unsigned int byte)
{
	return (uint8_t)(((reg + 1) * 0x25) ^ (byte * 0x0b) ^ 0x5a);
}

/* Opmask register @i; with KMOVW only the low 16 bits are loaded. */
static inline uint64_t fpu_pattern_k(unsigned int i)
{
	return 0x0123456789abcdefULL ^ (0x1111111111111111ULL * (i + 1));
}

#endif
