/* SPDX-License-Identifier: MIT */
/*
 * The FPU as fpvm configures it: what the host offers (hostfpu.c) and the
 * guest FPU configuration built from it and KVM (fpu_cfg.c).
 */
#ifndef FPVM_VCPU_FPU_H
#define FPVM_VCPU_FPU_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/error.h"
#include "../kvm/kvm.h"
#include "../fpstate/fpstate.h"

struct host_fpu {
	uint64_t xcr0;			/* XGETBV(0) in this process */
	uint64_t xcomp_supp;		/* ARCH_GET_XCOMP_SUPP */
	uint64_t guest_perm;		/* ARCH_GET_XCOMP_GUEST_PERM */
	bool has_xcomp_supp;
	bool has_guest_perm;
	uint32_t mxcsr_mask;		/* FXSAVE */
	struct kvm_cpuid2 *cpuid;	/* host CPUID leaf 0xD */
	struct xstate_layout layout;
};

int host_fpu_probe(struct host_fpu *h, struct fpvm_error *err);
void host_fpu_release(struct host_fpu *h);
uint64_t host_fpu_user_features(const struct host_fpu *h);
/*
 * Must run before the first vCPU exists (the first vCPU locks it) and
 * before KVM_GET_SUPPORTED_CPUID, whose leaf 0xD depends on it.
 */
int host_request_amx_guest_perm(struct fpvm_error *err);
uint64_t host_xgetbv0(void);
void host_xsave(void *buf, uint64_t mask);
void host_xrstor(const void *buf, uint64_t mask);

/*
 * What a guest fpstate may hold on this host, computed once per process
 * from the host FPU and KVM's supported CPUID, like the kernel's
 * guest_default_cfg (arch/x86/kernel/fpu/xstate.c).  run, probe and
 * leakcheck share it; nothing here depends on a VM.
 */
struct guest_fpu_cfg {
	struct host_fpu host;
	struct xstate_layout layout;	/* KVM_GET_SUPPORTED_CPUID leaf 0xD */
	uint64_t kvm_xcr0;		/* what KVM supports */
	uint64_t allowed_xcr0;		/* what a guest XCR0 may hold: KVM, host, permission */
	uint64_t default_xcr0;		/* the guest default features */
};

/* How long each step of guest_fpu_open() took, for --stats. */
struct guest_fpu_open_times {
	uint64_t kvm_open_ns;		/* AMX permission and opening KVM */
	uint64_t fpu_cfg_ns;		/* the guest FPU configuration */
};

/*
 * The set-up every command, leakcheck and the benches do, in the one order
 * that works: AMX guest permission first when @amx (KVM's supported CPUID
 * and XSAVE2 size depend on it, and the first vCPU locks it), then KVM at
 * @kvm_path, then the guest FPU configuration from both.  On failure
 * nothing stays open.  @times may be NULL.
 */
int guest_fpu_open(struct kvm *kvm, struct guest_fpu_cfg *cfg, const char *kvm_path, bool amx,
		   struct guest_fpu_open_times *times, struct fpvm_error *err);
/* Undoes guest_fpu_open(). */
void guest_fpu_close(struct kvm *kvm, struct guest_fpu_cfg *cfg);
/* @requested (0: the default) as a guest XCR0, checked by KVM's rules (CFG_XCR0). */
int guest_fpu_cfg_xcr0(const struct guest_fpu_cfg *cfg, uint64_t requested, uint64_t *xcr0,
		       struct fpvm_error *err);

/*
 * One VM's guest FPU, shared by its vCPUs (the kernel's struct fpu_guest
 * holds the same per vCPU): its XCR0 and the uABI buffer size, which
 * KVM_CAP_XSAVE2 gives per VM.
 */
struct guest_fpu {
	const struct guest_fpu_cfg *cfg;
	uint64_t xcr0;
	uint32_t xsave_size;
	bool has_xsave2;
};

/* @xsave2_cap: KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on the VM, <= 0 when absent. */
void guest_fpu_init(struct guest_fpu *g, const struct guest_fpu_cfg *cfg, uint64_t xcr0,
		    int xsave2_cap);

#endif
