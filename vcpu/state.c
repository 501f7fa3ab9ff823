// SPDX-License-Identifier: MIT
/*
 * A vCPU's whole KVM state, for snapshots: saved with the vCPU out of
 * KVM_RUN and its last exit completed (vm_pause_vcpus()), and loaded into
 * a new vCPU in the order KVM needs.  The XSAVE image travels apart, with
 * its layout (fpstate/file.c), so it can be checked and converted.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_XFD		0x1c4
#define MSR_IA32_XFD_ERR	0x1c5

/* struct kvm_msrs with room for every MSR a vCPU state holds. */
union msr_buf {
	struct kvm_msrs hdr;
	uint8_t raw[sizeof(struct kvm_msrs) + VCPU_STATE_MAX_MSRS * sizeof(struct kvm_msr_entry)];
};

static int state_fail(struct vcpu *vcpu, struct fpvm_error *err, const char *what, int r)
{
	return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "vcpu %u: %s: %s", vcpu->id, what, strerror(-r));
}

/*
 * A KVM_SET_* that fails with EINVAL refused the value (api.rst): the
 * state being loaded is wrong, not fpvm, so it is an input error that
 * names what KVM refused.  Any other error is fpvm's own.
 */
static int load_fail(struct vcpu *vcpu, struct fpvm_error *err, const char *what,
		     const char *ioctl, int r)
{
	if (r != -EINVAL)
		return state_fail(vcpu, err, ioctl, r);
	return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "vcpu %u: KVM refused the saved %s (%s: %s)",
			 vcpu->id, what, ioctl, strerror(EINVAL));
}

/*
 * KVM_GET_MSRS stops at the first MSR it cannot read for this vCPU (one
 * whose feature its CPUID lacks) and returns how many it read (api.rst):
 * read in batches, and drop each MSR that stops a batch.
 */
static int save_msrs(struct vcpu *vcpu, struct vcpu_state *s, struct fpvm_error *err)
{
	const struct kvm *kvm = vcpu->kvm;
	union msr_buf buf;
	uint32_t next = 0;

	s->nr_msrs = 0;
	while (next < kvm->nr_msr_index) {
		uint32_t n = kvm->nr_msr_index - next;
		int r;

		if (n > VCPU_STATE_MAX_MSRS - s->nr_msrs)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, E2BIG, "vcpu %u: KVM lists more than "
					 "%u MSRs", vcpu->id, VCPU_STATE_MAX_MSRS);
		memset(&buf, 0, sizeof(buf));
		buf.hdr.nmsrs = n;
		for (uint32_t i = 0; i < n; i++)
			buf.hdr.entries[i].index = kvm->msr_index[next + i];
		r = kvm_fd_ioctl(kvm, vcpu->fd, KVM_GET_MSRS, &buf);
		if (r < 0)
			return state_fail(vcpu, err, "KVM_GET_MSRS", r);
		memcpy(&s->msrs[s->nr_msrs], buf.hdr.entries, (size_t)r * sizeof(buf.hdr.entries[0]));
		s->nr_msrs += (uint32_t)r;
		next += (uint32_t)r + 1;	/* skip the one that failed */
	}
	return 0;
}

int vcpu_save_state(struct vcpu *vcpu, bool lapic, struct vcpu_state *s, struct fpvm_error *err)
{
	const struct kvm *kvm = vcpu->kvm;
	const struct {
		const char *name;
		unsigned long req;
		size_t off;
	} get[] = {
		{ "KVM_GET_REGS", KVM_GET_REGS, offsetof(struct vcpu_state, regs) },
		{ "KVM_GET_SREGS", KVM_GET_SREGS, offsetof(struct vcpu_state, sregs) },
		{ "KVM_GET_XCRS", KVM_GET_XCRS, offsetof(struct vcpu_state, xcrs) },
		{ "KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS, offsetof(struct vcpu_state, events) },
		{ "KVM_GET_DEBUGREGS", KVM_GET_DEBUGREGS, offsetof(struct vcpu_state, debugregs) },
		{ "KVM_GET_MP_STATE", KVM_GET_MP_STATE, offsetof(struct vcpu_state, mp_state) },
		{ "KVM_GET_LAPIC", KVM_GET_LAPIC, offsetof(struct vcpu_state, lapic) },
	};
	int r;

	memset(s, 0, sizeof(*s));
	s->magic = VCPU_STATE_MAGIC;
	s->size = sizeof(*s);
	s->flags = lapic ? VCPU_STATE_LAPIC : 0;
	for (size_t i = 0; i < sizeof(get) / sizeof(get[0]); i++) {
		if (get[i].req == KVM_GET_LAPIC && !lapic)
			continue;
		r = kvm_fd_ioctl(kvm, vcpu->fd, get[i].req, (uint8_t *)s + get[i].off);
		if (r < 0)
			return state_fail(vcpu, err, get[i].name, r);
	}
	return save_msrs(vcpu, s, err);
}

static bool is_xfd_msr(uint32_t index)
{
	return index == MSR_IA32_XFD || index == MSR_IA32_XFD_ERR;
}

/* The value @index has in @list (of @n), or false when it is not there. */
static bool msr_value(const struct kvm_msr_entry *list, uint32_t n, uint32_t index, uint64_t *v)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i].index == index) {
			*v = list[i].data;
			return true;
		}
	return false;
}

