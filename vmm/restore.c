// SPDX-License-Identifier: MIT
/*
 * Restoring a snapshot: every part read once, from one descriptor, into
 * memory, its checksum checked on the bytes then used, and what KVM would
 * refuse of them checked too, all before KVM is touched; the snapshot
 * compared with this host; then the VM it describes created and loaded in
 * KVM's order, and each vCPU's XSAVE image read back and compared,
 * register by register, before any vCPU runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../snapshot/check.h"
#include "../vcpu/vcpu.h"
#include "machine_state.h"
#include "vm.h"
#include "vm_snapshot.h"

/* KVM refusing what the snapshot holds is the snapshot's fault (api.rst: EINVAL, a bad value). */
static int kvm_refused(struct fpvm_error *err, const char *what, const char *ioctl, int r)
{
	return fpvm_fail(err, r == -EINVAL ? FPVM_ERR_INPUT : FPVM_ERR_SYSTEM, -r,
			 "%s %s: %s: %s", r == -EINVAL ? "KVM refused the saved" : "restoring the",
			 what, ioctl, strerror(-r));
}

static int bad_part(struct fpvm_error *err, const char *name, const char *why)
{
	return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part %s: %s", name, why);
}

/* A part of exactly @size bytes, verified, into a new buffer. */
static int read_fixed(const struct vm_snapshot *s, const char *name, size_t size, void **out,
		      struct fpvm_error *err)
{
	size_t len;
	int r = snapshot_part_read(s->dir, name, out, &len, err);

	if (r)
		return r;
	if (len != size)
		return bad_part(err, name, "not the size this fpvm writes (another version?)");
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
	if (ms->image_kind >= NR_IMAGE_KINDS || (image_kind_pc(ms->image_kind) && !ms->pc))
		return bad_part(err, "machine", "unknown guest kind, or a PC guest off the PC");
	if (!serial8250_state_valid(&ms->serial))
		return bad_part(err, "machine", "impossible UART state (a FIFO index past its "
				"buffer)");
	for (unsigned int i = 0; i < ms->nr_cpus; i++)
		if (ms->halted[i] > 1)
			return bad_part(err, "machine", "a vCPU neither halted nor running");
	if (ms->pc && (ms->pic_master.chip_id != KVM_IRQCHIP_PIC_MASTER ||
		       ms->pic_slave.chip_id != KVM_IRQCHIP_PIC_SLAVE ||
		       ms->ioapic.chip_id != KVM_IRQCHIP_IOAPIC))
		return bad_part(err, "machine", "its interrupt controllers are not the PC's");
	return 0;
}

static bool saved_lapic(const struct vm_snapshot_vcpu *v)
{
	return v->state->flags & VCPU_STATE_LAPIC;
}

/* KVM's rules for the saved registers, judged by the vCPU's own CPUID (snapshot/state.c). */
static int check_state(const struct vm_snapshot *s, const struct vm_snapshot_vcpu *v,
		       const char *state, const char *cpuid, struct fpvm_error *err)
{
	char why[SNAPSHOT_WHY_MAX];

	if (snapshot_check_cpuid_table(v->cpuid, why))
		return bad_part(err, cpuid, why);
	if (snapshot_check_sregs(&v->state->sregs, v->cpuid, why) ||
	    snapshot_check_mp_state(v->state->mp_state.mp_state,
				    v->state->flags & VCPU_STATE_LAPIC, why) ||
	    snapshot_check_xcrs(&v->state->xcrs, v->cpuid, s->m->guest_xcr0, why))
		return bad_part(err, state, why);
	/* The PC's vCPUs have KVM's LAPIC; a test guest's all have it or none do. */
	if (s->pc ? !saved_lapic(v) : saved_lapic(v) != saved_lapic(&s->vcpus[0]))
		return bad_part(err, state, s->pc ? "the PC's vCPU has no in-kernel LAPIC" :
				"its in-kernel LAPIC differs from vCPU 0's");
	return 0;
}

/*
 * The layout and the image, each read once; the image checked as
 * KVM_SET_XSAVE would check it against the snapshot's own layout and XCR0.
 */
static int open_fpstate(const struct vm_snapshot *s, struct vm_snapshot_vcpu *v, unsigned int i,
			struct fpvm_error *err)
{
	char layout[SNAPSHOT_NAME_MAX], xsave[SNAPSHOT_NAME_MAX];
	struct fpstate_error ferr;
	struct fpstate_diag diag;
	struct fpstate fps;
	void *text, *image;
	size_t len, size;
	int r;

