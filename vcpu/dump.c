// SPDX-License-Identifier: MIT
/* Register dumps for guest failure diagnostics. */
#include <stdio.h>

#include "vcpu.h"

size_t regs_format(char *buf, size_t size, const struct kvm_regs *r)
{
	int n = snprintf(buf, size,
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  rip %016llx rflags %08llx\n",
		r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip, r->rflags);

	return n < 0 ? 0 : (size_t)n;
}

size_t sregs_format(char *buf, size_t size, const struct kvm_sregs *s)
{
	int n = snprintf(buf, size,
		"  cs %04x ss %04x ds %04x es %04x fs %04x gs %04x tr %04x cpl %u\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n"
		"  efer %016llx gdt %016llx/%x idt %016llx/%x\n",
		s->cs.selector, s->ss.selector, s->ds.selector, s->es.selector,
		s->fs.selector, s->gs.selector, s->tr.selector, s->cs.dpl,
		s->cr0, s->cr2, s->cr3, s->cr4, s->efer,
		s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit);

	return n < 0 ? 0 : (size_t)n;
}

/* Only from the vCPU's own thread: KVM serializes vCPU ioctls anyway. */
size_t vcpu_format_state(struct vcpu *vcpu, const char *why, char *buf, size_t size)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	size_t n;

	n = (size_t)snprintf(buf, size, "fpvm: vcpu %u: %s\n", vcpu->id, why);
	if (n < size && kvm_vcpu_get_regs(vcpu->kvm, vcpu->fd, &regs) == 0)
		n += regs_format(buf + n, size - n, &regs);
	else if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "  (registers unavailable)\n");
	if (n < size && kvm_vcpu_get_sregs(vcpu->kvm, vcpu->fd, &sregs) == 0)
		n += sregs_format(buf + n, size - n, &sregs);
	return n < size ? n : size - 1;
}

void vcpu_note_exit(struct vcpu *vcpu)
{
	if (!(vcpu->run->kvm_valid_regs & KVM_SYNC_X86_REGS) ||
	    vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN)
		return;
	vcpu->last_regs = vcpu->run->s.regs.regs;
	vcpu->last_exit = vcpu->run->exit_reason;
	vcpu->have_last_regs = true;
}

bool vcpu_in_reset_state(const struct kvm_regs *r, const struct kvm_sregs *s)
{
	return !(s->cr0 & 1) && s->cs.selector == 0xf000 && r->rip == 0xfff0 && !s->efer;
}

size_t vcpu_format_shutdown(struct vcpu *vcpu, char *buf, size_t size)
{
	static const char why[] = "triple fault (KVM_EXIT_SHUTDOWN)";
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	size_t n;

	if (kvm_vcpu_get_regs(vcpu->kvm, vcpu->fd, &regs) ||
	    kvm_vcpu_get_sregs(vcpu->kvm, vcpu->fd, &sregs) || !vcpu_in_reset_state(&regs, &sregs))
		return vcpu_format_state(vcpu, why, buf, size);
	/* SVM's shutdown intercept resets the vCPU (the VMCB is undefined after it). */
	n = (size_t)snprintf(buf, size, "fpvm: vcpu %u: %s; KVM has reset the vCPU already, as it "
			     "does on AMD, so its registers now are the reset state, not the "
			     "guest's\n", vcpu->id, why);
	if (n >= size)
		return size - 1;
	if (!vcpu->have_last_regs)
		n += (size_t)snprintf(buf + n, size - n, "  (no earlier exit: the guest faulted "
				      "before it did any I/O%s)\n", vcpu->run->kvm_valid_regs ? "" :
				      "; this KVM has no KVM_CAP_SYNC_REGS");
	else
		n += (size_t)snprintf(buf + n, size - n, "  the guest's registers at its last "
				      "exit (%s), the last state fpvm saw:\n",
				      kvm_exit_reason_name(vcpu->last_exit));
	if (n < size && vcpu->have_last_regs)
		n += regs_format(buf + n, size - n, &vcpu->last_regs);
	return n < size ? n : size - 1;
}
