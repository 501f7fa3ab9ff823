// SPDX-License-Identifier: MIT
/* vCPU creation, boot state, thread start, kicks and teardown. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vcpu.h"

#define SIG_VCPU_KICK	(SIGRTMIN + 0)

static void kick_handler(int sig)
{
	/* Only here to make KVM_RUN return -EINTR; immediate_exit does the rest. */
	(void)sig;
}

int vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_VCPU_KICK, &sa, NULL) ? -errno : 0;
}

struct vcpu *vcpu_create(struct vm *vm, unsigned int id, struct fpvm_error *err)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu) {
		fpvm_fail(err, FPVM_EXIT_SOFTWARE, ENOMEM, "out of memory");
		return NULL;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = -1;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "KVM_CREATE_VCPU %u: %s", id,
			  strerror(errno));
		goto fail;
	}
	vcpu->run_size = (size_t)vm->kvm->vcpu_mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "mmap of vcpu %u: %s", id, strerror(errno));
		goto fail;
	}
	vcpu->cpuid = cpuid_for_vcpu(vm->kvm->cpuid, id, vm->cfg->nr_cpus);
	if (!vcpu->cpuid) {
		fpvm_fail(err, FPVM_EXIT_SOFTWARE, ENOMEM, "out of memory");
		goto fail;
	}
	/* Leaf 0xD offers exactly the guest XCR0, so the guest cannot XSETBV more. */
	xstate_cpuid_restrict(vcpu->cpuid, &vm->guest_layout, vm->guest_xcr0);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, vcpu->cpuid)) {
		fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_SET_CPUID2: %s", id,
			  strerror(errno));
		goto fail;
	}
	if (vcpu_setup_fpstate(vcpu, err))
		goto fail;
	return vcpu;
fail:
	vcpu_destroy(vcpu);
	return NULL;
}

static bool cpuid_has_xsave(const struct kvm_cpuid2 *cpuid)
{
	const struct kvm_cpuid_entry2 *e = kvm_cpuid_find(cpuid, 1, 0);

	return e && (e->ecx & (1U << 26));
}

int vcpu_set_boot_state(struct vcpu *vcpu, struct fpvm_error *err)
{
	struct vm *vm = vcpu->vm;
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_GET_SREGS: %s",
				 vcpu->id, strerror(errno));
	boot_vcpu_state(&vm->boot, vcpu->id, vm->image.entry, cpuid_has_xsave(vcpu->cpuid), &regs,
			&sregs);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_SET_SREGS: %s",
				 vcpu->id, strerror(errno));
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, errno, "vcpu %u: KVM_SET_REGS: %s",
				 vcpu->id, strerror(errno));
	return 0;
}

int vcpu_start(struct vcpu *vcpu, struct fpvm_error *err)
{
	int r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (r)
		return fpvm_fail(err, FPVM_EXIT_SOFTWARE, r, "vcpu %u: cannot start thread: %s",
				 vcpu->id, strerror(r));
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	/* Order matters: immediate_exit first, so a signal that arrives before
	 * KVM_RUN still makes KVM_RUN return at once. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(vcpu->thread, SIG_VCPU_KICK);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	vcpu_join(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu->cpuid);
	fpstate_free(&vcpu->guest_fps);
	fpstate_free(&vcpu->host_fps);
	free(vcpu->host_after);
	free(vcpu);
}
