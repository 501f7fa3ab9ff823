// SPDX-License-Identifier: MIT
/*
 * struct fpstate and the KVM_GET/SET_XSAVE (uABI) buffer: sizing, the
 * initial image, and validation as KVM_SET_XSAVE would do it
 * (copy_uabi_to_xstate()), plus the host/guest separation rules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fpstate.h"

uint32_t fpstate_guest_uabi_size(int cap_xsave2, const struct xstate_layout *l, uint64_t xfeatures)
{
	uint32_t size = XSAVE_UABI_MIN;

	/* KVM_CAP_XSAVE2 may be absent (0) or smaller than struct kvm_xsave. */
	if (cap_xsave2 > (int)size)
		size = (uint32_t)cap_xsave2;
	if (xstate_size_standard(l, xfeatures) > size)
		size = xstate_size_standard(l, xfeatures);
	return size;
}

int fpstate_alloc(struct fpstate *fps, const struct xstate_layout *l, uint64_t xfeatures,
		  uint32_t size, bool is_guest, struct fpstate_error *err)
{
	memset(fps, 0, sizeof(*fps));
	if (size < xstate_size_standard(l, xfeatures & ~XFEATURE_MASK_SUPERVISOR)) {
		snprintf(err->msg, sizeof(err->msg), "fpstate size %u is below the %u bytes features "
			 "0x%llx need", size, xstate_size_standard(l, xfeatures),
			 (unsigned long long)xfeatures);
		return -EINVAL;
	}
	fps->buf = aligned_alloc(64, (size + 63) & ~63U);
	if (!fps->buf) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	memset(fps->buf, 0, (size + 63) & ~63U);
	fps->layout = l;
	fps->xfeatures = xfeatures;
	fps->size = size;
	fps->is_guest = is_guest;
	return 0;
}

void fpstate_free(struct fpstate *fps)
{
	free(fps->buf);
	fps->buf = NULL;
}

void fpstate_init_uabi(void *buf, uint32_t size)
{
	uint8_t *p = buf;
	uint16_t fcw = FCW_DEFAULT;
	uint32_t mxcsr = MXCSR_DEFAULT;
	uint64_t xstate_bv = XFEATURE_MASK_FPSSE;

	memset(p, 0, size);
	memcpy(p + 0, &fcw, sizeof(fcw));
	memcpy(p + 24, &mxcsr, sizeof(mxcsr));
	/* x87 and SSE explicitly in their init values; everything else init. */
	memcpy(p + XSAVE_HDR_OFFSET, &xstate_bv, sizeof(xstate_bv));
}

__attribute__((format(printf, 3, 4)))
static void diag_add(struct fpstate_diag *d, bool error, const char *fmt, ...)
{
	va_list ap;

	if (error)
		d->nr_errors++;
	else
		d->nr_warnings++;
	if (d->nr == FPSTATE_DIAG_MAX)
		return;
	d->item[d->nr].error = error;
	va_start(ap, fmt);
	vsnprintf(d->item[d->nr].msg, sizeof(d->item[d->nr].msg), fmt, ap);
	va_end(ap);
	d->nr++;
}

