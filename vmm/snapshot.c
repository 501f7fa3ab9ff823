// SPDX-License-Identifier: MIT
/*
 * Taking a snapshot: with every vCPU paused and its last exit completed,
 * guest memory (sparse), the machine, and per vCPU its CPUID, its KVM state
 * and its XSAVE image with the layout that describes it, each a part of
 * the snapshot directory with its size and checksum in the manifest,
 * which is written last (snapshot/snapshot.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../guest/abi.h"
#include "../snapshot/snapshot.h"
#include "../vcpu/vcpu.h"
#include "machine_state.h"
#include "vm.h"
#include "vm_snapshot.h"

#ifndef FPVM_VERSION
#define FPVM_VERSION "unknown"
#endif

int vm_request_snapshot(struct vm *vm, unsigned int cpu, uint64_t result_gpa)
{
	int r = 0;

	if (!vm->cfg->snapshot_dir)
		return -EPERM;
	pthread_mutex_lock(&vm->pause_lock);
	if (atomic_load(&vm->snapshot_requested)) {
		r = -EBUSY;
	} else {
		vm->snapshot_result_gpa = result_gpa;
		vm->snapshot_cpu = cpu;
		atomic_store(&vm->snapshot_requested, true);
		/* This vCPU parks before it returns to the guest. */
		atomic_store(&vm->pausing, true);
	}
	pthread_mutex_unlock(&vm->pause_lock);
	if (!r) {
		uint64_t one = 1;

		if (write(vm->done_fd, &one, sizeof(one)) < 0)
			vm_report(vm, "fpvm: waking the VM's main thread: %s\n", strerror(errno));
	}
	return r;
}

static void manifest_init(struct vm *vm, const char *reason, struct snapshot_manifest *m)
{
	const struct xstate_layout *l = &vm->fpu.cfg->layout;
	time_t now = time(NULL);
	struct tm tm;

	*m = (struct snapshot_manifest){
		.format = SNAPSHOT_FORMAT, .nr_cpus = vm->nr_vcpus, .mem_size = vm->mem.size,
		.guest_xcr0 = vm->fpu.xcr0,
	};
	gmtime_r(&now, &tm);
	strftime(m->created, sizeof(m->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
	snprintf(m->guest, sizeof(m->guest), "%s", vm->cfg->guest_path ? vm->cfg->guest_path : "");
	snapshot_host_from_cpuid(&m->host, vm->kvm->cpuid);
	m->host.xcr0_supported = l->xcr0_supported;
	m->host.xss_supported = l->xss_supported;
	m->host.uabi_size = vm->fpu.xsave_size;
	snprintf(m->host.fpvm_version, sizeof(m->host.fpvm_version), "%s", FPVM_VERSION);
}

#define KVMFAIL(err, what, r) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, -(r), "%s: %s", what, strerror(-(r)))

/* The PC devices' registers, each under its own lock; the vCPUs are paused. */
static void save_pc_devices(struct vm *vm, struct machine_state *ms)
{
	pthread_mutex_lock(&vm->fw_cfg.lock);
	ms->fw_cfg_selector = vm->fw_cfg.selector;
	ms->fw_cfg_offset = vm->fw_cfg.offset;
	pthread_mutex_unlock(&vm->fw_cfg.lock);
	pthread_mutex_lock(&vm->rtc.lock);
	memcpy(ms->rtc_ram, vm->rtc.ram, sizeof(ms->rtc_ram));
	ms->rtc_index = vm->rtc.index;
	pthread_mutex_unlock(&vm->rtc.lock);
	pthread_mutex_lock(&vm->acpi_pm.lock);
	ms->pm_sts = vm->acpi_pm.sts;
	ms->pm_en = vm->acpi_pm.en;
	ms->pm_cnt = vm->acpi_pm.cnt;
	ms->pm_elapsed_ns = vm->acpi_pm.now_ns() - vm->acpi_pm.start_ns;
	pthread_mutex_unlock(&vm->acpi_pm.lock);
	pthread_mutex_lock(&vm->pci.lock);
	ms->pci_address = vm->pci.address;
	ms->pci_rst_cnt = vm->pci.rst_cnt;
	pthread_mutex_unlock(&vm->pci.lock);
	pthread_mutex_lock(&vm->testdev.lock);
	ms->testdev_data = vm->testdev.data;
	pthread_mutex_unlock(&vm->testdev.lock);
}

static int save_machine(struct vm *vm, int dirfd, struct snapshot_manifest *m,
			struct fpvm_error *err)
{
	struct machine_state *ms = calloc(1, sizeof(*ms));
	int r = 0;

	if (!ms)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	*ms = (struct machine_state){
		.magic = MACHINE_STATE_MAGIC, .size = sizeof(*ms), .pc = vm->pc,
		.nr_cpus = vm->nr_vcpus,
	};
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		ms->halted[i] = vm->vcpu_halted[i];
	serial8250_save(vm->serial, &ms->serial);
	if (vm->pc) {
		ms->pic_master.chip_id = KVM_IRQCHIP_PIC_MASTER;
		ms->pic_slave.chip_id = KVM_IRQCHIP_PIC_SLAVE;
		ms->ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
		save_pc_devices(vm, ms);
		if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_IRQCHIP, &ms->pic_master)) < 0 ||
		    (r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_IRQCHIP, &ms->pic_slave)) < 0 ||
		    (r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_IRQCHIP, &ms->ioapic)) < 0)
			r = KVMFAIL(err, "KVM_GET_IRQCHIP", r);
		else if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_PIT2, &ms->pit)) < 0)
			r = KVMFAIL(err, "KVM_GET_PIT2", r);
		else if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_CLOCK, &ms->clock)) < 0)
			r = KVMFAIL(err, "KVM_GET_CLOCK", r);
	}
	if (!r)
		r = snapshot_part_write(dirfd, m, "machine", ms, sizeof(*ms), err);
	free(ms);
	return r;
}