	snapshot_vcpu_part(layout, i, SNAPSHOT_VCPU_LAYOUT);
	snapshot_vcpu_part(xsave, i, SNAPSHOT_VCPU_XSAVE);
	r = snapshot_part_read(s->dir, layout, &text, &len, err);
	if (r)
		return r;
	r = fpstate_layout_parse(text, len, layout, &v->fps, &ferr);
	free(text);
	if (r)
		return bad_part(err, layout, ferr.msg);
	r = snapshot_part_read(s->dir, xsave, &image, &size, err);
	if (r)
		return r;
	r = fpstate_file_set_image(&v->fps, image, size, xsave, &ferr);
	free(image);
	if (r)
		return bad_part(err, xsave, ferr.msg);
	if ((v->fps.xfeatures & ~s->m->guest_xcr0) || v->fps.xcr0 != s->m->guest_xcr0)
		return bad_part(err, layout, "its features disagree with the manifest's guest XCR0");
	/* What KVM_GET_XSAVE2 gives: at least struct kvm_xsave, and every feature's component. */
	if (v->fps.size < XSAVE_UABI_MIN ||
	    v->fps.size < xstate_size_standard(&v->fps.layout, v->fps.xfeatures))
		return bad_part(err, layout, "its size is smaller than an XSAVE image of its "
				"features");
	fps = (struct fpstate){ .layout = &v->fps.layout, .xfeatures = v->fps.xfeatures,
				.size = v->fps.size, .is_guest = true };
	if (fpstate_validate_uabi(&fps, v->fps.buf, v->fps.size, &diag))
		return bad_part(err, xsave, fpstate_diag_first_error(&diag));
	return 0;
}

static int open_vcpu(struct vm_snapshot *s, unsigned int i, struct fpvm_error *err)
{
	struct vm_snapshot_vcpu *v = &s->vcpus[i];
	char state[SNAPSHOT_NAME_MAX], cpuid[SNAPSHOT_NAME_MAX];
	size_t len;
	int r;

	snapshot_vcpu_part(state, i, SNAPSHOT_VCPU_STATE);
	r = read_fixed(s, state, sizeof(*v->state), (void **)&v->state, err);
	if (r)
		return r;
	if (v->state->magic != VCPU_STATE_MAGIC || v->state->size != sizeof(*v->state) ||
	    v->state->nr_msrs > VCPU_STATE_MAX_MSRS)
		return bad_part(err, state, "not a vCPU state of this fpvm");
	snapshot_vcpu_part(cpuid, i, SNAPSHOT_VCPU_CPUID);
	r = snapshot_part_read(s->dir, cpuid, (void **)&v->cpuid, &len, err);
	if (r)
		return r;
	if (len < sizeof(*v->cpuid) || v->cpuid->nent > 4096 ||
	    len != sizeof(*v->cpuid) + v->cpuid->nent * sizeof(v->cpuid->entries[0]))
		return bad_part(err, cpuid, "not a CPUID table");
	return check_state(s, v, state, cpuid, err) ?: open_fpstate(s, v, i, err);
}

int vm_snapshot_open(struct vm_snapshot *s, const char *path, struct fpvm_error *err)
{
	int r;

	*s = (struct vm_snapshot){ .path = path };
	s->dir = malloc(sizeof(*s->dir));
	if (!s->dir)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = snapshot_open(path, s->dir, err);
	if (r) {
		free(s->dir);
		s->dir = NULL;
		return r;
	}
	s->m = &s->dir->m;
	if (s->m->mem_size < FPVM_MIN_MEM || s->m->mem_size > FPVM_MAX_MEM ||
	    s->m->nr_cpus > FPVM_MAX_CPUS)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: a machine of %u "
				 "vCPUs and %llu bytes is beyond what fpvm runs", s->m->nr_cpus,
				 (unsigned long long)s->m->mem_size);
	if (!snapshot_part_find(s->m, SNAPSHOT_MEMORY))
		return bad_part(err, SNAPSHOT_MEMORY, "not in the manifest");
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
	/* Parts this fpvm does not use are still part of the snapshot: whole, or refused. */
	return r ?: snapshot_verify_unread(s->dir, err);
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
	if (s->mem) {
		guest_mem_free(s->mem);
		free(s->mem);
	}
	if (s->dir) {
		snapshot_close(s->dir);
		free(s->dir);
	}
	*s = (struct vm_snapshot){ 0 };
}

int vm_snapshot_verify_memory(const struct vm_snapshot *s, struct fpvm_error *err)
{
	return snapshot_memory_verify(s->dir, err);
}

int vm_snapshot_read_memory(struct vm_snapshot *s, struct fpvm_error *err)
{
	int r;

	s->mem = calloc(1, sizeof(*s->mem));
	if (!s->mem)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = guest_mem_alloc(s->mem, s->m->mem_size, err) ?:
	    snapshot_memory_read(s->dir, s->mem->host, s->m->mem_size, err);
	if (r) {
		guest_mem_free(s->mem);
		free(s->mem);
		s->mem = NULL;
	}
	return r;
}

