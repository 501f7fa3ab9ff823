/* SPDX-License-Identifier: MIT */
/*
 * The VMM: KVM handle, VM lifecycle, guest memory, loader, boot state,
 * machine description and the command line.  main.c calls these setup
 * steps explicitly, in order; nothing runs from constructors.
 */
#ifndef FPVM_VMM_H
#define FPVM_VMM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../devices/devices.h"
#include "../fpstate/fpstate.h"

/* Exit statuses (README, "Exit status"); guest values 0-255 pass through. */
enum fpvm_status {
	FPVM_EXIT_USAGE = 64,		/* bad command line */
	FPVM_EXIT_DATAERR = 65,		/* bad guest image or input file */
	FPVM_EXIT_UNAVAILABLE = 69,	/* KVM missing or lacking a capability */
	FPVM_EXIT_SOFTWARE = 70,	/* fpvm's own failure (an ioctl, memory) */
	FPVM_EXIT_IOERR = 74,		/* cannot write an output file */
	FPVM_EXIT_UNEXPECTED = 111,	/* a KVM exit reason fpvm does not handle */
	FPVM_EXIT_EXCEPTION = 112,	/* guest reported an unhandled exception */
	FPVM_EXIT_TRIPLE_FAULT = 113,	/* KVM_EXIT_SHUTDOWN */
	FPVM_EXIT_FAIL_ENTRY = 114,	/* KVM_EXIT_FAIL_ENTRY */
	FPVM_EXIT_INTERNAL = 115,	/* KVM_EXIT_INTERNAL_ERROR */
	FPVM_EXIT_HALTED = 116,		/* every vCPU halted, no exit status */
	FPVM_EXIT_STRICT_IO = 117,	/* --strict-io: access to nothing */
	FPVM_EXIT_SYSTEM_EVENT = 118,	/* KVM_EXIT_SYSTEM_EVENT */
	FPVM_EXIT_PANIC = 119,		/* guest runtime panic */
	FPVM_EXIT_HOST_FPSTATE = 120,	/* --check-host-fpstate saw host registers change */
	FPVM_EXIT_BAD_FPSTATE = 121,	/* KVM returned an fpstate that fails validation */
	FPVM_EXIT_LEAK = 122,		/* leakcheck: register content crossed a boundary */
	FPVM_EXIT_SELFTEST = 123,	/* leakcheck --inject: the injected leak was missed */
	FPVM_EXIT_TIMEOUT = 124,	/* --timeout expired (as timeout(1)) */
	FPVM_EXIT_SIGINT = 130,
	FPVM_EXIT_SIGTERM = 143,
};

/* What a failing library call tells main: a message and a status. */
struct fpvm_error {
	int status;
	char msg[320];
};