static int save_vcpu(struct vm *vm, struct vcpu *vcpu, int dirfd, struct snapshot_manifest *m,
		     struct fpvm_error *err)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	struct fpstate_error ferr;
	char name[SNAPSHOT_NAME_MAX];
	int r;

	if (!s)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = vcpu_save_state(vcpu, vm->pc, s, err);
	if (!r) {
		snprintf(name, sizeof(name), "vcpu%u.state", vcpu->id);
		r = snapshot_part_write(dirfd, m, name, s, sizeof(*s), err);
	}
	free(s);
	if (r)
		return r;
	snprintf(name, sizeof(name), "vcpu%u.cpuid", vcpu->id);
	r = snapshot_part_write(dirfd, m, name, vcpu->cpuid, sizeof(*vcpu->cpuid) +
				vcpu->cpuid->nent * sizeof(vcpu->cpuid->entries[0]), err);
	if (r)
		return r;
	/* The image as KVM_GET_XSAVE2 gives it, in the format of --save-fpstate. */
	r = vcpu_sync_xcr0(vcpu, err) ?: vcpu_sync_fpstate(vcpu, err);
	if (r)
		return r;
	if (fpstate_file_save(vm->cfg->snapshot_dir, (int)vcpu->id, &vcpu->guest_fps, vcpu->xcr0,
			      &ferr))
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EIO, "%s", ferr.msg);
	snprintf(name, sizeof(name), "vcpu%u.xsave", vcpu->id);
	r = snapshot_part_add_file(dirfd, m, name, err);
	snprintf(name, sizeof(name), "vcpu%u.layout", vcpu->id);
	return r ?: snapshot_part_add_file(dirfd, m, name, err);
}

/*
 * A guest's request gets FPVM_SNAPSHOT_RESTORED in the memory the
 * snapshot keeps, and 0 in the VM that goes on, written around the memory
 * part: every copy learns which one it is from one and the same request.
 */
static void set_request_result(struct vm *vm, int32_t value)
{
	int32_t *result;

	if (!vm->snapshot_requested)
		return;
	result = guest_mem_ptr(&vm->mem, vm->snapshot_result_gpa, sizeof(*result));
	if (result)
		*result = value;
}

int vm_snapshot_save(struct vm *vm, const char *reason, struct fpvm_error *err)
{
	struct snapshot_manifest m;
	uint64_t t0 = vm_now_ns();
	int dirfd, r;

	serial8250_flush(vm->serial);	/* partial lines are output, not state */
	r = kvm_msr_index_list(vm->kvm, err);
	if (r)
		return r;
	r = snapshot_dir_create(vm->cfg->snapshot_dir, &dirfd, err);
	if (r)
		return r;
	manifest_init(vm, reason, &m);
	set_request_result(vm, FPVM_SNAPSHOT_RESTORED);
	r = snapshot_memory_write(dirfd, &m, vm->mem.host, vm->mem.size, err);
	set_request_result(vm, 0);
	if (!r)
		r = save_machine(vm, dirfd, &m, err);
	for (unsigned int i = 0; !r && i < vm->nr_vcpus; i++)
		r = save_vcpu(vm, vm->vcpus[i], dirfd, &m, err);
	if (!r)
		r = snapshot_manifest_write(dirfd, &m, err);
	close(dirfd);
	snapshot_manifest_free(&m);
	if (!r) {
		vm->stats.snapshot_ns = vm_now_ns() - t0;
		vm->nr_snapshots++;
		if (vm->cfg->verbose)
			vm_report(vm, "fpvm: snapshot (%s) in %s: %.2f ms\n", reason,
				  vm->cfg->snapshot_dir, (double)(vm_now_ns() - t0) / 1e6);
	}
	return r;
}
