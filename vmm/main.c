// SPDX-License-Identifier: MIT
/*
 * fpvm's entry point.  Setup is a list of explicit steps in the order they
 * must happen; main is the only place that decides to exit.
 */
#include <signal.h>
#include <stdio.h>

#include "../vcpu/vcpu.h"
#include "vmm.h"

#ifndef FPVM_VERSION
#define FPVM_VERSION "unknown"
#endif

static int die(const struct fpvm_error *err)
{
	fprintf(stderr, "fpvm: %s\n", err->msg);
	return err->status;
}

static int cmd_run(const struct vm_config *cfg)
{
	struct fpvm_error err = { 0 };
	struct kvm kvm;
	struct vm vm;
	int status;

	signal(SIGPIPE, SIG_IGN);
	/* Permission first: KVM's supported CPUID and XSAVE2 size depend on it. */
	if (cfg->amx && host_request_amx_guest_perm(&err))
		return die(&err);
	if (kvm_open(&kvm, cfg->kvm_path, &err))
		return die(&err);
	if (vm_boot(&vm, &kvm, cfg, &err)) {
		status = die(&err);
	} else {
		status = vm.status;
		/* The guest's own status is the normal outcome; anything else is news. */
		if (!(vm.stop_flags & (STOP_GUEST_EXIT | STOP_REPORTED)))
			fprintf(stderr, "fpvm: %s\n", vm.reason);
		if (vm_report_fpstate(&vm, &err))
			status = die(&err);
		if (cfg->check_host_fpstate && atomic_load(&vm.host_fpstate_changes)) {
			fprintf(stderr, "fpvm: host registers changed across KVM_RUN %lu times "
				"(--check-host-fpstate)\n", atomic_load(&vm.host_fpstate_changes));
			status = FPVM_EXIT_HOST_FPSTATE;
		}
	}
	vm_destroy(&vm);
	kvm_close(&kvm);
	return status;
}

int main(int argc, char **argv)
{
	struct fpvm_error err = { 0 };
	struct cli cli;

	if (cli_parse(argc, argv, &cli, &err)) {
		fprintf(stderr, "fpvm: %s (see 'fpvm --help')\n", err.msg);
		return err.status;
	}
	switch (cli.cmd) {
	case CLI_HELP:
		fputs(cli_usage(), stdout);
		return 0;
	case CLI_VERSION:
		printf("fpvm %s\n", FPVM_VERSION);
		return 0;
	case CLI_RUN:
		return cmd_run(&cli.vm);
	case CLI_PROBE:
		return cmd_probe(&cli);
	case CLI_FPSTATE:
		return cmd_fpstate(&cli);
	case CLI_LEAKCHECK:
		return cmd_leakcheck(&cli);
	}
	return FPVM_EXIT_SOFTWARE;
}
