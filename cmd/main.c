// SPDX-License-Identifier: MIT
/*
 * fpvm's entry point: find the command, run it, return its status.  main
 * is the only place that exits.
 */
#include <malloc.h>
#include <stdio.h>

#include "../vmm/seccomp.h"
#include "cmd.h"

#ifndef FPVM_VERSION
#define FPVM_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	struct fpvm_error err = { 0 };
	struct cli cli;

	/*
	 * One malloc arena for every thread: glibc gives a thread that mallocs
	 * its own, a 64 MiB reservation trimmed with munmap and mprotect, and
	 * each vCPU thread allocates once (its host XSAVE buffer).  fpvm's
	 * threads allocate a few times each, so sharing costs nothing.
	 */
	mallopt(M_ARENA_MAX, 1);
	/* The seccomp filters' SIGSYS handler ends fpvm with this command's status. */
	seccomp_set_exit_status(FPVM_EXIT_SECCOMP);
	if (cli_parse(argc, argv, &cli, &err)) {
		fprintf(stderr, "fpvm: %s (see 'fpvm %s%s--help')\n", err.msg,
			cli.cmd ? cli.cmd->name : "", cli.cmd ? " " : "");
		return status_of_error(&err);
	}
	if (cli.version) {
		printf("fpvm %s\n", FPVM_VERSION);
		return 0;
	}
	if (cli.help) {
		cli_print_help(stdout, cli.cmd);
		return 0;
	}
	return cli.cmd->run(&cli.opts);
}
