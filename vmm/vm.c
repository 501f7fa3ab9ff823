// SPDX-License-Identifier: MIT
/*
 * The VM: created, given its devices, its guest image, its vCPUs, in the
 * steps of vm_boot(), and destroyed.  Running it is run.c's; ending it
 * lifecycle.c's; the PC platform pc.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../guest/abi.h"
#include "../vcpu/vcpu.h"
#include "ctl.h"
#include "dtb.h"
#include "load.h"
#include "pc.h"
#include "run.h"
#include "vcpu_thread.h"
#include "vm.h"

/* Intel needs these set outside RAM even for long-mode guests; see api.rst. */
#define KVM_TSS_ADDR		0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ULL

#define SYSFAIL(err, what) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "%s: %s", what, strerror(errno))
#define KVMFAIL(err, what, r) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, -(r), "%s: %s", what, strerror(-(r)))

int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg, struct fpvm_error *err)
{
	int r;

	*vm = (struct vm){
		.kvm = kvm, .fd = -1, .cfg = cfg, .done_fd = -1,
		.pio = { .name = "pio" }, .mmio = { .name = "mmio" },
	};
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->report_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_mutex_init(&vm->coalesced_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	if (cfg->nr_cpus > (unsigned int)kvm->max_vcpus || cfg->max_cpus > (unsigned int)kvm->max_vcpus)
		return fpvm_fail_config(err, CFG_CPUS, "%u: this KVM allows at most %d vCPUs",
					cfg->nr_cpus > cfg->max_cpus ? cfg->nr_cpus : cfg->max_cpus,
					kvm->max_vcpus);
	vm->done_fd = eventfd(0, EFD_CLOEXEC);
	if (vm->done_fd < 0)
		return SYSFAIL(err, "eventfd");
	vm->fd = kvm_create_vm(kvm);
	if (vm->fd < 0)
		return KVMFAIL(err, "KVM_CREATE_VM", vm->fd);
	if (kvm->has_tss_addr) {
		r = kvm_vm_set_tss_addr(kvm, vm->fd, KVM_TSS_ADDR);
		if (r)
			return KVMFAIL(err, "KVM_SET_TSS_ADDR", r);
		if (kvm_check_extension(kvm, kvm->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
			r = kvm_vm_set_identity_map_addr(kvm, vm->fd, KVM_IDENTITY_MAP_ADDR);
			if (r)
				return KVMFAIL(err, "KVM_SET_IDENTITY_MAP_ADDR", r);
		}
	}
	r = guest_mem_alloc(&vm->mem, cfg->mem_size, err);
	if (r)
		return r;
	/*
	 * Test guests touch a few KiB here and there: 4 KiB pages (mem.c).  A
	 * Linux kernel fills its memory, and keeps the host's THP policy.
	 */
	if (!vm_guest_is_linux(cfg))
		guest_mem_small_pages(&vm->mem);
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.region[i].host,
		};

		r = kvm_vm_set_memory_region(kvm, vm->fd, &slot);
		if (r)
			return KVMFAIL(err, "KVM_SET_USER_MEMORY_REGION", r);
	}
	/* The platform comes with the image's kind; a restore says it (cfg->pc). */
	vm->pc = cfg->pc || (cfg->image && image_kind_pc(image_detect(cfg->image, cfg->image_len)));
	if (vm->pc) {
		r = pc_create(vm, err);
		if (r)
			return r;
	} else if (cfg->lapic == VM_LAPIC_KVM ||
		   (cfg->lapic == VM_LAPIC_AUTO && kvm->has_split_irqchip)) {
		/*
		 * A test guest's vCPUs get their LAPICs from KVM, with no PIC or
		 * IOAPIC: a vCPU without one makes KVM patch kernel text when it is
		 * created and again when it is destroyed (the static key
		 * kvm_has_noapic_vcpu), 9-12 ms of a start on the faithful lane
		 * (performance.md, "The LAPIC in KVM").  Their HLTs then stay in
		 * KVM: vcpu_thread.c asks after them.
		 */
		r = kvm_vm_enable_split_irqchip(kvm, vm->fd);
		if (r)
			return KVMFAIL(err, "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)", r);
		vm->lapic = true;
	}
	return boot_layout_init(&vm->boot, &vm->mem, cfg->nr_cpus, cfg->max_cpus, err);
}

