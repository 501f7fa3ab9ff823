// SPDX-License-Identifier: MIT
/*
 * fpvm's entry point.  Setup is a list of explicit steps in the order they
 * must happen; main is the only place that decides to exit.
 */
#include <signal.h>
#include <stdio.h>

#include "cmd.h"

#ifndef FPVM_VERSION
#define FPVM_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	struct fpvm_error err = { 0 };
	struct cli cli;

	if (cli_parse(argc, argv, &cli, &err)) {
		fprintf(stderr, "fpvm: %s (see 'fpvm --help')\n", err.msg);
		return status_of_error(&err);
	}
	switch (cli.cmd) {
	case CLI_HELP:
		fputs(cli_usage(), stdout);
		return 0;
	case CLI_VERSION:
		printf("fpvm %s\n", FPVM_VERSION);
		return 0;
	case CLI_RUN:
		return cmd_run(&cli.run);
	case CLI_PROBE:
		return cmd_probe(&cli);
	case CLI_FPSTATE:
		return cmd_fpstate(&cli);
	case CLI_LEAKCHECK:
		return cmd_leakcheck(&cli);
	}
	return FPVM_EXIT_SOFTWARE;
}
