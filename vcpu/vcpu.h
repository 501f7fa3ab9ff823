/* SPDX-License-Identifier: MIT */
/*
 * A vCPU: its KVM fd and kvm_run page, its CPUID, its guest fpstate and the
 * host fpstate of the thread that runs it.  Everything here goes down to
 * KVM (kvm/) and the fpstate library; nothing calls back into the VM: the
 * VM's thread (vmm/vcpu_thread.c) calls vcpu_run() and dispatches what it returns.
 */
#ifndef FPVM_VCPU_H
#define FPVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/placement.h"
#include "../fpstate/fpstate.h"
#include "../kvm/kvm.h"
#include "fpu.h"

/* What vcpu_create() needs to know about the VM it joins. */
struct vcpu_params {
	const struct kvm *kvm;
	int vm_fd;
	unsigned int nr_cpus;		/* for CPUID's topology leaves */
	const struct guest_fpu *fpu;
	bool check_host_fpstate;	/* keep a second host image for kvm_run_checked() */
	/*
	 * CPUID offers no instruction set whose registers XCR0 leaves out
	 * (cpuid_hide_xcr0_features()): an OS such as Linux takes its feature
	 * flags from CPUID, never from XCR0.
	 */
	bool hide_xcr0_features;
};

/* What one vCPU cost, kept when the VM is told to (vm_config.stats). */
#define VCPU_EXIT_REASONS	64	/* KVM_EXIT_* today end below 40 */
struct vcpu_stats {
	uint64_t exits[VCPU_EXIT_REASONS];	/* the last one counts every larger reason */
	uint64_t run_ns;			/* inside KVM_RUN */
	uint64_t vmm_ns;			/* in the VMM between two KVM_RUNs */
	/* The host thread's, over its life (vmm/vcpu_thread.c; -1: not known) */
	struct cpu_mask host_cpus;		/* the CPUs it entered KVM_RUN on */
	int64_t voluntary_switches, involuntary_switches, migrations;
};

struct vcpu {
	const struct kvm *kvm;
	const struct guest_fpu *fpu;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	bool check_host_fpstate;

	/* This vCPU's guest fpstate, kept apart from the thread's own. */
	struct fpstate guest_fps;
	uint64_t xcr0;			/* KVM_GET_XCRS at the last vcpu_sync_xcr0() */
	struct fpstate host_fps;	/* the thread's registers before KVM_RUN */
	uint8_t *host_after;		/* ... and after, with check_host_fpstate */

	struct vcpu_stats stats;

	/* The GPRs at the last exit that was not a shutdown (KVM_CAP_SYNC_REGS). */
	struct kvm_regs last_regs;
	uint32_t last_exit;		/* its exit reason */
	bool have_last_regs;

	/* The thread running it: the VM's (vmm/vcpu_thread.c), not touched here. */
	pthread_t thread;
	bool started;
	void *owner;
};

/* With the LAPIC in KVM an AP waits for INIT and SIPI; this starts it as the BSP starts. */
int vcpu_set_runnable(struct vcpu *vcpu, struct fpvm_error *err);
/* With the LAPIC in KVM: whether a HLT left the vCPU where nothing wakes it (vcpu.c). */
int vcpu_halted_for_good(struct vcpu *vcpu);

/* Creates the vCPU and sets, in this order, its CPUID, XCR0 and XSAVE image. */
struct vcpu *vcpu_create(const struct vcpu_params *p, unsigned int id, struct fpvm_error *err);
/* The same with the CPUID a snapshot's vCPU had instead of this host's. */
struct vcpu *vcpu_create_cpuid(const struct vcpu_params *p, unsigned int id,
			       const struct kvm_cpuid2 *cpuid, struct fpvm_error *err);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs, struct fpvm_error *err);
int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs,
		  const struct kvm_sregs *sregs, struct fpvm_error *err);
bool vcpu_has_xsave(const struct vcpu *vcpu);
/* Makes KVM_RUN return at once, now or on its next entry (api.rst, immediate_exit). */
void vcpu_request_immediate_exit(struct vcpu *vcpu);

/*
 * One KVM_RUN; with check_host_fpstate, between two XSAVEs of this thread's
 * registers.  Returns 0 with vcpu->run holding the exit, or -errno.
 */
int vcpu_run(struct vcpu *vcpu);
const char *kvm_exit_reason_name(uint32_t reason);

