// SPDX-License-Identifier: MIT
/*
 * The VM's guest FPU configuration (host facts, guest layout, guest XCR0,
 * buffer size) and what --dump-fpstate and --save-fpstate do at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "../vcpu/vcpu.h"
#include "vmm.h"

int vm_setup_fpstate(struct vm *vm, struct fpvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;
	struct fpstate_error ferr;
	struct guest_xcr0_inputs in;
	uint64_t allowed;
	int cap, r;

	r = host_fpu_probe(&vm->host, err);
	if (r)
		return r;
	r = xstate_layout_init(&vm->guest_layout, vm->kvm->cpuid, &ferr);
	if (r)
		return fpvm_fail(err, FPVM_EXIT_UNAVAILABLE, -r, "KVM_GET_SUPPORTED_CPUID: %s",
				 ferr.msg);
	vm->guest_layout.mxcsr_mask = vm->host.mxcsr_mask;
	in = (struct guest_xcr0_inputs){
		.kvm_supported = vm->guest_layout.xcr0_supported,
		.host_supported = host_fpu_user_features(&vm->host),
		.guest_perm = vm->host.guest_perm,
	};
	vm->guest_xcr0 = xcr0_guest_default(&in);
	if (cfg->xcr0) {
		allowed = in.kvm_supported & in.host_supported &
			  ~(XFEATURE_MASK_USER_DYNAMIC & ~in.guest_perm);
		if (xcr0_check(cfg->xcr0, allowed, &ferr) != XCR0_OK)
			return fpvm_fail(err, FPVM_EXIT_USAGE, EINVAL, "--xcr0: %s%s", ferr.msg,
					 (cfg->xcr0 & XFEATURE_MASK_XTILE) &&
					 !(in.guest_perm & XMASK(XTILE_DATA)) ? " (AMX needs --amx)"
									      : "");
		vm->guest_xcr0 = cfg->xcr0;
	}
	cap = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	vm->has_xsave2 = cap > 0;
	vm->xsave_size = fpstate_guest_uabi_size(cap, &vm->guest_layout, vm->guest_xcr0);
	return 0;
}

int vm_report_fpstate(struct vm *vm, struct fpvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;
	struct fpvm_error sync_err = { 0 };
	struct fpregs *r;
	int ret = 0;

	if (!cfg->dump_fpstate && !cfg->save_fpstate_dir)
		return 0;
	if (cfg->save_fpstate_dir && mkdir(cfg->save_fpstate_dir, 0755) && errno != EEXIST)
		return fpvm_fail(err, FPVM_EXIT_IOERR, errno, "--save-fpstate %s: %s",
				 cfg->save_fpstate_dir, strerror(errno));
	r = malloc(sizeof(*r));
	if (!r)
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, ENOMEM, "out of memory");
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		struct fpstate_error ferr;

		/* Keep what KVM returned even if it fails validation: it is evidence. */
		if ((vcpu_sync_xcr0(vcpu, &sync_err) || vcpu_sync_fpstate(vcpu, &sync_err)) && !ret)
			ret = fpvm_fail(err, sync_err.status, EINVAL, "%s", sync_err.msg);
		if (cfg->save_fpstate_dir &&
		    fpstate_file_save(cfg->save_fpstate_dir, (int)i, &vcpu->guest_fps, vcpu->xcr0,
				      &ferr) && !ret)
			ret = fpvm_fail(err, FPVM_EXIT_IOERR, EIO, "--save-fpstate: %s", ferr.msg);
		if (!cfg->dump_fpstate)
			continue;
		fpstate_decode(&vm->guest_layout, vcpu->guest_fps.xfeatures, vcpu->guest_fps.buf,
			       vcpu->guest_fps.size, r);
		printf("--- vcpu %u fpstate (XCR0 0x%llx, %u bytes) ---\n", i,
		       (unsigned long long)vcpu->xcr0, vcpu->guest_fps.size);
		fpregs_print_text(stdout, r);
	}
	fflush(stdout);
	free(r);
	return ret;
}
