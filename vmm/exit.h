/* SPDX-License-Identifier: MIT */
/*
 * The exit dispatcher: one step of a vCPU thread's loop (run.c), what the
 * VM does with the exit vcpu_run() returned.  Public for tests.
 */
#ifndef FPVM_VMM_EXIT_H
#define FPVM_VMM_EXIT_H

struct vm;
struct vcpu;

enum vcpu_action {
	VCPU_CONTINUE,
	VCPU_HALTED,	/* this vCPU is done; the VM may go on */
	VCPU_STOP,	/* the VM is ending */
};

enum vcpu_action vm_handle_exit(struct vm *vm, struct vcpu *vcpu);

#endif
