// SPDX-License-Identifier: MIT
/*
 * fpvm run: opens what the user named (files, KVM), boots the guest, and
 * turns how it ended into fpvm's exit status.  --dump-fpstate and
 * --save-fpstate happen here, after the VM stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../snapshot/check.h"
#include "../vcpu/vcpu.h"
#include "cmd.h"

static int open_output(const char *option, const char *path, int *fd)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd >= 0)
		return 0;
	fprintf(stderr, "fpvm: %s %s: %s\n", option, path, strerror(errno));
	return FPVM_EXIT_IOERR;
}

/* After the run: every vCPU's guest fpstate, decoded or saved. */
static int report_fpstate(const struct run_opts *o, struct vm *vm)
{
	struct fpvm_error err = { 0 };
	struct fpregs *r;
	int status = 0;

	if (!o->dump_fpstate && !o->save_fpstate_dir)
		return 0;
	if (o->save_fpstate_dir && mkdir(o->save_fpstate_dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "fpvm: --save-fpstate %s: %s\n", o->save_fpstate_dir,
			strerror(errno));
		return FPVM_EXIT_IOERR;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		struct fpstate_error ferr;

		/* Keep what KVM returned even if it fails validation: it is evidence. */
		if ((vcpu_sync_xcr0(vcpu, &err) || vcpu_sync_fpstate(vcpu, &err)) && !status)
			status = report_error(&err);
		if (o->save_fpstate_dir &&
		    fpstate_file_save(o->save_fpstate_dir, (int)i, &vcpu->guest_fps, vcpu->xcr0,
				      &ferr) && !status) {
			fprintf(stderr, "fpvm: --save-fpstate: %s\n", ferr.msg);
			status = FPVM_EXIT_IOERR;
		}
		if (!o->dump_fpstate)
			continue;
		fpstate_decode(&vm->fpu.cfg->layout, vcpu->guest_fps.xfeatures, vcpu->guest_fps.buf,
			       vcpu->guest_fps.size, r);
		printf("--- vcpu %u fpstate (XCR0 0x%llx, %u bytes) ---\n", i,
		       (unsigned long long)vcpu->xcr0, vcpu->guest_fps.size);
		fpregs_print_text(stdout, r);
	}
	fflush(stdout);
	free(r);
	return status;
}

int restore_check(const struct vm_snapshot *s, struct kvm *kvm,
		  const struct guest_fpu_cfg *fpu_cfg, struct fpvm_error *err)
{
	struct snapshot_findings *f = calloc(1, sizeof(*f));
	unsigned int errors;

	if (!f)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	vm_snapshot_check(s, kvm, fpu_cfg, f);
	for (unsigned int i = 0; i < f->nr; i++)
		fprintf(stderr, "fpvm: restore %s: %s: %s\n", s->path,
			f->item[i].error ? "error" : "warning", f->item[i].msg);
	if (f->dropped)
		fprintf(stderr, "fpvm: restore %s: %u more findings not shown\n", s->path,
			f->dropped);
	errors = f->nr_errors;
	free(f);
	if (errors)
		return fpvm_fail(err, FPVM_ERR_INCOMPATIBLE, EINVAL, "snapshot %s does not fit this "
				 "host: %u mismatch%s above", s->path, errors, errors == 1 ? "" : "es");
	return 0;
}

/* The snapshot's VM, its loaded fpstate saved if asked (before it runs), then run. */
static int restore_vm(const struct run_opts *o, struct vm *vm, struct kvm *kvm,
		      const struct guest_fpu_cfg *fpu_cfg, const struct vm_config *cfg,
		      struct gdb_stub *stub, struct fpvm_error *err)
{
	uint64_t t;
	int r = vm_restore(vm, kvm, fpu_cfg, cfg, o->restore, err);

	if (!r && stub) {
		vm->ops = &gdb_stub_vm_ops;
		vm->ops_data = stub;
	}

	if (!r && o->save_loaded_dir && mkdir(o->save_loaded_dir, 0755) && errno != EEXIST)
		r = fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "--save-loaded-fpstate %s: %s",
			      o->save_loaded_dir, strerror(errno));
	for (unsigned int i = 0; !r && o->save_loaded_dir && i < vm->nr_vcpus; i++) {
		struct fpstate_error ferr;

		if (fpstate_file_save(o->save_loaded_dir, (int)i, &vm->vcpus[i]->guest_fps,
					   vm->vcpus[i]->xcr0, &ferr))
			r = fpvm_fail(err, FPVM_ERR_OUTPUT, EIO, "--save-loaded-fpstate: %s",
				      ferr.msg);
	}
	if (r)
		return r;
	t = vm_now_ns();
	r = vm_run(vm, err);
	vm->stats.phase_ns[VM_PHASE_RUN] = vm_now_ns() - t;
	return r;
}