static void debug_exit_write(void *opaque, unsigned int cpu, uint32_t value)
{
	vm_request_stop(opaque, VM_STOP_GUEST_EXIT, value, STOP_GUEST_EXIT,
			"vcpu %u: guest wrote 0x%x to the exit port", cpu, value);
}

int vm_attach_devices(struct vm *vm, struct fpvm_error *err)
{
	const struct bus_region regions[] = {
		{ "serial", FPVM_PORT_SERIAL, 8, &serial8250_ops, NULL },
		{ "debug-exit", FPVM_PORT_DEBUG_EXIT, 4, &debug_exit_ops, &vm->exit_dev },
		{ "fpvm-ctl", FPVM_PORT_CTL, 4, &fpvm_ctl_ops, vm },
	};

	/*
	 * A test guest's vCPUs each print their own lines, kept whole by one
	 * line buffer per vCPU.  A Linux kernel's console is one stream that
	 * any CPU goes on sending (its TTY sends from the THRE interrupt,
	 * wherever the irqchip delivers it, mid-line too), so it gets one
	 * buffer, or the lines of 2 CPUs come out in pieces and out of order.
	 */
	vm->serial = serial8250_create(vm->cfg->serial_fd,
				       vm_guest_is_linux(vm->cfg) ? 1 : vm->cfg->nr_cpus);
	if (!vm->serial)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	vm->exit_dev = (struct debug_exit){ .exit = debug_exit_write, .opaque = vm };
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		struct bus_region r = regions[i];
		int ret;

		if (!r.dev)
			r.dev = vm->serial;
		ret = bus_register(&vm->pio, &r);
		if (ret)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, -ret, "registering %s: %s", r.name,
					 strerror(-ret));
	}
	return vm->pc ? pc_attach_devices(vm, err) : 0;
}

struct vcpu_params vm_vcpu_params(const struct vm *vm)
{
	return (struct vcpu_params){
		.kvm = vm->kvm, .vm_fd = vm->fd, .nr_cpus = vm->cfg->nr_cpus, .fpu = &vm->fpu,
		.check_host_fpstate = vm->cfg->check_host_fpstate,
		/* Linux believes CPUID's flags, whatever XCR0 enables (docs/linux.md). */
		.hide_xcr0_features = image_kind_linux(vm->image.kind),
	};
}

/* Entry state as the image's kind has it (loader.h). */
static int set_boot_state(struct vm *vm, struct vcpu *vcpu, struct fpvm_error *err)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int r = vcpu_get_sregs(vcpu, &sregs, err);

	if (r)
		return r;
	if (!image_entry_state(&vm->image, &vm->boot, vcpu->id, vcpu_has_xsave(vcpu), &regs,
			       &sregs))
		return 0;
	/* Test guests' APs start at once, not at INIT and SIPI. */
	if (vm->lapic && vcpu->id) {
		r = vcpu_set_runnable(vcpu, err);
		if (r)
			return r;
	}
	return vcpu_set_regs(vcpu, &regs, &sregs, err);
}

int vm_alloc_vcpus(struct vm *vm, struct fpvm_error *err)
{
	vm->vcpus = calloc(vm->boot.nr_slots, sizeof(*vm->vcpus));
	vm->vcpu_halted = calloc(vm->boot.nr_slots, sizeof(*vm->vcpu_halted));
	if (!vm->vcpus || !vm->vcpu_halted)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	return 0;
}

int vm_create_vcpus(struct vm *vm, struct fpvm_error *err)
{
	const struct vcpu_params p = vm_vcpu_params(vm);

	if (vm_alloc_vcpus(vm, err))
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_cpus; i++) {
		int r;

		vm->vcpus[i] = vcpu_create(&p, i, err);
		if (!vm->vcpus[i])
			return -EINVAL;
		vm->nr_vcpus++;
		r = set_boot_state(vm, vm->vcpus[i], err);
		if (r)
			return r;
	}
	return 0;
}

struct vcpu *vm_add_vcpu(struct vm *vm, const void *xsave, struct fpvm_error *err)
{
	const struct vcpu_params p = vm_vcpu_params(vm);
	struct vcpu *vcpu = NULL;

