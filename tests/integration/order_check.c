// SPDX-License-Identifier: MIT
/*
 * What goes wrong when vCPU state is loaded out of KVM's order, on this
 * machine's KVM (the snapshot suite runs it; vcpu/state.c has the order):
 *   cpuid-before-xcrs  KVM_SET_XCRS of an XCR0 with AVX before KVM_SET_CPUID2
 *                      fails (guest_supported_xcr0 is 0 until CPUID is set),
 *                      and succeeds after it;
 *   cpuid-after-run    KVM_SET_CPUID2 with a changed table after KVM_RUN is
 *                      refused (EBUSY in Linux 5.16-5.19, EINVAL from 6.0:
 *                      kvm_cpuid_check_equal()), so CPUID must come before
 *                      the vCPU ever runs.
 * Each line is "ok NAME: ...", "skip NAME: why" or "fail NAME: ..."; the
 * status is 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int failed;

static struct kvm_cpuid2 *supported_cpuid(int kvm)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));

	c->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c)) {
		free(c);
		return NULL;
	}
	return c;
}

static void cpuid_before_xcrs(int vm, const struct kvm_cpuid2 *cpuid, unsigned int id)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = 0x7 } } };
	int fd = ioctl(vm, KVM_CREATE_VCPU, id), before, after;

	before = ioctl(fd, KVM_SET_XCRS, &xcrs) ? errno : 0;
	ioctl(fd, KVM_SET_CPUID2, cpuid);
	after = ioctl(fd, KVM_SET_XCRS, &xcrs) ? errno : 0;
	close(fd);
	if (before && !after) {
		printf("ok cpuid-before-xcrs: XCR0 0x7 before KVM_SET_CPUID2: %s; after: accepted\n",
		       strerror(before));
	} else {
		printf("fail cpuid-before-xcrs: before CPUID: %s, after: %s\n",
		       before ? strerror(before) : "accepted", after ? strerror(after) : "accepted");
		failed = 1;
	}
}

/* A real-mode HLT at address 0: enough for one KVM_RUN. */
static void cpuid_after_run(int kvm, int vm, struct kvm_cpuid2 *cpuid, unsigned int id)
{
	struct kvm_userspace_memory_region slot = { .slot = 0, .memory_size = 0x10000 };
	int fd = ioctl(vm, KVM_CREATE_VCPU, id), r, size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_sregs sregs;
	struct kvm_run *run;

	mem[0] = 0xf4;
	slot.userspace_addr = (uintptr_t)mem;
	ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot);
	ioctl(fd, KVM_SET_CPUID2, cpuid);
	ioctl(fd, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ioctl(fd, KVM_SET_SREGS, &sregs);
	ioctl(fd, KVM_SET_REGS, &regs);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	r = ioctl(fd, KVM_RUN, 0);
	if (r || run->exit_reason != KVM_EXIT_HLT) {
		printf("skip cpuid-after-run: this KVM does not run a real-mode HLT (%s, exit %u)\n",
		       r ? strerror(errno) : "no error", run->exit_reason);
		goto out;
	}
	/* A changed table: drop the last entry. */
	cpuid->nent--;
	r = ioctl(fd, KVM_SET_CPUID2, cpuid) ? errno : 0;
	cpuid->nent++;
	if (r == EBUSY)
		printf("ok cpuid-after-run: a changed CPUID after KVM_RUN: %s\n", strerror(r));
	else if (!r)
		printf("skip cpuid-after-run: this KVM still takes a changed CPUID after KVM_RUN "
		       "(Linux before 5.16)\n");
	else
		printf("ok cpuid-after-run: a changed CPUID after KVM_RUN refused: %s\n",
		       strerror(r));
out:
	munmap(run, (size_t)size);
	munmap(mem, 0x10000);
	close(fd);
}

int main(int argc, char **argv)
{
	int kvm = open(argc > 1 ? argv[1] : "/dev/kvm", O_RDWR | O_CLOEXEC), vm;
	struct kvm_cpuid2 *cpuid;

	if (kvm < 0) {
		printf("skip all: %s: %s\n", argc > 1 ? argv[1] : "/dev/kvm", strerror(errno));
		return 0;
	}
	cpuid = supported_cpuid(kvm);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (!cpuid || vm < 0) {
		printf("fail all: KVM_GET_SUPPORTED_CPUID or KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	cpuid_before_xcrs(vm, cpuid, 0);
	cpuid_after_run(kvm, vm, cpuid, 1);
	free(cpuid);
	close(vm);
	close(kvm);
	return failed;
}