int fpvm_fail(struct fpvm_error *err, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- command line (cli.c) ---- */

enum exit_mode {
	EXIT_MODE_DIRECT,	/* status = value written to the exit port */
	EXIT_MODE_QEMU,		/* status = (value << 1) | 1, like QEMU */
};

struct vm_config {
	const char *guest_path;
	int guest_nargs;		/* arguments after the image path */
	char **guest_args;
	unsigned int nr_cpus;
	uint64_t mem_size;
	uint64_t timeout_ms;		/* 0: none */
	const char *serial_path;	/* NULL: stdout */
	const char *dtb_path;
	const char *kvm_path;
	enum exit_mode exit_mode;
	bool verbose;
	bool strict_io;
	bool quiet;			/* no diagnostics on stderr (fpvm probe) */
	int serial_fd;			/* >= 0: serial output here (fpvm probe) */
	const void *image;		/* in-memory guest image instead of guest_path */
	size_t image_len;
	unsigned int max_cpus;		/* > nr_cpus: room for vm_add_vcpu() later */

	/* Guest FPU state */
	uint64_t xcr0;			/* 0: the guest default */
	bool amx;			/* request AMX guest permission */
	bool dump_fpstate;
	bool check_host_fpstate;
	const char *save_fpstate_dir;
};

enum cli_command {
	CLI_HELP,
	CLI_VERSION,
	CLI_RUN,
	CLI_PROBE,
	CLI_FPSTATE,
	CLI_LEAKCHECK,
};

enum leak_inject {
	INJECT_NONE,
	INJECT_CROSS_VM,	/* VM 1 vCPU 0's state into VM 0 vCPU 0 (KVM_SET_XSAVE) */
	INJECT_CROSS_VCPU,	/* VM 0 vCPU 1's state into VM 0 vCPU 0 */
	INJECT_HOST,		/* VM 0 vCPU 0's guest state into its host thread */
	INJECT_FRESH_VCPU,	/* VM 0 vCPU 0's state into VM 0's next fresh vCPU */
};

enum fpstate_op {
	FPSTATE_SHOW,
	FPSTATE_DIFF,
	FPSTATE_CHECK,
};

struct cli {
	enum cli_command cmd;
	struct vm_config vm;		/* run; probe uses kvm_path */
	bool json;			/* probe, fpstate */
	const char *save_cpuid;		/* probe --save-cpuid FILE */
	enum fpstate_op fpstate_op;
	const char *files[2];
	bool host;			/* fpstate check --host */
	struct {			/* leakcheck */
		unsigned int vms, cpus;
		uint64_t duration_ms;
		const char *json_path;
		bool tap;
		enum leak_inject inject;
	} leak;
};

#define FPVM_DEFAULT_MEM	(64ULL << 20)
#define FPVM_MIN_MEM		(2ULL << 20)
#define FPVM_MAX_MEM		(64ULL << 30)
#define FPVM_MAX_CPUS		1024

int cli_parse(int argc, char **argv, struct cli *cli, struct fpvm_error *err);
int parse_size(const char *s, uint64_t *out);
int parse_seconds_ms(const char *s, uint64_t *ms);
const char *cli_usage(void);

void json_str(FILE *f, const char *s);

/* Commands other than run (cmd_probe.c, cmd_fpstate.c); return an exit status. */
int cmd_probe(const struct cli *cli);
int cmd_fpstate(const struct cli *cli);
int cmd_leakcheck(const struct cli *cli);

/* ---- /dev/kvm (kvm.c) ---- */

/* System-level KVM calls; tests substitute a fake to reach every error. */
struct kvm_sys_ops {
	int (*ioctl)(int fd, unsigned long request, unsigned long arg);
};
extern const struct kvm_sys_ops kvm_sys_ops;

struct kvm {
	const struct kvm_sys_ops *ops;
	int fd;
	int api_version;
	int vcpu_mmap_size;
	int nr_vcpus;		/* recommended */
	int max_vcpus;
	bool has_tss_addr;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
};

int kvm_open(struct kvm *kvm, const char *path, struct fpvm_error *err);
int kvm_open_ops(struct kvm *kvm, const char *path, const struct kvm_sys_ops *ops,
		 struct fpvm_error *err);
void kvm_close(struct kvm *kvm);
const struct kvm_cpuid_entry2 *kvm_cpuid_find(const struct kvm_cpuid2 *cpuid, uint32_t function,
					      uint32_t index);

/* ---- the host's FPU (hostfpu.c) ---- */

struct host_fpu {
	uint64_t xcr0;			/* XGETBV(0) in this process */
	uint64_t xcomp_supp;		/* ARCH_GET_XCOMP_SUPP */
	uint64_t guest_perm;		/* ARCH_GET_XCOMP_GUEST_PERM */
	bool has_xcomp_supp;
	bool has_guest_perm;
	uint32_t mxcsr_mask;		/* FXSAVE */
	struct kvm_cpuid2 *cpuid;	/* host CPUID leaf 0xD */
	struct xstate_layout layout;
};

int host_fpu_probe(struct host_fpu *h, struct fpvm_error *err);
void host_fpu_release(struct host_fpu *h);
uint64_t host_fpu_user_features(const struct host_fpu *h);
/* Must run before the first vCPU exists (the first vCPU locks it). */
int host_request_amx_guest_perm(struct fpvm_error *err);
uint64_t host_xgetbv0(void);
void host_xsave(void *buf, uint64_t mask);
void host_xrstor(const void *buf, uint64_t mask);

/* ---- guest memory (memory.c) ---- */

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	uint8_t *host;		/* one mapping for all regions */
	uint64_t size;
	struct mem_region region[2];	/* below the MMIO hole, above 4 GiB */
	unsigned int nr_regions;
};

