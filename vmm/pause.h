/* SPDX-License-Identifier: MIT */
/*
 * Pausing every running vCPU out of KVM_RUN with its last exit completed,
 * for what must see the whole VM still: a snapshot, ACPI S3.  A halted
 * vCPU's thread has ended, and it stays halted (vm->vcpu_halted).
 */
#ifndef FPVM_VMM_PAUSE_H
#define FPVM_VMM_PAUSE_H

#include <stdatomic.h>
#include <stdbool.h>

struct vm;
struct vcpu;

/* On the main thread: returns once every running vCPU is parked. */
void vm_pause_vcpus(struct vm *vm);
void vm_resume_vcpus(struct vm *vm);
/*
 * From a vCPU thread, in a device's handler: sets @flag for the main
 * thread and parks every vCPU, this one before it returns to the guest;
 * the main thread then sees @flag and does what it asks.
 */
void vm_request_pause(struct vm *vm, atomic_bool *flag);
/* On a vCPU thread that found vm->pausing: parks until the pause ends or the VM stops. */
void vm_park_vcpu(struct vm *vm, struct vcpu *vcpu);
/*
 * vm_resume_vcpus() for @cpu alone (a debugger's single step), the others
 * parked until the next resume; @cpu < 0: every vCPU, as vm_resume_vcpus().
 */
void vm_resume_solo(struct vm *vm, int cpu);
/* Whether @vcpu must stay parked: the VM pauses, or another vCPU runs alone. */
bool vm_vcpu_held(struct vm *vm, const struct vcpu *vcpu);

#endif
