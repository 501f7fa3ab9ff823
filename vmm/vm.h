/* SPDX-License-Identifier: MIT */
/*
 * What a VM is: its configuration, its parts, and the steps that make and
 * unmake it (vm.c), explicit calls in order; nothing runs from
 * constructors.  Running it is run.h's, stopping it lifecycle.h's.
 */
#ifndef FPVM_VMM_VM_H
#define FPVM_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/placement.h"
#include "../devices/devices.h"
#include "../kvm/kvm.h"
#include "../fpstate/fpstate.h"
#include "../loader/loader.h"
#include "../vcpu/fpu.h"
#include "lifecycle.h"
#include "mem.h"
#include "seccomp.h"

/* What a VM is made of.  Files are the caller's: the VM gets descriptors. */
#define VM_MAX_MODULES	IMAGE_MAX_MODULES

struct vm_config {
	const char *guest_path;		/* the image's name, the guest's argv[0] */
	int guest_nargs;		/* arguments after the image path */
	char **guest_args;
	unsigned int nr_cpus;
	uint64_t mem_size;		/* 0: the image's kind decides (vm_check_image()) */
	uint64_t timeout_ms;		/* 0: none */
	bool verbose;			/* unknown accesses and statistics on stderr */
	bool strict_io;			/* an access to no device stops the VM */
	bool quiet;			/* no diagnostics on stderr (fpvm probe) */
	int serial_fd;			/* the guest's serial output */
	int dtb_fd;			/* >= 0: a copy of the device tree goes here */
	const void *image;		/* in-memory guest image instead of guest_path */
	size_t image_len;
	/* Multiboot modules: "FILE" or "FILE,STRING" (--module, --initrd) */
	const char *modules[VM_MAX_MODULES];
	unsigned int nr_modules;
	struct image_module module[VM_MAX_MODULES];	/* read by vm_check_image() */
	unsigned int max_cpus;		/* > nr_cpus: room for vm_add_vcpu() later */

	/* Where the vCPU threads run, set by each on itself at its start (vcpu_thread.c) */
	const struct vcpu_placement *affinity;	/* NULL: where the process may run */
	struct sched_choice sched;

	bool stats;			/* time each phase and KVM_RUN, count exits */
	enum seccomp_policy seccomp;	/* which threads get their allow-list (seccomp.h) */

	/* Guest FPU state */
	uint64_t xcr0;			/* 0: the guest default */
	bool check_host_fpstate;	/* XSAVE the host thread around every KVM_RUN */

	/* Snapshots (snapshot.c): taken on SIGUSR1 or a guest request, into this directory */
	const char *snapshot_dir;
	bool pc;			/* the PC platform without an image to detect it from */
	/* A test guest's LAPICs: in KVM where it can; a restore says as they were saved. */
	enum vm_lapic { VM_LAPIC_AUTO, VM_LAPIC_NONE, VM_LAPIC_KVM } lapic;
};

#define FPVM_DEFAULT_MEM	(64ULL << 20)
/*
 * A Linux kernel's RAM when none is asked for (mem_size 0): a distribution
 * kernel needs more than 64M to boot (the cloud kernel's vmlinux alone
 * ends at 62M); kvmtool gives a one-CPU guest 256M, QEMU 128M.
 */
#define FPVM_LINUX_DEFAULT_MEM	(256ULL << 20)
#define FPVM_MIN_MEM		(2ULL << 20)
#define FPVM_MAX_MEM		(64ULL << 30)
#define FPVM_MAX_CPUS		1024

struct vcpu;
struct vm;

/*
 * What a VM does beyond running its guest (fpvm leakcheck); every hook is
 * optional, and a VM without ops runs exactly as fpvm run does.
 */
struct vm_ops {
	/*
	 * On the vCPU thread, after every KVM_RUN.  With cfg->check_host_fpstate
	 * it replaces the default host check and gets the host images.
	 */
	void (*after_run)(struct vm *vm, struct vcpu *vcpu);
	/* Control-port requests fpvm itself does not handle; returns -ENOSYS if unknown. */
	int (*ctl)(struct vm *vm, unsigned int cpu, uint32_t op, const void *payload,
		   uint32_t size);
	/* On the main thread, once guest state is configured, before any vCPU runs. */
	void (*start)(struct vm *vm);
	/* On the main thread, every tick_ms while the VM runs. */
	void (*tick)(struct vm *vm);
	unsigned int tick_ms;
	/*
	 * On the vCPU thread, for KVM_EXIT_DEBUG (a debugger's breakpoint or
	 * step, gdb/stub.c): returns true when it took the exit, which then
	 * ends no VM.  Without it, the exit is an unexpected one.
	 */
	bool (*debug_exit)(struct vm *vm, struct vcpu *vcpu);
};

/* The steps of vm_boot(), each timed when the VM keeps statistics. */
enum vm_phase {
	VM_PHASE_CREATE,	/* KVM_CREATE_VM, guest memory and its slots */
	VM_PHASE_FPSTATE,	/* the guest XCR0 and uABI size */
	VM_PHASE_DEVICES,
	VM_PHASE_LOAD,		/* the guest image and the page tables */
	VM_PHASE_FDT,
	VM_PHASE_VCPUS,		/* vCPUs: CPUID, XCR0, XSAVE image, registers */
	VM_PHASE_RUN,		/* threads started until every one is joined */
	NR_VM_PHASES,
};

