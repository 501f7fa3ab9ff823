/* SPDX-License-Identifier: MIT */
/*
 * The VM: its configuration, creation, devices, guest image, vCPUs, and the
 * lifecycle that ends it.  Steps are explicit calls, in order; nothing runs
 * from constructors.
 */
#ifndef FPVM_VMM_VM_H
#define FPVM_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../devices/devices.h"
#include "../kvm/kvm.h"
#include "../fpstate/fpstate.h"
#include "../vcpu/fpu.h"
#include "../loader/loader.h"
#include "mem.h"
#include "seccomp.h"

/* What a VM is made of.  Files are the caller's: the VM gets descriptors. */
#define VM_MAX_MODULES	IMAGE_MAX_MODULES

struct vm_config {
	const char *guest_path;		/* the image's name, the guest's argv[0] */
	int guest_nargs;		/* arguments after the image path */
	char **guest_args;
	unsigned int nr_cpus;
	uint64_t mem_size;
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

	bool stats;			/* time each phase and KVM_RUN, count exits */
	enum seccomp_policy seccomp;	/* which threads get their allow-list (seccomp.h) */

	/* Guest FPU state */
	uint64_t xcr0;			/* 0: the guest default */
	bool check_host_fpstate;	/* XSAVE the host thread around every KVM_RUN */

	/* Snapshots (snapshot.c): taken on SIGUSR1 or a guest request, into this directory */
	const char *snapshot_dir;
	bool pc;			/* the PC platform without an image to detect it from */
};

/* Why a VM stopped; the command turns it into an exit status. */
enum vm_stop {
	VM_STOP_NONE,
	VM_STOP_GUEST_EXIT,	/* value: what the guest wrote to the exit port */
	VM_STOP_HALTED,		/* every vCPU halted without an exit value */
	VM_STOP_EXCEPTION,	/* the guest runtime reported an unhandled exception */
	VM_STOP_PANIC,		/* the guest runtime panicked */
	VM_STOP_TRIPLE_FAULT,	/* KVM_EXIT_SHUTDOWN */
	VM_STOP_FAIL_ENTRY,	/* KVM_EXIT_FAIL_ENTRY */
	VM_STOP_INTERNAL_ERROR,	/* KVM_EXIT_INTERNAL_ERROR */
	VM_STOP_SYSTEM_EVENT,	/* KVM_EXIT_SYSTEM_EVENT */
	VM_STOP_UNHANDLED_EXIT,	/* a KVM exit reason fpvm does not handle */
	VM_STOP_STRICT_IO,	/* an access to no device, with strict_io */
	VM_STOP_TIMEOUT,
	VM_STOP_SIGNAL,		/* value: SIGINT or SIGTERM */
	VM_STOP_ERROR,		/* fpvm itself failed; value: enum fpvm_err_class */
};

#define FPVM_DEFAULT_MEM	(64ULL << 20)
#define FPVM_MIN_MEM		(2ULL << 20)
#define FPVM_MAX_MEM		(64ULL << 30)
#define FPVM_MAX_CPUS		1024

struct vcpu;
struct vm;
struct vcpu_state;
struct machine_state;
struct snapshot_manifest;

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
};

uint64_t vm_now_ns(void);
const char *vm_phase_name(enum vm_phase phase);

/*
 * What 'fpvm run --stats' reports, and leakcheck's VMs with it (stats.c):
 * the VM's phases and vCPUs' figures, copied out before the VM is
 * destroyed, and the process's memory.
 */
struct mem_figures {
	uint64_t rss_kib, pss_kib, uss_kib;
	uint64_t guest_rss_kib, guest_private_kib;	/* guest RAM's share of them */
};

struct vm_run_stats {
	uint64_t kvm_open_ns, fpu_cfg_ns, teardown_ns, total_ns;
	struct vm_stats vm;
	unsigned int nr_vcpus;
	struct vcpu_stats *vcpus;	/* copied out before the VM is destroyed */
	struct mem_figures mem;
	bool have_mem;
};

/* Reads this process's RSS, PSS and USS, and guest RAM's part, from /proc/self. */
int vm_read_memory(const void *guest, uint64_t guest_size, struct mem_figures *m);
/* Copies what @vm counted and measures memory, while the VM still exists. */
int vm_stats_collect(struct vm_run_stats *rs, const struct vm *vm);
void vm_stats_print(FILE *f, bool json, const struct vm_run_stats *rs);
void vm_stats_release(struct vm_run_stats *rs);

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
	struct debug_exit exit_dev;
	bool pc;			/* a Multiboot kernel's PC platform: irqchip, PIT, fw_cfg */
	struct fw_cfg fw_cfg;
	/* The rest of the PC platform: ACPI (tables, PM), pc-testdev, PCI ports, RTC */
	struct acpi_pm acpi_pm;
	struct pc_testdev testdev;
	struct pci_host pci;
	struct rtc_cmos rtc;
	uint32_t facs_gpa;
	/*
	 * ACPI S3: the vCPU that wrote SLP_EN parks at once; the main thread
	 * pauses the rest until the wake event (the RTC alarm), then restarts
	 * the BSP at the FACS waking vector (vm.c).
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

	/* Lifecycle: the first stop request wins and says why. */
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
	 * (run.c), for a snapshot; a halted vCPU's thread has ended, and it
	 * stays halted (vcpu_halted).
	 */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pausing;
	unsigned int paused;
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
 * What needs no KVM, checked before KVM is opened: the memory and boot
 * layout, and the guest image against it, so a bad image is reported as
 * one on any machine.  Reads the image into memory once (cfg->image, which
 * the caller frees through *@owned), and any Multiboot modules
 * (vm_release_modules()); vm_boot() then loads them from there.
 */
