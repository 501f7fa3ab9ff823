/* SPDX-License-Identifier: MIT */
/*
 * A vCPU: its KVM fd and kvm_run page, its CPUID, its thread and run loop.
 * One pthread per vCPU, named fpvm-vcpuN.  Kicks set kvm_run's
 * immediate_exit and send a real-time signal, so a kick that lands just
 * before KVM_RUN is never lost.
 */
#ifndef FPVM_VCPU_H
#define FPVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vmm/vmm.h"

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	pthread_t thread;
	bool started;

	/* This vCPU's guest fpstate, kept apart from the thread's own. */
	struct fpstate guest_fps;
	uint64_t xcr0;			/* KVM_GET_XCRS at the last vcpu_sync_xcr0() */
	struct fpstate host_fps;	/* the thread's registers before KVM_RUN */
	uint8_t *host_after;		/* ... and after, with --check-host-fpstate */
};

/* What the run loop does after an exit. */
enum vcpu_action {
	VCPU_CONTINUE,
	VCPU_HALTED,	/* this vCPU is done; the VM may go on */
	VCPU_STOP,	/* the VM is ending */
};

int vcpu_signals_init(void);
/* Creates the vCPU and sets, in this order, its CPUID, XCR0 and XSAVE image. */
struct vcpu *vcpu_create(struct vm *vm, unsigned int id, struct fpvm_error *err);
int vcpu_set_boot_state(struct vcpu *vcpu, struct fpvm_error *err);
int vcpu_start(struct vcpu *vcpu, struct fpvm_error *err);
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);

void *vcpu_thread(void *arg);
/* The exit dispatcher, one step of the run loop; public for tests. */
enum vcpu_action vcpu_handle_exit(struct vcpu *vcpu);
const char *kvm_exit_reason_name(uint32_t reason);

/* CPUID as this vCPU sees it: KVM's table with its topology (cpuid.c). */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int id,
				  unsigned int nr_cpus);

/* Guest and host fpstate (fpu.c). */
int vcpu_setup_fpstate(struct vcpu *vcpu, struct fpvm_error *err);
/* KVM's view of the guest registers into vcpu->guest_fps, validated. */
int vcpu_sync_fpstate(struct vcpu *vcpu, struct fpvm_error *err);
/* The XCR0 KVM holds for the vCPU, into vcpu->xcr0. */
int vcpu_sync_xcr0(struct vcpu *vcpu, struct fpvm_error *err);
/* KVM_SET_XSAVE of @buf (vcpu->guest_fps.size bytes), after validating it. */
int vcpu_set_fpstate(struct vcpu *vcpu, const void *buf, struct fpvm_error *err);
void vcpu_capture_host_fpstate(struct vcpu *vcpu);
/* KVM_RUN between two XSAVEs of this thread's registers (run_checked.S). */
long kvm_run_checked(int fd, void *before, void *after, uint64_t mask);
void vcpu_check_host_fpstate(struct vcpu *vcpu);

/* Register dumps (dump.c). */
size_t regs_format(char *buf, size_t size, const struct kvm_regs *regs);
size_t sregs_format(char *buf, size_t size, const struct kvm_sregs *sregs);
void vcpu_dump(struct vcpu *vcpu, const char *why);

#endif
