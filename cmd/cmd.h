/* SPDX-License-Identifier: MIT */
/*
 * The commands: the command line, each command, and the exit statuses they
 * decide (README, "Exit status").
 */
#ifndef FPVM_CMD_H
#define FPVM_CMD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"
#include "../base/parse.h"
#include "../leakcheck/leakcheck.h"
#include "../vmm/load.h"
#include "../vmm/run.h"
#include "../vmm/stats.h"
#include "../vmm/vm.h"
#include "../vmm/vm_snapshot.h"
#include "../gdb/stub.h"

/* Exit statuses (README, "Exit status"); guest values 0-255 pass through. */
enum fpvm_status {
	FPVM_EXIT_USAGE = 64,		/* bad command line */
	FPVM_EXIT_DATAERR = 65,		/* bad guest image or input file */
	FPVM_EXIT_UNAVAILABLE = 69,	/* KVM missing or lacking a capability */
	FPVM_EXIT_SOFTWARE = 70,	/* fpvm's own failure (an ioctl, memory) */
	FPVM_EXIT_IOERR = 74,		/* cannot write an output file */
	FPVM_EXIT_NOPERM = 77,		/* the host refused a permission (a real-time policy) */
	FPVM_EXIT_SNAPSHOT_HOST = 110,	/* restore: the snapshot does not fit this host */
	FPVM_EXIT_UNEXPECTED = 111,	/* a KVM exit reason fpvm does not handle */
	FPVM_EXIT_EXCEPTION = 112,	/* guest reported an unhandled exception */
	FPVM_EXIT_TRIPLE_FAULT = 113,	/* KVM_EXIT_SHUTDOWN */
	FPVM_EXIT_FAIL_ENTRY = 114,	/* KVM_EXIT_FAIL_ENTRY */
	FPVM_EXIT_INTERNAL = 115,	/* KVM_EXIT_INTERNAL_ERROR */
	FPVM_EXIT_HALTED = 116,		/* every vCPU halted, no exit status */
	FPVM_EXIT_STRICT_IO = 117,	/* --strict-io: access to nothing */
	FPVM_EXIT_SYSTEM_EVENT = 118,	/* KVM_EXIT_SYSTEM_EVENT */
	FPVM_EXIT_PANIC = 119,		/* guest panic: its runtime's, or a Linux kernel's */
	FPVM_EXIT_HOST_FPSTATE = 120,	/* --check-host-fpstate saw host registers change */
	FPVM_EXIT_BAD_FPSTATE = 121,	/* KVM returned an fpstate that fails validation */
	FPVM_EXIT_LEAK = 122,		/* leakcheck: register content crossed a boundary */
	FPVM_EXIT_SELFTEST = 123,	/* leakcheck --inject: the injected leak was missed */
	FPVM_EXIT_TIMEOUT = 124,	/* --timeout expired (as timeout(1)) */
	FPVM_EXIT_SECCOMP = 125,	/* a thread made a call its allow-list forbids */
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
	bool no_seccomp;
	bool stats_text;		/* --stats */
	bool stats_json;		/* --stats=json */
	const char *stats_path;		/* --stats-file; NULL: stderr */
	struct vcpu_placement affinity;	/* --affinity; vm.affinity points here */
	/* fpvm restore: the snapshot to run instead of an image */
	const struct vm_snapshot *restore;
	const char *save_loaded_dir;	/* restore --save-loaded-fpstate */
	/* --gdb and --gdb-wait: the gdb stub (gdb/stub.h) */
	bool gdb;
	bool gdb_wait;
	struct gdb_spec gdb_spec;
};

/*
 * run's option setters (--timeout, --exit-status, --stats), for run and
 * for commands whose options begin with a struct run_opts (restore).
 */
