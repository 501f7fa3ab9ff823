// SPDX-License-Identifier: MIT
/*
 * fpvm's man pages and shell completion, generated at build time from the
 * command table that --help prints (cli.c, each command's options), so
 * they cannot drift from it; tests/docs_manpages.py checks that they
 * agree with the built fpvm's --help.  Not installed: a build tool.
 *
 *   gendoc man            fpvm(1): the commands and every exit status
 *   gendoc man COMMAND    fpvm-COMMAND(1) ("fpstate show": fpvm-fpstate-show)
 *   gendoc bash | zsh     the completion script
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#ifndef FPVM_VERSION
#define FPVM_VERSION "unknown"
#endif
/* Where meson install puts the bundled suites and the JUnit schema (dist/meson.build). */
#ifndef FPVM_GUEST_DIR
#define FPVM_GUEST_DIR "/usr/lib/fpvm"
#endif
#ifndef FPVM_DATA_DIR
#define FPVM_DATA_DIR "/usr/share/fpvm"
#endif

/* man-pages(7): a backslash is \e, '-' in option names \-, a leading '.' or "'" \&. */
static void roff(FILE *f, const char *s, size_t n, bool minus)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\''))
			fputs("\\&", f);
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-' && minus)
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void roff_str(FILE *f, const char *s, bool minus)
{
	roff(f, s, strlen(s), minus);
}

/* "fpstate show" as a page name: fpvm-fpstate-show. */
static void page_name(FILE *f, const char *cmd, bool upper)
{
	fputs(upper ? "FPVM" : "fpvm", f);
	if (cmd)
		fputc('-', f);
	for (const char *p = cmd; p && *p; p++)
		fputc(*p == ' ' ? '-' : upper ? toupper((unsigned char)*p) : *p, f);
}

static void header(FILE *f, const char *cmd, const char *summary)
{
	fputs(".\\\" Generated from fpvm's command table by gendoc (cmd/gendoc.c).\n.TH ", f);
	page_name(f, cmd, true);
	fprintf(f, " 1 \"\" \"fpvm %s\" \"fpvm manual\"\n.SH NAME\n", FPVM_VERSION);
	page_name(f, cmd, false);
	fputs(" \\- ", f);
	roff_str(f, summary, false);
	fputc('\n', f);
}

static void opt_entry(FILE *f, const struct opt *o)
{
	fputs(".TP\n", f);
	if (o->short_name)
		fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
	fputs("\\fB\\-\\-", f);
	roff_str(f, o->name, true);
	fputs("\\fR", f);
	if (o->arg) {
		fputs(o->optional ? "[=\\fI" : " \\fI", f);
		roff_str(f, o->arg, true);
		fputs(o->optional ? "\\fR]" : "\\fR", f);
	}
	fputc('\n', f);
	roff_str(f, o->help, false);
	fputc('\n', f);
}

static void man_command(FILE *f, const struct command *c)
{
	char see[64];

	header(f, c->name, c->summary);
	fputs(".SH SYNOPSIS\n.nf\n\\fBfpvm ", f);
	roff_str(f, c->name, true);
	fputs("\\fR ", f);
	roff_str(f, c->synopsis, true);
	fputs("\n.fi\n.SH DESCRIPTION\n", f);
	roff_str(f, c->description, false);
	fputc('\n', f);
	if (c->nr_opts && c->opts[0].name)
		fputs(".SH OPTIONS\n", f);
	for (unsigned int i = 0; i < c->nr_opts; i++) {
		if (c->opts[i].name) {
			opt_entry(f, &c->opts[i]);
			continue;
		}
		fputs(i ? ".SS " : ".SH ", f);
		snprintf(see, sizeof(see), "%s", c->opts[i].help);
		see[strcspn(see, ":")] = '\0';
		/* One argument to .SS/.SH: quoted, its own quotes as \(dq. */
		fputc('"', f);
		for (char *q = see; *q; q++)
			fputs(*q == '"' ? "\\(dq" : (char[]){ *q, 0 }, f);
		fputs("\"\n", f);
	}
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint this help and exit\n", f);
	fputs(".SH EXIT STATUS\n", f);
	roff_str(f, c->statuses, false);
	fputs("\n.SH SEE ALSO\n.BR fpvm (1)\n", f);
}

