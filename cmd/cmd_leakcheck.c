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

int cmd_leakcheck(const struct cli *cli)
{
	const struct leak_config c = {
		.nr_vms = cli->leak.vms, .writers = cli->leak.cpus,
		.duration_ms = (unsigned int)cli->leak.duration_ms, .xcr0 = cli->run.vm.xcr0,
		.kvm_path = cli->run.kvm_path,
	};
	struct fpvm_error err = { 0 };
	struct leak_run run;

	if (leakcheck_run(&c, cli->leak.inject, isatty(STDERR_FILENO) && !cli->leak.tap, &run,
			  &err))
		return report_error(&err);
	run.status = status_of_run(&run);
	if (cli->leak.tap)
		leak_print_tap(stdout, &run);
	else
		leak_print_text(stdout, &run);
	if (cli->leak.json_path) {
		FILE *f = fopen(cli->leak.json_path, "w");

		if (!f || (leak_print_json(f, &run), fclose(f))) {
			fprintf(stderr, "fpvm: --json %s: %s\n", cli->leak.json_path, strerror(errno));
			run.status = run.status ? run.status : FPVM_EXIT_IOERR;
		}
	}
	leak_table_free(&run.table);
	return run.status;
}
