// SPDX-License-Identifier: MIT
/* fpvm leakcheck: options in, the run (leakcheck/), reports and a status out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static int status_of_run(const struct leak_run *run)
{
	switch (run->result) {
	case LEAK_CLEAN:
		return 0;
	case LEAK_FOUND:
		return FPVM_EXIT_LEAK;
	case LEAK_SELFTEST_FAILED:
		return FPVM_EXIT_SELFTEST;
	case LEAK_VM_FAILED:
		return status_of_stop(run->failed.stop, run->failed.value, EXIT_MODE_DIRECT) ?:
		       FPVM_EXIT_SOFTWARE;
	}
	return FPVM_EXIT_SOFTWARE;
}

static int leakcheck(const void *opts)
{
	const struct leakcheck_opts *o = opts;
	struct fpvm_error err = { 0 };
	struct leak_run run;

	if (leakcheck_run(&o->leak, o->inject, isatty(STDERR_FILENO) && !o->tap, &run,
			  &err))
		return report_error(&err);
	run.status = status_of_run(&run);
	if (o->tap)
		leak_print_tap(stdout, &run);
	else
		leak_print_text(stdout, &run);
	if (o->json_path) {
		FILE *f = fopen(o->json_path, "w");

		if (!f || (leak_print_json(f, &run), fclose(f))) {
			fprintf(stderr, "fpvm: --json %s: %s\n", o->json_path, strerror(errno));
			run.status = run.status ? run.status : FPVM_EXIT_IOERR;
		}
	}
	leak_run_release(&run);
	return run.status;
}

static int set_count(const char *option, const char *arg, unsigned int max, unsigned int *n,
		     struct fpvm_error *err)
{
	if (parse_uint(arg, 1, max, n))
		return USAGE_FAIL(err, "%s %s: expected 1..%u", option, arg, max);
	return 0;
}

static int set_vms(void *opts, const char *arg, struct fpvm_error *err)
{
	return set_count("--vms", arg, LEAK_MAX_VMS, &((struct leakcheck_opts *)opts)->leak.nr_vms,
			 err);
}

static int set_cpus(void *opts, const char *arg, struct fpvm_error *err)
{
	return set_count("--cpus", arg, LEAK_MAX_CPUS,
			 &((struct leakcheck_opts *)opts)->leak.writers, err);
}

static int set_duration(void *opts, const char *arg, struct fpvm_error *err)
{
	struct leakcheck_opts *o = opts;
	uint64_t ms;

	if (parse_seconds_ms(arg, &ms) || ms < 500 || ms > 86400000)
		return USAGE_FAIL(err, "--duration %s: expected 0.5 to 86400 seconds", arg);
	o->leak.duration_ms = (unsigned int)ms;
	return 0;
}

static int set_inject(void *opts, const char *arg, struct fpvm_error *err)
{
	for (enum leak_inject k = INJECT_CROSS_VM; k < INJECT_NR; k++)
		if (!strcmp(arg, leak_inject_name(k))) {
			((struct leakcheck_opts *)opts)->inject = k;
			return 0;
		}
	return USAGE_FAIL(err, "--inject '%s': expected cross-vm, cross-vcpu, host, fresh-vcpu "
			  "or snapshot", arg);
}

static int set_xcr0(void *opts, const char *arg, struct fpvm_error *err)
{
	return parse_xcr0("--xcr0", arg, &((struct leakcheck_opts *)opts)->leak.xcr0, err);
}

static int set_pin(void *opts, const char *arg, struct fpvm_error *err)
{
	struct leakcheck_opts *o = opts;
	struct cpu_mask m = { 0 };
	unsigned int cpu;

	if (parse_uint(arg, 0, PLACEMENT_MAX_CPUS - 1, &cpu))
		return USAGE_FAIL(err, "--pin '%s': expected a host CPU number, 0 to %d", arg,
				  PLACEMENT_MAX_CPUS - 1);
	cpu_mask_set(&m, cpu);
	if (cpu_mask_check_host(&m, err))
		return usage_fail_after(err, "--pin: ");
	o->leak.pin = true;
	o->leak.pin_cpu = cpu;
	return 0;
}

static const struct opt leakcheck_opts[] = {
	OPT_CALL("vms", 0, "N", set_vms, "VMs side by side (default 2, at most 32)"),
	OPT_CALL("cpus", 0, "N", set_cpus, "vCPUs per VM (default 2, at most 16)"),
	OPT_CALL("duration", 0, "SECONDS", set_duration, "how long to run (default 3, 0.5 to 86400)"),
	OPT_STRING("json", 0, "FILE", struct leakcheck_opts, json_path,
		   "also write the report as JSON to FILE"),
	OPT_FLAG("tap", 0, struct leakcheck_opts, tap, "print the report as TAP"),
	OPT_FLAG("snapshot", 0, struct leakcheck_opts, leak.snapshot,
		 "snapshot each VM mid-run (twice), restore it in a new\n"
		 "process and check it holds only its own canaries"),
	OPT_CALL("inject", 0, "KIND", set_inject,
		 "cross-vm, cross-vcpu, host, fresh-vcpu or snapshot: a\n"
		 "deliberate leak that must be found (the self-test)"),
	OPT_CALL("pin", 0, "CPU", set_pin,
		 "every VM process (vCPU and VMM threads) on host CPU\n"
		 "CPU, so the host switches FPU state between guests at\n"
		 "every preemption"),
	OPT_STRING("neighbour", 0, "GUEST", struct leakcheck_opts, leak.neighbour,
		   "also boot GUEST (any image fpvm run takes) again and\n"
		   "again beside the VMs, on the --pin CPU if given"),
	OPT_CALL("xcr0", 0, "FEATURES", set_xcr0, "guest XCR0, as for run"),
	OPT_STRING("kvm", 0, "PATH", struct leakcheck_opts, leak.kvm_path,
		   "KVM device to use (default /dev/kvm)"),
};

static void leakcheck_init(void *opts)
{
	*(struct leakcheck_opts *)opts = (struct leakcheck_opts){
		.leak = { .nr_vms = 2, .writers = 2, .duration_ms = 3000, .kvm_path = "/dev/kvm" },
	};
}

static int leakcheck_check(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	struct leakcheck_opts *o = opts;

	if (argc)
		return USAGE_FAIL(err, "leakcheck: unexpected argument '%s'", argv[0]);
	if (o->inject == INJECT_CROSS_VM && o->leak.nr_vms < 2)
		return USAGE_FAIL(err, "--inject cross-vm needs --vms 2 or more");
	if (o->inject == INJECT_CROSS_VCPU && o->leak.writers < 2)
		return USAGE_FAIL(err, "--inject cross-vcpu needs --cpus 2 or more");
	if (o->inject == INJECT_SNAPSHOT && o->leak.nr_vms < 2)
		return USAGE_FAIL(err, "--inject snapshot needs --vms 2 or more");
	o->leak.snapshot |= o->inject == INJECT_SNAPSHOT;
	return 0;
}

const struct command cmd_leakcheck = {
	.name = "leakcheck",
	.synopsis = "[--vms N] [--cpus N] [--duration SECONDS] [--json FILE] [--tap]\n"
		    "                      [--snapshot] [--inject KIND] [--pin CPU]\n"
		    "                      [--neighbour GUEST] [--xcr0 FEATURES] [--kvm PATH]",
	.summary = "prove no register content crosses VMs, vCPUs or the host",
	.description =
		"Runs VMs whose vCPUs fill their registers with tagged patterns while others\n"
		"scan theirs, the host's and fresh vCPUs' for tags that are not their own.\n"
		"With --snapshot each VM is also snapshotted mid-run and restored in a new\n"
		"process, whose vCPUs must hold exactly their own tags, of one round.\n"
		"The report counts the VM processes' context switches: the FPU switches the\n"
		"check covered; --pin puts them all on one CPU.",
	.opts = leakcheck_opts,
	.nr_opts = NR_OPTS(leakcheck_opts),
	.init = leakcheck_init,
	.operands = leakcheck_check,
	.run = leakcheck,
	.statuses = "0 no leak; 122 leak found; 123 --inject: the injected leak was\n"
		    "missed; 64 usage error; 65 bad --neighbour image; 69 KVM unavailable;\n"
		    "70 internal error (a failed --neighbour boot too); 74 --json FILE cannot\n"
		    "be written; a VM's failure gives run's status for it.",
};
