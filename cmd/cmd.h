/* SPDX-License-Identifier: MIT */
/*
 * The commands: the command line, each command, and the exit statuses they
 * decide (README, "Exit status").
 */
#ifndef FPVM_CMD_H
#define FPVM_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"
#include "../leakcheck/leakcheck.h"
#include "../vmm/vm.h"

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

enum exit_mode {
	EXIT_MODE_DIRECT,	/* status = value written to the exit port */
	EXIT_MODE_QEMU,		/* status = (value << 1) | 1, like QEMU */
};

/* fpvm run: the VM, and what the command itself does with files and statuses. */
struct run_opts {
	struct vm_config vm;
	const char *kvm_path;
	const char *serial_path;	/* NULL: stdout */
	const char *dtb_path;
	const char *save_fpstate_dir;
	enum exit_mode exit_mode;
	bool amx;			/* request AMX guest permission */
	bool dump_fpstate;
};

enum cli_command {
	CLI_HELP,
	CLI_VERSION,
	CLI_RUN,
	CLI_PROBE,
	CLI_FPSTATE,
	CLI_LEAKCHECK,
};

enum fpstate_op {
	FPSTATE_SHOW,
	FPSTATE_DIFF,
	FPSTATE_CHECK,
};

struct cli {
	enum cli_command cmd;
	struct run_opts run;		/* run; probe and leakcheck use kvm_path, xcr0 */
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

int cli_parse(int argc, char **argv, struct cli *cli, struct fpvm_error *err);
int parse_size(const char *s, uint64_t *out);
int parse_seconds_ms(const char *s, uint64_t *ms);
const char *cli_usage(void);

/* The commands; each returns its exit status. */
int cmd_run(const struct run_opts *o);
int cmd_probe(const struct cli *cli);
int cmd_fpstate(const struct cli *cli);
int cmd_leakcheck(const struct cli *cli);

/* What a library error or a VM's stop means as an exit status (status.c). */
int status_of_error(const struct fpvm_error *err);
int status_of_stop(enum vm_stop stop, uint32_t value, enum exit_mode mode);
/* Prints "fpvm: MESSAGE" for a library error, naming the option it is about. */
int report_error(const struct fpvm_error *err);

#endif
