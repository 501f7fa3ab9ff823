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
#include <sys/ioctl.h>

#include "vcpu.h"

_Static_assert(KVM_RUN == 0xae80, "run_checked.S hard-codes KVM_RUN");

/* Only report the first few host changes per vCPU; count them all. */
#define HOST_CHANGE_REPORTS 3

static int fpstate_fail(struct vcpu *vcpu, struct fpvm_error *err, int status,
			const struct fpstate_diag *d, const char *what)
{
	return fpvm_fail(err, status, EINVAL, "vcpu %u: %s: %s", vcpu->id, what,
			 fpstate_diag_first_error(d));
}

int vcpu_setup_fpstate(struct vcpu *vcpu, struct fpvm_error *err)
{
	struct vm *vm = vcpu->vm;
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = vm->guest_xcr0 } } };
	struct fpstate_error ferr;
	int r;

	/* XCR0 after CPUID: KVM checks it against the CPUID just set. */
	if (xcrs_validate(&xcrs, vm->guest_xcr0, &ferr))
		return fpvm_fail(err, FPVM_EXIT_USAGE, EINVAL, "vcpu %u: %s", vcpu->id, ferr.msg);
	if (ioctl(vcpu->fd, KVM_SET_XCRS, &xcrs))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_SET_XCRS 0x%llx: %s",
				 vcpu->id, (unsigned long long)vm->guest_xcr0, strerror(errno));

	r = fpstate_alloc(&vcpu->guest_fps, &vm->guest_layout, vm->guest_xcr0, vm->xsave_size, true,
			  &ferr);
	if (r)
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, -r, "vcpu %u: %s", vcpu->id, ferr.msg);
	fpstate_init_uabi(vcpu->guest_fps.buf, vcpu->guest_fps.size);
	return vcpu_set_fpstate(vcpu, vcpu->guest_fps.buf, err);
}

int vcpu_sync_xcr0(struct vcpu *vcpu, struct fpvm_error *err)
{
	struct kvm_xcrs xcrs = { 0 };

	if (ioctl(vcpu->fd, KVM_GET_XCRS, &xcrs))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_GET_XCRS: %s",
				 vcpu->id, strerror(errno));
	for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (xcrs.xcrs[i].xcr == 0)
			vcpu->xcr0 = xcrs.xcrs[i].value;
	return 0;
}

int vcpu_sync_fpstate(struct vcpu *vcpu, struct fpvm_error *err)
{
	struct fpstate_diag diag;
	unsigned long req = vcpu->vm->has_xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;

	if (ioctl(vcpu->fd, req, vcpu->guest_fps.buf))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: %s: %s", vcpu->id,
				 vcpu->vm->has_xsave2 ? "KVM_GET_XSAVE2" : "KVM_GET_XSAVE",
				 strerror(errno));
	if (fpstate_validate_uabi(&vcpu->guest_fps, vcpu->guest_fps.buf, vcpu->guest_fps.size,
				  &diag))
		return fpstate_fail(vcpu, err, FPVM_EXIT_BAD_FPSTATE, &diag,
				    "guest fpstate from KVM fails validation");
	return 0;
}

int vcpu_set_fpstate(struct vcpu *vcpu, const void *buf, struct fpvm_error *err)
{
	struct fpstate_diag diag;

	if (fpstate_validate_uabi(&vcpu->guest_fps, buf, vcpu->guest_fps.size, &diag))
		return fpstate_fail(vcpu, err, FPVM_EXIT_SOFTWARE, &diag, "XSAVE image");
	if (ioctl(vcpu->fd, KVM_SET_XSAVE, buf))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_SET_XSAVE: %s",
				 vcpu->id, strerror(errno));
	return 0;
}

void vcpu_capture_host_fpstate(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct fpstate *h = &vcpu->host_fps;
	struct fpstate_error ferr;
	struct fpstate_diag diag;
	uint32_t size = xstate_size_standard(&vm->host.layout, vm->host.xcr0);

	if (size < XSAVE_UABI_MIN)
		size = XSAVE_UABI_MIN;
	if (fpstate_alloc(h, &vm->host.layout, vm->host.xcr0, size, false, &ferr)) {
		vm_report(vm, "fpvm: vcpu %u: host fpstate: %s\n", vcpu->id, ferr.msg);
		return;
	}
	host_xsave(h->buf, vm->host.xcr0);
	fpstate_validate_uabi(h, h->buf, h->size, &diag);
	for (unsigned int i = 0; i < diag.nr; i++)
		vm_report(vm, "fpvm: %s: vcpu %u: %s\n", diag.item[i].error ? "error" : "warning",
			  vcpu->id, diag.item[i].msg);
	/* XSAVE leaves components outside its mask untouched: start from zero. */
	if (vm->cfg->check_host_fpstate) {
		vcpu->host_after = aligned_alloc(64, (h->size + 63) & ~63U);
		if (vcpu->host_after)
			memset(vcpu->host_after, 0, h->size);
	}
}

/* After kvm_run_checked(): did the host's registers survive KVM_RUN? */
void vcpu_check_host_fpstate(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	const struct xstate_layout *l = &vm->host.layout;
	struct fpregs *before, *after;
	unsigned long n;
	char *text;
	size_t len;
	FILE *f;

	/* Cheap first: identical images cannot differ by register. */
	if (!memcmp(vcpu->host_fps.buf, vcpu->host_after, vcpu->host_fps.size))
		return;
	before = malloc(sizeof(*before));
	after = malloc(sizeof(*after));
	if (!before || !after)
		goto out;
	fpstate_decode(l, vm->host.xcr0, vcpu->host_fps.buf, vcpu->host_fps.size, before);
	fpstate_decode(l, vm->host.xcr0, vcpu->host_after, vcpu->host_fps.size, after);
	/* XINUSE may legitimately change; register contents may not. */
	after->xstate_bv = before->xstate_bv;
	f = open_memstream(&text, &len);
	if (!f)
		goto out;
	if (!fpregs_diff(f, before, after, false)) {
		fclose(f);
		free(text);
		goto out;
	}
	fclose(f);
	n = atomic_fetch_add(&vm->host_fpstate_changes, 1) + 1;
	if (n <= HOST_CHANGE_REPORTS)
		vm_report(vm, "fpvm: vcpu %u: host registers changed across KVM_RUN "
			  "(exit reason %s); before, then after:\n%s", vcpu->id,
			  kvm_exit_reason_name(vcpu->run->exit_reason), text);
	free(text);
out:
	free(before);
	free(after);
}
