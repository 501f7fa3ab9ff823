// SPDX-License-Identifier: MIT
/*
 * fpvm restore: a snapshot of fpvm run --snapshot-dir resumed in this
 * process, with run's exit statuses; --check only says whether it would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../snapshot/snapshot.h"
#include "cmd.h"

/*
 * A snapshot whose guest has AMX state needs the guest permission before
 * KVM reports its CPUID (vcpu/fpu.h).  The snapshot asks for it, not
 * --amx; a CPU or kernel without AMX is a host the snapshot does not fit.
 */
static int amx_permission(const struct vm_snapshot *s, struct fpvm_error *err)
{
	int r;

	if (!(s->m->guest_xcr0 & XFEATURE_MASK_XTILE))
		return 0;
	r = host_request_amx_guest_perm(err);
	err->item = CFG_NONE;
	if (r == -EINVAL || r == -EOPNOTSUPP)
		return fpvm_fail(err, FPVM_ERR_INCOMPATIBLE, -r, "snapshot %s does not fit this "
				 "host: its guest has AMX state (XCR0 0x%llx), and this CPU or "
				 "kernel has no AMX", s->path, (unsigned long long)s->m->guest_xcr0);
	return r;
}

/*
 * Everything but KVM_RUN: the parts, memory included, and what KVM would
 * refuse of them (vm_snapshot_open()), before /dev/kvm is opened; then
 * this host.
 */
static int check_only(const struct restore_opts *ro, struct vm_snapshot *s)
{
	struct fpvm_error err = { 0 };
	struct guest_fpu_cfg fpu_cfg;
	struct kvm kvm;
	int r;

	/* AMX permission first, as the snapshot asks it; then KVM (guest_fpu_open()). */
	if (vm_snapshot_verify_memory(s, &err) || amx_permission(s, &err) ||
	    guest_fpu_open(&kvm, &fpu_cfg, ro->run.kvm_path, false, NULL, &err))
		return report_error(&err);
	r = restore_check(s, &kvm, &fpu_cfg, &err);
	guest_fpu_close(&kvm, &fpu_cfg);
	if (r)
		return report_error(&err);
	printf("snapshot %s: restores on this host (%u vCPUs, %llu MiB, XCR0 0x%llx)\n",
	       ro->path, s->m->nr_cpus, (unsigned long long)(s->m->mem_size >> 20),
	       (unsigned long long)s->m->guest_xcr0);
	return 0;
}

static int restore(const void *opts)
{
	const struct restore_opts *ro = opts;
	struct run_opts o = ro->run;
	struct fpvm_error err = { 0 };
	struct vm_snapshot s;
	int status;

	/* Every part read and checked, memory too, before KVM: a bad snapshot is one anywhere. */
	if (vm_snapshot_open(&s, ro->path, &err)) {
		status = report_error(&err);
	} else if (ro->check) {
		status = check_only(ro, &s);
	} else if (vm_snapshot_read_memory(&s, &err) || amx_permission(&s, &err)) {
		status = report_error(&err);
	} else {
		vm_snapshot_config(&s, &o.vm);
		o.restore = &s;
		status = run_with_opts(&o);
	}
	vm_snapshot_close(&s);
	return status;
}

/* run's setters take a struct run_opts, and restore's options begin with one. */
_Static_assert(offsetof(struct restore_opts, run) == 0, "restore_opts must begin with run_opts");