static void man_fpvm(FILE *f)
{
	const struct command *c;

	header(f, NULL, cli_about);
	fputs(".SH SYNOPSIS\n.nf\n"
	      "\\fBfpvm\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIOPERANDS\\fR]\n"
	      "\\fBfpvm help\\fR \\fICOMMAND\\fR\n\\fBfpvm version\\fR\n.fi\n"
	      ".SH DESCRIPTION\nfpvm is a small KVM virtual machine monitor for test guests. "
	      "It boots a static x86\\-64 ELF test guest and passes the guest's exit value "
	      "through as its own exit status, so a test guest is a test. Each vCPU owns its "
	      "own guest FPU/XSAVE state, managed and validated the way the Linux kernel "
	      "manages guest fpstates.\n.SH COMMANDS\n", f);
	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		fputs(".TP\n\\fBfpvm ", f);
		roff_str(f, c->name, true);
		fputs("\\fR\n", f);
		roff_str(f, c->summary, false);
		fputs("; see\n.BR ", f);
		page_name(f, c->name, false);
		fputs(" (1)\n", f);
	}
	fputs(".SH EXIT STATUS\n.TP\n0\\(en255\nthe value the guest wrote to the exit port\n", f);
	for (int st = 1; st < 256; st++) {
		const char *m = status_meaning(st);

		if (!m)
			continue;
		fprintf(f, ".TP\n%d\n", st);
		roff_str(f, m, false);
		fputc('\n', f);
	}
	fputs(".SH FILES\n.TP\n" FPVM_GUEST_DIR "/guests.cfg, " FPVM_GUEST_DIR "/hostile.cfg\n"
	      "the bundled suites and, beside them, their guests: "
	      "\\fBfpvm test " FPVM_GUEST_DIR "/guests.cfg\\fR\n"
	      ".TP\n" FPVM_DATA_DIR "/junit.xsd\nthe schema of \\fBfpvm test \\-\\-junit\\fR "
	      "reports\n.SH SEE ALSO\n", f);
	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		fputs(".BR ", f);
		page_name(f, c->name, false);
		fprintf(f, " (1)%s\n", cli_command(i + 1) ? "," : "");
	}
}

/* Every option of @c as completion words: "-c --cpus ...". */
static void words(FILE *f, const struct command *c, bool with_arg)
{
	for (unsigned int i = 0; i < c->nr_opts; i++) {
		const struct opt *o = &c->opts[i];

		if (!o->name || (with_arg && (!o->arg || o->optional)))
			continue;
		if (o->short_name)
			fprintf(f, "-%c ", o->short_name);
		fprintf(f, "--%s%s ", o->name, o->optional ? "=" : "");
	}
	if (!with_arg)
		fputs("-h --help", f);
}

/* The first word of every command, once: run, test, ..., fpstate, snapshot. */
static void first_words(FILE *f, const char *sep)
{
	const struct command *c;

	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		size_t n = strcspn(c->name, " ");
		bool seen = false;

		for (unsigned int j = 0; j < i && !seen; j++)
			seen = !strncmp(cli_command(j)->name, c->name, n) &&
			       strcspn(cli_command(j)->name, " ") == n;
		if (!seen)
			fprintf(f, "%.*s%s", (int)n, c->name, sep);
	}
}

/* A bash function FN COMMAND that echoes the command's options (@with_arg: those with a value). */
static void bash_options(FILE *f, const char *fn, bool with_arg)
{
	const struct command *c;

	fprintf(f, "%s() {\n\tcase $1 in\n", fn);
	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		fprintf(f, "\t'%s') echo '", c->name);
		words(f, c, with_arg);
		fputs("' ;;\n", f);
	}
	fputs("\tesac\n}\n\n", f);
}

static void bash(FILE *f)
{
	const struct command *c;

	fputs("# fpvm(1) completion for bash, generated from fpvm's command table "
	      "(cmd/gendoc.c).\n", f);
	bash_options(f, "_fpvm_options", false);
	fputs("# Options whose value is the next word.\n", f);
	bash_options(f, "_fpvm_takes_value", true);
	fputs("_fpvm() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd n=2 w\n"
	      "\tCOMPREPLY=()\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", f);
	first_words(f, " ");
	fputs("help version --help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n"
	      "\tcmd=${COMP_WORDS[1]}\n\tcase $cmd in\n"
	      "\thelp | -h | --help)\n"
	      "\t\t[ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W '", f);
	first_words(f, " ");
	fputs("' -- \"$cur\"))\n\t\treturn ;;\n", f);
	/* Groups: "fpstate show", "snapshot show": the second word is the operation. */
	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		const char *sp = strchr(c->name, ' ');
		size_t group = sp ? (size_t)(sp - c->name) + 1 : 0;
		const struct command *d;

		/* Once per group: at its first command. */
		if (!sp || (i && !strncmp(cli_command(i - 1)->name, c->name, group)))
			continue;
		fprintf(f, "\t%.*s)\n\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n"
			"\t\t\tCOMPREPLY=($(compgen -W '", (int)(sp - c->name), c->name);
		for (unsigned int j = i; (d = cli_command(j)); j++)
			if (!strncmp(d->name, c->name, group))
				fprintf(f, "%s ", d->name + group);
		fputs("' -- \"$cur\"))\n\t\t\treturn\n\t\tfi\n"
		      "\t\tcmd=\"$cmd ${COMP_WORDS[2]}\"\n\t\tn=3 ;;\n", f);
	}
	fputs("\tesac\n"
	      "\t# After --, or once an option's value is due, words are files (the default).\n"
	      "\tfor w in \"${COMP_WORDS[@]:n:COMP_CWORD-n}\"; do [ \"$w\" = -- ] && return; done\n"
	      "\tfor w in $(_fpvm_takes_value \"$cmd\"); do\n"
	      "\t\t[ \"$prev\" = \"$w\" ] && return\n\tdone\n"
	      "\tcase $cur in\n"
	      "\t-*) COMPREPLY=($(compgen -W \"$(_fpvm_options \"$cmd\")\" -- \"$cur\")) ;;\n"
	      "\tesac\n}\n"
	      "complete -o default -o bashdefault -F _fpvm fpvm\n", f);
}

