// SPDX-License-Identifier: MIT
/*
 * The command table: which command argv names, and fpvm's overview help.
 * Each command's options, help and statuses live with the command.
 */
#include <string.h>

#include "cmd.h"

static const struct command *const commands[] = {
	&cmd_run, &cmd_test, &cmd_probe, &cmd_fpstate_show, &cmd_fpstate_diff, &cmd_fpstate_check,
	&cmd_leakcheck, &cmd_restore, &cmd_snapshot_show,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const char cli_about[] = "A minimal KVM VMM for test guests, with per-vCPU guest FPU state.";

/* The table for the man page and completion generator (gendoc.c). */
const struct command *cli_command(unsigned int i)
{
	return i < NR_COMMANDS ? commands[i] : NULL;
}

/* "fpstate show" is found from "fpstate" and "show"; 1 or 2 words used. */
static const struct command *find_command(int argc, char **argv, int *words,
					  struct fpvm_error *err)
{
	const char *group = argv[0];
	size_t n = strlen(group);
	bool is_group = false;
	char ops[128] = "";

	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const char *name = commands[i]->name;

		if (!strcmp(name, group)) {
			*words = 1;
			return commands[i];
		}
		if (strncmp(name, group, n) || name[n] != ' ')
			continue;
		is_group = true;
		if (argc > 1 && !strcmp(name + n + 1, argv[1])) {
			*words = 2;
			return commands[i];
		}
		snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops), "%s%s", *ops ? ", " : "",
			 name + n + 1);
	}
	if (!is_group)
		USAGE_FAIL(err, "unknown command '%s'", group);
	else if (argc < 2 || argv[1][0] == '-')
		USAGE_FAIL(err, "%s: expected an operation (%s)", group, ops);
	else
		USAGE_FAIL(err, "%s: unknown operation '%s' (%s)", group, argv[1], ops);
	return NULL;
}

int cli_parse(int argc, char **argv, struct cli *cli, struct fpvm_error *err)
{
	int words;

	*cli = (struct cli){ 0 };
	if (argc < 2)
		return USAGE_FAIL(err, "no command given");
	/* help COMMAND, --help COMMAND and -h COMMAND are one; a word more is an error. */
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		cli->help = true;
		if (argc == 2)
			return 0;
		cli->cmd = find_command(argc - 2, argv + 2, &words, err);
		if (!cli->cmd)
			return -EINVAL;
		if (argc > 2 + words)
			return USAGE_FAIL(err, "%s: unexpected argument '%s'", argv[1],
					  argv[2 + words]);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		cli->version = true;
		if (argc > 2)
			return USAGE_FAIL(err, "%s takes no arguments", argv[1]);
		return 0;
	}
	cli->cmd = find_command(argc - 1, argv + 1, &words, err);
	if (!cli->cmd)
		return -EINVAL;
	return opt_parse(cli->cmd, argc - 1 - words, argv + 1 + words, &cli->opts, &cli->help, err);
}

void cli_print_help(FILE *f, const struct command *c)
{
	if (c) {
		command_print_help(f, c);
		return;
	}
	fputs("Usage: fpvm COMMAND [OPTIONS] [OPERANDS]\n"
	      "       fpvm help COMMAND | fpvm COMMAND --help\n"
	      "       fpvm version\n"
	      "\n", f);
	fprintf(f, "%s\n\nCommands:\n", cli_about);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n'fpvm help COMMAND' lists a command's options and exit statuses.\n\n", f);
	status_print_all(f);
}
