/* SPDX-License-Identifier: MIT */
/*
 * Whether a snapshot fits this host, and whether its saved vCPU state is
 * one KVM takes: pure checks on what the snapshot module read (snapshot.h),
 * for restore and restore --check.
 */
#ifndef FPVM_SNAPSHOT_CHECK_H
#define FPVM_SNAPSHOT_CHECK_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"

/* ---- whether a snapshot fits this host (compat.c) ---- */

#define SNAPSHOT_MAX_FINDINGS 64

/*
 * Findings, each one line.  Zero it before the first check; every check
 * adds to it.  nr_errors counts every error, the dropped ones too.
 */
struct snapshot_findings {
	unsigned int nr, nr_errors, dropped;
	struct {
		bool error;
		char msg[200];
	} item[SNAPSHOT_MAX_FINDINGS];
};

void snapshot_finding_add(struct snapshot_findings *f, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Feature bits the guest's CPUID has and this host's KVM_GET_SUPPORTED_CPUID
 * lacks: leaves 1 (ECX, EDX), 7.0 (EBX, ECX, EDX), 7.1 (EAX), 0xD.1 (EAX),
 * 0x80000001 (ECX, EDX), 0x80000008 (EBX).  Each is an error.
 */
void snapshot_check_cpuid(unsigned int vcpu, const struct kvm_cpuid2 *guest,
			  const struct kvm_cpuid2 *host, struct snapshot_findings *f);
/* XSAVE features of the guest's XCR0 or of its XSAVE image outside @host_xcr0. */
void snapshot_check_xfeatures(unsigned int vcpu, uint64_t guest_xcr0, uint64_t xstate_bv,
			      uint64_t host_xcr0, struct snapshot_findings *f);
/* Saved MSRs missing from this host's KVM_GET_MSR_INDEX_LIST. */
void snapshot_check_msrs(unsigned int vcpu, const uint32_t *saved, unsigned int nr_saved,
			 const uint32_t *host, unsigned int nr_host, struct snapshot_findings *f);
/* Another vendor, family or model: warnings. */
void snapshot_check_host(const struct snapshot_host *from, const struct snapshot_host *here,
			 struct snapshot_findings *f);

/* ---- whether saved vCPU state is one KVM takes (state.c) ----
 *
 * What KVM_SET_CPUID2, _SREGS, _MP_STATE and _XCRS would refuse, judged by
 * the snapshot's own CPUID table, so that a snapshot that is inconsistent
 * in itself is refused as one, before /dev/kvm is opened.  Each returns 0,
 * or -EINVAL with one line in @why.
 */
#define SNAPSHOT_WHY_MAX 160
int snapshot_check_cpuid_table(const struct kvm_cpuid2 *c, char why[SNAPSHOT_WHY_MAX]);
int snapshot_check_sregs(const struct kvm_sregs *s, const struct kvm_cpuid2 *c,
			 char why[SNAPSHOT_WHY_MAX]);
/* @lapic: the vCPU has an in-kernel LAPIC, which every state but RUNNABLE needs. */
int snapshot_check_mp_state(uint32_t mp_state, bool lapic, char why[SNAPSHOT_WHY_MAX]);
/* XCR0 as the CPUID's leaf 0xD allows it, and within the manifest's @guest_xcr0. */
int snapshot_check_xcrs(const struct kvm_xcrs *x, const struct kvm_cpuid2 *c, uint64_t guest_xcr0,
			char why[SNAPSHOT_WHY_MAX]);

#endif
