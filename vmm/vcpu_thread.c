// SPDX-License-Identifier: MIT
/*
 * The vCPU threads: one pthread per vCPU, named fpvm-vcpuN, each running
 * the loop of vcpu_run() and vm_handle_exit(), parking when the VM pauses
 * (pause.c) and ending when it stops (lifecycle.c kicks it out of KVM_RUN).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vcpu/vcpu.h"
#include "coalesced.h"
#include "exit.h"
#include "pause.h"
#include "vcpu_host.h"
#include "vcpu_thread.h"
#include "vm.h"

/* Only the first few host changes per vCPU are reported; all are counted. */
#define HOST_CHANGE_REPORTS 3

void vm_join_vcpu(struct vcpu *vcpu)
{
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

/* Before the first KVM_RUN: the thread's own registers, for later checks. */
static int capture_host_fpstate(struct vm *vm, struct vcpu *vcpu)
{
	struct fpvm_error err = { 0 };
	struct fpstate_diag diag = { 0 };
	int r = vcpu_capture_host_fpstate(vcpu, &diag, &err);

	for (unsigned int i = 0; i < diag.nr; i++)
		vm_report(vm, "fpvm: %s: vcpu %u: %s\n", diag.item[i].error ? "error" : "warning",
			  vcpu->id, diag.item[i].msg);
	if (r)
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "%s", err.msg);
	return r;
}

/* After a checked KVM_RUN: did the host's registers survive it? */
static void check_host_fpstate(struct vm *vm, struct vcpu *vcpu)
{
	unsigned long n;
	char *diff;
	int r = vcpu_host_fpstate_diff(vcpu, &diff);

	if (r < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0,
				"vcpu %u: host fpstate check: out of memory", vcpu->id);
		return;
	}
	if (!r)
		return;
	n = atomic_fetch_add(&vm->host_fpstate_changes, 1) + 1;
	if (n <= HOST_CHANGE_REPORTS)
		vm_report(vm, "fpvm: vcpu %u: host registers changed across KVM_RUN "
			  "(exit reason %s); before, then after:\n%s", vcpu->id,
			  kvm_exit_reason_name(vcpu->run->exit_reason), diff);
	free(diff);
}

/* The last vCPU to finish ends the VM, if nothing else has. */
static void vcpu_finished(struct vm *vm)
{
	unsigned int left;

	pthread_mutex_lock(&vm->pause_lock);
	left = atomic_fetch_sub(&vm->running, 1) - 1;
	pthread_cond_broadcast(&vm->pause_cond);	/* a pause waits for one fewer */
	pthread_mutex_unlock(&vm->pause_lock);
	if (!left)
		vm_request_stop(vm, VM_STOP_HALTED, 0, 0,
				"all vCPUs halted without writing an exit status");
}

/*
 * Where the thread runs, and from here on, what the guest makes it do is
 * on an allow-list; with --stats, that includes reading its own counters.
 */
static enum vcpu_action set_up_thread(struct vm *vm, struct vcpu *vcpu,
				      struct vcpu_host_counters *hc)
{
	struct fpvm_error err = { 0 };
	const int fds[] = { hc->status_fd, hc->sched_fd };
	int nr = 0, own[2];

	if (vcpu_host_place(vm->cfg, vcpu->id, &err)) {
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "%s", err.msg);
		return VCPU_STOP;
	}
	if (vm->cfg->seccomp == SECCOMP_OFF)
		return VCPU_CONTINUE;
	for (unsigned int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			own[nr++] = fds[i];
	if (!seccomp_filter_thread_reading(SECCOMP_THREAD_VCPU, vm->cfg->stats ? own : NULL,
					   (unsigned int)nr, &err))
		return VCPU_CONTINUE;
	vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "vcpu %u: %s", vcpu->id, err.msg);
	return VCPU_STOP;
}

/* The VMM's time since the last exit; returns when KVM_RUN starts. */
static uint64_t account_vmm(struct vcpu *vcpu, const uint64_t *t_exit)
{
	uint64_t now = vm_now_ns();

	if (*t_exit)
		vcpu->stats.vmm_ns += now - *t_exit;
	return now;
}