int vm_check_image(struct vm_config *cfg, uint8_t **owned, struct fpvm_error *err);
/* Frees what vm_check_image() read for @cfg's modules. */
void vm_release_modules(struct vm_config *cfg);

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
int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg,
	      struct fpvm_error *err);
int vm_setup_fpstate(struct vm *vm, const struct guest_fpu_cfg *fpu_cfg, struct fpvm_error *err);
/* Creates the devices on cfg->serial_fd and registers them on the buses. */
int vm_attach_devices(struct vm *vm, struct fpvm_error *err);
int vm_load_guest(struct vm *vm, struct fpvm_error *err);
int vm_write_fdt(struct vm *vm, struct fpvm_error *err);
int vm_create_vcpus(struct vm *vm, struct fpvm_error *err);
/* vm_create_vcpus()'s parts, for restore.c: the vCPU slots, and what a vCPU needs of the VM. */
int vm_alloc_vcpus(struct vm *vm, struct fpvm_error *err);
struct vcpu_params vm_vcpu_params(const struct vm *vm);
/*
 * A vCPU created and started while the VM runs (up to cfg->max_cpus).
 * @xsave, if not NULL, replaces its initial XSAVE image (validated first).
 */
struct vcpu *vm_add_vcpu(struct vm *vm, const void *xsave, struct fpvm_error *err);
int vm_run(struct vm *vm, struct fpvm_error *err);
void vm_destroy(struct vm *vm);

#define STOP_DUMP_REGS	(1U << 0)	/* every running vCPU dumps its registers */
#define STOP_GUEST_EXIT	(1U << 1)	/* the guest asked to exit: not news */
#define STOP_REPORTED	(1U << 2)	/* a full diagnostic is already on stderr */

/* The first request wins: it says why, kicks every vCPU and wakes vm_run(). */
void vm_request_stop(struct vm *vm, enum vm_stop stop, uint32_t value, unsigned int flags,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool vm_stopping(struct vm *vm);
/* Writes one block to stderr without interleaving with other vCPUs. */
void vm_report(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The vCPU threads (run.c): one each, the run loop, kicks. */
int vm_signals_init(void);
int vm_start_vcpu(struct vm *vm, struct vcpu *vcpu, struct fpvm_error *err);
void vm_kick_vcpu(struct vcpu *vcpu);
void vm_join_vcpu(struct vcpu *vcpu);
/* The exit dispatcher, one step of the run loop (exit.c); public for tests. */
enum vcpu_action {
	VCPU_CONTINUE,
	VCPU_HALTED,	/* this vCPU is done; the VM may go on */
	VCPU_STOP,	/* the VM is ending */
};
enum vcpu_action vm_handle_exit(struct vm *vm, struct vcpu *vcpu);
/* A vCPU's registers on stderr, as one block. */
void vm_report_vcpu(struct vm *vm, struct vcpu *vcpu, const char *why);

/* Pausing (run.c): every running vCPU parks out of KVM_RUN, its last exit completed. */
void vm_pause_vcpus(struct vm *vm);
void vm_resume_vcpus(struct vm *vm);

/*
 * Snapshots (snapshot.c).  A guest request (FPVM_CTL_SNAPSHOT) parks the
 * vCPU that made it before it returns to the guest; the main thread then
 * takes the snapshot.  Returns the request's result for the guest.
 */
int vm_request_snapshot(struct vm *vm, unsigned int cpu, uint64_t result_gpa);
/* On the main thread, with every vCPU paused: the whole VM into cfg->snapshot_dir. */
int vm_snapshot_save(struct vm *vm, const char *reason, struct fpvm_error *err);

/*
 * Restoring (restore.c).  vm_snapshot_open() reads and verifies every part
 * but memory, with no KVM: a damaged snapshot is refused on any machine,
 * and before anything is created.
 */
struct snapshot_findings;
struct vm_snapshot {
	const char *path;
	int dirfd;
	struct snapshot_manifest *m;
	struct machine_state *machine;
	bool pc;			/* the machine's platform: PC or fpvm's own */
	const uint8_t *halted;		/* per vCPU: halted when the snapshot was taken */
	struct vm_snapshot_vcpu {
		struct vcpu_state *state;
		struct kvm_cpuid2 *cpuid;
		struct fpstate_file fps;	/* the image and the layout it came with */
	} *vcpus;
	unsigned int nr_vcpus;
};

int vm_snapshot_open(struct vm_snapshot *s, const char *path, struct fpvm_error *err);
void vm_snapshot_close(struct vm_snapshot *s);
/* The memory part read and checked into a scratch mapping (restore --check). */
int vm_snapshot_verify_memory(const struct vm_snapshot *s, struct fpvm_error *err);
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

/*
 * What SeaBIOS leaves for a Multiboot kernel (bios.c): real-mode vectors,
 * the 8259s at 0x08/0x70 with the timer open, PIT channel 0 at 18.2 Hz.
 */
int pc_bios_setup(struct vm *vm, struct fpvm_error *err);

/* The control port's request handler (ctl.c). */
extern const struct bus_device_ops fpvm_ctl_ops;

#endif
