// SPDX-License-Identifier: MIT
/*
 * fpvm run: opens what the user named (files, KVM), boots the guest, and
 * turns how it ended into fpvm's exit status.  --dump-fpstate and
 * --save-fpstate happen here, after the VM stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../vcpu/vcpu.h"
#include "cmd.h"

static int open_output(const char *option, const char *path, int *fd)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd >= 0)
		return 0;
	fprintf(stderr, "fpvm: %s %s: %s\n", option, path, strerror(errno));
	return FPVM_EXIT_IOERR;
}

/* After the run: every vCPU's guest fpstate, decoded or saved. */
static int report_fpstate(const struct run_opts *o, struct vm *vm)
{
	struct fpvm_error err = { 0 };
	struct fpregs *r;
	int status = 0;

	if (!o->dump_fpstate && !o->save_fpstate_dir)
		return 0;
	if (o->save_fpstate_dir && mkdir(o->save_fpstate_dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "fpvm: --save-fpstate %s: %s\n", o->save_fpstate_dir,
			strerror(errno));
		return FPVM_EXIT_IOERR;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		struct fpstate_error ferr;

		/* Keep what KVM returned even if it fails validation: it is evidence. */
		if ((vcpu_sync_xcr0(vcpu, &err) || vcpu_sync_fpstate(vcpu, &err)) && !status)
			status = report_error(&err);
		if (o->save_fpstate_dir &&
		    fpstate_file_save(o->save_fpstate_dir, (int)i, &vcpu->guest_fps, vcpu->xcr0,
				      &ferr) && !status) {
			fprintf(stderr, "fpvm: --save-fpstate: %s\n", ferr.msg);
			status = FPVM_EXIT_IOERR;
		}
		if (!o->dump_fpstate)
			continue;
		fpstate_decode(&vm->fpu.cfg->layout, vcpu->guest_fps.xfeatures, vcpu->guest_fps.buf,
			       vcpu->guest_fps.size, r);
		printf("--- vcpu %u fpstate (XCR0 0x%llx, %u bytes) ---\n", i,
		       (unsigned long long)vcpu->xcr0, vcpu->guest_fps.size);
		fpregs_print_text(stdout, r);
	}
	fflush(stdout);
	free(r);
	return status;
}

static int run_vm(const struct run_opts *o, struct kvm *kvm, const struct vm_config *cfg)
{
	struct fpvm_error err = { 0 };
	struct guest_fpu_cfg fpu_cfg;
	struct vm vm;
	int status;

	if (guest_fpu_cfg_init(&fpu_cfg, kvm, &err))
		return report_error(&err);
	if (vm_boot(&vm, kvm, &fpu_cfg, cfg, &err)) {
		status = report_error(&err);
	} else {
		status = status_of_stop(vm.stop, vm.stop_value, o->exit_mode);
		/* The guest's own status is the normal outcome; anything else is news. */
		if (!(vm.stop_flags & (STOP_GUEST_EXIT | STOP_REPORTED)))
			fprintf(stderr, "fpvm: %s\n", vm.reason);
		status = report_fpstate(o, &vm) ?: status;
		if (cfg->check_host_fpstate && atomic_load(&vm.host_fpstate_changes)) {
			fprintf(stderr, "fpvm: host registers changed across KVM_RUN %lu times "
				"(--check-host-fpstate)\n", atomic_load(&vm.host_fpstate_changes));
			status = FPVM_EXIT_HOST_FPSTATE;
		}
	}
	vm_destroy(&vm);
	guest_fpu_cfg_release(&fpu_cfg);
	return status;
}

int cmd_run(const struct run_opts *o)
{
	struct vm_config cfg = o->vm;
	struct fpvm_error err = { 0 };
	struct kvm kvm;
	int status;

	signal(SIGPIPE, SIG_IGN);
	cfg.serial_fd = STDOUT_FILENO;
	if (o->serial_path && (status = open_output("--serial", o->serial_path, &cfg.serial_fd)))
		return status;
	if (o->dtb_path && (status = open_output("--dump-dtb", o->dtb_path, &cfg.dtb_fd)))
		goto out;
	/* Permission first: KVM's supported CPUID and XSAVE2 size depend on it. */
	if ((o->amx && host_request_amx_guest_perm(&err)) || kvm_open(&kvm, o->kvm_path, &err)) {
		status = report_error(&err);
		goto out;
	}
	status = run_vm(o, &kvm, &cfg);
	kvm_close(&kvm);
out:
	if (cfg.dtb_fd >= 0)
		close(cfg.dtb_fd);
	if (cfg.serial_fd != STDOUT_FILENO)
		close(cfg.serial_fd);
	return status;
}