int guest_mem_alloc(struct guest_mem *mem, uint64_t size, struct fpvm_error *err);
void guest_mem_free(struct guest_mem *mem);
/* Host pointer for [gpa, gpa + len), or NULL unless it is all RAM. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
uint64_t guest_mem_low_top(const struct guest_mem *mem);

/* ---- machine layout (boot.c): page tables, GDT, entry registers ---- */

struct boot_layout {
	uint64_t stacks_base;	/* vCPU boot stacks: [stacks_base, low top) */
	uint64_t map_top;	/* identity map covers [0, map_top) */
	unsigned int nr_cpus;	/* started at boot (RDX, device tree) */
	unsigned int nr_slots;	/* boot stacks: nr_cpus plus vCPUs added later */
};

int boot_layout_init(struct boot_layout *b, const struct guest_mem *mem, unsigned int nr_cpus,
		     unsigned int nr_slots, struct fpvm_error *err);
int boot_write_tables(const struct boot_layout *b, const struct guest_mem *mem);
/* Entry state per guest/abi.h; @sregs comes from KVM_GET_SREGS. */
void boot_vcpu_state(const struct boot_layout *b, unsigned int cpu, uint64_t entry, bool xsave,
		     struct kvm_regs *regs, struct kvm_sregs *sregs);

/* ---- ELF loader (elf.c) ---- */

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t gpa;
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t mem_size;
	uint32_t flags;
};

struct elf_image {
	uint64_t entry;
	unsigned int nr_segments;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

struct addr_range {
	uint64_t start;
	uint64_t end;		/* exclusive */
	const char *what;
};

/* Where an image may load: RAM regions minus fpvm's own structures. */
struct load_limits {
	struct addr_range ram[2];
	unsigned int nr_ram;
	struct addr_range reserved[4];
	unsigned int nr_reserved;
};

void load_limits_init(struct load_limits *lim, const struct guest_mem *mem,
		      const struct boot_layout *b);
int elf_validate(const void *buf, size_t len, const struct load_limits *lim,
		 struct elf_image *img, struct fpvm_error *err);
int elf_load_file(const char *path, const struct guest_mem *mem, const struct load_limits *lim,
		  struct elf_image *img, struct fpvm_error *err);
/* @name only labels error messages. */
int elf_load_buffer(const void *buf, size_t len, const char *name, const struct guest_mem *mem,
		    const struct load_limits *lim, struct elf_image *img, struct fpvm_error *err);

/* ---- device tree (fdt.c) ---- */

struct machine_desc {
	const struct guest_mem *mem;
	const struct boot_layout *boot;
	uint64_t xcr0;			/* the guest XCR0 fpvm configured */
	const struct xstate_layout *layout;	/* where the guest's XSAVE components are */
	const char *image_path;		/* the guest's argv[0] */
	int nargs;
	char **args;
};

int fdt_build(void *buf, size_t size, const struct machine_desc *m);

/* ---- the VM (vm.c) ---- */

struct vcpu;
struct vm;

/*
 * What a VM does beyond running its guest (fpvm leakcheck); every hook is
 * optional, and a VM without ops runs exactly as fpvm run does.
 */
struct vm_ops {
	/*
	 * On the vCPU thread, after every KVM_RUN.  With cfg->check_host_fpstate
	 * it replaces vcpu_check_host_fpstate() and gets the host images.
	 */
	void (*after_run)(struct vcpu *vcpu);
	/* Control-port requests fpvm itself does not handle; returns -ENOSYS if unknown. */
	int (*ctl)(struct vm *vm, unsigned int cpu, uint32_t op, const void *payload,
		   uint32_t size);
	/* On the main thread, once guest state is configured, before any vCPU runs. */
	void (*start)(struct vm *vm);
	/* On the main thread, every tick_ms while the VM runs. */
	void (*tick)(struct vm *vm);
	unsigned int tick_ms;
};

struct vm {
	struct kvm *kvm;
	int fd;
	const struct vm_config *cfg;
	struct guest_mem mem;
	struct boot_layout boot;
	struct elf_image image;
	struct bus pio;
	struct bus mmio;
	struct serial8250 *serial;
	int serial_fd;
	bool serial_owned;
	struct debug_exit exit_dev;
	struct vcpu **vcpus;
	unsigned int nr_vcpus;

	const struct vm_ops *ops;
	void *ops_data;

