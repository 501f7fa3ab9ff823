/* SPDX-License-Identifier: MIT */
/*
 * /dev/kvm: the system handle, its capabilities and KVM's supported CPUID.
 */
#ifndef FPVM_KVM_H
#define FPVM_KVM_H

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/error.h"

/*
 * Every KVM ioctl, system, VM and vCPU, goes through this table, so tests
 * substitute a fake to reach every error and to drive vCPU code without a
 * KVM.  The one exception is kvm_run_checked() (vcpu/run_checked.S), which
 * must issue KVM_RUN itself between two XSAVEs.
 */
struct kvm_ops {
	int (*ioctl)(int fd, unsigned long request, unsigned long arg);
};
extern const struct kvm_ops kvm_sys_ops;

struct kvm {
	const struct kvm_ops *ops;
	int fd;
	int api_version;
	int vcpu_mmap_size;
	int nr_vcpus;		/* recommended */
	int max_vcpus;
	bool has_tss_addr;
	int sync_regs;			/* KVM_CAP_SYNC_REGS: which KVM_SYNC_X86_* */
	bool has_coalesced_pio;		/* KVM_CAP_COALESCED_PIO, and the ring's page mapped */
	bool has_split_irqchip;		/* KVM_CAP_SPLIT_IRQCHIP: LAPICs in KVM, the rest ours */
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	uint32_t *msr_index;		/* KVM_GET_MSR_INDEX_LIST, read by kvm_msr_index_list() */
	uint32_t nr_msr_index;
};

int kvm_open(struct kvm *kvm, const char *path, struct fpvm_error *err);
int kvm_open_ops(struct kvm *kvm, const char *path, const struct kvm_ops *ops,
		 struct fpvm_error *err);
void kvm_close(struct kvm *kvm);
/*
 * The MSRs KVM can save and restore for a vCPU (KVM_GET_MSR_INDEX_LIST:
 * msrs_to_save and emulated_msrs), read once per process and only by
 * what needs it (snapshots): a plain run never pays for it.
 */
int kvm_msr_index_list(struct kvm *kvm, struct fpvm_error *err);
const struct kvm_cpuid_entry2 *kvm_cpuid_find(const struct kvm_cpuid2 *cpuid, uint32_t function,
					      uint32_t index);

/*
 * Typed wrappers: each returns the ioctl's non-negative result, or -errno.
 * @fd is the VM's or the vCPU's, as the name says.
 */
static inline int kvm_fd_ioctl(const struct kvm *kvm, int fd, unsigned long req, const void *arg)
{
	int r = kvm->ops->ioctl(fd, req, (unsigned long)arg);

	return r < 0 ? -errno : r;
}

static inline int kvm_create_vm(const struct kvm *kvm)
{
	return kvm_fd_ioctl(kvm, kvm->fd, KVM_CREATE_VM, 0);
}

static inline int kvm_check_extension(const struct kvm *kvm, int fd, long cap)
{
	return kvm_fd_ioctl(kvm, fd, KVM_CHECK_EXTENSION, (const void *)cap);
}

static inline int kvm_vm_set_tss_addr(const struct kvm *kvm, int vm_fd, uint64_t addr)
{
	return kvm_fd_ioctl(kvm, vm_fd, KVM_SET_TSS_ADDR, (const void *)(uintptr_t)addr);
}

static inline int kvm_vm_set_identity_map_addr(const struct kvm *kvm, int vm_fd, uint64_t addr)
{
	return kvm_fd_ioctl(kvm, vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr);
}

static inline int kvm_vm_set_memory_region(const struct kvm *kvm, int vm_fd,
					   const struct kvm_userspace_memory_region *slot)
{
	return kvm_fd_ioctl(kvm, vm_fd, KVM_SET_USER_MEMORY_REGION, slot);
}

/*
 * Writes to @port that KVM completes itself, queued in order in the
 * coalesced ring for the VMM to take later (api.rst, 4.116
 * KVM_(UN)REGISTER_COALESCED_MMIO, with pio set).
 */
static inline int kvm_vm_coalesce_pio(const struct kvm *kvm, int vm_fd, uint16_t port,
				      uint32_t size, bool on)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = port, .size = size, .pio = 1 };

	return kvm_fd_ioctl(kvm, vm_fd, on ? KVM_REGISTER_COALESCED_MMIO :
				       KVM_UNREGISTER_COALESCED_MMIO, &zone);
}

