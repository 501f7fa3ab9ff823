// SPDX-License-Identifier: MIT
/*
 * Pausing (pause.h): the main thread kicks every vCPU and waits until each
 * running one has parked; a parked vCPU waits on pause_cond until the
 * pause ends or the VM stops (lifecycle.c broadcasts it then).
 */
#include <errno.h>
#include <string.h>

#include "../vcpu/vcpu.h"
#include "pause.h"
#include "vm.h"

void vm_pause_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pausing, true);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_kick_vcpus(vm);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->paused < atomic_load(&vm->running))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_vcpu_held(struct vm *vm, const struct vcpu *vcpu)
{
	unsigned int solo = atomic_load(&vm->solo);

	return atomic_load(&vm->pausing) || (solo && solo != vcpu->id + 1);
}

void vm_resume_solo(struct vm *vm, int cpu)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->solo, cpu < 0 ? 0U : (unsigned int)cpu + 1);
	atomic_store(&vm->pausing, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_resume_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->solo, 0U);
	atomic_store(&vm->pausing, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_request_pause(struct vm *vm, atomic_bool *flag)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(flag, true);
	atomic_store(&vm->pausing, true);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_wake(vm);
}

/*
 * Guest state is consistent only once the exit that brought the vCPU out
 * has been completed by re-entering KVM_RUN: an I/O read's data goes into
 * RAX, a string I/O's RSI/RDI/RCX advance, and the RIP of any port or
 * MMIO exit moves past the instruction.  api.rst (kvm_run,
 * immediate_exit) says how: KVM_RUN with immediate_exit set completes it
 * and returns -EINTR before entering the guest.
 */
void vm_park_vcpu(struct vm *vm, struct vcpu *vcpu)
{
	int r;

	vcpu_request_immediate_exit(vcpu);
	r = vcpu_run(vcpu);
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (r && r != -EINTR)
		vm_report(vm, "fpvm: vcpu %u: completing its last exit before a pause: %s\n",
			  vcpu->id, strerror(-r));
	pthread_mutex_lock(&vm->pause_lock);
	vm->paused++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (vm_vcpu_held(vm, vcpu) && !vm_stopping(vm))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->paused--;
	pthread_mutex_unlock(&vm->pause_lock);
}