void vm_snapshot_config(const struct vm_snapshot *s, struct vm_config *cfg)
{
	cfg->nr_cpus = s->m->nr_cpus;
	cfg->max_cpus = 0;
	cfg->mem_size = s->m->mem_size;
	cfg->xcr0 = s->m->guest_xcr0;
	cfg->pc = s->machine->pc;
	/* A test guest's LAPICs as they were: old snapshots and older KVMs had none. */
	if (s->pc)
		cfg->lapic = VM_LAPIC_AUTO;
	else
		cfg->lapic = s->nr_vcpus && saved_lapic(&s->vcpus[0]) ? VM_LAPIC_KVM : VM_LAPIC_NONE;
	cfg->guest_path = s->m->guest;
	cfg->image = NULL;
	cfg->nr_modules = 0;
}

/* One vCPU's image against this host's layout and FPU: what KVM_SET_XSAVE here would refuse. */
static void check_image(unsigned int i, const struct vm_snapshot_vcpu *v,
			const struct guest_fpu_cfg *fpu_cfg, uint8_t *scratch, size_t size,
			struct snapshot_findings *f)
{
	uint32_t mask = fpu_cfg->layout.mxcsr_mask ? fpu_cfg->layout.mxcsr_mask
						   : MXCSR_MASK_DEFAULT, mxcsr;
	struct fpstate_error ferr;

	uint64_t xstate_bv;

	memcpy(&mxcsr, v->fps.buf + 24, sizeof(mxcsr));
	memcpy(&xstate_bv, v->fps.buf + XSAVE_HDR_OFFSET, sizeof(xstate_bv));
	/* KVM checks MXCSR where the image loads it (fpstate_validate_uabi()'s rule). */
	if ((xstate_bv & (XFEATURE_MASK_FPSSE | XMASK(YMM))) && (mxcsr & ~mask))
		snapshot_finding_add(f, true, "vcpu %u: MXCSR 0x%08x has bits 0x%08x this host's "
				     "FPU lacks (MXCSR_MASK 0x%08x)", i, mxcsr, mxcsr & ~mask, mask);
	if (fpstate_convert_uabi(&v->fps.layout, &fpu_cfg->layout, v->fps.xfeatures, v->fps.buf,
				 v->fps.size, scratch, size, &ferr))
		snapshot_finding_add(f, true, "vcpu %u: its XSAVE image does not convert to this "
				     "host's layout: %s", i, ferr.msg);
	else if (!xstate_layout_same(&v->fps.layout, &fpu_cfg->layout, v->fps.xfeatures))
		snapshot_finding_add(f, false, "vcpu %u: XSAVE layout differs from this host's; the "
				     "image is converted component by component", i);
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
		uint64_t xstate_bv;

		memcpy(&xstate_bv, v->fps.buf + XSAVE_HDR_OFFSET, sizeof(xstate_bv));
		snapshot_check_cpuid(i, v->cpuid, kvm->cpuid, f);
		snapshot_check_xfeatures(i, v->fps.xcr0, xstate_bv, fpu_cfg->allowed_xcr0, f);
		for (uint32_t j = 0; j < v->state->nr_msrs; j++)
			saved[j] = v->state->msrs[j].index;
		if (kvm->msr_index)
			snapshot_check_msrs(i, saved, v->state->nr_msrs, kvm->msr_index,
					    kvm->nr_msr_index, f);
		if (scratch)
			check_image(i, v, fpu_cfg, scratch, size, f);
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
	struct kvm_clock_data clock = { .clock = ms->clock.clock };
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
		return kvm_refused(err, "interrupt controllers", "KVM_SET_IRQCHIP", r);
	if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_PIT2, &ms->pit)) < 0)
		return kvm_refused(err, "PIT", "KVM_SET_PIT2", r);
	/* Only the clock value: the flags KVM_GET_CLOCK returns are not all settable. */
	if ((r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_CLOCK, &clock)) < 0)
		return kvm_refused(err, "clock", "KVM_SET_CLOCK", r);
	return 0;
}

/*
 * Guest memory: the part read before KVM, moved whole into the guest's
 * mapping (mremap() moves the pages, copies none; no vCPU exists yet, and
 * KVM follows the mapping at the memslot's address); read from the part
 * now where it was not read before (fpvm leakcheck).
 */
static int restore_memory(struct vm *vm, const struct vm_snapshot *s, struct fpvm_error *err)
{
	struct guest_mem *m = s->mem;

	if (!m || !m->host)
		return snapshot_memory_read(s->dir, vm->mem.host, vm->mem.size, err);
	if (m->size != vm->mem.size)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part memory: %llu bytes, "
				 "but this VM has %llu", (unsigned long long)m->size,
				 (unsigned long long)vm->mem.size);
	if (mremap(m->host, m->size, m->size, MREMAP_MAYMOVE | MREMAP_FIXED, vm->mem.host) ==
	    MAP_FAILED)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "guest memory: mremap: %s",
				 strerror(errno));
	*m = (struct guest_mem){ 0 };	/* its pages are the VM's now */
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
	/* What the guest is decides its power-off, reset and panic (linux.h). */
	vm->image.kind = s->machine->image_kind;
	r = vm_setup_fpstate(vm, fpu_cfg, err) ?: vm_attach_devices(vm, err) ?:
	    restore_machine(vm, s->machine, err) ?: restore_memory(vm, s, err);
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