const char *fpstate_diag_first_error(const struct fpstate_diag *diag)
{
	for (unsigned int i = 0; i < diag->nr; i++)
		if (diag->item[i].error)
			return diag->item[i].msg;
	return NULL;
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/*
 * The kernel's rule: a non-guest fpstate must never carry guest-only
 * supervisor state, and the uABI never carries any supervisor state.
 * Warn once per fpstate, as WARN_ON_FPU would.
 */
static void check_host_supervisor(struct fpstate *fps, uint64_t xstate_bv,
				  struct fpstate_diag *d)
{
	uint64_t sup = (fps->xfeatures | xstate_bv) & XFEATURE_MASK_SUPERVISOR;
	uint64_t guest_only = sup & XFEATURE_MASK_GUEST_SUPERVISOR;
	char names[128];

	if (fps->is_guest || !sup || fps->warned)
		return;
	fps->warned = true;
	if (guest_only)
		diag_add(d, false, "host fpstate carries guest-only supervisor state %s (0x%llx) "
			 "in its %s", xfeatures_str(guest_only, names, sizeof(names)),
			 (unsigned long long)guest_only,
			 (fps->xfeatures & guest_only) ? "features" : "XSTATE_BV");
	else
		diag_add(d, false, "host fpstate carries supervisor state %s (0x%llx)",
			 xfeatures_str(sup, names, sizeof(names)), (unsigned long long)sup);
}

int fpstate_validate_uabi(struct fpstate *fps, const void *buf, size_t size,
			  struct fpstate_diag *d)
{
	const uint8_t *p = buf;
	uint64_t xstate_bv, xcomp_bv, outside, sup;
	uint32_t mxcsr, mask;
	char names[160];

	d->nr = d->nr_errors = d->nr_warnings = 0;	/* items are written as found */
	if (size < XSAVE_UABI_MIN || size < fps->size) {
		diag_add(d, true, "buffer: %zu bytes, below the %u bytes of the uABI format", size,
			 fps->size > XSAVE_UABI_MIN ? fps->size : XSAVE_UABI_MIN);
		return -EINVAL;
	}
	xstate_bv = get64(p, XSAVE_HDR_OFFSET);
	xcomp_bv = get64(p, XSAVE_HDR_OFFSET + 8);
	check_host_supervisor(fps, xstate_bv, d);

	sup = xstate_bv & XFEATURE_MASK_SUPERVISOR;
	if (sup)
		diag_add(d, true, "XSTATE_BV: supervisor bits %s (0x%llx); the uABI format never "
			 "carries supervisor state", xfeatures_str(sup, names, sizeof(names)),
			 (unsigned long long)sup);
	/*
	 * x87 and SSE are always among the features a buffer may carry: the
	 * kernel checks XSTATE_BV against fpstate->user_xfeatures
	 * (validate_user_xstate_header()), which for a guest is what KVM may
	 * give it and never lacks FP/SSE (fpu__init_system_xstate() needs
	 * both), even while the guest's XCR0 is x87 alone.
	 */
	outside = xstate_bv & ~(fps->xfeatures | XFEATURE_MASK_FPSSE) & ~XFEATURE_MASK_SUPERVISOR;
	if (outside)
		diag_add(d, true, "XSTATE_BV 0x%llx: bits %s (0x%llx) outside the %s fpstate's "
			 "features 0x%llx", (unsigned long long)xstate_bv,
			 xfeatures_str(outside, names, sizeof(names)), (unsigned long long)outside,
			 fps->is_guest ? "guest" : "host", (unsigned long long)fps->xfeatures);
	if (xcomp_bv)
		diag_add(d, true, "XCOMP_BV is 0x%llx, must be 0: the uABI format is standard, "
			 "not compacted", (unsigned long long)xcomp_bv);
	for (unsigned int i = 16; i < XSAVE_HDR_SIZE; i++)
		if (p[XSAVE_HDR_OFFSET + i]) {
			diag_add(d, true, "header: reserved byte %u (offset %u) is 0x%02x, must be 0",
				 i, XSAVE_HDR_OFFSET + i, p[XSAVE_HDR_OFFSET + i]);
			break;
		}
	if (xstate_bv & (XFEATURE_MASK_FPSSE | XMASK(YMM))) {
		mxcsr = get32(p, 24);
		mask = fps->layout && fps->layout->mxcsr_mask ? fps->layout->mxcsr_mask
							      : MXCSR_MASK_DEFAULT;
		if (mxcsr & ~mask)
			diag_add(d, true, "MXCSR 0x%08x: bits 0x%08x outside MXCSR_MASK 0x%08x", mxcsr,
				 mxcsr & ~mask, mask);
	}
	return d->nr_errors ? -EINVAL : 0;
}