	/* Guest FPU state, shared by every vCPU (vm_setup_fpstate()) */
	struct host_fpu host;
	struct xstate_layout guest_layout;	/* from KVM_GET_SUPPORTED_CPUID */
	uint64_t guest_xcr0;
	uint32_t xsave_size;			/* uABI buffer size */
	bool has_xsave2;
	atomic_ulong host_fpstate_changes;

	/* Lifecycle: the first stop request wins and sets the status. */
	pthread_mutex_t lock;
	atomic_bool stopping;
	unsigned int stop_flags;	/* STOP_* of the winning request */
	int status;
	char reason[160];
	atomic_uint running;
	int done_fd;		/* eventfd: wakes main when the VM ends */

	atomic_ulong unknown_pio;
	atomic_ulong unknown_mmio;
	pthread_mutex_t report_lock;	/* keeps multi-line diagnostics whole */
};

/* Every step from vm_create() to vm_run(), in this order; then vm_destroy(). */
int vm_boot(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg, struct fpvm_error *err);
/* vm_boot() with hooks in place from the start. */
int vm_boot_ops(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg,
		const struct vm_ops *ops, void *ops_data, struct fpvm_error *err);
int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg,
	      struct fpvm_error *err);
int vm_setup_fpstate(struct vm *vm, struct fpvm_error *err);
int vm_setup_devices(struct vm *vm, struct fpvm_error *err);
/* Creates the devices on vm->serial_fd and registers them on the buses. */
int vm_attach_devices(struct vm *vm, struct fpvm_error *err);
int vm_load_guest(struct vm *vm, struct fpvm_error *err);
int vm_write_fdt(struct vm *vm, struct fpvm_error *err);
int vm_create_vcpus(struct vm *vm, struct fpvm_error *err);
/*
 * A vCPU created and started while the VM runs (up to cfg->max_cpus).
 * @xsave, if not NULL, replaces its initial XSAVE image (validated first).
 */
struct vcpu *vm_add_vcpu(struct vm *vm, const void *xsave, struct fpvm_error *err);
int vm_run(struct vm *vm, struct fpvm_error *err);
/* After vm_run(): --dump-fpstate and --save-fpstate. */
int vm_report_fpstate(struct vm *vm, struct fpvm_error *err);
void vm_destroy(struct vm *vm);

#define STOP_DUMP_REGS	(1U << 0)	/* every running vCPU dumps its registers */
#define STOP_GUEST_EXIT	(1U << 1)	/* the guest asked to exit: not news */
#define STOP_REPORTED	(1U << 2)	/* a full diagnostic is already on stderr */