static const struct opt restore_opts[] = {
	OPT_FLAG("check", 0, struct restore_opts, check,
		 "only check: every part (memory included) and whether\n"
		 "the snapshot fits this host, each mismatch named;\n"
		 "no vCPU runs (status 0, 65 or 110)"),
	OPT_CALL("timeout", 't', "SECONDS", run_set_timeout,
		 "stop the guest SECONDS after the restore; status 124"),
	OPT_STRING("serial", 0, "FILE", struct restore_opts, run.serial_path,
		   "write the guest's serial output to FILE, not stdout"),
	OPT_CALL("exit-status", 0, "MODE", run_set_exit_status, "direct (default) or qemu, as for run"),
	OPT_FLAG("strict-io", 0, struct restore_opts, run.vm.strict_io,
		 "an access to no device is fatal (status 117)"),
	OPT_STRING("kvm", 0, "PATH", struct restore_opts, run.kvm_path,
		   "KVM device to use (default /dev/kvm)"),
	OPT_FLAG("verbose", 'v', struct restore_opts, run.vm.verbose,
		 "report setup and I/O statistics on stderr"),
	OPT_STRING("snapshot-dir", 0, "DIR", struct restore_opts, run.vm.snapshot_dir,
		   "snapshots of the restored guest go to DIR (as run)"),
	OPT_CALL("gdb", 0, "tcp:[HOST:]PORT|unix:PATH", run_set_gdb,
		 "serve gdb's remote protocol there, as for run"),
	OPT_FLAG("gdb-wait", 0, struct restore_opts, run.gdb_wait,
		 "with --gdb: the restored guest waits for gdb"),
	OPT_SECTION("Guest FPU state:"),
	OPT_STRING("save-loaded-fpstate", 0, "DIR", struct restore_opts, run.save_loaded_dir,
		   "before the guest runs: every vCPU's XSAVE image as KVM\n"
		   "holds it after the restore, to compare with the\n"
		   "snapshot's (fpvm fpstate diff SNAP/gen-N/vcpu0.xsave\n"
		   "DIR/vcpu0.xsave; N: fpvm snapshot show SNAP)"),
	OPT_FLAG("dump-fpstate", 0, struct restore_opts, run.dump_fpstate,
		 "print every vCPU's decoded guest registers at exit"),
	OPT_STRING("save-fpstate", 0, "DIR", struct restore_opts, run.save_fpstate_dir,
		   "at exit: DIR/vcpuN.xsave and vcpuN.layout"),
	OPT_FLAG("check-host-fpstate", 0, struct restore_opts, run.vm.check_host_fpstate,
		 "compare this process's registers across every KVM_RUN"),
	OPT_FLAG("no-seccomp", 0, struct restore_opts, run.no_seccomp,
		 "run without the system call allow-lists"),
	OPT_SECTION("Statistics:"),
	OPT_CALL_OPTIONAL("stats", 0, "json", run_set_stats, "at exit, as for run"),
	OPT_STRING("stats-file", 0, "FILE", struct restore_opts, run.stats_path,
		   "write the --stats report to FILE instead"),
};

static void restore_init(void *opts)
{
	*(struct restore_opts *)opts = (struct restore_opts){ 0 };
	run_opts_init(opts);
}

static int restore_operands(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	struct restore_opts *o = opts;

	if (argc != 1)
		return USAGE_FAIL(err, "restore: expected one snapshot directory");
	o->path = argv[0];
	if (o->run.gdb_wait && !o->run.gdb)
		return USAGE_FAIL(err, "--gdb-wait: needs --gdb");
	return 0;
}

const struct command cmd_restore = {
	.name = "restore",
	.synopsis = "[OPTIONS] SNAPSHOT-DIR",
	.summary = "resume a snapshot of fpvm run --snapshot-dir in a new process",
	.description =
		"Reads every part of SNAPSHOT-DIR once and verifies it (sizes and CRC-32C\n"
		"checksums) and checks that KVM would take the saved state (control\n"
		"registers, MP state, XCR0, CPUID, XSAVE image) by the snapshot's own CPUID,\n"
		"all before /dev/kvm is opened; compares what its guest was given (CPUID\n"
		"features, XCR0, the XSAVE features it holds, MSRs) with this host, then\n"
		"creates the VM it describes, loads its state in the order KVM needs, reads\n"
		"every vCPU's XSAVE image back and compares it register by register, and\n"
		"resumes the guest. XSAVE images are converted where this host's layout\n"
		"differs. A guest that asked for the snapshot sees 1 as its request's\n"
		"result here, and 0 in the run that took it. SNAPSHOT-DIR is the directory\n"
		"given to --snapshot-dir: it reads the snapshot its manifest names.",
	.opts = restore_opts,
	.nr_opts = NR_OPTS(restore_opts),
	.init = restore_init,
	.operands = restore_operands,
	.run = restore,
	.statuses =
		"as for run: the guest's value, or 111-124 when the guest fails; 64 usage\n"
		"error; 65 damaged, missing or inconsistent snapshot, or a saved state KVM\n"
		"refused (the part or the state is named); 69 KVM\n"
		"unavailable; 70 internal error; 74 output file error; 110 the snapshot\n"
		"does not fit this host (every mismatch named); 121 KVM holds other\n"
		"registers than the snapshot after loading it.",
};