static void account_run(struct vm *vm, struct vcpu *vcpu, uint64_t t0, uint64_t *t_exit, int r)
{
	uint32_t reason = vcpu->run->exit_reason;

	*t_exit = vm_now_ns();
	vcpu->stats.run_ns += *t_exit - t0;
	if (vcpu->id == 0 && !vm->stats.first_exit_ns)
		vm->stats.first_exit_ns = *t_exit - vm->stats.run_start_ns;
	/* An interrupted KVM_RUN is a kick, not a guest exit. */
	if (!r)
		vcpu->stats.exits[reason < VCPU_EXIT_REASONS ? reason : VCPU_EXIT_REASONS - 1]++;
}

/*
 * A kick's return: with the LAPICs in KVM a HLT stays there (vm.c), so the
 * main thread kicks every vCPU now and then (run.c) and a vCPU that halted
 * where nothing wakes it ends here as a KVM_EXIT_HLT ends it without one.
 */
static enum vcpu_action halted_in_kvm(struct vm *vm, struct vcpu *vcpu)
{
	int r;

	if (!vm->lapic || vm_stopping(vm) || vm_vcpu_held(vm, vcpu))
		return VCPU_CONTINUE;
	r = vcpu_halted_for_good(vcpu);
	if (r < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0,
				"vcpu %u: reading whether it halted: %s", vcpu->id, strerror(-r));
		return VCPU_STOP;
	}
	return r ? VCPU_HALTED : VCPU_CONTINUE;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->owner;
	enum vcpu_action action = VCPU_CONTINUE;
	struct vcpu_host_counters hc = { -1, -1 };
	uint64_t t_exit = 0;
	char name[16];

	snprintf(name, sizeof(name), "fpvm-vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	if (vm->cfg->stats)
		vcpu_host_counters_open(&hc);
	if (capture_host_fpstate(vm, vcpu))
		action = VCPU_STOP;
	if (action == VCPU_CONTINUE)
		action = set_up_thread(vm, vcpu, &hc);

	while (action == VCPU_CONTINUE) {
		uint64_t t0 = 0;
		int r;

		if (vm_stopping(vm))
			break;
		if (vm_vcpu_held(vm, vcpu)) {
			vm_park_vcpu(vm, vcpu);
			continue;
		}
		if (vm->cfg->stats) {
			vcpu_host_note_cpu(&vcpu->stats);
			t0 = account_vmm(vcpu, &t_exit);
		}
		r = vcpu_run(vcpu);
		/* Whatever this exit is, the UART sees the writes before it first. */
		vm_coalesced_drain(vm);
		if (vm->cfg->stats)
			account_run(vm, vcpu, t0, &t_exit, r);
		/* A VM's own hook replaces the default check of the host images. */
		if (vm->ops && vm->ops->after_run)
			vm->ops->after_run(vm, vcpu);
		else if (vcpu->host_after)
			check_host_fpstate(vm, vcpu);
		if (r == -EINTR || r == -EAGAIN) {
			__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			action = halted_in_kvm(vm, vcpu);
			continue;
		}
		if (r) {
			vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "vcpu %u: KVM_RUN: %s",
					vcpu->id, strerror(-r));
			break;
		}
		vcpu_note_exit(vcpu);
		action = vm_handle_exit(vm, vcpu);
	}
	if (vm_stopping(vm) && (vm->stop_flags & STOP_DUMP_REGS) && action != VCPU_HALTED)
		vm_report_vcpu(vm, vcpu, vm->reason);
	if (action == VCPU_HALTED && vm->vcpu_halted)
		vm->vcpu_halted[vcpu->id] = true;
	if (vm->cfg->stats)
		vcpu_host_counters_read(&hc, &vcpu->stats);
	vcpu_finished(vm);
	return NULL;
}

int vm_start_vcpu(struct vm *vm, struct vcpu *vcpu, struct fpvm_error *err)
{
	int r;

	vcpu->owner = vm;
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, r, "vcpu %u: cannot start thread: %s",
				 vcpu->id, strerror(r));
	vcpu->started = true;
	return 0;
}