/* zsh _arguments text: '[', ']', ':' and '\'' escaped, the first line only. */
static void zsh_text(FILE *f, const char *s)
{
	for (; *s && *s != '\n'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

static void zsh(FILE *f)
{
	const struct command *c;

	fputs("#compdef fpvm\n# fpvm(1) completion for zsh, generated from fpvm's command table "
	      "(cmd/gendoc.c).\n\n_fpvm() {\n\tlocal -a commands\n\tcommands=(\n", f);
	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		fputs("\t\t'", f);
		zsh_text(f, c->name);
		fputs(":", f);
		zsh_text(f, c->summary);
		fputs("'\n", f);
	}
	fputs("\t\t'help:a command'\\''s options and exit statuses'\n"
	      "\t\t'version:fpvm'\\''s version'\n\t)\n"
	      "\tif (( CURRENT == 2 )); then\n"
	      "\t\t_describe -t commands 'fpvm command' commands\n\t\treturn\n\tfi\n"
	      "\tlocal cmd=$words[2] skip=1\n"
	      /* A group (fpstate, snapshot): its commands are "GROUP OP", never "GROUP". */
	      "\tif (( ${+commands[(r)$words[2] *]} )) &&\n"
	      "\t   (( ! ${+commands[(r)$words[2]:*]} )); then\n"
	      "\t\tif (( CURRENT == 3 )); then\n"
	      "\t\t\tlocal -a ops=(${${(M)commands:#$words[2] *}#$words[2] })\n"
	      "\t\t\t_describe -t operations 'operation' ops\n\t\t\treturn\n\t\tfi\n"
	      "\t\tcmd=\"$words[2] $words[3]\" skip=2\n\tfi\n"
	      "\tshift $skip words\n\t(( CURRENT -= skip ))\n"
	      "\tcase $cmd in\n", f);
	for (unsigned int i = 0; (c = cli_command(i)); i++) {
		fprintf(f, "\t'%s')\n\t\t_arguments -s \\\n", c->name);
		for (unsigned int j = 0; j < c->nr_opts; j++) {
			const struct opt *o = &c->opts[j];

			if (!o->name)
				continue;
			fputs("\t\t\t", f);
			if (o->short_name)
				fprintf(f, "'(-%c --%s)'{-%c,--%s}'", o->short_name, o->name,
					o->short_name, o->name);
			else
				fprintf(f, "'--%s%s", o->name, o->optional ? "=-" : "");
			fputc('[', f);
			zsh_text(f, o->help);
			fputc(']', f);
			if (o->arg) {
				fputc(':', f);
				zsh_text(f, o->arg);
				fputs(":_files", f);
			}
			fputs("' \\\n", f);
		}
		fputs("\t\t\t'(-h --help)'{-h,--help}'[print the help]' \\\n"
		      "\t\t\t'*:file:_files' ;;\n", f);
	}
	fputs("\thelp) _describe -t commands 'fpvm command' commands ;;\n"
	      "\tesac\n}\n\n_fpvm \"$@\"\n", f);
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc == 2 && !strcmp(argv[1], "man")) {
		man_fpvm(stdout);
	} else if (argc == 3 && !strcmp(argv[1], "man")) {
		for (unsigned int i = 0; (c = cli_command(i)); i++)
			if (!strcmp(c->name, argv[2]))
				break;
		if (!c) {
			fprintf(stderr, "gendoc: no command '%s'\n", argv[2]);
			return 1;
		}
		man_command(stdout, c);
	} else if (argc == 2 && !strcmp(argv[1], "bash")) {
		bash(stdout);
	} else if (argc == 2 && !strcmp(argv[1], "zsh")) {
		zsh(stdout);
	} else {
		fputs("usage: gendoc man [COMMAND] | bash | zsh\n", stderr);
		return 1;
	}
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
