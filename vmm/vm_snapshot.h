/* SPDX-License-Identifier: MIT */
/*
 * A VM's snapshots: taking them (snapshot.c) and restoring one (restore.c),
 * in the snapshot directory format of snapshot/snapshot.h.
 */
#ifndef FPVM_VMM_VM_SNAPSHOT_H
#define FPVM_VMM_VM_SNAPSHOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/error.h"
#include "../fpstate/fpstate.h"
#include "vm.h"

/*
 * Snapshots (snapshot.c).  A guest request (FPVM_CTL_SNAPSHOT) parks the
 * vCPU that made it before it returns to the guest; the main thread then
 * takes the snapshot.  Returns the request's result for the guest.
 */
int vm_request_snapshot(struct vm *vm, unsigned int cpu, uint64_t result_gpa);
/* On the main thread, with every vCPU paused: the whole VM into cfg->snapshot_dir. */
int vm_snapshot_save(struct vm *vm, const char *reason, struct fpvm_error *err);

/*
 * Restoring (restore.c).  vm_snapshot_open() reads every part but memory
 * once into memory, checks each one's size and checksum on the bytes it
 * keeps, and checks what KVM would refuse of them, with no KVM: a damaged
 * or inconsistent snapshot is refused on any machine, before anything is
 * created.
 */
struct snapshot_findings;
struct snapshot_dir;
struct snapshot_manifest;
struct machine_state;
struct vcpu_state;
struct vm_snapshot {
	const char *path;
	struct snapshot_dir *dir;	/* the snapshot, open (snapshot/snapshot.h) */
	struct snapshot_manifest *m;	/* its manifest */
	struct machine_state *machine;
	bool pc;			/* the machine's platform: PC or fpvm's own */
	const uint8_t *halted;		/* per vCPU: halted when the snapshot was taken */
	struct vm_snapshot_vcpu {
		struct vcpu_state *state;
		struct kvm_cpuid2 *cpuid;
		struct fpstate_file fps;	/* the image and the layout it came with */
	} *vcpus;
	unsigned int nr_vcpus;
	/* The memory part, read and checked before KVM: vm_restore() moves it into the VM. */
	struct guest_mem *mem;
};

int vm_snapshot_open(struct vm_snapshot *s, const char *path, struct fpvm_error *err);
void vm_snapshot_close(struct vm_snapshot *s);
/* The memory part read and checked, into nothing (restore --check, snapshot show). */
int vm_snapshot_verify_memory(const struct vm_snapshot *s, struct fpvm_error *err);
/* The memory part read and checked into a mapping of its own, for vm_restore() (restore). */
int vm_snapshot_read_memory(struct vm_snapshot *s, struct fpvm_error *err);
/* The VM the snapshot describes: vCPUs, memory, XCR0, platform. */
void vm_snapshot_config(const struct vm_snapshot *s, struct vm_config *cfg);
/*
 * Whether the snapshot fits this host: what its guest was given (CPUID,
 * XCR0, the features its images hold, MSRs) against what this KVM offers,
 * and whether its XSAVE images convert to this host's layout.
 */
void vm_snapshot_check(const struct vm_snapshot *s, struct kvm *kvm,
		       const struct guest_fpu_cfg *fpu_cfg, struct snapshot_findings *f);
/* vm_boot() for a snapshot: the VM it describes, in its state, ready for vm_run(). */
int vm_restore(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
	       const struct vm_config *cfg, const struct vm_snapshot *s, struct fpvm_error *err);

#endif
