// SPDX-License-Identifier: MIT
/*
 * The guest FPU configuration: computed once from the host FPU and KVM's
 * supported CPUID (after AMX permission and opening KVM, in that order:
 * guest_fpu_open()), then each VM's guest XCR0 and uABI buffer size.
 */
#include <errno.h>
#include <time.h>

#include "fpu.h"

static void guest_fpu_cfg_release(struct guest_fpu_cfg *cfg)
{
	host_fpu_release(&cfg->host);
}

static int guest_fpu_cfg_init(struct guest_fpu_cfg *cfg, const struct kvm *kvm,
			      struct fpvm_error *err)
{
	struct guest_xcr0_inputs in;
	struct fpstate_error ferr;
	int r;

	*cfg = (struct guest_fpu_cfg){ 0 };
	r = host_fpu_probe(&cfg->host, err);
	if (r)
		return r;
	r = xstate_layout_init(&cfg->layout, kvm->cpuid, &ferr);
	if (r) {
		guest_fpu_cfg_release(cfg);
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, -r, "KVM_GET_SUPPORTED_CPUID: %s",
				 ferr.msg);
	}
	/* KVM_SET_XSAVE checks MXCSR against the host's mask (fpstate.md). */
	cfg->layout.mxcsr_mask = cfg->host.mxcsr_mask;
	in = (struct guest_xcr0_inputs){
		.kvm_supported = cfg->layout.xcr0_supported,
		.host_supported = host_fpu_user_features(&cfg->host),
		.guest_perm = cfg->host.guest_perm,
	};
	cfg->kvm_xcr0 = in.kvm_supported;
	/* Dynamic features only with permission (ARCH_REQ_XCOMP_GUEST_PERM). */
	cfg->allowed_xcr0 = in.kvm_supported & in.host_supported &
			    ~(XFEATURE_MASK_USER_DYNAMIC & ~in.guest_perm);
	cfg->default_xcr0 = xcr0_guest_default(&in);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

int guest_fpu_open(struct kvm *kvm, struct guest_fpu_cfg *cfg, const char *kvm_path, bool amx,
		   struct guest_fpu_open_times *times, struct fpvm_error *err)
{
	uint64_t t0 = now_ns(), t1;
	int r;

	r = amx ? host_request_amx_guest_perm(err) : 0;
	if (!r)
		r = kvm_open(kvm, kvm_path, err);
	if (r)
		return r;
	t1 = now_ns();
	r = guest_fpu_cfg_init(cfg, kvm, err);
	if (r) {
		kvm_close(kvm);
		return r;
	}
	if (times)
		*times = (struct guest_fpu_open_times){ .kvm_open_ns = t1 - t0,
							.fpu_cfg_ns = now_ns() - t1 };
	return 0;
}

void guest_fpu_close(struct kvm *kvm, struct guest_fpu_cfg *cfg)
{
	guest_fpu_cfg_release(cfg);
	kvm_close(kvm);
}

int guest_fpu_cfg_xcr0(const struct guest_fpu_cfg *cfg, uint64_t requested, uint64_t *xcr0,
		       struct fpvm_error *err)
{
	struct fpstate_error ferr;

	if (!requested) {
		*xcr0 = cfg->default_xcr0;
		return 0;
	}
	if (xcr0_check(requested, cfg->allowed_xcr0, &ferr) != XCR0_OK)
		return fpvm_fail_config(err, (requested & XFEATURE_MASK_XTILE) &&
					     !(cfg->host.guest_perm & XMASK(XTILE_DATA))
					? CFG_XCR0_NEEDS_AMX : CFG_XCR0, "%s", ferr.msg);
	*xcr0 = requested;
	return 0;
}

void guest_fpu_init(struct guest_fpu *g, const struct guest_fpu_cfg *cfg, uint64_t xcr0,
		    int xsave2_cap)
{
	*g = (struct guest_fpu){
		.cfg = cfg, .xcr0 = xcr0, .has_xsave2 = xsave2_cap > 0,
		.xsave_size = fpstate_guest_uabi_size(xsave2_cap, &cfg->layout, xcr0),
	};
}
