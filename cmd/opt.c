// SPDX-License-Identifier: MIT
/*
 * The one option parser every command uses, and the help it prints from
 * the same tables.  A pure function of argv (no getopt globals), so tests
 * can call it any number of times.
 *
 * Forms: --name VALUE, --name=VALUE, -cVALUE, -c VALUE, flags, "--" to end
 * options.  A command whose operands are followed by the guest's own
 * arguments (run) stops at its first operand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int parse_xcr0(const char *option, const char *arg, uint64_t *xcr0, struct fpvm_error *err)
{
	struct fpstate_error ferr;
	char msg[200];

	if (xfeatures_parse(arg, xcr0, msg, sizeof(msg)))
		return USAGE_FAIL(err, "%s '%s': %s", option, arg, msg);
	/*
	 * KVM's rules that hold on every host (x87 always, AVX with SSE, the
	 * groups whole), here and before KVM is opened; what this host
	 * supports is checked once KVM says (guest_fpu_cfg_xcr0()).
	 */
	if (xcr0_check(*xcr0, ~0ULL, &ferr) != XCR0_OK)
		return USAGE_FAIL(err, "%s %s: %s", option, arg, ferr.msg);
	return 0;
}

static const struct opt *find_opt(const struct command *c, const char *arg, const char **value)
{
	*value = NULL;
	for (unsigned int i = 0; i < c->nr_opts; i++) {
		const struct opt *o = &c->opts[i];
		size_t n;

		if (!o->name)
			continue;
		if (arg[1] != '-') {
			if (!o->short_name || arg[1] != o->short_name)
				continue;
			if (arg[2])
				*value = arg + 2;	/* -c4 */
			return o;
		}
		n = strlen(o->name);
		if (strncmp(arg + 2, o->name, n))
			continue;
		if (arg[2 + n] == '=') {
			*value = arg + 3 + n;
			return o;
		}
		if (!arg[2 + n])
			return o;
	}
	return NULL;
}

static int apply_opt(const struct opt *o, void *opts, const char *arg, const char *value,
		     struct fpvm_error *err)
{
	if (o->arg && !o->optional && !value)
		return USAGE_FAIL(err, "option '%s' needs a value", arg);
	/* An empty path, device or number is never what was meant ('--kvm ""'). */
	if (o->arg && !o->optional && !*value)
		return USAGE_FAIL(err, "option '--%s' needs a value, not an empty string", o->name);
	if (!o->arg && value)
		return USAGE_FAIL(err, "option '--%s' takes no value", o->name);
	if (o->set)
		return o->set(opts, value, err);
	if (o->arg)
		*(const char **)((char *)opts + o->offset) = value;
	else
		*(bool *)((char *)opts + o->offset) = true;
	return 0;
}

int opt_parse(const struct command *c, int argc, char **argv, void *opts, bool *help,
	      struct fpvm_error *err)
{
	char **operands = calloc((size_t)argc + 1, sizeof(*operands));
	int i, n = 0, r = 0;

	if (!operands)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	*help = false;
	if (c->init)
		c->init(opts);
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *value;
		const struct opt *o;

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1]) {
			if (c->operands_end_options)
				break;
			operands[n++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			*help = true;
			goto out;
		}
		o = find_opt(c, arg, &value);
		if (!o) {
			r = USAGE_FAIL(err, "%s: unknown option '%s'", c->name, arg);
			goto out;
		}
		if (o->arg && !o->optional && !value && i + 1 < argc)
			value = argv[++i];
		r = apply_opt(o, opts, arg, value, err);
		if (r)
			goto out;
	}
	if (c->operands_end_options) {
		r = c->operands(opts, argc - i, argv + i, err);
		goto out;
	}
	while (i < argc)
		operands[n++] = argv[i++];
	if (c->operands)
		r = c->operands(opts, n, operands, err);
	else if (n)
		r = USAGE_FAIL(err, "%s: unexpected argument '%s'", c->name, operands[0]);
out:
	free(operands);
	return r;
}

/* Help lines: "  -c, --cpus N           text", continuation lines indented. */
#define HELP_COLUMN 25

static void print_opt(FILE *f, const struct opt *o)
{
	const char *sep = !o->arg ? "" : o->optional ? "[=" : " ";
	const char *h = o->help, *nl;
	int w;

	if (!o->name) {
		fprintf(f, "\n%s\n", o->help);
		return;
	}
	if (o->short_name)
		w = fprintf(f, "  -%c, --%s%s%s%s", o->short_name, o->name, sep,
			    o->arg ? o->arg : "", o->optional ? "]" : "");
	else
		w = fprintf(f, "      --%s%s%s%s", o->name, sep, o->arg ? o->arg : "",
			    o->optional ? "]" : "");
	if (w >= HELP_COLUMN) {
		fputc('\n', f);
		w = 0;
	}
	for (;;) {
		nl = strchr(h, '\n');
		fprintf(f, "%*s%.*s\n", HELP_COLUMN - w, "", nl ? (int)(nl - h) : (int)strlen(h), h);
		if (!nl)
			break;
		h = nl + 1;
		w = 0;
	}
}

void command_print_help(FILE *f, const struct command *c)
{
	fprintf(f, "Usage: fpvm %s %s\n\n%s\n", c->name, c->synopsis, c->description);
	if (c->nr_opts && c->opts[0].name)
		fputs("\nOptions:\n", f);
	for (unsigned int i = 0; i < c->nr_opts; i++)
		print_opt(f, &c->opts[i]);
	fprintf(f, "\nExit status: %s\n", c->statuses);
}
