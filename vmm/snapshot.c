// SPDX-License-Identifier: MIT
/*
 * Taking a snapshot: with every vCPU paused and its last exit completed,
 * guest memory (sparse), the machine, and per vCPU its CPUID, its KVM state
 * and its XSAVE image with the layout that describes it, each a part
 * written once from memory into a new generation of the snapshot
 * directory, with its size and checksum in the manifest, whose rename makes
 * it the snapshot (snapshot/snapshot.h): the earlier one stays whole until
 * then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The manifest's header; snapshot_write_begin() set its format and time. */
static void manifest_init(struct vm *vm, const char *reason, struct snapshot_manifest *m)
{
	const struct xstate_layout *l = &vm->fpu.cfg->layout;

	m->nr_cpus = vm->nr_vcpus;
	m->mem_size = vm->mem.size;
	m->guest_xcr0 = vm->fpu.xcr0;
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
	snprintf(m->guest, sizeof(m->guest), "%s", vm->cfg->guest_path ? vm->cfg->guest_path : "");
	snapshot_host_from_cpuid(&m->host, vm->kvm->cpuid);
	m->host.xcr0_supported = l->xcr0_supported;
	m->host.xss_supported = l->xss_supported;
	m->host.uabi_size = vm->fpu.xsave_size;
	snprintf(m->host.fpvm_version, sizeof(m->host.fpvm_version), "%s", FPVM_VERSION);
}

#define KVMFAIL(err, what, r) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, -(r), "snapshot: %s: %s", what, strerror(-(r)))

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

static int save_machine(struct vm *vm, struct snapshot_writer *w, struct fpvm_error *err)
{
	struct machine_state *ms = calloc(1, sizeof(*ms));
	int r = 0;

	if (!ms)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: out of memory");
	*ms = (struct machine_state){
		.magic = MACHINE_STATE_MAGIC, .size = sizeof(*ms), .pc = vm->pc,
		.nr_cpus = vm->nr_vcpus, .image_kind = vm->image.kind,
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
		r = snapshot_part_write(w, "machine", ms, sizeof(*ms), err);
	free(ms);
	return r;
}

/* The image as KVM_GET_XSAVE2 gives it and the layout text that decodes it, each a part. */
static int save_fpstate(struct vcpu *vcpu, struct snapshot_writer *w, struct fpvm_error *err)
{
	char name[SNAPSHOT_NAME_MAX];
	size_t len;
	char *text;
	int r = vcpu_sync_xcr0(vcpu, err) ?: vcpu_sync_fpstate(vcpu, err);

	if (r)
		return r;
	text = fpstate_layout_format(&vcpu->guest_fps, vcpu->xcr0, (int)vcpu->id, &len);
	if (!text)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: out of memory");
	r = snapshot_part_write(w, snapshot_vcpu_part(name, vcpu->id, SNAPSHOT_VCPU_LAYOUT), text,
				len, err) ?:
	    snapshot_part_write(w, snapshot_vcpu_part(name, vcpu->id, SNAPSHOT_VCPU_XSAVE),
				vcpu->guest_fps.buf, vcpu->guest_fps.size, err);
	free(text);
	return r;
}

static int save_vcpu(struct vm *vm, struct vcpu *vcpu, struct snapshot_writer *w,
		     struct fpvm_error *err)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	char name[SNAPSHOT_NAME_MAX];
	int r;

	if (!s)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: out of memory");
	r = vcpu_save_state(vcpu, vm->pc || vm->lapic, s, err) ?:
	    snapshot_part_write(w, snapshot_vcpu_part(name, vcpu->id, SNAPSHOT_VCPU_STATE), s,
				sizeof(*s), err);
	free(s);
	return r ?: snapshot_part_write(w, snapshot_vcpu_part(name, vcpu->id, SNAPSHOT_VCPU_CPUID),
					vcpu->cpuid, sizeof(*vcpu->cpuid) + vcpu->cpuid->nent *
					sizeof(vcpu->cpuid->entries[0]), err) ?:
	       save_fpstate(vcpu, w, err);
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

/* Every message of a failed snapshot says so once: "snapshot: ...", the caller adds nothing. */
static int said(int r, struct fpvm_error *err)
{
	char msg[sizeof(err->msg)];

	if (r && strncmp(err->msg, "snapshot", 8)) {
		snprintf(msg, sizeof(msg), "snapshot: %.*s", (int)sizeof(msg) - 11, err->msg);
		memcpy(err->msg, msg, sizeof(msg));
	}
	return r;
}

int vm_snapshot_save(struct vm *vm, const char *reason, struct fpvm_error *err)
{
	struct snapshot_writer w = { 0 };
	uint64_t t0 = vm_now_ns();
	int r;

	serial8250_flush(vm->serial);	/* partial lines are output, not state */
	r = kvm_msr_index_list(vm->kvm, err);
	if (r)
		return said(r, err);
	r = snapshot_write_begin(&w, vm->cfg->snapshot_dir, err);
	if (r)
		return r;
	manifest_init(vm, reason, &w.m);
	set_request_result(vm, FPVM_SNAPSHOT_RESTORED);
	r = snapshot_memory_write(&w, vm->mem.host, vm->mem.size, err);
	set_request_result(vm, 0);
	if (!r)
		r = save_machine(vm, &w, err);
	for (unsigned int i = 0; !r && i < vm->nr_vcpus; i++)
		r = save_vcpu(vm, vm->vcpus[i], &w, err);
	/* A snapshot that could not be written whole leaves the earlier one as it was. */
	if (r)
		snapshot_write_abort(&w);
	else
		r = snapshot_write_commit(&w, err);
	if (!r) {
		vm->stats.snapshot_ns = vm_now_ns() - t0;
		vm->nr_snapshots++;
		if (vm->cfg->verbose)
			vm_report(vm, "fpvm: snapshot (%s) in %s: %.2f ms\n", reason,
				  vm->cfg->snapshot_dir, (double)(vm_now_ns() - t0) / 1e6);
	}
	return said(r, err);
}
