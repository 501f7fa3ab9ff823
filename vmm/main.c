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
	if (vcpu_signals_init())
		return perror("fpvm: sigaction"), FPVM_EXIT_SOFTWARE;
	if (kvm_open(&kvm, cfg->kvm_path, &err))
		return die(&err);
	if (vm_create(&vm, &kvm, cfg, &err) ||
	    vm_setup_devices(&vm, &err) ||
	    vm_load_guest(&vm, &err) ||
	    vm_write_fdt(&vm, &err) ||
	    vm_create_vcpus(&vm, &err) ||
	    vm_run(&vm, &err)) {
		status = die(&err);
	} else {
		status = vm.status;
		/* The guest's own status is the normal outcome; anything else is news. */
		if (!(vm.stop_flags & STOP_GUEST_EXIT))
			fprintf(stderr, "fpvm: %s\n", vm.reason);
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
	}
	return FPVM_EXIT_SOFTWARE;
}
