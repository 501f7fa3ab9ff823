// SPDX-License-Identifier: MIT
/*
 * fpvm fpstate show|diff|check: saved guest fpstates (--save-fpstate) on
 * any machine, since each .xsave travels with the layout that decodes it.
 */
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "cmd.h"

static int load(const char *path, struct fpstate_file *f, struct fpregs **r)
{
	struct fpstate_error err;

	if (fpstate_file_load(path, f, &err)) {
		fprintf(stderr, "fpvm: %s\n", err.msg);
		return FPVM_EXIT_DATAERR;
	}
	*r = malloc(sizeof(**r));
	if (!*r) {
		fpstate_file_free(f);
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	fpstate_decode(&f->layout, f->xfeatures, f->buf, f->size, *r);
	return 0;
}

static int show(const struct cli *cli)
{
	struct fpstate_file f;
	struct fpregs *r;
	int status = load(cli->files[0], &f, &r);

	if (status)
		return status;
	if (cli->json) {
		fputs("{\"file\": ", stdout);
		json_str(stdout, cli->files[0]);
		printf(", \"vcpu\": %d, \"xcr0\": \"0x%llx\", \"size\": %u, \"is_guest\": %s, "
		       "\"registers\": ", f.vcpu, (unsigned long long)f.xcr0, f.size,
		       f.is_guest ? "true" : "false");
		fpregs_print_json(stdout, r);
		fputs("}\n", stdout);
	} else {
		printf("%s: vcpu %d, XCR0 0x%llx, %u bytes, %s fpstate\n", cli->files[0], f.vcpu,
		       (unsigned long long)f.xcr0, f.size, f.is_guest ? "guest" : "host");
		fpregs_print_text(stdout, r);
	}
	free(r);
	fpstate_file_free(&f);
	return 0;
}

static int diff(const struct cli *cli)
{
	struct fpstate_file a, b;
	struct fpregs *ra, *rb;
	unsigned int n;
	int status = load(cli->files[0], &a, &ra);

	if (status)
		return status;
	status = load(cli->files[1], &b, &rb);
	if (status) {
		free(ra);
		fpstate_file_free(&a);
		return status;
	}
	n = fpregs_diff(stdout, ra, rb, cli->json);
	if (!cli->json)
		printf("%u register%s differ%s\n", n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	free(ra);
	free(rb);
	fpstate_file_free(&a);
	fpstate_file_free(&b);
	return n ? 1 : 0;
}

static int check(const struct cli *cli)
{
	struct fpstate_file f;
	struct fpstate_error err;
	struct fpstate_diag d;
	struct fpstate fps;

	if (fpstate_file_load(cli->files[0], &f, &err)) {
		fprintf(stderr, "fpvm: %s\n", err.msg);
		return FPVM_EXIT_DATAERR;
	}
	fps = (struct fpstate){
		.layout = &f.layout, .xfeatures = f.xfeatures, .size = f.size,
		.is_guest = !cli->host, .buf = f.buf,
	};
	fpstate_validate_uabi(&fps, f.buf, f.size, &d);
	if (cli->json) {
		fputs("{\"file\": ", stdout);
		json_str(stdout, cli->files[0]);
		printf(", \"as\": \"%s\", \"valid\": %s, \"findings\": [", cli->host ? "host" : "guest",
		       d.nr_errors ? "false" : "true");
		for (unsigned int i = 0; i < d.nr; i++) {
			printf("%s{\"severity\": \"%s\", \"message\": ", i ? ", " : "",
			       d.item[i].error ? "error" : "warning");
			json_str(stdout, d.item[i].msg);
			fputc('}', stdout);
		}
		fputs("]}\n", stdout);
	} else {
		for (unsigned int i = 0; i < d.nr; i++)
			printf("%s: %s: %s\n", cli->files[0], d.item[i].error ? "error" : "warning",
			       d.item[i].msg);
		printf("%s: %s as a %s fpstate (%u error%s, %u warning%s)\n", cli->files[0],
		       d.nr_errors ? "invalid" : "valid", cli->host ? "host" : "guest", d.nr_errors,
		       d.nr_errors == 1 ? "" : "s", d.nr_warnings, d.nr_warnings == 1 ? "" : "s");
	}
	fpstate_file_free(&f);
	return d.nr_errors ? 1 : 0;
}

int cmd_fpstate(const struct cli *cli)
{
	switch (cli->fpstate_op) {
	case FPSTATE_SHOW:
		return show(cli);
	case FPSTATE_DIFF:
		return diff(cli);
	case FPSTATE_CHECK:
		return check(cli);
	}
	return FPVM_EXIT_SOFTWARE;
}
