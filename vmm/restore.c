// SPDX-License-Identifier: MIT
/*
 * Restoring a snapshot: every part read and verified before KVM is
 * touched, the snapshot compared with this host, then the VM it describes
 * created and loaded in KVM's order, and each vCPU's XSAVE image read
 * back and compared, register by register, before any vCPU runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../snapshot/snapshot.h"
#include "../vcpu/vcpu.h"
#include "machine_state.h"
#include "vm.h"
#include "vm_snapshot.h"

#define KVMFAIL(err, what, r) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, -(r), "%s: %s", what, strerror(-(r)))

static int bad_part(struct fpvm_error *err, const char *name, const char *why)
{
	return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part %s: %s", name, why);
}

/* A part of exactly @size bytes, verified, into a new buffer. */
static int read_fixed(const struct vm_snapshot *s, const char *name, size_t size, void **out,
		      struct fpvm_error *err)
{
	size_t len;
	int r = snapshot_part_read(s->dirfd, s->m, name, out, &len, err);

	if (r)
		return r;
	if (len != size) {
		free(*out);
		*out = NULL;
		return bad_part(err, name, "not the size this fpvm writes (another version?)");
	}
	return 0;
}

static int open_machine(struct vm_snapshot *s, struct fpvm_error *err)
{
	struct machine_state *ms;
	int r = read_fixed(s, "machine", sizeof(*ms), (void **)&s->machine, err);

	if (r)
		return r;
	ms = s->machine;
	s->pc = ms->pc;
	s->halted = ms->halted;
	if (ms->magic != MACHINE_STATE_MAGIC || ms->size != sizeof(*ms))
		return bad_part(err, "machine", "not a machine state of this fpvm");
	if (ms->nr_cpus != s->m->nr_cpus)
		return bad_part(err, "machine", "its vCPU count differs from the manifest's");
	if (ms->pc > 1)
		return bad_part(err, "machine", "bad platform");
	return 0;
}

static int open_vcpu(struct vm_snapshot *s, unsigned int i, struct fpvm_error *err)
{
	struct vm_snapshot_vcpu *v = &s->vcpus[i];
	char name[SNAPSHOT_NAME_MAX], path[4096];
	struct fpstate_error ferr;
	size_t len;
	int r;

	snprintf(name, sizeof(name), "vcpu%u.state", i);
	r = read_fixed(s, name, sizeof(*v->state), (void **)&v->state, err);
	if (r)
		return r;
	if (v->state->magic != VCPU_STATE_MAGIC || v->state->size != sizeof(*v->state) ||
	    v->state->nr_msrs > VCPU_STATE_MAX_MSRS)
		return bad_part(err, name, "not a vCPU state of this fpvm");
	snprintf(name, sizeof(name), "vcpu%u.cpuid", i);
	r = snapshot_part_read(s->dirfd, s->m, name, (void **)&v->cpuid, &len, err);
	if (r)
		return r;
	if (len < sizeof(*v->cpuid) || v->cpuid->nent > 4096 ||
	    len != sizeof(*v->cpuid) + v->cpuid->nent * sizeof(v->cpuid->entries[0]))
		return bad_part(err, name, "not a CPUID table");
	/* The image and its layout: checksums first, then the layout's own rules. */
	snprintf(name, sizeof(name), "vcpu%u.xsave", i);
	r = snapshot_part_verify(s->dirfd, s->m, name, err);
	snprintf(name, sizeof(name), "vcpu%u.layout", i);
	r = r ?: snapshot_part_verify(s->dirfd, s->m, name, err);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/vcpu%u.xsave", s->path, i);
	if (fpstate_file_load(path, &v->fps, &ferr))
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: %s", ferr.msg);
	if ((v->fps.xfeatures & ~v->fps.layout.xcr0_supported & ~XFEATURE_MASK_FPSSE) ||
	    v->fps.xcr0 != s->m->guest_xcr0)
		return bad_part(err, name, "its features disagree with the manifest's guest XCR0");
	return 0;
}

int vm_snapshot_open(struct vm_snapshot *s, const char *path, struct fpvm_error *err)
{
	int r;

	*s = (struct vm_snapshot){ .path = path, .dirfd = -1 };
	r = snapshot_dir_open(path, &s->dirfd, err);
	if (r)
		return r;
	s->m = calloc(1, sizeof(*s->m));
	if (!s->m)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = snapshot_manifest_read(s->dirfd, s->m, err);
	if (r)
		return r;
	if (s->m->mem_size < FPVM_MIN_MEM || s->m->mem_size > FPVM_MAX_MEM ||
	    s->m->nr_cpus > FPVM_MAX_CPUS)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: a machine of %u "
				 "vCPUs and %llu bytes is beyond what fpvm runs", s->m->nr_cpus,
				 (unsigned long long)s->m->mem_size);
	if (!snapshot_part_find(s->m, "memory"))
		return bad_part(err, "memory", "not in the manifest");
	r = open_machine(s, err);
	if (r)
		return r;
	s->vcpus = calloc(s->m->nr_cpus, sizeof(*s->vcpus));
	if (!s->vcpus)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	for (unsigned int i = 0; i < s->m->nr_cpus && !r; i++) {
		s->nr_vcpus = i + 1;
		r = open_vcpu(s, i, err);
	}
	return r;
}