/*
 * The image and the modules (a Linux initrd) are in guest memory once the VM
 * is prepared: let them go before the guest runs, or a Linux guest's 10+ MiB
 * kernel and its initrd stay in fpvm's private memory for the whole run.
 */
static void release_inputs(struct vm_config *cfg, uint8_t **image)
{
	vm_release_modules(cfg);
	free(*image);
	*image = NULL;
	cfg->image = NULL;
}

static int boot_vm(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		   struct vm_config *cfg, uint8_t **image, struct gdb_stub *stub,
		   struct fpvm_error *err)
{
	uint64_t t;
	int r = vm_prepare_ops(vm, kvm, fpu_cfg, cfg, stub ? &gdb_stub_vm_ops : NULL, stub, err);

	if (r)
		return r;
	release_inputs(cfg, image);
	t = vm_now_ns();
	r = vm_run(vm, err);
	vm->stats.phase_ns[VM_PHASE_RUN] = vm_now_ns() - t;
	return r;
}

static int run_vm(const struct run_opts *o, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		  struct vm_config *cfg, uint8_t **image, struct vm_run_stats *rs)
{
	struct fpvm_error err = { 0 };
	struct gdb_stub *stub = NULL;
	uint64_t t;
	struct vm vm;
	int status;

	/* Whether the snapshot fits, before there is a VM to tear down. */
	if (o->restore && restore_check(o->restore, kvm, fpu_cfg, &err))
		return report_error(&err);
	/* The socket before the VM: a port in use is an error before the guest runs. */
	if (o->gdb) {
		if (gdb_stub_open(&stub, &o->gdb_spec, o->gdb_wait, &err))
			return report_error(&err);
		fprintf(stderr, "fpvm: gdb stub on %s%s\n", gdb_stub_address(stub),
			o->gdb_wait ? ", the guest waits for gdb to continue it" : "");
	}
	if (o->restore ? restore_vm(o, &vm, kvm, fpu_cfg, cfg, stub, &err)
		       : boot_vm(&vm, kvm, fpu_cfg, cfg, image, stub, &err)) {
		status = report_error(&err);
	} else {
		status = status_of_stop(vm.stop, vm.stop_value, o->exit_mode);
		/* The guest's own status is the normal outcome; anything else is news. */
		if (!(vm.stop_flags & (STOP_GUEST_EXIT | STOP_REPORTED)))
			report_stop(vm.stop, vm.reason);
		status = report_fpstate(o, &vm) ?: status;
		if (cfg->check_host_fpstate && atomic_load(&vm.host_fpstate_changes)) {
			fprintf(stderr, "fpvm: host registers changed across KVM_RUN %lu times "
				"(--check-host-fpstate)\n", atomic_load(&vm.host_fpstate_changes));
			status = FPVM_EXIT_HOST_FPSTATE;
		}
	}
	gdb_stub_close(stub, status);
	if (cfg->stats && vm_stats_collect(rs, &vm)) {
		fprintf(stderr, "fpvm: --stats: out of memory\n");
		status = status ?: FPVM_EXIT_SOFTWARE;
	}
	t = vm_now_ns();
	vm_destroy(&vm);
	rs->teardown_ns = vm_now_ns() - t;
	return status;
}

static int print_stats(const struct run_opts *o, int fd, struct vm_run_stats *rs)
{
	FILE *f = fd >= 0 ? fdopen(fd, "w") : stderr;
	int status = 0;

	if (!f) {
		fprintf(stderr, "fpvm: --stats-file %s: %s\n", o->stats_path, strerror(errno));
		close(fd);
		return FPVM_EXIT_IOERR;
	}
	vm_stats_print(f, o->stats_json, rs);
	if (f != stderr && (ferror(f) | fclose(f))) {
		fprintf(stderr, "fpvm: --stats-file %s: write failed\n", o->stats_path);
		status = FPVM_EXIT_IOERR;
	}
	return status;
}

static int run(const void *opts)
{
	return run_with_opts(opts);
}

