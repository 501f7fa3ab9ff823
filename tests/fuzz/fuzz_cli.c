// SPDX-License-Identifier: MIT
/*
 * Fuzz target: fpvm's command line, cli_parse() (cmd/cli.c) and the one
 * option parser every command uses (cmd/opt.c) with each command's option
 * setters and operands.  The input is argv after "fpvm", its strings split
 * at NUL bytes; a final NUL ends the last string rather than starting an
 * empty one, so "fpvm run --cpus 4 g.elf" is the file "run", NUL, "--cpus",
 * NUL, "4", NUL, "g.elf", NUL.  No command is ever run.
 *
 * Beyond crashes, it checks that what a successful parse leaves behind is
 * usable: every string the options keep is read after cli_parse() has
 * returned (and freed its own arrays), so a pointer into them shows up as a
 * use after free.
 */
#include <string.h>

#include "../../cmd/cmd.h"
#include "fuzz.h"

/* Reading each byte is what makes ASan look at the memory. */
static void touch(const char *s)
{
	FUZZ_ASSERT(s);
	FUZZ_ASSERT(strlen(s) < (1U << 20));
}

static void touch_opt(const char *s)
{
	if (s)
		touch(s);
}

static void check_parsed(const struct cli *cli)
{
	const struct command *c = cli->cmd;

	FUZZ_ASSERT(c || cli->help || cli->version);
	if (!c || cli->help)
		return;
	if (c == &cmd_run) {
		const struct run_opts *o = &cli->opts.run;

		touch(o->vm.guest_path);
		FUZZ_ASSERT(o->vm.guest_nargs >= 0);
		for (int i = 0; i < o->vm.guest_nargs; i++)
			touch(o->vm.guest_args[i]);
		FUZZ_ASSERT(o->vm.nr_cpus >= 1);
		touch(o->kvm_path);
		touch_opt(o->serial_path);
		touch_opt(o->dtb_path);
		touch_opt(o->save_fpstate_dir);
	} else if (c == &cmd_test) {
		const struct test_opts *o = &cli->opts.test;

		/* --merge takes reports, not a manifest. */
		FUZZ_ASSERT(o->merge ? o->nr_reports >= 1 && o->nr_reports <= TEST_MAX_REPORTS
				     : o->manifest != NULL);
		touch_opt(o->manifest);
		for (unsigned int i = 0; i < o->nr_reports; i++)
			touch(o->reports[i]);
		touch_opt(o->shard);
		touch_opt(o->shard_timings);
		FUZZ_ASSERT(!o->shard || o->shard_k < o->shard_n);
		FUZZ_ASSERT(o->nr_groups <= TEST_MAX_SELECT && o->nr_globs <= TEST_MAX_SELECT);
		for (unsigned int i = 0; i < o->nr_groups; i++)
			touch(o->groups[i]);
		for (unsigned int i = 0; i < o->nr_globs; i++)
			touch(o->globs[i]);
		FUZZ_ASSERT(o->jobs >= 1 && o->jobs <= 256);
		touch_opt(o->guest_dir);
		touch_opt(o->log_dir);
		touch_opt(o->junit_path);
		touch_opt(o->json_path);
		touch_opt(o->kvm_path);
	} else if (c == &cmd_fpstate_show || c == &cmd_fpstate_check) {
		touch(cli->opts.fpstate.files[0]);
	} else if (c == &cmd_fpstate_diff) {
		touch(cli->opts.fpstate.files[0]);
		touch(cli->opts.fpstate.files[1]);
	} else if (c == &cmd_probe) {
		touch_opt(cli->opts.probe.kvm_path);
		touch_opt(cli->opts.probe.save_cpuid);
	} else if (c == &cmd_leakcheck) {
		touch_opt(cli->opts.leakcheck.json_path);
		touch_opt(cli->opts.leakcheck.leak.kvm_path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* argv[0], one string per NUL-separated piece, and argv[argc] = NULL. */
	char *buf = malloc(size + 1), **argv = calloc(size + 3, sizeof(*argv));
	struct fpvm_error err = { 0 };
	struct cli cli;
	int argc = 0;

	FUZZ_ASSERT(buf && argv);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "fpvm";
	for (size_t i = 0; i < size; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;

	if (cli_parse(argc, argv, &cli, &err))
		FUZZ_ASSERT(err.cls != FPVM_ERR_NONE && err.msg[0]);
	else
		check_parsed(&cli);
	free(argv);
	free(buf);
	return 0;
}