int run_set_timeout(void *opts, const char *arg, struct fpvm_error *err);
int run_set_exit_status(void *opts, const char *arg, struct fpvm_error *err);
int run_set_stats(void *opts, const char *arg, struct fpvm_error *err);
int run_set_gdb(void *opts, const char *arg, struct fpvm_error *err);
/* run's defaults: one vCPU, 64 MiB, /dev/kvm, the direct exit status. */
void run_opts_init(void *opts);

/* fpvm run's work from its options on; fpvm restore runs a snapshot through it. */
int run_with_opts(const struct run_opts *o);
/* Every way the snapshot does not fit this host, on stderr; FPVM_ERR_INCOMPATIBLE if any. */
int restore_check(const struct vm_snapshot *s, struct kvm *kvm,
		  const struct guest_fpu_cfg *fpu_cfg, struct fpvm_error *err);

struct restore_opts {
	struct run_opts run;
	const char *path;
	bool check;
};

struct snapshot_opts {
	const char *path;
	bool json;
};

/*
 * One option of a command.  With @set it is parsed by @set; without, it
 * stores at @offset in the command's options: true for a flag (@arg NULL),
 * the value for an option with an argument.  @name NULL makes @help a
 * section heading in the command's help.
 */
struct opt {
	const char *name;
	char short_name;
	const char *arg;		/* the value's name in help; NULL: a flag */
	bool optional;			/* the value only as --name=VALUE; NULL otherwise */
	const char *help;		/* lines separated by '\n' */
	int (*set)(void *opts, const char *value, struct fpvm_error *err);
	size_t offset;
};

#define OPT_FLAG(n, s, type, member, h) { n, s, NULL, false, h, NULL, offsetof(type, member) }
#define OPT_STRING(n, s, a, type, member, h) { n, s, a, false, h, NULL, offsetof(type, member) }
#define OPT_CALL(n, s, a, fn, h) { n, s, a, false, h, fn, 0 }
#define OPT_CALL_OPTIONAL(n, s, a, fn, h) { n, s, a, true, h, fn, 0 }
#define OPT_SECTION(title) { NULL, 0, NULL, false, title, NULL, 0 }

/*
 * A command owns its options, its operands, its help and its exit statuses
 * (kvmtool's command table; errors are returned, never died on).
 */
struct command {
	const char *name;		/* "run", or "fpstate show" for a group */
	const char *synopsis;		/* after "fpvm NAME" */
	const char *summary;		/* one line for 'fpvm --help' */
	const char *description;
	const struct opt *opts;
	unsigned int nr_opts;
	bool operands_end_options;	/* the first operand starts the guest's argv */
	void (*init)(void *opts);
	/*
	 * All operands, once options are parsed; also checks option pairs.  The
	 * strings outlive the call, the array holding them does not.
	 */
	int (*operands)(void *opts, int argc, char **argv, struct fpvm_error *err);
	int (*run)(const void *opts);
	const char *statuses;		/* the "Exit status" paragraph of its help */
};

#define NR_OPTS(table) ((unsigned int)(sizeof(table) / sizeof((table)[0])))
#define USAGE_FAIL(err, ...) fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL, __VA_ARGS__)

struct probe_opts {
	const char *kvm_path;
	const char *save_cpuid;
	bool json;
};

struct fpstate_opts {
	const char *files[2];
	bool json;
	bool host;			/* check --host */
};

struct leakcheck_opts {
	struct leak_config leak;
	uint64_t duration_ms;
	const char *json_path;
	bool tap;
	enum leak_inject inject;
};

#define TEST_MAX_SELECT	32
#define TEST_MAX_REPORTS	256	/* --merge: shards of one suite */

struct test_opts {
	const char *manifest;
	const char *guest_dir;
	const char *log_dir;
	const char *junit_path;
	const char *json_path;
	const char *kvm_path;
	unsigned int jobs;
	bool list;
	bool kvm_unit_tests;		/* MANIFEST is kvm-unit-tests' unittests.cfg */
	char *groups[TEST_MAX_SELECT];
	unsigned int nr_groups;
	char *globs[TEST_MAX_SELECT];
	unsigned int nr_globs;
	const char *shard;		/* --shard K/N as given; NULL: the whole selection */
	unsigned int shard_k, shard_n;	/* 0-based */
	const char *shard_timings;
	bool merge;			/* the operands are JSON reports to merge */
	char *reports[TEST_MAX_REPORTS];
	unsigned int nr_reports;
};