int run_with_opts(const struct run_opts *o)
{
	uint64_t t0 = vm_now_ns(), t;
	struct vm_run_stats rs = { 0 };
	struct vm_config cfg = o->vm;
	struct fpvm_error err = { 0 };
	struct guest_fpu_open_times ot;
	struct guest_fpu_cfg fpu_cfg;
	int status, stats_fd = -1;
	uint8_t *image = NULL;
	struct kvm kvm;

	signal(SIGPIPE, SIG_IGN);
	cfg.serial_fd = STDOUT_FILENO;
	cfg.stats = o->stats_json || o->stats_path || o->stats_text;
	cfg.seccomp = o->no_seccomp ? SECCOMP_OFF : seccomp_policy_for(SECCOMP_ALL);
	seccomp_set_way_out("--no-seccomp turns the filters off");
	if (o->serial_path && (status = open_output("--serial", o->serial_path, &cfg.serial_fd)))
		return status;
	if (o->dtb_path && (status = open_output("--dump-dtb", o->dtb_path, &cfg.dtb_fd)))
		goto out;
	if (o->stats_path && (status = open_output("--stats-file", o->stats_path, &stats_fd)))
		goto out;
	/* All that needs no KVM first: a bad image is a bad image on any machine. */
	if (!o->restore && vm_check_image(&cfg, &image, &err)) {
		status = report_error(&err);
		goto out;
	}
	if (guest_fpu_open(&kvm, &fpu_cfg, o->kvm_path, o->amx, &ot, &err)) {
		status = report_error(&err);
		goto out;
	}
	rs.kvm_open_ns = ot.kvm_open_ns;
	rs.fpu_cfg_ns = ot.fpu_cfg_ns;
	/* What a snapshot needs of KVM, asked before seccomp would forbid it. */
	if (cfg.snapshot_dir && kvm_msr_index_list(&kvm, &err))
		status = report_error(&err);
	else
		status = run_vm(o, &kvm, &fpu_cfg, &cfg, &image, &rs);
	t = vm_now_ns();
	guest_fpu_close(&kvm, &fpu_cfg);
	rs.teardown_ns += vm_now_ns() - t;
	rs.total_ns = vm_now_ns() - t0;
	if (cfg.stats) {
		status = print_stats(o, stats_fd, &rs) ?: status;
		stats_fd = -1;
	}
	vm_stats_release(&rs);
out:
	vm_release_modules(&cfg);
	free(image);
	if (stats_fd >= 0)
		close(stats_fd);
	if (cfg.dtb_fd >= 0)
		close(cfg.dtb_fd);
	if (cfg.serial_fd != STDOUT_FILENO)
		close(cfg.serial_fd);
	return status;
}

static int set_cpus(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;
	int r = parse_uint(arg, 1, FPVM_MAX_CPUS, &o->vm.nr_cpus);

	if (r == -ERANGE)
		return USAGE_FAIL(err, "--cpus %s: out of range (1..%d)", arg, FPVM_MAX_CPUS);
	if (r)
		return USAGE_FAIL(err, "--cpus '%s': not a number", arg);
	return 0;
}

static int set_mem(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;
	int r = parse_size(arg, &o->vm.mem_size);

	if (r == -EINVAL)
		return USAGE_FAIL(err, "--mem '%s': not a size (examples: 64M, 1G, 512)", arg);
	if (r || o->vm.mem_size < FPVM_MIN_MEM || o->vm.mem_size > FPVM_MAX_MEM)
		return USAGE_FAIL(err, "--mem %s: out of range (2M..64G)", arg);
	return 0;
}

int run_set_timeout(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;
	int r = parse_seconds_ms(arg, &o->vm.timeout_ms);

	if (r == -ERANGE)
		return USAGE_FAIL(err, "--timeout %s: too large", arg);
	if (r)
		return USAGE_FAIL(err, "--timeout '%s': not a number of seconds", arg);
	/* 0 would mean no timeout at all: without --timeout there is none. */
	if (!o->vm.timeout_ms)
		return USAGE_FAIL(err, "--timeout %s: must be more than 0 seconds", arg);
	return 0;
}

int run_set_exit_status(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;

	if (!strcmp(arg, "direct"))
		o->exit_mode = EXIT_MODE_DIRECT;
	else if (!strcmp(arg, "qemu"))
		o->exit_mode = EXIT_MODE_QEMU;
	else
		return USAGE_FAIL(err, "--exit-status '%s': expected 'direct' or 'qemu'", arg);
	return 0;
}

static int set_xcr0(void *opts, const char *arg, struct fpvm_error *err)
{
	return parse_xcr0("--xcr0", arg, &((struct run_opts *)opts)->vm.xcr0, err);
}

int run_set_stats(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;

	if (arg && strcmp(arg, "json"))
		return USAGE_FAIL(err, "--stats=%s: expected --stats or --stats=json", arg);
	o->stats_text = !arg;
	o->stats_json = arg != NULL;
	return 0;
}