/* CPUID as this vCPU sees it: KVM's table with its topology (cpuid.c). */
/*
 * Clears the CPUID feature bits of instructions whose register state
 * @xcr0 does not enable: AVX and its kin without YMM, AVX-512 without
 * opmask and ZMM state, PKU without PKRU, AMX without its tiles.
 */
void cpuid_hide_xcr0_features(struct kvm_cpuid2 *cpuid, uint64_t xcr0);
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int id,
				  unsigned int nr_cpus);

/* Guest and host fpstate (fpu.c). */
int vcpu_setup_fpstate(struct vcpu *vcpu, struct fpvm_error *err);
/* KVM's view of the guest registers into vcpu->guest_fps, validated. */
int vcpu_sync_fpstate(struct vcpu *vcpu, struct fpvm_error *err);
/* The XCR0 KVM holds for the vCPU, into vcpu->xcr0. */
int vcpu_sync_xcr0(struct vcpu *vcpu, struct fpvm_error *err);
/* KVM_SET_XSAVE of @buf (vcpu->guest_fps.size bytes), after validating it. */
int vcpu_set_fpstate(struct vcpu *vcpu, const void *buf, struct fpvm_error *err);
/*
 * On the vCPU's thread, before its first KVM_RUN: XSAVE of the thread's
 * registers, validated as a host fpstate; @diag gets what validation says.
 */
int vcpu_capture_host_fpstate(struct vcpu *vcpu, struct fpstate_diag *diag,
			      struct fpvm_error *err);
/* KVM_RUN between two XSAVEs of this thread's registers (run_checked.S). */
long kvm_run_checked(int fd, void *before, void *after, uint64_t mask);
/*
 * After a checked KVM_RUN: 0 when no host register changed, 1 when some
 * did (*@diff: before and after by register, malloc'ed), or -ENOMEM.
 */
int vcpu_host_fpstate_diff(struct vcpu *vcpu, char **diff);

/*
 * Everything KVM keeps for a vCPU but its XSAVE image and CPUID (state.c),
 * as snapshots store it: the uAPI structures, fixed size, no pointers.
 */
#define VCPU_STATE_MAGIC	0x74737066U	/* "fpst" */
#define VCPU_STATE_MAX_MSRS	1024
#define VCPU_STATE_LAPIC	(1U << 0)	/* lapic holds KVM_GET_LAPIC (an irqchip) */

struct vcpu_state {
	uint32_t magic, size, flags, nr_msrs;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_mp_state mp_state;
	struct kvm_lapic_state lapic;
	struct kvm_msr_entry msrs[VCPU_STATE_MAX_MSRS];	/* the first nr_msrs */
};

/* With the vCPU out of KVM_RUN: every MSR of kvm_msr_index_list() it has. */
int vcpu_save_state(struct vcpu *vcpu, bool lapic, struct vcpu_state *s, struct fpvm_error *err);
/*
 * Into a vCPU just created with the snapshot's CPUID, in KVM's order; @xsave:
 * uABI image.  A value KVM refuses (EINVAL) is FPVM_ERR_INPUT, "KVM refused
 * the saved special registers (KVM_SET_SREGS: ...)": the state is at fault.
 */
int vcpu_load_state(struct vcpu *vcpu, const struct vcpu_state *s, const void *xsave,
		    struct fpvm_error *err);

/* Register dumps (dump.c): the text, for the VM to report. */
size_t regs_format(char *buf, size_t size, const struct kvm_regs *regs);
size_t sregs_format(char *buf, size_t size, const struct kvm_sregs *sregs);
size_t vcpu_format_state(struct vcpu *vcpu, const char *why, char *buf, size_t size);
/* After each KVM_RUN: keeps the GPRs KVM synced into kvm_run, unless it shut down. */
void vcpu_note_exit(struct vcpu *vcpu);
/* A vCPU in the architectural reset state (SDM vol. 3, 10.1.1: CS f000, RIP fff0, PE clear). */
bool vcpu_in_reset_state(const struct kvm_regs *r, const struct kvm_sregs *s);
/*
 * A shutdown's report: the registers, or, where KVM reset the vCPU first,
 * that it did and the guest's registers at its last exit instead.
 */
size_t vcpu_format_shutdown(struct vcpu *vcpu, char *buf, size_t size);

#endif
