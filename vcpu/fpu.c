// SPDX-License-Identifier: MIT
/*
 * A vCPU's guest fpstate, and the host fpstate of the thread running it.
 * The guest's lives in its own buffer, synced from KVM and validated
 * before use; the host's is captured with XSAVE before the first KVM_RUN
 * and, with --check-host-fpstate, compared across every KVM_RUN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu.h"

_Static_assert(KVM_RUN == 0xae80, "run_checked.S hard-codes KVM_RUN");

static int fpstate_fail(struct vcpu *vcpu, struct fpvm_error *err, enum fpvm_err_class cls,
			const struct fpstate_diag *d, const char *what)
{
	return fpvm_fail(err, cls, EINVAL, "vcpu %u: %s: %s", vcpu->id, what,
			 fpstate_diag_first_error(d));
}

int vcpu_setup_fpstate(struct vcpu *vcpu, struct fpvm_error *err)
{
	const struct guest_fpu *g = vcpu->fpu;
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = g->xcr0 } } };
	struct fpstate_error ferr;
	int r;

	/* XCR0 after CPUID: KVM checks it against the CPUID just set. */
	if (xcrs_validate(&xcrs, g->xcr0, &ferr))
		return fpvm_fail_config(err, CFG_XCR0, "vcpu %u: %s", vcpu->id, ferr.msg);
	r = kvm_vcpu_set_xcrs(vcpu->kvm, vcpu->fd, &xcrs);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_SET_XCRS 0x%llx: %s",
				 vcpu->id, (unsigned long long)g->xcr0, strerror(-r));
	r = fpstate_alloc(&vcpu->guest_fps, &g->cfg->layout, g->xcr0, g->xsave_size, true, &ferr);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: %s", vcpu->id, ferr.msg);
	fpstate_init_uabi(vcpu->guest_fps.buf, vcpu->guest_fps.size);
	return vcpu_set_fpstate(vcpu, vcpu->guest_fps.buf, err);
}

int vcpu_sync_xcr0(struct vcpu *vcpu, struct fpvm_error *err)
{
	struct kvm_xcrs xcrs = { 0 };
	int r = kvm_vcpu_get_xcrs(vcpu->kvm, vcpu->fd, &xcrs);

	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_GET_XCRS: %s", vcpu->id,
				 strerror(-r));
	for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (xcrs.xcrs[i].xcr == 0)
			vcpu->xcr0 = xcrs.xcrs[i].value;
	return 0;
}

int vcpu_sync_fpstate(struct vcpu *vcpu, struct fpvm_error *err)
{
	struct fpstate_diag diag;
	bool xsave2 = vcpu->fpu->has_xsave2;
	int r = kvm_vcpu_get_xsave(vcpu->kvm, vcpu->fd, vcpu->guest_fps.buf, xsave2);

	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: %s: %s", vcpu->id,
				 xsave2 ? "KVM_GET_XSAVE2" : "KVM_GET_XSAVE", strerror(-r));
	if (fpstate_validate_uabi(&vcpu->guest_fps, vcpu->guest_fps.buf, vcpu->guest_fps.size,
				  &diag))
		return fpstate_fail(vcpu, err, FPVM_ERR_KVM_STATE, &diag,
				    "guest fpstate from KVM fails validation");
	return 0;
}

int vcpu_set_fpstate(struct vcpu *vcpu, const void *buf, struct fpvm_error *err)
{
	struct fpstate_diag diag;
	int r;

	if (fpstate_validate_uabi(&vcpu->guest_fps, buf, vcpu->guest_fps.size, &diag))
		return fpstate_fail(vcpu, err, FPVM_ERR_INPUT, &diag, "XSAVE image");
	r = kvm_vcpu_set_xsave(vcpu->kvm, vcpu->fd, buf);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_SET_XSAVE: %s", vcpu->id,
				 strerror(-r));
	return 0;
}

int vcpu_capture_host_fpstate(struct vcpu *vcpu, struct fpstate_diag *diag,
			      struct fpvm_error *err)
{
	const struct host_fpu *host = &vcpu->fpu->cfg->host;
	struct fpstate *h = &vcpu->host_fps;
	struct fpstate_error ferr;
	uint32_t size = xstate_size_standard(&host->layout, host->xcr0);
	int r;

	if (size < XSAVE_UABI_MIN)
		size = XSAVE_UABI_MIN;
	r = fpstate_alloc(h, &host->layout, host->xcr0, size, false, &ferr);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: host fpstate: %s", vcpu->id,
				 ferr.msg);
	host_xsave(h->buf, host->xcr0);
	fpstate_validate_uabi(h, h->buf, h->size, diag);
	if (!vcpu->check_host_fpstate)
		return 0;
	/* XSAVE leaves components outside its mask untouched: start from zero. */
	vcpu->host_after = aligned_alloc(64, (h->size + 63) & ~63U);
	if (!vcpu->host_after)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM,
				 "vcpu %u: host fpstate: out of memory", vcpu->id);
	memset(vcpu->host_after, 0, h->size);
	return 0;
}

int vcpu_host_fpstate_diff(struct vcpu *vcpu, char **diff)
{
	const struct host_fpu *host = &vcpu->fpu->cfg->host;
	struct fpregs *before, *after;
	int ret = -ENOMEM;
	size_t len;
	FILE *f;

	*diff = NULL;
	/* Cheap first: identical images cannot differ by register. */
	if (!memcmp(vcpu->host_fps.buf, vcpu->host_after, vcpu->host_fps.size))
		return 0;
	before = malloc(sizeof(*before));
	after = malloc(sizeof(*after));
	if (!before || !after)
		goto out;
	fpstate_decode(&host->layout, host->xcr0, vcpu->host_fps.buf, vcpu->host_fps.size, before);
	fpstate_decode(&host->layout, host->xcr0, vcpu->host_after, vcpu->host_fps.size, after);
	/* XINUSE may legitimately change; register contents may not. */
	after->xstate_bv = before->xstate_bv;
	f = open_memstream(diff, &len);
	if (!f)
		goto out;
	ret = fpregs_diff(f, before, after, false) ? 1 : 0;
	if (fclose(f))
		ret = -ENOMEM;
	if (ret <= 0) {
		free(*diff);
		*diff = NULL;
	}
out:
	free(before);
	free(after);
	return ret;
}