int run_set_gdb(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;

	if (gdb_spec_parse(arg, &o->gdb_spec, err))
		return usage_fail_after(err, "--gdb: ");
	o->gdb = true;
	return 0;
}

static int add_module(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;

	if (o->vm.nr_modules == VM_MAX_MODULES)
		return USAGE_FAIL(err, "--module: at most %d modules", VM_MAX_MODULES);
	if (!*arg || *arg == ',')
		return USAGE_FAIL(err, "--module '%s': expected FILE or FILE,STRING", arg);
	o->vm.modules[o->vm.nr_modules++] = arg;
	return 0;
}

static int set_affinity(void *opts, const char *arg, struct fpvm_error *err)
{
	struct run_opts *o = opts;

	if (parse_vcpu_placement(arg, &o->affinity, err))
		return usage_fail_after(err, "--affinity ");
	o->vm.affinity = &o->affinity;
	return 0;
}

static int set_sched(void *opts, const char *arg, struct fpvm_error *err)
{
	if (parse_sched_choice(arg, &((struct run_opts *)opts)->vm.sched, err))
		return usage_fail_after(err, "--sched ");
	return 0;
}

static const struct opt run_opts[] = {
	OPT_CALL("cpus", 'c', "N", set_cpus, "vCPUs, one thread each (default 1, at most KVM's limit)"),
	OPT_CALL("mem", 'm', "SIZE", set_mem, "guest RAM; suffix K, M or G, plain numbers are MiB\n"
		 "(default 64M, 256M for a Linux kernel; from 2M to 64G)"),
	OPT_CALL("timeout", 't', "SECONDS", run_set_timeout,
		 "stop the guest after SECONDS (more than 0, may be\nfractional); exit status 124"),
	OPT_STRING("serial", 0, "FILE", struct run_opts, serial_path,
		   "write the guest's serial output to FILE, not stdout"),
	OPT_CALL("exit-status", 0, "MODE", run_set_exit_status,
		 "direct: status = value written to port 0xf4 (default)\n"
		 "qemu:   status = (value << 1) | 1, like QEMU's\n        isa-debug-exit"),
	OPT_FLAG("strict-io", 0, struct run_opts, vm.strict_io,
		 "an access to an unknown port or MMIO address is fatal\n"
		 "(exit status 117) instead of reading all-ones"),
	OPT_STRING("dump-dtb", 0, "FILE", struct run_opts, dtb_path,
		   "write the device tree given to the guest to FILE"),
	OPT_STRING("kvm", 0, "PATH", struct run_opts, kvm_path,
		   "KVM device to use (default /dev/kvm)"),
	OPT_CALL("module", 0, "FILE[,STR]", add_module,
		 "a Multiboot module, with STR as its string; may be\ngiven up to 16 times"),
	OPT_CALL("initrd", 0, "FILE", add_module,
		 "a Linux kernel's initramfs (one); for a Multiboot\nkernel, the same as --module FILE"),
	OPT_FLAG("verbose", 'v', struct run_opts, vm.verbose,
		 "report setup and I/O statistics on stderr"),
	OPT_SECTION("Where the vCPU threads run:"),
	OPT_CALL("affinity", 0, "VCPU:CPUS,...", set_affinity,
		 "host CPUs per vCPU thread, e.g. 0:2,1:3 or 0:0-1;\n"
		 "all:CPUS for every vCPU without its own entry"),
	OPT_CALL("sched", 0, "POLICY", set_sched,
		 "the vCPU threads' policy: other, batch, idle, fifo:PRIO\n"
		 "or rr:PRIO (PRIO 1-99; refused with status 77 where\n"
		 "the process may not use real-time policies)"),
	OPT_SECTION("Guest FPU state:"),
	OPT_CALL("xcr0", 0, "FEATURES", set_xcr0,
		 "guest XCR0: names (x87,sse,avx,avx512,pkru,amx,...)\n"
		 "or a number; default: what KVM and the host support"),
	OPT_FLAG("amx", 0, struct run_opts, amx,
		 "request AMX guest permission (before any vCPU exists)"),
	OPT_FLAG("dump-fpstate", 0, struct run_opts, dump_fpstate,
		 "print every vCPU's decoded guest registers at exit"),
	OPT_STRING("save-fpstate", 0, "DIR", struct run_opts, save_fpstate_dir,
		   "write DIR/vcpuN.xsave (KVM's buffer) and vcpuN.layout"),
	OPT_FLAG("check-host-fpstate", 0, struct run_opts, vm.check_host_fpstate,
		 "compare this process's registers across every\n"
		 "KVM_RUN; report changes by register (status 120)"),
	OPT_FLAG("no-seccomp", 0, struct run_opts, no_seccomp,
		 "run without the system call allow-lists of the vCPU\n"
		 "and main threads (for debugging; see docs/security.md)"),
	OPT_SECTION("Debugging (docs/debugging.md):"),
	OPT_CALL("gdb", 0, "tcp:[HOST:]PORT|unix:PATH", run_set_gdb,
		 "serve gdb's remote protocol there (HOST: 127.0.0.1\n"
		 "unless given; a unix socket is mode 0600); one client"),
	OPT_FLAG("gdb-wait", 0, struct run_opts, gdb_wait,
		 "with --gdb: the guest starts stopped, until gdb\n"
		 "continues it"),
	OPT_SECTION("Snapshots:"),
	OPT_STRING("snapshot-dir", 0, "DIR", struct run_opts, vm.snapshot_dir,
		   "on SIGUSR1, or when the guest asks, pause every vCPU\n"
		   "and write a snapshot to DIR, then go on; a later one\n"
		   "replaces it (fpvm restore DIR resumes it)"),
	OPT_SECTION("Statistics:"),
	OPT_CALL_OPTIONAL("stats", 0, "json", run_set_stats,
			  "at exit: time per phase, exits by reason per vCPU,\n"
			  "KVM_RUN against VMM time (and per exit), each vCPU\n"
			  "thread's host CPUs, context switches and\n"
			  "migrations, RSS/PSS/USS; on stderr"),
	OPT_STRING("stats-file", 0, "FILE", struct run_opts, stats_path,
		   "write the --stats report to FILE instead"),
};

