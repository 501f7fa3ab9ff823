// SPDX-License-Identifier: MIT
/*
 * The XSAVE layout from CPUID leaf 0xD.  Offsets and sizes always come
 * from the table, never from constants: AMD and Intel parts differ (AMD
 * has no MPX, so opmask sits at 832 there and at 1088 on Intel).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fpstate.h"

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

int fpstate_error_set(struct fpstate_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int xstate_layout_init(struct xstate_layout *l, const struct kvm_cpuid2 *cpuid,
		       struct fpstate_error *err)
{
	const struct kvm_cpuid_entry2 *d0 = leaf(cpuid, 0xd, 0), *d1 = leaf(cpuid, 0xd, 1);
	uint64_t all;

	memset(l, 0, sizeof(*l));
	if (!d0) {
		snprintf(err->msg, sizeof(err->msg), "CPUID leaf 0xD is missing: no XSAVE");
		return -ENOENT;
	}
	l->xcr0_supported = ((uint64_t)d0->edx << 32) | d0->eax;
	l->max_size = d0->ecx;
	if (d1) {
		l->xsave_features = d1->eax;
		l->xss_supported = ((uint64_t)d1->edx << 32) | d1->ecx;
	}
	/* x87 and SSE live in the legacy area; their sub-leaves are unused. */
	l->comp[XFEATURE_FP] = (struct xstate_component){ 160, 0, 0 };
	l->comp[XFEATURE_SSE] = (struct xstate_component){ 256, 160, 0 };
	all = l->xcr0_supported | l->xss_supported;
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++) {
		const struct kvm_cpuid_entry2 *e;

		if (!(all & (1ULL << bit)))
			continue;
		e = leaf(cpuid, 0xd, bit);
		if (!e || !e->eax)
			return fpstate_error_set(err, "CPUID 0xD.%u (%s) is missing but the feature is supported",
				   bit, xfeature_name(bit));
		l->comp[bit] = (struct xstate_component){
			.size = e->eax,
			.offset = (e->ecx & XCOMP_SUPERVISOR) ? 0 : e->ebx,
			.flags = e->ecx & (XCOMP_SUPERVISOR | XCOMP_ALIGNED | XCOMP_XFD),
		};
		if (e->ecx & XCOMP_SUPERVISOR)
			continue;
		if (e->ebx < XSAVE_EXT_OFFSET)
			return fpstate_error_set(err, "CPUID 0xD.%u (%s): offset %u overlaps the legacy area and "
				   "header", bit, xfeature_name(bit), e->ebx);
		if (l->max_size && e->ebx + e->eax > l->max_size)
			return fpstate_error_set(err, "CPUID 0xD.%u (%s): ends at %u, beyond the maximum size %u",
				   bit, xfeature_name(bit), e->ebx + e->eax, l->max_size);
	}
	/* User components must not overlap each other. */
	for (unsigned int a = 2; a < XFEATURE_MAX; a++) {
		const struct xstate_component *ca = &l->comp[a];

		if (!ca->size || (ca->flags & XCOMP_SUPERVISOR))
			continue;
		for (unsigned int b = a + 1; b < XFEATURE_MAX; b++) {
			const struct xstate_component *cb = &l->comp[b];

			if (cb->size && !(cb->flags & XCOMP_SUPERVISOR) &&
			    ca->offset < cb->offset + cb->size && cb->offset < ca->offset + ca->size)
				return fpstate_error_set(err, "CPUID 0xD.%u (%s) overlaps 0xD.%u (%s)", a,
					   xfeature_name(a), b, xfeature_name(b));
		}
	}
	return 0;
}

/* The sizes SDM vol. 1, 13.5 fixes for the user components fpvm decodes. */
static const uint32_t arch_size[XFEATURE_MAX] = {
	[XFEATURE_YMM] = 256, [XFEATURE_BNDREGS] = 64, [XFEATURE_BNDCSR] = 64,
	[XFEATURE_OPMASK] = 64, [XFEATURE_ZMM_HI256] = 512, [XFEATURE_HI16_ZMM] = 1024,
	[XFEATURE_PKRU] = 8, [XFEATURE_XTILE_CFG] = 64, [XFEATURE_XTILE_DATA] = 8192,
};

uint32_t xstate_arch_size(unsigned int bit)
{
	return bit < XFEATURE_MAX ? arch_size[bit] : 0;
}

bool xstate_has(const struct xstate_layout *l, unsigned int bit)
{
	return bit < XFEATURE_MAX && l->comp[bit].size;
}

uint32_t xstate_size_standard(const struct xstate_layout *l, uint64_t mask)
{
	uint32_t size = XSAVE_EXT_OFFSET;

	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++) {
		const struct xstate_component *c = &l->comp[bit];

		if ((mask & (1ULL << bit)) && c->size && !(c->flags & XCOMP_SUPERVISOR) &&
		    c->offset + c->size > size)
			size = c->offset + c->size;
	}
	return size;
}

uint32_t xstate_offset_compacted(const struct xstate_layout *l, uint64_t mask, unsigned int bit)
{
	uint32_t offset = XSAVE_EXT_OFFSET;

	for (unsigned int i = 2; i < bit; i++)
		if ((mask & (1ULL << i)) && l->comp[i].size) {
			if (l->comp[i].flags & XCOMP_ALIGNED)
				offset = (offset + 63) & ~63U;
			offset += l->comp[i].size;
		}
	if (l->comp[bit].flags & XCOMP_ALIGNED)
		offset = (offset + 63) & ~63U;
	return offset;
}

uint32_t xstate_size_compacted(const struct xstate_layout *l, uint64_t mask)
{
	uint32_t size = XSAVE_EXT_OFFSET;

	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if ((mask & (1ULL << bit)) && l->comp[bit].size)
			size = xstate_offset_compacted(l, mask, bit) + l->comp[bit].size;
	return size;
}

void xstate_cpuid_restrict(struct kvm_cpuid2 *cpuid, const struct xstate_layout *l,
			   uint64_t xcr0)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function != 0xd)
			continue;
		if (e->index == 0) {
			uint32_t size = xstate_size_standard(l, xcr0);

			e->eax = (uint32_t)xcr0;
			e->edx = (uint32_t)(xcr0 >> 32);
			e->ebx = size;	/* size for the XCR0 the vCPU starts with */
			e->ecx = size;	/* maximum for everything offered */
		} else if (e->index >= 2 && e->index < 64 && !(xcr0 & (1ULL << e->index)) &&
			   !(l->comp[e->index].flags & XCOMP_SUPERVISOR)) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
		}
	}
}
