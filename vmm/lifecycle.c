// SPDX-License-Identifier: MIT
/*
 * Stopping, reporting, kicking and the clock (lifecycle.h).  The first
 * stop request wins; it says why the VM stopped, kicks every vCPU and
 * wakes the main thread, which joins them all.  Kicks set kvm_run's
 * immediate_exit and send a real-time signal, so a kick that lands just
 * before KVM_RUN is never lost (fpstate.md, "Known bugs").
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../vcpu/vcpu.h"
#include "vm.h"

#define SIG_VCPU_KICK	(SIGRTMIN + 0)

bool vm_stopping(struct vm *vm)
{
	return atomic_load(&vm->stopping);
}

void vm_wake(struct vm *vm)
{
	uint64_t one = 1;

	/* Only a broken eventfd fails here; the main thread would then wait for its timeout. */
	if (write(vm->done_fd, &one, sizeof(one)) < 0)
		vm_report(vm, "fpvm: waking the VM's main thread: %s\n", strerror(errno));
}

void vm_request_stop(struct vm *vm, enum vm_stop stop, uint32_t value, unsigned int flags,
		     const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (atomic_load(&vm->stopping)) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->stop = stop;
	vm->stop_value = value;
	vm->stop_flags = flags;
	va_start(ap, fmt);
	vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
	va_end(ap);
	atomic_store(&vm->stopping, true);
	if (vm->serial)
		serial8250_bound_waits(vm->serial);
	vm_kick_vcpus(vm);
	pthread_mutex_unlock(&vm->lock);
	/* A parked vCPU wakes and ends too. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_wake(vm);
}

void vm_report(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->cfg->quiet)
		return;
	pthread_mutex_lock(&vm->report_lock);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	pthread_mutex_unlock(&vm->report_lock);
}

void vm_report_vcpu(struct vm *vm, struct vcpu *vcpu, const char *why)
{
	char buf[2048];

	vm_report(vm, "%.*s", (int)vcpu_format_state(vcpu, why, buf, sizeof(buf)), buf);
}

static void kick_handler(int sig)
{
	/* Only here to make KVM_RUN return -EINTR; immediate_exit does the rest. */
	(void)sig;
}

int vm_kick_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_VCPU_KICK, &sa, NULL) ? -errno : 0;
}

void vm_kick_vcpu(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	/* Order matters: immediate_exit first, so a signal that arrives before
	 * KVM_RUN still makes KVM_RUN return at once. */
	vcpu_request_immediate_exit(vcpu);
	/*
	 * The signal is for a thread inside KVM_RUN.  A vCPU thread that kicks
	 * itself (its exit stopped the VM) is not in it, and immediate_exit
	 * already turns its next KVM_RUN back: the signal would cost it
	 * gettid, getpid, tgkill and a handler's return for nothing.
	 */
	if (!pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, SIG_VCPU_KICK);
}

void vm_kick_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm_kick_vcpu(vm->vcpus[i]);
}

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}