void run_opts_init(void *opts)
{
	*(struct run_opts *)opts = (struct run_opts){
		.vm = {
			.nr_cpus = 1,
			.mem_size = 0,	/* the image's kind decides */
			.serial_fd = -1,
			.dtb_fd = -1,
		},
		.kvm_path = "/dev/kvm",
		.exit_mode = EXIT_MODE_DIRECT,
	};
}

/* GUEST [--] [GUEST-ARGS...]: everything after the image is the guest's. */
static int run_operands(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	struct run_opts *o = opts;
	int i = 0;

	if (argc < 1)
		return USAGE_FAIL(err, "run: no guest image given");
	o->vm.guest_path = argv[i++];
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	o->vm.guest_nargs = argc - i;
	o->vm.guest_args = &argv[i];
	if (o->gdb_wait && !o->gdb)
		return USAGE_FAIL(err, "--gdb-wait: needs --gdb");
	/* After every option: --cpus may come after --affinity. */
	if (o->vm.affinity && placement_check(o->vm.affinity, o->vm.nr_cpus, err))
		return usage_fail_after(err, "--affinity: ");
	return 0;
}

const struct command cmd_run = {
	.name = "run",
	.synopsis = "[OPTIONS] GUEST [--] [GUEST-ARGS...]",
	.summary = "boot a test guest; its exit value is fpvm's status",
	.description =
		"Boots GUEST, a static x86-64 ELF test guest, a Multiboot v1 kernel, a Linux\n"
		"bzImage or an ELF vmlinux with a PVH entry note, under KVM. The value the guest writes to the exit port (0xf4) becomes\n"
		"fpvm's exit status. A Linux kernel's command line is GUEST-ARGS after\n"
		"'console=ttyS0 panic=-1' (each left out when GUEST-ARGS set it); its ACPI\n"
		"power-off is status 0, its reboot 118, its 'Kernel panic' line 119.",
	.opts = run_opts,
	.nr_opts = NR_OPTS(run_opts),
	.operands_end_options = true,
	.init = run_opts_init,
	.operands = run_operands,
	.run = run,
	.statuses =
		"the guest's value (0-255); 64 usage error; 65 bad guest image;\n"
		"69 KVM unavailable; 70 internal error; 74 output file error; 77 --sched: a\n"
		"real-time policy this process may not use; 111 unexpected KVM exit;\n"
		"112 guest exception; 113 triple fault; 114 entry failure;\n"
		"115 KVM internal error; 116 all vCPUs halted; 117 --strict-io violation;\n"
		"118 system event (a Linux reboot); 119 guest panic (a Linux kernel panic);\n"
		"120 host registers changed across KVM_RUN; 121 invalid guest fpstate from\n"
		"KVM; 124 timeout; 130 SIGINT; 143 SIGTERM.",
};