/* fpvm test across runners (cmd_suite_shard.c). */
struct suite;
int test_set_shard(void *opts, const char *arg, struct fpvm_error *err);
int test_shard(const struct test_opts *o, struct suite *s);
int test_merge(const struct test_opts *o);
/* --junit and --json, where given; 0, or the status of a report that cannot be written. */
int test_write_reports(const struct test_opts *o, const struct suite *s);

extern const struct command cmd_run, cmd_test, cmd_probe, cmd_fpstate_show, cmd_fpstate_diff,
	cmd_fpstate_check, cmd_leakcheck, cmd_restore, cmd_snapshot_show;

/* What the command line asks for: a command and its options, or help. */
struct cli {
	const struct command *cmd;	/* NULL: fpvm's own help or version */
	bool help;
	bool version;
	union {
		struct run_opts run;
		struct probe_opts probe;
		struct fpstate_opts fpstate;
		struct leakcheck_opts leakcheck;
		struct test_opts test;
		struct restore_opts restore;
		struct snapshot_opts snapshot;
	} opts;
};

int cli_parse(int argc, char **argv, struct cli *cli, struct fpvm_error *err);
/* The commands in help's order, NULL past the last; fpvm in one line. */
const struct command *cli_command(unsigned int i);
extern const char cli_about[];
/* Help for @c, or fpvm's overview of every command when @c is NULL. */
void cli_print_help(FILE *f, const struct command *c);

/* The parser every command uses (opt.c). */
int opt_parse(const struct command *c, int argc, char **argv, void *opts, bool *help,
	      struct fpvm_error *err);
void command_print_help(FILE *f, const struct command *c);
int parse_xcr0(const char *option, const char *arg, uint64_t *xcr0, struct fpvm_error *err);

/* Host quirks (quirks.c): detected is YES, NO or UNKNOWN. */
enum { UNKNOWN = -1, NO, YES };

struct quirk {
	const char *name;
	const char *meaning;
	int detected;
	char evidence[360];
};

enum quirk_id {
	Q_XCR0_NOT_ENFORCED,
	Q_AVX_WITHOUT_XCR0,
	Q_CPUID_NOT_VIRTUALIZED,
	Q_CPL0_XGETBV,
	Q_CPL0_XSAVE,
	Q_CPL0_X87,
	Q_SYSCALL_CPL3,
	Q_KVM_CPUID_NO_XSAVE,
	Q_XSAVE_BEYOND_XCR0,
	Q_SW_BREAKPOINT,
	Q_HW_BREAKPOINT,
	NR_QUIRKS,
};

extern const struct quirk quirk_defs[NR_QUIRKS];
void probe_quirks(struct kvm *kvm, const struct guest_fpu_cfg *fpu, struct quirk q[NR_QUIRKS]);
int quirk_find(const char *name);

/* A status's meaning in a few words, or NULL for one fpvm never decides. */
const char *status_meaning(int status);
/* Every status with its meaning, as 'fpvm --help' ends. */
void status_print_all(FILE *f);
/* What a library error or a VM's stop means as an exit status (status.c). */
int status_of_error(const struct fpvm_error *err);
int status_of_stop(enum vm_stop stop, uint32_t value, enum exit_mode mode);
/* Prints "fpvm: MESSAGE" for a library error, naming the option it is about. */
int report_error(const struct fpvm_error *err);
/* A library's message about a value, now after @option ("--pin: "): a usage error. */
int usage_fail_after(struct fpvm_error *err, const char *option);
/* Prints "fpvm: REASON" for a VM's stop, naming the option that made it one. */
void report_stop(enum vm_stop stop, const char *reason);

#endif
