/* SPDX-License-Identifier: MIT */
/*
 * The vCPU threads: one each, running the loop of vcpu_run() and the exit
 * dispatcher (exit.h) until the vCPU halts or the VM stops.
 */
#ifndef FPVM_VMM_VCPU_THREAD_H
#define FPVM_VMM_VCPU_THREAD_H

#include "../base/error.h"

struct vm;
struct vcpu;

/* Starts @vcpu's thread; the caller has counted it in vm->running. */
int vm_start_vcpu(struct vm *vm, struct vcpu *vcpu, struct fpvm_error *err);
/* Waits for @vcpu's thread, if it has one. */
void vm_join_vcpu(struct vcpu *vcpu);

#endif
