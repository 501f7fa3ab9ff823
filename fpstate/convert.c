// SPDX-License-Identifier: MIT
/*
 * Moving a uABI XSAVE image from one CPUID leaf 0xD layout to another.
 * In the standard (non-compacted) format, component i >= 2 sits at the
 * offset CPUID.(EAX=0DH,ECX=i):EBX reports (SDM vol. 1, 13.4.3), and the
 * CPU chooses it: AMD Zen4 has no MPX and puts opmask at 832, Intel at
 * 1088.  A snapshot restored on a host with another layout must be
 * rewritten first, or every register above AVX loads from the wrong bytes.
 */
#include <errno.h>
#include <string.h>

#include "fpstate.h"

bool xstate_layout_same(const struct xstate_layout *a, const struct xstate_layout *b,
			uint64_t features)
{
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if ((features & (1ULL << bit)) &&
		    (a->comp[bit].size != b->comp[bit].size ||
		     a->comp[bit].offset != b->comp[bit].offset))
			return false;
	return true;
}

/*
 * A component can move only to a slot of its own size: the size (EAX) is
 * the architectural state, so a different one is different state.  The
 * standard format never holds supervisor state (XSAVE and XRSTOR touch
 * only XCR0 components; their sub-leaf EBX is 0), and a user component
 * always follows the legacy area and header.
 */
static int check_comp(const struct xstate_layout *from, const struct xstate_layout *to,
		      unsigned int bit, struct fpstate_error *err)
{
	const struct xstate_component *f = &from->comp[bit], *t = &to->comp[bit];

	if (((1ULL << bit) & XFEATURE_MASK_SUPERVISOR) ||
	    ((f->flags | t->flags) & XCOMP_SUPERVISOR))
		return fpstate_error_set(err, "component %u (%s): supervisor state is never in a uABI image",
			   bit, xfeature_name(bit));
	if (!f->size || f->size != t->size)
		return fpstate_error_set(err, "component %u (%s): %u bytes in the snapshot's layout, "
			   "%u on this host", bit, xfeature_name(bit), f->size, t->size);
	if (f->offset < XSAVE_EXT_OFFSET || t->offset < XSAVE_EXT_OFFSET)
		return fpstate_error_set(err, "component %u (%s): offset %u in the snapshot's layout, %u on this "
			   "host, overlaps the legacy area and header", bit, xfeature_name(bit),
			   f->offset, t->offset);
	return 0;
}

int fpstate_convert_uabi(const struct xstate_layout *from, const struct xstate_layout *to,
			 uint64_t features, const void *src, size_t src_size, void *dst,
			 size_t dst_size, struct fpstate_error *err)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	uint32_t from_size, to_size;
	uint64_t xstate_bv, xcomp_bv;
	int ret;

	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if ((features & (1ULL << bit)) && (ret = check_comp(from, to, bit, err)))
			return ret;
	/* Both sizes cover the header: xstate_size_standard() is at least 576. */
	from_size = xstate_size_standard(from, features);
	to_size = xstate_size_standard(to, features);
	if (src_size < from_size)
		return fpstate_error_set(err, "image of %zu bytes is smaller than the snapshot layout's %u",
			   src_size, from_size);
	if (dst_size < to_size)
		return fpstate_error_set(err, "buffer of %zu bytes is smaller than this host's layout's %u",
			   dst_size, to_size);
	memcpy(&xstate_bv, s + XSAVE_HDR_OFFSET, 8);
	memcpy(&xcomp_bv, s + XSAVE_HDR_OFFSET + 8, 8);
	/* XSAVE writes XCOMP_BV as 0; XSAVEC/XSAVES set bit 63 (compacted). */
	if (xcomp_bv)
		return fpstate_error_set(err, "XCOMP_BV 0x%llx: not a uABI (standard format) image",
			   (unsigned long long)xcomp_bv);
	if (xstate_bv & ~features)
		return fpstate_error_set(err, "the image's XSTATE_BV 0x%llx has features outside 0x%llx",
			   (unsigned long long)xstate_bv, (unsigned long long)features);

	/* x87 and SSE have fixed places in the legacy area on every CPU. */
	memset(d, 0, dst_size);
	memcpy(d, s, XSAVE_EXT_OFFSET);
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if (features & (1ULL << bit))
			memcpy(d + to->comp[bit].offset, s + from->comp[bit].offset,
			       from->comp[bit].size);
	return 0;
}

int fpstate_import_uabi(const struct xstate_layout *from, const struct xstate_layout *to,
			uint64_t features, const void *src, size_t src_size, void *dst,
			size_t dst_size, struct fpstate_error *err)
{
	size_t n = src_size < dst_size ? src_size : dst_size;

	if (!xstate_layout_same(from, to, features) || xstate_size_standard(to, features) > n)
		return fpstate_convert_uabi(from, to, features, src, src_size, dst, dst_size, err);
	memcpy(dst, src, n);
	memset((uint8_t *)dst + n, 0, dst_size - n);
	return 0;
}
