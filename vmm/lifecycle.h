/* SPDX-License-Identifier: MIT */
/*
 * How a VM ends, and what every part of it uses on the way: the stop
 * request (the first one wins and says why), reports on stderr that do
 * not interleave, the kick that gets a vCPU out of KVM_RUN, and the VM's
 * clock.  Everything in vmm/ that stops or reports calls down to here;
 * this file calls nothing of vmm/ back.
 */
#ifndef FPVM_VMM_LIFECYCLE_H
#define FPVM_VMM_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* Why a VM stopped; the command turns it into an exit status. */
enum vm_stop {
	VM_STOP_NONE,
	VM_STOP_GUEST_EXIT,	/* value: what the guest wrote to the exit port */
	VM_STOP_HALTED,		/* every vCPU halted without an exit value */
	VM_STOP_EXCEPTION,	/* the guest runtime reported an unhandled exception */
	VM_STOP_PANIC,		/* the guest runtime panicked */
	VM_STOP_TRIPLE_FAULT,	/* KVM_EXIT_SHUTDOWN */
	VM_STOP_FAIL_ENTRY,	/* KVM_EXIT_FAIL_ENTRY */
	VM_STOP_INTERNAL_ERROR,	/* KVM_EXIT_INTERNAL_ERROR */
	VM_STOP_SYSTEM_EVENT,	/* KVM_EXIT_SYSTEM_EVENT */
	VM_STOP_UNHANDLED_EXIT,	/* a KVM exit reason fpvm does not handle */
	VM_STOP_STRICT_IO,	/* an access to no device, with strict_io */
	VM_STOP_TIMEOUT,
	VM_STOP_SIGNAL,		/* value: SIGINT or SIGTERM */
	VM_STOP_ERROR,		/* fpvm itself failed; value: enum fpvm_err_class */
};

#define STOP_DUMP_REGS	(1U << 0)	/* every running vCPU dumps its registers */
#define STOP_GUEST_EXIT	(1U << 1)	/* the guest asked to exit: not news */
#define STOP_REPORTED	(1U << 2)	/* a full diagnostic is already on stderr */

/* The first request wins: it says why, kicks every vCPU and wakes the main thread. */
void vm_request_stop(struct vm *vm, enum vm_stop stop, uint32_t value, unsigned int flags,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool vm_stopping(struct vm *vm);
/* Wakes the VM's main thread (vm_run()) to look at what changed. */
void vm_wake(struct vm *vm);

/* Writes one block to stderr without interleaving with other vCPUs. */
void vm_report(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A vCPU's registers on stderr, as one block. */
void vm_report_vcpu(struct vm *vm, struct vcpu *vcpu, const char *why);

/* The kick's signal handler; before any vCPU thread runs. */
int vm_kick_init(void);
/* Gets @vcpu out of KVM_RUN, or keeps it from entering; a vCPU without a thread is left. */
void vm_kick_vcpu(struct vcpu *vcpu);
/* Every vCPU of @vm; the caller holds what keeps vm->vcpus still, if anything must. */
void vm_kick_vcpus(struct vm *vm);

/* CLOCK_MONOTONIC in nanoseconds: phases, exits and snapshots are timed on it. */
uint64_t vm_now_ns(void);

#endif