	pthread_mutex_lock(&vm->lock);
	if (vm->nr_vcpus >= vm->boot.nr_slots) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ENOSPC, "no room for another vCPU (%u)",
			  vm->boot.nr_slots);
		goto out;
	}
	if (atomic_load(&vm->stopping)) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ESHUTDOWN, "the VM is stopping");
		goto out;
	}
	vcpu = vcpu_create(&p, vm->nr_vcpus, err);
	if (!vcpu)
		goto out;
	if (set_boot_state(vm, vcpu, err) || (xsave && vcpu_set_fpstate(vcpu, xsave, err))) {
		vcpu_destroy(vcpu);
		vcpu = NULL;
		goto out;
	}
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	atomic_fetch_add(&vm->running, 1);
	if (vm_start_vcpu(vm, vcpu, err)) {
		atomic_fetch_sub(&vm->running, 1);
		vcpu = NULL;
	}
out:
	pthread_mutex_unlock(&vm->lock);
	return vcpu;
}

int vm_setup_fpstate(struct vm *vm, const struct guest_fpu_cfg *fpu_cfg, struct fpvm_error *err)
{
	uint64_t xcr0;
	int r = guest_fpu_cfg_xcr0(fpu_cfg, vm->cfg->xcr0, &xcr0, err);

	if (r)
		return r;
	/* The uABI size is the VM's: KVM_CAP_XSAVE2 on the VM fd (api.rst). */
	guest_fpu_init(&vm->fpu, fpu_cfg, xcr0, kvm_check_extension(vm->kvm, vm->fd,
								    KVM_CAP_XSAVE2));
	return 0;
}

int vm_boot(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
	    const struct vm_config *cfg, struct fpvm_error *err)
{
	return vm_boot_ops(vm, kvm, fpu_cfg, cfg, NULL, NULL, err);
}

/* Ends phase @p, which began at *@t, and begins the next one. */
static void phase_done(struct vm *vm, enum vm_phase p, uint64_t *t)
{
	uint64_t now = vm_now_ns();

	vm->stats.phase_ns[p] += now - *t;
	*t = now;
}

int vm_prepare_ops(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		   const struct vm_config *cfg, const struct vm_ops *ops, void *ops_data,
		   struct fpvm_error *err)
{
	static int (*const steps[])(struct vm *, struct fpvm_error *) = {
		[VM_PHASE_DEVICES] = vm_attach_devices, [VM_PHASE_LOAD] = vm_load_guest,
		[VM_PHASE_FDT] = vm_write_fdt, [VM_PHASE_VCPUS] = vm_create_vcpus,
	};
	uint64_t t = vm_now_ns();
	int r = vm_create(vm, kvm, cfg, err);

	vm->ops = ops;
	vm->ops_data = ops_data;
	phase_done(vm, VM_PHASE_CREATE, &t);
	if (r)
		return -EINVAL;
	r = vm_setup_fpstate(vm, fpu_cfg, err);
	phase_done(vm, VM_PHASE_FPSTATE, &t);
	for (enum vm_phase p = VM_PHASE_DEVICES; !r && p < VM_PHASE_RUN; p++) {
		r = steps[p](vm, err);
		phase_done(vm, p, &t);
	}
	return r ? -EINVAL : 0;
}

int vm_boot_ops(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		const struct vm_config *cfg, const struct vm_ops *ops, void *ops_data,
		struct fpvm_error *err)
{
	int r = vm_prepare_ops(vm, kvm, fpu_cfg, cfg, ops, ops_data, err);
	uint64_t t = vm_now_ns();

	if (r)
		return r;
	r = vm_run(vm, err);
	vm->stats.phase_ns[VM_PHASE_RUN] += vm_now_ns() - t;
	return r ? -EINVAL : 0;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm_join_vcpu(vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	free(vm->vcpu_halted);
	vm->vcpu_halted = NULL;
	vm->nr_vcpus = 0;
	serial8250_destroy(vm->serial);
	vm->serial = NULL;
	bus_release(&vm->pio);
	bus_release(&vm->mmio);
	if (vm->pc)
		pc_destroy(vm);
	if (vm->fd >= 0)
		close(vm->fd);
	guest_mem_free(&vm->mem);
	if (vm->done_fd >= 0)
		close(vm->done_fd);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->report_lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_mutex_destroy(&vm->coalesced_lock);
	pthread_cond_destroy(&vm->pause_cond);
}