void vm_request_stop(struct vm *vm, int status, unsigned int flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool vm_stopping(struct vm *vm);
void vm_vcpu_finished(struct vm *vm);
/* Writes one block to stderr without interleaving with other vCPUs. */
void vm_report(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- fpvm leakcheck (leak_scan.c, leak_report.c, leak_vm.c, cmd_leakcheck.c) ---- */

struct fpvm_leak_report;

/* Where a leaked value turned up. */
enum leak_victim_kind {
	LEAK_GUEST,	/* a writer's own registers, as the guest read them */
	LEAK_KVM,	/* a writer's state as KVM_GET_XSAVE2 returned it */
	LEAK_READER,	/* a freshly created vCPU's first XSAVE */
	LEAK_HOST,	/* the VMM thread's registers after KVM_RUN */
	LEAK_NR_KINDS,
};

struct leak_finding {
	uint8_t kind;			/* enum leak_victim_kind */
	uint8_t attributed;		/* src_* and round are known */
	uint16_t reg, word;		/* where it was found (guest/canary.h ids) */
	uint32_t offset;		/* byte offset in the XSAVE image */
	uint32_t victim_vm, victim_vcpu;
	uint32_t src_vm, src_vcpu, round;
	uint64_t value;
	uint64_t t_ms;			/* since the run started */
};

/* A source-to-victim cell: how many words, and the first of them. */
struct leak_cell {
	struct leak_finding first;
	uint64_t count;
};

struct leak_table {
	struct leak_cell *cells;
	unsigned int nr, cap;
};

void leak_table_add(struct leak_table *t, const struct leak_finding *f, uint64_t count);
void leak_table_free(struct leak_table *t);
uint64_t leak_table_total(const struct leak_table *t);

/* Where the 8-byte register words of an XSAVE image are, walked once per layout. */
struct leak_slot {
	uint32_t offset;
	uint16_t reg;
	uint8_t word, bit;
};

struct leak_slots {
	unsigned int nr;
	uint32_t size;			/* bytes of the image the slots cover */
	struct leak_slot *slot;
};

int leak_slots_init(struct leak_slots *ls, const struct xstate_layout *l, uint64_t xcr0);
void leak_slots_free(struct leak_slots *ls);
/* A writer's KVM state: every word zero or its own canary.  Returns words scanned. */
unsigned int leak_scan_kvm(const struct leak_slots *ls, const uint8_t *buf, unsigned int vm,
			   unsigned int vcpu, uint64_t t_ms, struct leak_table *t);
/* Host registers: words changed across KVM_RUN that decode, in place, as a canary. */
unsigned int leak_scan_host(const struct leak_slots *ls, const uint8_t *before,
			    const uint8_t *after, unsigned int vm, unsigned int vcpu,
			    unsigned int nr_vms, uint64_t t_ms, struct leak_table *t);
/* A guest's report of words that are not what they should be. */
void leak_report_findings(const struct fpvm_leak_report *rep, enum leak_victim_kind kind,
			  unsigned int vm, uint64_t t_ms, struct leak_table *t);
const char *leak_reg_name(unsigned int reg, char *buf, size_t size);
const char *leak_kind_name(unsigned int kind);

#define LEAK_MAX_VMS	32	/* canary VM ids: 5 bits */
#define LEAK_MAX_CPUS	16	/* writers per VM; readers take the rest of 64 */

/* One leakcheck run; each VM is a process of its own (leak_vm.c). */
struct leak_config {
	unsigned int nr_vms;
	unsigned int writers;		/* vCPUs per VM at boot */
	unsigned int duration_ms;
	uint64_t xcr0;			/* 0: the guest default */
	const char *kvm_path;
};

/* Coordinator <-> VM process messages (SOCK_SEQPACKET): header, then data. */
enum leak_msg_type {
	LK_STATS = 1,		/* VM: struct leak_stats */
	LK_ARMED,		/* VM: every writer's registers hold canaries */
	LK_STATE,		/* VM: vCPU state captured for LK_CAPTURE (uABI buffer) */
	LK_INJECTED,		/* VM: an injection took effect on @vcpu */
	LK_CELL,		/* VM: struct leak_cell, at the end */
	LK_DONE,		/* VM: @arg exit status, then the stop reason */
	LK_CAPTURE,		/* coordinator: send @vcpu's state */
	LK_INJECT,		/* coordinator: KVM_SET_XSAVE this buffer into @vcpu */
	LK_INJECT_VCPU,		/* coordinator: @arg's state into @vcpu, same VM */
	LK_INJECT_HOST,		/* coordinator: load @vcpu's guest state into its host thread */
	LK_INJECT_FRESH,	/* coordinator: @vcpu's state into the next fresh vCPU */
};

struct leak_msg {
	uint32_t type, vcpu, arg, len;
};

struct leak_stats {
	uint64_t rounds, exits, host_bytes, kvm_bytes, guest_bytes;
	uint64_t readers, leaks;
	uint64_t xcr0;
};

int leak_vm_main(const struct leak_config *c, unsigned int vm_id, int sock);

/* What a run found and did, for the report (leak_report.c). */
struct leak_run {
	const struct leak_config *cfg;
	enum leak_inject inject;
	bool injected;
	uint64_t injected_ms;
	struct leak_finding expect;	/* the injected leak: source and victim */
	struct leak_stats total;
	uint64_t elapsed_ms;
	struct leak_table table;
	int status;
	char verdict[200];
};

const char *leak_inject_name(enum leak_inject inject);
const char *leak_component_name(unsigned int reg, unsigned int word);
bool leak_cell_expected(const struct leak_run *run, const struct leak_cell *c);
/* Sets status and verdict from the findings and the injection, if any. */
void leak_judge(struct leak_run *run);
void leak_print_text(FILE *f, const struct leak_run *run);
void leak_print_json(FILE *f, const struct leak_run *run);
void leak_print_tap(FILE *f, const struct leak_run *run);
int leak_send(int sock, uint32_t type, uint32_t vcpu, uint32_t arg, const void *data,
	      uint32_t len);

/* The control port's request handler (ctl.c). */
extern const struct bus_device_ops fpvm_ctl_ops;

#endif