struct vm_stats {
	uint64_t phase_ns[NR_VM_PHASES];
	uint64_t first_exit_ns;	/* vCPU 0's first KVM_RUN, from the start of the run phase */
	uint64_t run_start_ns;
	uint64_t snapshot_ns;	/* the last snapshot's vm_snapshot_save() */
	uint64_t coalesced_writes;	/* THR writes taken from the coalesced ring */
};

struct vm {
	struct kvm *kvm;
	int fd;
	const struct vm_config *cfg;
	struct guest_mem mem;
	struct boot_layout boot;
	struct image image;
	struct bus pio;
	struct bus mmio;
	struct serial8250 *serial;
	/*
	 * THR's writes through KVM's coalesced PIO ring while they are quiet
	 * (coalesced.c): NULL where KVM has none, the VM has more than one
	 * vCPU, or registering failed; atomic, the main thread reads it.
	 */
	struct kvm_coalesced_mmio_ring *coalesced;
	pthread_mutex_t coalesced_lock;
	bool coalesced_on;		/* THR's zone is registered */
	bool coalesced_retired;		/* removed once, for good */
	uint64_t coalesced_next_kick_ns;	/* the main thread's, vm_coalesced_kick() */
	struct debug_exit exit_dev;
	bool pc;			/* a Multiboot kernel's PC platform: irqchip, PIT, fw_cfg */
	bool lapic;			/* a test guest's LAPICs in KVM: its HLTs stay there */
	struct fw_cfg fw_cfg;
	/* The rest of the PC platform: ACPI (tables, PM), pc-testdev, PCI ports, RTC */
	struct acpi_pm acpi_pm;
	struct pc_testdev testdev;
	struct pci_host pci;
	struct rtc_cmos rtc;
	uint32_t facs_gpa;
	char panic_line[160];		/* a Linux guest's "Kernel panic" line, once seen (linux.c) */
	/*
	 * ACPI S3: the vCPU that wrote SLP_EN parks at once; the main thread
	 * pauses the rest until the wake event (the RTC alarm), then restarts
	 * the BSP at the FACS waking vector (pc.c).
	 */
	atomic_bool s3_requested;
	bool s3_sleeping;
	uint64_t s3_wake_ns;		/* CLOCK_REALTIME of the wake; 0: none enabled */
	struct vcpu **vcpus;
	unsigned int nr_vcpus;

	const struct vm_ops *ops;
	void *ops_data;

	/* Guest FPU state, shared by every vCPU (vm_setup_fpstate()) */
	struct guest_fpu fpu;
	atomic_ulong host_fpstate_changes;

	/* Lifecycle (lifecycle.c): the first stop request wins and says why. */
	pthread_mutex_t lock;
	atomic_bool stopping;
	unsigned int stop_flags;	/* STOP_* of the winning request */
	enum vm_stop stop;
	uint32_t stop_value;
	char reason[160];
	atomic_uint running;
	int done_fd;		/* eventfd: wakes main when the VM ends */

	/*
	 * Pausing every vCPU out of KVM_RUN with its last exit completed
	 * (pause.c), for a snapshot or S3; a halted vCPU's thread has ended,
	 * and it stays halted (vcpu_halted).
	 */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pausing;
	unsigned int paused;
	atomic_uint solo;		/* 0, or N: only vCPU N-1 runs (a debugger's step) */
	bool *vcpu_halted;		/* per vCPU: its thread ended on a halt */
	atomic_bool snapshot_requested;	/* by the guest (ctl.c) or SIGUSR1 */
	uint64_t snapshot_result_gpa;	/* the guest's request: where its result goes */
	unsigned int snapshot_cpu;
	unsigned int nr_snapshots;

	struct vm_stats stats;
	atomic_ulong unknown_pio;
	atomic_ulong unknown_mmio;
	atomic_uint ctl_warnings;	/* malformed control requests reported so far */
	pthread_mutex_t report_lock;	/* keeps multi-line diagnostics whole */
};

/*
 * Every step from vm_create() to vm_run(), in this order; then vm_destroy().
 * @fpu_cfg is the host's guest FPU configuration, computed once.
 */
int vm_boot(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
	    const struct vm_config *cfg, struct fpvm_error *err);
/* vm_boot() with hooks in place from the start. */
int vm_boot_ops(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		const struct vm_config *cfg, const struct vm_ops *ops, void *ops_data,
		struct fpvm_error *err);
/*
 * vm_boot_ops() up to vm_run(): the guest is in its memory and the vCPUs
 * are set up, so cfg's image and modules are no longer read.
 */
int vm_prepare_ops(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		   const struct vm_config *cfg, const struct vm_ops *ops, void *ops_data,
		   struct fpvm_error *err);
int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg,
	      struct fpvm_error *err);
int vm_setup_fpstate(struct vm *vm, const struct guest_fpu_cfg *fpu_cfg, struct fpvm_error *err);
/* Creates the devices on cfg->serial_fd and registers them on the buses. */
int vm_attach_devices(struct vm *vm, struct fpvm_error *err);
int vm_create_vcpus(struct vm *vm, struct fpvm_error *err);
/* vm_create_vcpus()'s parts, for restore.c: the vCPU slots, and what a vCPU needs of the VM. */
int vm_alloc_vcpus(struct vm *vm, struct fpvm_error *err);
struct vcpu_params vm_vcpu_params(const struct vm *vm);
/*
 * A vCPU created and started while the VM runs (up to cfg->max_cpus).
 * @xsave, if not NULL, replaces its initial XSAVE image (validated first).
 */
struct vcpu *vm_add_vcpu(struct vm *vm, const void *xsave, struct fpvm_error *err);
void vm_destroy(struct vm *vm);

#endif
