/* SPDX-License-Identifier: MIT */
/*
 * Leak canaries: 64-bit words that say which VM, vCPU, register, word and
 * round wrote them.  The leak guest writes them into every register its
 * XCR0 enables; fpvm leakcheck decodes whatever turns up elsewhere.
 * Freestanding: guest and host include it alike.
 *
 * Plain layout, then an invertible mix so canaries look random:
 *   63..40 magic (24 bits)  39..35 VM  34..30 vCPU  29..23 register
 *   22..16 word in the register  15..0 round (mod 65536)
 * A decoded word counts only when its magic matches; a host-side hit must
 * also name the register and word it was found in.
 */
#ifndef FPVM_CANARY_H
#define FPVM_CANARY_H

#include <stdbool.h>
#include <stdint.h>

#define CANARY_MAGIC		0xc4a7e5ULL
#define CANARY_MAX_VMS		32
#define CANARY_MAX_VCPUS	32

/* Register ids (7 bits). */
enum canary_reg {
	CREG_ST0 = 0,		/* st0-7: word 0 mantissa, word 1 sign/exponent */
	CREG_ZMM0 = 16,		/* zmm0-31: words 0-7 */
	CREG_K0 = 48,		/* k0-7 */
	CREG_PKRU = 56,
	CREG_BND0 = 57,		/* bnd0-3: words 0-1 */
	CREG_TMM0 = 64,		/* tmm0-7: words 0-127 */
	CREG_CONTROL = 120,	/* x87/SSE control words: no canary, a fixed pattern */
	CREG_NONE = 127,
};

/* Fixed non-init control words writers load (too narrow for a canary). */
#define CANARY_FCW		0x027f		/* init is 0x037f */
#define CANARY_MXCSR		0x9f80		/* init is 0x1f80 */

struct canary {
	unsigned int vm, vcpu, reg, word;
	unsigned int round;	/* mod 65536 */
};

#define CANARY_K1	0x9e3779b97f4a7c15ULL
#define CANARY_K2	0x2545f4914f6cdd1dULL
#define CANARY_M	0xd6e8feb86659fd93ULL	/* odd: invertible mod 2^64 */
#define CANARY_MINV	0xcfee444d8b59a89bULL	/* CANARY_M * CANARY_MINV == 1 */

static inline uint64_t canary_rotl(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t canary_encode(unsigned int vm, unsigned int vcpu, unsigned int reg,
				     unsigned int word, unsigned int round)
{
	uint64_t p = (CANARY_MAGIC << 40) | ((uint64_t)(vm & 31) << 35) |
		     ((uint64_t)(vcpu & 31) << 30) | ((uint64_t)(reg & 127) << 23) |
		     ((uint64_t)(word & 127) << 16) | (round & 0xffff);

	return canary_rotl((p ^ CANARY_K1) * CANARY_M, 29) ^ CANARY_K2;
}

static inline bool canary_decode(uint64_t w, struct canary *c)
{
	uint64_t p = (canary_rotl(w ^ CANARY_K2, 35) * CANARY_MINV) ^ CANARY_K1;

	if ((p >> 40) != CANARY_MAGIC)
		return false;
	c->vm = (unsigned int)(p >> 35) & 31;
	c->vcpu = (unsigned int)(p >> 30) & 31;
	c->reg = (unsigned int)(p >> 23) & 127;
	c->word = (unsigned int)(p >> 16) & 127;
	c->round = (unsigned int)p & 0xffff;
	return true;
}

/* x87 registers: a canary mantissa and a sign/exponent from the round. */
static inline uint16_t canary_st_exponent(unsigned int vcpu, unsigned int round)
{
	return (uint16_t)(0x4000 | ((vcpu & 31) << 8) | (round & 0xff));
}

/* PKRU: key 0 (all our pages) must stay accessible, so bits 1:0 stay 0. */
static inline uint32_t canary_pkru(uint64_t canary)
{
	return (uint32_t)canary & ~3U;
}

/* One register word of a standard-format XSAVE image. */
struct canary_slot {
	uint16_t reg, word;
	uint32_t offset;
	uint8_t width;		/* bytes: 8, or 2 (x87 sign/exponent), 4 (PKRU) */
	uint8_t bit;		/* the XSAVE component holding it */
};

/*
 * Calls fn for every register word that @xcr0 enables, given the standard
 * offsets of the extended components (@off, indexed by feature bit).
 */
static inline void canary_for_each_slot(uint64_t xcr0, const uint32_t *off,
					void (*fn)(const struct canary_slot *, void *), void *ctx)
{
	struct canary_slot s;
	unsigned int i, w;

#define CANARY_SLOT(r, wd, o, width, b) \
	(s = (struct canary_slot){ (uint16_t)(r), (uint16_t)(wd), (o), (width), (b) }, fn(&s, ctx))
	for (i = 0; i < 8; i++) {
		CANARY_SLOT(CREG_ST0 + i, 0, 32 + 16 * i, 8, 0);
		CANARY_SLOT(CREG_ST0 + i, 1, 32 + 16 * i + 8, 2, 0);
	}
	for (i = 0; i < 16; i++)
		for (w = 0; w < 2; w++)
			CANARY_SLOT(CREG_ZMM0 + i, w, 160 + 16 * i + 8 * w, 8, 1);
	if (xcr0 & (1 << 2))
		for (i = 0; i < 16; i++)
			for (w = 0; w < 2; w++)
				CANARY_SLOT(CREG_ZMM0 + i, 2 + w, off[2] + 16 * i + 8 * w, 8, 2);
	if (xcr0 & (1 << 6))
		for (i = 0; i < 16; i++)
			for (w = 0; w < 4; w++)
				CANARY_SLOT(CREG_ZMM0 + i, 4 + w, off[6] + 32 * i + 8 * w, 8, 6);
	if (xcr0 & (1 << 7))
		for (i = 16; i < 32; i++)
			for (w = 0; w < 8; w++)
				CANARY_SLOT(CREG_ZMM0 + i, w, off[7] + 64 * (i - 16) + 8 * w, 8, 7);
	if (xcr0 & (1 << 5))
		for (i = 0; i < 8; i++)
			CANARY_SLOT(CREG_K0 + i, 0, off[5] + 8 * i, 8, 5);
	if (xcr0 & (1 << 3))
		for (i = 0; i < 4; i++)
			for (w = 0; w < 2; w++)
				CANARY_SLOT(CREG_BND0 + i, w, off[3] + 16 * i + 8 * w, 8, 3);
	if (xcr0 & (1 << 9))
		CANARY_SLOT(CREG_PKRU, 0, off[9], 4, 9);
	if (xcr0 & (1 << 18))
		for (i = 0; i < 8; i++)
			for (w = 0; w < 128; w++)
				CANARY_SLOT(CREG_TMM0 + i, w, off[18] + 1024 * i + 8 * w, 8, 18);
#undef CANARY_SLOT
}

#endif