void vm_snapshot_close(struct vm_snapshot *s)
{
	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		free(s->vcpus[i].state);
		free(s->vcpus[i].cpuid);
		fpstate_file_free(&s->vcpus[i].fps);
	}
	free(s->vcpus);
	free(s->machine);
	if (s->m)
		snapshot_manifest_free(s->m);
	free(s->m);
	if (s->dirfd >= 0)
		close(s->dirfd);
	*s = (struct vm_snapshot){ .dirfd = -1 };
}

int vm_snapshot_verify_memory(const struct vm_snapshot *s, struct fpvm_error *err)
{
	return snapshot_memory_verify(s->dirfd, s->m, err);
}

void vm_snapshot_config(const struct vm_snapshot *s, struct vm_config *cfg)
{
	cfg->nr_cpus = s->m->nr_cpus;
	cfg->max_cpus = 0;
	cfg->mem_size = s->m->mem_size;
	cfg->xcr0 = s->m->guest_xcr0;
	cfg->pc = s->machine->pc;
	cfg->guest_path = s->m->guest;
	cfg->image = NULL;
	cfg->nr_modules = 0;
}

void vm_snapshot_check(const struct vm_snapshot *s, struct kvm *kvm,
		       const struct guest_fpu_cfg *fpu_cfg, struct snapshot_findings *f)
{
	struct fpvm_error err = { 0 };
	struct snapshot_host here = { 0 };
	uint8_t *scratch;
	size_t size;

	snapshot_host_from_cpuid(&here, kvm->cpuid);
	here.xcr0_supported = fpu_cfg->layout.xcr0_supported;
	snapshot_check_host(&s->m->host, &here, f);
	if (s->m->nr_cpus > (unsigned int)kvm->max_vcpus)
		snapshot_finding_add(f, true, "%u vCPUs: this KVM allows at most %d", s->m->nr_cpus,
			kvm->max_vcpus);
	if (kvm_msr_index_list(kvm, &err))
		snapshot_finding_add(f, true, "%s", err.msg);
	size = fpu_cfg->layout.max_size > XSAVE_UABI_MIN ? fpu_cfg->layout.max_size
							  : XSAVE_UABI_MIN;
	scratch = aligned_alloc(64, (size + 63) & ~(size_t)63);
	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		const struct vm_snapshot_vcpu *v = &s->vcpus[i];
		uint32_t saved[VCPU_STATE_MAX_MSRS];
		struct fpstate_error ferr;
		uint64_t xstate_bv;

		memcpy(&xstate_bv, v->fps.buf + XSAVE_HDR_OFFSET, sizeof(xstate_bv));
		snapshot_check_cpuid(i, v->cpuid, kvm->cpuid, f);
		snapshot_check_xfeatures(i, v->fps.xcr0, xstate_bv, fpu_cfg->allowed_xcr0, f);
		for (uint32_t j = 0; j < v->state->nr_msrs; j++)
			saved[j] = v->state->msrs[j].index;
		if (kvm->msr_index)
			snapshot_check_msrs(i, saved, v->state->nr_msrs, kvm->msr_index,
					    kvm->nr_msr_index, f);
		if (scratch && fpstate_convert_uabi(&v->fps.layout, &fpu_cfg->layout,
						    v->fps.xfeatures, v->fps.buf, v->fps.size,
						    scratch, size, &ferr))
			snapshot_finding_add(f, true, "vcpu %u: its XSAVE image does not convert to this "
				"host's layout: %s", i, ferr.msg);
		else if (!xstate_layout_same(&v->fps.layout, &fpu_cfg->layout, v->fps.xfeatures))
			snapshot_finding_add(f, false, "vcpu %u: XSAVE layout differs from this host's; the "
				"image is converted component by component", i);
	}
	if (!scratch)
		snapshot_finding_add(f, true, "out of memory");
	free(scratch);
}

/* No vCPU runs yet: the PC devices' registers as the snapshot has them. */
static void restore_pc_devices(struct vm *vm, const struct machine_state *ms)
{
	vm->fw_cfg.selector = ms->fw_cfg_selector;
	vm->fw_cfg.offset = ms->fw_cfg_offset;
	memcpy(vm->rtc.ram, ms->rtc_ram, sizeof(vm->rtc.ram));
	vm->rtc.index = ms->rtc_index & 0x7f;
	vm->acpi_pm.sts = ms->pm_sts;
	vm->acpi_pm.en = ms->pm_en;
	vm->acpi_pm.cnt = ms->pm_cnt;
	vm->acpi_pm.start_ns = vm->acpi_pm.now_ns() - ms->pm_elapsed_ns;
	vm->pci.address = ms->pci_address;
	vm->pci.rst_cnt = ms->pci_rst_cnt;
	vm->testdev.data = ms->testdev_data;
}