/*
 * KVM_SET_MSRS of the saved MSRs that @xfd selects and that differ from
 * what the new vCPU has (@fresh): KVM lists MSRs it can read but refuses to
 * write in some configurations (MSR_KVM_ASYNC_PF_INT without an in-kernel
 * LAPIC), and their reset value needs no write.  Every write must be taken.
 */
static int load_msrs(struct vcpu *vcpu, const struct vcpu_state *s, const struct vcpu_state *fresh,
		     bool xfd, struct fpvm_error *err)
{
	union msr_buf buf;
	uint32_t n = 0;
	int r;

	memset(&buf, 0, sizeof(buf));
	/*
	 * IA32_TSC first: a host write of it resynchronises the guest TSC
	 * (kvm_synchronize_tsc()), and the TSC deadline is relative to it.
	 */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < s->nr_msrs; i++) {
			const struct kvm_msr_entry *e = &s->msrs[i];
			uint64_t now;

			if (is_xfd_msr(e->index) != xfd || (e->index == MSR_IA32_TSC) != !pass)
				continue;
			if (e->index != MSR_IA32_TSC &&
			    msr_value(fresh->msrs, fresh->nr_msrs, e->index, &now) && now == e->data)
				continue;
			buf.hdr.entries[n++] = *e;
		}
	if (!n)
		return 0;
	buf.hdr.nmsrs = n;
	r = kvm_fd_ioctl(vcpu->kvm, vcpu->fd, KVM_SET_MSRS, &buf);
	if (r < 0)
		return load_fail(vcpu, err, "MSRs", "KVM_SET_MSRS", r);
	if ((uint32_t)r != n)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "vcpu %u: KVM refused the saved MSRs "
				 "(KVM_SET_MSRS: MSR 0x%x refused, value 0x%llx)", vcpu->id,
				 buf.hdr.entries[r].index,
				 (unsigned long long)buf.hdr.entries[r].data);
	return 0;
}

static int load_one(struct vcpu *vcpu, const char *what, const char *name, unsigned long req,
		    const void *arg, struct fpvm_error *err)
{
	int r = kvm_fd_ioctl(vcpu->kvm, vcpu->fd, req, arg);

	return r < 0 ? load_fail(vcpu, err, what, name, r) : 0;
}

/* One KVM_SET_* of what @s holds, the ioctl named by its own name. */
#define LOAD(what, req, arg)	load_one(vcpu, what, #req, req, arg, err)

/* The image, validated first (vcpu_set_fpstate()); KVM's own EINVAL named like the rest. */
static int load_xsave(struct vcpu *vcpu, const void *xsave, struct fpvm_error *err)
{
	int r = vcpu_set_fpstate(vcpu, xsave, err);

	if (r == -EINVAL && err->cls == FPVM_ERR_SYSTEM)
		return load_fail(vcpu, err, "XSAVE image", "KVM_SET_XSAVE", r);
	return r;
}

/* "AuthenticAMD" and "HygonGenuine": CPUs whose KVM runs guests with SVM. */
static bool host_svm(const struct kvm *kvm)
{
	const struct kvm_cpuid_entry2 *e = kvm->cpuid ? kvm_cpuid_find(kvm->cpuid, 0, 0) : NULL;

	/* EBX holds the vendor's first four letters: "Auth", "Hygo". */
	return e && (e->ebx == 0x68747541 || e->ebx == 0x6f677948);
}

/*
 * TR as this host's KVM should get it back.  SVM keeps the TSS type that
 * the guest's LTR loaded, 9 (available), and KVM_GET_SREGS reports it as
 * 11 (busy) for VMX, whose VM entry in long mode requires busy
 * (svm_get_segment(): "the busy flag in the tr selector isn't exposed");
 * KVM_SET_SREGS writes the type it is given.  Restored as busy on SVM, TR
 * differs from what the guest's LTR left, and a CPU that checks the type
 * faults: QEMU's TCG (the faithful lane) raises #GP for every CPL3 IN/OUT
 * unless TR's type is 9 (helper_check_io()), so a Linux init's ioperm()ed
 * outl failed after a restore.  On SVM the type goes back to available.
 */
