// SPDX-License-Identifier: MIT
/*
 * uABI buffer <-> registers.  Decoding gives the state a vCPU would have
 * after XRSTOR of the buffer: a component whose XSTATE_BV bit is clear
 * decodes to its init value, whatever bytes the buffer holds there.
 */
#include <errno.h>
#include <string.h>

#include "fpstate.h"

#define OFF_FCW		0
#define OFF_FSW		2
#define OFF_FTW		4
#define OFF_FOP		6
#define OFF_FIP		8
#define OFF_FDP		16
#define OFF_MXCSR	24
#define OFF_MXCSR_MASK	28
#define OFF_ST		32
#define OFF_XMM		160

unsigned int fpregs_vec_count(uint64_t features)
{
	if (!(features & XMASK(SSE)))
		return 0;
	return (features & XMASK(HI16_ZMM)) ? 32 : 16;
}

unsigned int fpregs_vec_bytes(uint64_t features)
{
	if (features & XMASK(ZMM_HI256))
		return 64;
	if (features & XMASK(YMM))
		return 32;
	return (features & XMASK(SSE)) ? 16 : 0;
}

/* The full tag of physical register @phys (kernel: twd_fxsr_to_i387()). */
static unsigned int tag_of(const struct fpregs *r, unsigned int phys)
{
	unsigned int top = (r->fsw >> 11) & 7;
	const uint8_t *st = r->st[(phys - top) & 7];
	uint16_t exp;
	uint64_t mant;

	if (!(r->ftw_abridged & (1U << phys)))
		return 3;	/* empty */
	memcpy(&mant, st, 8);
	memcpy(&exp, st + 8, 2);
	exp &= 0x7fff;
	if (exp == 0x7fff)
		return 2;	/* special: NaN or infinity */
	if (exp == 0)
		return mant ? 2 : 1;	/* denormal : zero */
	return (mant >> 63) ? 0 : 2;	/* valid : unnormal */
}

/*
 * What the decoder copies of each component is its architectural size
 * (xstate_arch_size()).  A layout may claim less; such a component is not
 * decoded (or encoded), never read past its end (found by
 * fuzz_fpstate_file: a TILEDATA of 1 byte read 8 KiB).
 */
static bool comp_fits(const struct xstate_component *c, size_t size, unsigned int bit)
{
	return c->size && c->size >= xstate_arch_size(bit) &&
	       (uint64_t)c->offset + c->size <= size;
}

static const uint8_t *comp(const struct xstate_layout *l, uint64_t features, uint64_t xstate_bv,
			   const uint8_t *buf, size_t size, unsigned int bit)
{
	const struct xstate_component *c = &l->comp[bit];

	if (!(features & xstate_bv & (1ULL << bit)) || !comp_fits(c, size, bit))
		return NULL;
	return buf + c->offset;
}

int fpstate_decode(const struct xstate_layout *l, uint64_t features, const void *buf, size_t size,
		   struct fpregs *r)
{
	const uint8_t *p = buf, *c;
	unsigned int nvec = fpregs_vec_count(features);

	if (size < XSAVE_EXT_OFFSET)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->features = features;
	memcpy(&r->xstate_bv, p + XSAVE_HDR_OFFSET, 8);
	memcpy(&r->xcomp_bv, p + XSAVE_HDR_OFFSET + 8, 8);
	memcpy(&r->mxcsr, p + OFF_MXCSR, 4);
	memcpy(&r->mxcsr_mask, p + OFF_MXCSR_MASK, 4);
	r->fcw = FCW_DEFAULT;
	if (r->xstate_bv & XMASK(FP)) {
		memcpy(&r->fcw, p + OFF_FCW, 2);
		memcpy(&r->fsw, p + OFF_FSW, 2);
		r->ftw_abridged = p[OFF_FTW];
		memcpy(&r->fop, p + OFF_FOP, 2);
		memcpy(&r->fip, p + OFF_FIP, 8);
		memcpy(&r->fdp, p + OFF_FDP, 8);
		for (unsigned int i = 0; i < 8; i++)
			memcpy(r->st[i], p + OFF_ST + 16 * i, 10);
	}
	for (unsigned int phys = 0; phys < 8; phys++)
		r->ftw |= (uint16_t)(tag_of(r, phys) << (2 * phys));
	if (r->xstate_bv & XMASK(SSE))
		for (unsigned int i = 0; i < 16 && i < nvec; i++)
			memcpy(r->zmm[i], p + OFF_XMM + 16 * i, 16);
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_YMM)))
		for (unsigned int i = 0; i < 16; i++)
			memcpy(r->zmm[i] + 16, c + 16 * i, 16);
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_ZMM_HI256)))
		for (unsigned int i = 0; i < 16; i++)
			memcpy(r->zmm[i] + 32, c + 32 * i, 32);
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_HI16_ZMM)))
		memcpy(r->zmm[16], c, 16 * 64);
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_OPMASK)))
		memcpy(r->k, c, sizeof(r->k));
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_BNDREGS)))
		memcpy(r->bndregs, c, sizeof(r->bndregs));
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_BNDCSR))) {
		memcpy(&r->bndcfgu, c, 8);
		memcpy(&r->bndstatus, c + 8, 8);
	}
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_PKRU)))
		memcpy(&r->pkru, c, 4);
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_XTILE_CFG)))
		memcpy(r->tilecfg, c, sizeof(r->tilecfg));
	if ((c = comp(l, features, r->xstate_bv, p, size, XFEATURE_XTILE_DATA)))
		memcpy(r->tiledata, c, sizeof(r->tiledata));
	return 0;
}