/* The PC platform: LAPIC per vCPU, IOAPIC and PIC in the kernel (api.rst). */
static inline int kvm_vm_create_irqchip(const struct kvm *kvm, int vm_fd)
{
	return kvm_fd_ioctl(kvm, vm_fd, KVM_CREATE_IRQCHIP, (const void *)0);
}

static inline int kvm_vm_create_pit2(const struct kvm *kvm, int vm_fd)
{
	const struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	return kvm_fd_ioctl(kvm, vm_fd, KVM_CREATE_PIT2, &pit);
}

/* An ISA/IOAPIC input of the in-kernel irqchip: GSI @irq to @level (api.rst, KVM_IRQ_LINE). */
static inline int kvm_vm_irq_line(const struct kvm *kvm, int vm_fd, uint32_t irq, uint32_t level)
{
	const struct kvm_irq_level l = { .irq = irq, .level = level };

	return kvm_fd_ioctl(kvm, vm_fd, KVM_IRQ_LINE, &l);
}

/* The vCPUs' LAPICs in KVM and no PIC or IOAPIC: no pins reserved for one. */
static inline int kvm_vm_enable_split_irqchip(const struct kvm *kvm, int vm_fd)
{
	const struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 0 } };

	return kvm_fd_ioctl(kvm, vm_fd, KVM_ENABLE_CAP, &cap);
}

static inline int kvm_vcpu_get_mp_state(const struct kvm *kvm, int fd, struct kvm_mp_state *mp)
{
	return kvm_fd_ioctl(kvm, fd, KVM_GET_MP_STATE, mp);
}

static inline int kvm_vcpu_get_lapic(const struct kvm *kvm, int fd, struct kvm_lapic_state *l)
{
	return kvm_fd_ioctl(kvm, fd, KVM_GET_LAPIC, l);
}

static inline int kvm_vcpu_set_mp_state(const struct kvm *kvm, int fd,
					const struct kvm_mp_state *mp)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_MP_STATE, mp);
}

static inline int kvm_vm_create_vcpu(const struct kvm *kvm, int vm_fd, unsigned int id)
{
	return kvm_fd_ioctl(kvm, vm_fd, KVM_CREATE_VCPU, (const void *)(uintptr_t)id);
}

static inline int kvm_vcpu_set_cpuid2(const struct kvm *kvm, int fd, const struct kvm_cpuid2 *c)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_CPUID2, c);
}

static inline int kvm_vcpu_get_regs(const struct kvm *kvm, int fd, struct kvm_regs *regs)
{
	return kvm_fd_ioctl(kvm, fd, KVM_GET_REGS, regs);
}

static inline int kvm_vcpu_set_regs(const struct kvm *kvm, int fd, const struct kvm_regs *regs)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_REGS, regs);
}

static inline int kvm_vcpu_get_sregs(const struct kvm *kvm, int fd, struct kvm_sregs *sregs)
{
	return kvm_fd_ioctl(kvm, fd, KVM_GET_SREGS, sregs);
}

static inline int kvm_vcpu_set_sregs(const struct kvm *kvm, int fd, const struct kvm_sregs *sregs)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_SREGS, sregs);
}

static inline int kvm_vcpu_get_xcrs(const struct kvm *kvm, int fd, struct kvm_xcrs *xcrs)
{
	return kvm_fd_ioctl(kvm, fd, KVM_GET_XCRS, xcrs);
}

static inline int kvm_vcpu_set_xcrs(const struct kvm *kvm, int fd, const struct kvm_xcrs *xcrs)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_XCRS, xcrs);
}

/* KVM_GET_XSAVE2 copies the whole uABI buffer; KVM_GET_XSAVE only 4096 bytes. */
static inline int kvm_vcpu_get_xsave(const struct kvm *kvm, int fd, void *buf, bool xsave2)
{
	return kvm_fd_ioctl(kvm, fd, xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, buf);
}

static inline int kvm_vcpu_set_xsave(const struct kvm *kvm, int fd, const void *buf)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_XSAVE, buf);
}

/* Breakpoints, single steps and debug registers under a debugger's control (api.rst). */
static inline int kvm_vcpu_set_guest_debug(const struct kvm *kvm, int fd,
					   const struct kvm_guest_debug *dbg)
{
	return kvm_fd_ioctl(kvm, fd, KVM_SET_GUEST_DEBUG, dbg);
}

static inline int kvm_vcpu_run(const struct kvm *kvm, int fd)
{
	return kvm_fd_ioctl(kvm, fd, KVM_RUN, 0);
}

#endif