static void tr_for_host(const struct kvm *kvm, struct kvm_sregs *sregs)
{
	if (host_svm(kvm) && sregs->tr.type == 0xb)
		sregs->tr.type = 0x9;
}

static int load_sequence(struct vcpu *vcpu, const struct vcpu_state *s,
			 const struct vcpu_state *fresh, const void *xsave, struct fpvm_error *err)
{
	struct kvm_sregs sregs = s->sregs;

	tr_for_host(vcpu->kvm, &sregs);
	/*
	 * Special registers first: KVM_SET_SREGS sets EFER and CR4 (which
	 * MSR writes such as the SYSCALL ones check against) and the APIC
	 * base, which enables the LAPIC that KVM_SET_LAPIC then fills
	 * (kvm_apic_set_state()).
	 */
	return LOAD("special registers", KVM_SET_SREGS, &sregs) ?:
	    /*
	     * The LAPIC before the MSRs: a write of IA32_TSC_DEADLINE is
	     * dropped unless the LVT timer is already in TSC-deadline mode
	     * (kvm_set_lapic_tscdeadline_msr()), as QEMU's kvm_put_apic()
	     * before kvm_put_msrs() keeps it.
	     */
	    ((s->flags & VCPU_STATE_LAPIC) ?
	     LOAD("LAPIC", KVM_SET_LAPIC, &s->lapic) : 0) ?:
	    load_msrs(vcpu, s, fresh, false, err) ?:
	    /*
	     * XCR0 before the XSAVE image: the image is set for the features
	     * XCR0 enables, and nothing after KVM_SET_XSAVE may change what
	     * it holds (selftests' order: XCRS, then XSAVE).
	     */
	    LOAD("XCRs", KVM_SET_XCRS, &s->xcrs) ?:
	    load_xsave(vcpu, xsave, err) ?:
	    /*
	     * IA32_XFD after the image: a new vCPU's XFD is 0, so the image
	     * goes in whole; a component XFD arms cannot be in use in the
	     * guest, and Linux clears it when XFD is set ("KVM: x86: clear
	     * XSTATE_BV[i] in guest XSAVE state whenever XFD[i]=1"), where an
	     * image set under an armed XFD would be restored by an XRSTOR that
	     * faults with #NM in the host, or lose its tile data.
	     */
	    load_msrs(vcpu, s, fresh, true, err);
}

/*
 * The order is KVM's, as KVM selftests' vcpu_load_state() and QEMU follow
 * it; each rule says where it comes from.  KVM_SET_CPUID2 came first, at
 * vcpu_create(): KVM derives from CPUID which XCR0 bits, CR4 bits and MSRs
 * the guest may have (kvm_vcpu_after_set_cpuid()), and refuses a CPUID
 * change after the first KVM_RUN (api.rst, KVM_SET_CPUID2).
 */
int vcpu_load_state(struct vcpu *vcpu, const struct vcpu_state *s, const void *xsave,
		    struct fpvm_error *err)
{
	struct kvm_vcpu_events events = s->events;
	struct vcpu_state *fresh;
	int r;

	if (s->magic != VCPU_STATE_MAGIC || s->size != sizeof(*s) ||
	    s->nr_msrs > VCPU_STATE_MAX_MSRS)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "vcpu %u: not a vCPU state of this "
				 "fpvm", vcpu->id);
	fresh = malloc(sizeof(*fresh));
	if (!fresh)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = save_msrs(vcpu, fresh, err) ?: load_sequence(vcpu, s, fresh, xsave, err);
	free(fresh);
	if (r)
		return r;
	/*
	 * Events after the LAPIC (an injected interrupt is checked against
	 * it), with the fields KVM_GET_VCPU_EVENTS always fills marked valid
	 * (api.rst, KVM_SET_VCPU_EVENTS); then the MP state, which for an AP
	 * waiting for SIPI needs the LAPIC; the GPRs last, as selftests do.
	 */
	events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	return LOAD("vCPU events", KVM_SET_VCPU_EVENTS, &events) ?:
	       LOAD("MP state", KVM_SET_MP_STATE, &s->mp_state) ?:
	       LOAD("debug registers", KVM_SET_DEBUGREGS, &s->debugregs) ?:
	       LOAD("registers", KVM_SET_REGS, &s->regs);
}