static uint8_t *comp_out(const struct xstate_layout *l, uint64_t xstate_bv, uint8_t *buf,
			 size_t size, unsigned int bit)
{
	const struct xstate_component *c = &l->comp[bit];

	if (!(xstate_bv & (1ULL << bit)) || !comp_fits(c, size, bit))
		return NULL;
	return buf + c->offset;
}

int fpstate_encode(const struct xstate_layout *l, uint64_t features, const struct fpregs *r,
		   void *buf, size_t size)
{
	uint8_t *p = buf, *c;
	uint64_t bv = r->xstate_bv & features;
	unsigned int nvec = fpregs_vec_count(features);

	if (size < xstate_size_standard(l, features))
		return -EINVAL;
	memset(p, 0, size);
	memcpy(p + XSAVE_HDR_OFFSET, &bv, 8);
	memcpy(p + OFF_MXCSR, &r->mxcsr, 4);
	memcpy(p + OFF_MXCSR_MASK, &r->mxcsr_mask, 4);
	if (bv & XMASK(FP)) {
		memcpy(p + OFF_FCW, &r->fcw, 2);
		memcpy(p + OFF_FSW, &r->fsw, 2);
		p[OFF_FTW] = r->ftw_abridged;
		memcpy(p + OFF_FOP, &r->fop, 2);
		memcpy(p + OFF_FIP, &r->fip, 8);
		memcpy(p + OFF_FDP, &r->fdp, 8);
		for (unsigned int i = 0; i < 8; i++)
			memcpy(p + OFF_ST + 16 * i, r->st[i], 10);
	}
	if (bv & XMASK(SSE))
		for (unsigned int i = 0; i < 16 && i < nvec; i++)
			memcpy(p + OFF_XMM + 16 * i, r->zmm[i], 16);
	if ((c = comp_out(l, bv, p, size, XFEATURE_YMM)))
		for (unsigned int i = 0; i < 16; i++)
			memcpy(c + 16 * i, r->zmm[i] + 16, 16);
	if ((c = comp_out(l, bv, p, size, XFEATURE_ZMM_HI256)))
		for (unsigned int i = 0; i < 16; i++)
			memcpy(c + 32 * i, r->zmm[i] + 32, 32);
	if ((c = comp_out(l, bv, p, size, XFEATURE_HI16_ZMM)))
		memcpy(c, r->zmm[16], 16 * 64);
	if ((c = comp_out(l, bv, p, size, XFEATURE_OPMASK)))
		memcpy(c, r->k, sizeof(r->k));
	if ((c = comp_out(l, bv, p, size, XFEATURE_BNDREGS)))
		memcpy(c, r->bndregs, sizeof(r->bndregs));
	if ((c = comp_out(l, bv, p, size, XFEATURE_BNDCSR))) {
		memcpy(c, &r->bndcfgu, 8);
		memcpy(c + 8, &r->bndstatus, 8);
	}
	if ((c = comp_out(l, bv, p, size, XFEATURE_PKRU)))
		memcpy(c, &r->pkru, 4);
	if ((c = comp_out(l, bv, p, size, XFEATURE_XTILE_CFG)))
		memcpy(c, r->tilecfg, sizeof(r->tilecfg));
	if ((c = comp_out(l, bv, p, size, XFEATURE_XTILE_DATA)))
		memcpy(c, r->tiledata, sizeof(r->tiledata));
	return 0;
}
