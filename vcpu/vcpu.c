// SPDX-License-Identifier: MIT
/* vCPU creation, entry registers, immediate exit and teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vcpu.h"

#define CPUID_1_ECX_XSAVE	(1U << 26)
#define APIC_SVR		0xf0		/* the spurious-interrupt vector register */
#define APIC_SVR_ENABLE		(1U << 8)	/* APIC software enable */
#define X86_EFLAGS_IF		(1ULL << 9)

struct vcpu *vcpu_create(const struct vcpu_params *p, unsigned int id, struct fpvm_error *err)
{
	return vcpu_create_cpuid(p, id, NULL, err);
}

static struct kvm_cpuid2 *cpuid_dup(const struct kvm_cpuid2 *c)
{
	size_t size = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	struct kvm_cpuid2 *copy = malloc(size);

	return copy ? memcpy(copy, c, size) : NULL;
}

struct vcpu *vcpu_create_cpuid(const struct vcpu_params *p, unsigned int id,
			       const struct kvm_cpuid2 *cpuid, struct fpvm_error *err)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int r;

	if (!vcpu) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
		return NULL;
	}
	*vcpu = (struct vcpu){
		.kvm = p->kvm, .fpu = p->fpu, .id = id, .fd = -1,
		.check_host_fpstate = p->check_host_fpstate,
	};
	vcpu->fd = kvm_vm_create_vcpu(p->kvm, p->vm_fd, id);
	if (vcpu->fd < 0) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, -vcpu->fd, "KVM_CREATE_VCPU %u: %s", id,
			  strerror(-vcpu->fd));
		goto fail;
	}
	vcpu->run_size = (size_t)p->kvm->vcpu_mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "mmap of vcpu %u: %s", id, strerror(errno));
		goto fail;
	}
	/*
	 * KVM copies the GPRs into kvm_run at every exit for free
	 * (KVM_CAP_SYNC_REGS, api.rst): the last state fpvm saw, for when a
	 * shutdown has reset the vCPU before fpvm can ask (SVM does).
	 */
	if (p->kvm->sync_regs & KVM_SYNC_X86_REGS)
		vcpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	vcpu->cpuid = cpuid ? cpuid_dup(cpuid) : cpuid_for_vcpu(p->kvm->cpuid, id, p->nr_cpus);
	if (!vcpu->cpuid) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
		goto fail;
	}
	/* Leaf 0xD offers exactly the guest XCR0, so the guest cannot XSETBV more. */
	if (!cpuid)
		xstate_cpuid_restrict(vcpu->cpuid, &p->fpu->cfg->layout, p->fpu->xcr0);
	if (!cpuid && p->hide_xcr0_features)
		cpuid_hide_xcr0_features(vcpu->cpuid, p->fpu->xcr0);
	r = kvm_vcpu_set_cpuid2(p->kvm, vcpu->fd, vcpu->cpuid);
	if (r) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_SET_CPUID2: %s", id, strerror(-r));
		goto fail;
	}
	if (vcpu_setup_fpstate(vcpu, err))
		goto fail;
	return vcpu;
fail:
	vcpu_destroy(vcpu);
	return NULL;
}

bool vcpu_has_xsave(const struct vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_cpuid_find(vcpu->cpuid, 1, 0);

	return e && (e->ecx & CPUID_1_ECX_XSAVE);
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs, struct fpvm_error *err)
{
	int r = kvm_vcpu_get_sregs(vcpu->kvm, vcpu->fd, sregs);

	return r ? fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_GET_SREGS: %s", vcpu->id,
			     strerror(-r)) : 0;
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs,
		  const struct kvm_sregs *sregs, struct fpvm_error *err)
{
	int r = kvm_vcpu_set_sregs(vcpu->kvm, vcpu->fd, sregs);

	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_SET_SREGS: %s",
				 vcpu->id, strerror(-r));
	r = kvm_vcpu_set_regs(vcpu->kvm, vcpu->fd, regs);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_SET_REGS: %s",
				 vcpu->id, strerror(-r));
	return 0;
}

int vcpu_set_runnable(struct vcpu *vcpu, struct fpvm_error *err)
{
	const struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int r = kvm_vcpu_set_mp_state(vcpu->kvm, vcpu->fd, &runnable);

	return r ? fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: KVM_SET_MP_STATE: %s", vcpu->id,
			     strerror(-r)) : 0;
}

/*
 * With its LAPIC in KVM a vCPU's HLT never reaches the VMM: KVM parks it in
 * KVM_MP_STATE_HALTED until an interrupt comes (__kvm_emulate_halt() in
 * x86.c).  It is halted for good, as a KVM_EXIT_HLT said without a LAPIC,
 * when nothing can wake it: its LAPIC is software-disabled (SVR bit 8
 * clear, the reset state: it then accepts no fixed interrupts, SDM vol. 3
 * "Local APIC State After It Has Been Software Disabled"), or IF is clear.
 * 1 if so, 0 if not, or -errno.
 */
int vcpu_halted_for_good(struct vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	uint32_t svr;
	int r = kvm_vcpu_get_mp_state(vcpu->kvm, vcpu->fd, &mp);

	if (r || mp.mp_state != KVM_MP_STATE_HALTED)
		return r;
	r = kvm_vcpu_get_lapic(vcpu->kvm, vcpu->fd, &lapic);
	if (r)
		return r;
	memcpy(&svr, lapic.regs + APIC_SVR, sizeof(svr));
	if (!(svr & APIC_SVR_ENABLE))
		return 1;
	r = kvm_vcpu_get_regs(vcpu->kvm, vcpu->fd, &regs);
	return r ?: !(regs.rflags & X86_EFLAGS_IF);
}

void vcpu_request_immediate_exit(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu->cpuid);
	fpstate_free(&vcpu->guest_fps);
	fpstate_free(&vcpu->host_fps);
	free(vcpu->host_after);
	free(vcpu);
}