static int restore_machine(struct vm *vm, const struct machine_state *ms, struct fpvm_error *err)
{
	int r;

	if (serial8250_restore(vm->serial, &ms->serial))
		return bad_part(err, "machine", "impossible UART state");
	if (!ms->pc)
		return 0;
	restore_pc_devices(vm, ms);
	/* The irqchip exists since vm_create(); its state before any vCPU's LAPIC. */
	if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_IRQCHIP, &ms->pic_master)) < 0 ||
	    (r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_IRQCHIP, &ms->pic_slave)) < 0 ||
	    (r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_IRQCHIP, &ms->ioapic)) < 0)
		return KVMFAIL(err, "KVM_SET_IRQCHIP", r);
	if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_PIT2, &ms->pit)) < 0)
		return KVMFAIL(err, "KVM_SET_PIT2", r);
	/* Only the clock value: the flags KVM_GET_CLOCK returns are not all settable. */
	struct kvm_clock_data clock = { .clock = ms->clock.clock };

	if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_CLOCK, &clock)) < 0)
		return KVMFAIL(err, "KVM_SET_CLOCK", r);
	return 0;
}

/*
 * The image converted to this host's layout, set, and read back: what KVM
 * holds must decode to exactly the registers the snapshot's image decodes
 * to, or the restore stops here.
 */
static int restore_vcpu(struct vm *vm, struct vcpu *vcpu, const struct vm_snapshot_vcpu *v,
			struct fpvm_error *err)
{
	const struct xstate_layout *here = &vm->fpu.cfg->layout;
	struct fpregs *want = malloc(sizeof(*want)), *got = malloc(sizeof(*got));
	uint8_t *img = aligned_alloc(64, vcpu->guest_fps.size);
	struct fpstate_error ferr;
	int r = -ENOMEM;

	if (!want || !got || !img) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	r = fpstate_import_uabi(&v->fps.layout, here, v->fps.xfeatures, v->fps.buf, v->fps.size,
				img, vcpu->guest_fps.size, &ferr);
	if (r) {
		fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "vcpu %u: %s", vcpu->id, ferr.msg);
		goto out;
	}
	r = vcpu_load_state(vcpu, v->state, img, err) ?: vcpu_sync_fpstate(vcpu, err);
	if (r)
		goto out;
	fpstate_decode(&v->fps.layout, v->fps.xfeatures, v->fps.buf, v->fps.size, want);
	fpstate_decode(here, v->fps.xfeatures, vcpu->guest_fps.buf, vcpu->guest_fps.size, got);
	if (memcmp(want, got, sizeof(*want))) {
		r = fpvm_fail(err, FPVM_ERR_KVM_STATE, EIO, "vcpu %u: KVM holds other registers "
			      "than the snapshot after KVM_SET_XSAVE (fpvm fpstate diff shows "
			      "which)", vcpu->id);
		goto out;
	}
	vcpu->xcr0 = v->fps.xcr0;
out:
	free(want);
	free(got);
	free(img);
	return r;
}

int vm_restore(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
	       const struct vm_config *cfg, const struct vm_snapshot *s, struct fpvm_error *err)
{
	struct vcpu_params p;
	uint64_t t = vm_now_ns();
	int r = vm_create(vm, kvm, cfg, err);

	vm->stats.phase_ns[VM_PHASE_CREATE] = vm_now_ns() - t;
	if (r)
		return -EINVAL;
	r = vm_setup_fpstate(vm, fpu_cfg, err) ?: vm_attach_devices(vm, err) ?:
	    restore_machine(vm, s->machine, err) ?:
	    snapshot_memory_read(s->dirfd, s->m, vm->mem.host, vm->mem.size, err);
	if (r)
		return -EINVAL;
	if (vm_alloc_vcpus(vm, err))
		return -ENOMEM;
	p = vm_vcpu_params(vm);
	t = vm_now_ns();
	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		struct vcpu *vcpu = vcpu_create_cpuid(&p, i, s->vcpus[i].cpuid, err);

		if (!vcpu)
			return -EINVAL;
		vm->vcpus[vm->nr_vcpus++] = vcpu;
		vm->vcpu_halted[i] = s->machine->halted[i];
		r = restore_vcpu(vm, vcpu, &s->vcpus[i], err);
		if (r)
			return r;
	}
	vm->stats.phase_ns[VM_PHASE_VCPUS] = vm_now_ns() - t;
	return 0;
}
