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

/*
 * The components @f may hold that its image leaves in their init state
 * (XSTATE_BV clear): their registers show init values, as XRSTOR and the
 * kernel's ptrace view would give them, not bytes of the image.  Only
 * components with registers to show count.  Every other component of
 * xfeatures was read from the image: the layout parser refuses one that
 * would lie outside it.
 */
static uint64_t init_components(const struct fpstate_file *f, const struct fpregs *r)
{
	uint64_t shown = XFEATURE_MASK_FPSSE;

	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if (xstate_arch_size(bit))
			shown |= 1ULL << bit;
	return f->xfeatures & shown & ~r->xstate_bv;
}

static int show(const void *opts)
{
	const struct fpstate_opts *o = opts;
	struct fpstate_file f;
	struct fpregs *r;
	char names[256];
	uint64_t init;
	int status = load(o->files[0], &f, &r);

	if (status)
		return status;
	init = init_components(&f, r);
	if (o->json) {
		fputs("{\"file\": ", stdout);
		json_str(stdout, o->files[0]);
		printf(", \"vcpu\": %d, \"xcr0\": \"0x%llx\", \"size\": %u, \"is_guest\": %s, "
		       "\"init\": \"0x%llx\", \"registers\": ", f.vcpu, (unsigned long long)f.xcr0,
		       f.size, f.is_guest ? "true" : "false", (unsigned long long)init);
		fpregs_print_json(stdout, r);
		fputs("}\n", stdout);
	} else {
		printf("%s: vcpu %d, XCR0 0x%llx, %u bytes, %s fpstate\n", o->files[0], f.vcpu,
		       (unsigned long long)f.xcr0, f.size, f.is_guest ? "guest" : "host");
		if (init)
			printf("init       %s (not in XSTATE_BV: init values, not the image's "
			       "bytes)\n", xfeatures_str(init, names, sizeof(names)));
		fpregs_print_text(stdout, r);
	}
	free(r);
	fpstate_file_free(&f);
	return 0;
}

static int diff(const void *opts)
{
	const struct fpstate_opts *o = opts;
	struct fpstate_file a, b;
	struct fpregs *ra, *rb;
	unsigned int n;
	int status = load(o->files[0], &a, &ra);

	if (status)
		return status;
	status = load(o->files[1], &b, &rb);
	if (status) {
		free(ra);
		fpstate_file_free(&a);
		return status;
	}
	n = fpregs_diff(stdout, ra, rb, o->json);
	if (!o->json)
		printf("%u register%s differ%s\n", n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	free(ra);
	free(rb);
	fpstate_file_free(&a);
	fpstate_file_free(&b);
	return n ? 1 : 0;
}

static int check(const void *opts)
{
	const struct fpstate_opts *o = opts;
	struct fpstate_file f;
	struct fpstate_error err;
	struct fpstate_diag d;
	struct fpstate fps;

	if (fpstate_file_load(o->files[0], &f, &err)) {
		fprintf(stderr, "fpvm: %s\n", err.msg);
		return FPVM_EXIT_DATAERR;
	}
	fps = (struct fpstate){
		.layout = &f.layout, .xfeatures = f.xfeatures, .size = f.size,
		.is_guest = !o->host, .buf = f.buf,
	};
	fpstate_validate_uabi(&fps, f.buf, f.size, &d);
	if (o->json) {
		fputs("{\"file\": ", stdout);
		json_str(stdout, o->files[0]);
		printf(", \"as\": \"%s\", \"valid\": %s, \"findings\": [", o->host ? "host" : "guest",
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
			printf("%s: %s: %s\n", o->files[0], d.item[i].error ? "error" : "warning",
			       d.item[i].msg);
		printf("%s: %s as a %s fpstate (%u error%s, %u warning%s)\n", o->files[0],
		       d.nr_errors ? "invalid" : "valid", o->host ? "host" : "guest", d.nr_errors,
		       d.nr_errors == 1 ? "" : "s", d.nr_warnings, d.nr_warnings == 1 ? "" : "s");
	}
	fpstate_file_free(&f);
	return d.nr_errors ? 1 : 0;
}

static const struct opt fpstate_opts[] = {
	OPT_FLAG("json", 0, struct fpstate_opts, json, "print JSON instead of text"),
};

static const struct opt fpstate_check_opts[] = {
	OPT_FLAG("json", 0, struct fpstate_opts, json, "print JSON instead of text"),
	OPT_FLAG("host", 0, struct fpstate_opts, host,
		 "validate as a host fpstate, where guest-only\nsupervisor features are wrong"),
};

static int one_file(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	if (argc > 1)
		return USAGE_FAIL(err, "fpstate: too many files");
	if (argc < 1)
		return USAGE_FAIL(err, "fpstate: expected a file");
	((struct fpstate_opts *)opts)->files[0] = argv[0];
	return 0;
}

static int two_files(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	if (argc != 2)
		return USAGE_FAIL(err, "fpstate diff: expected two files");
	((struct fpstate_opts *)opts)->files[0] = argv[0];
	((struct fpstate_opts *)opts)->files[1] = argv[1];
	return 0;
}

static void fpstate_init(void *opts)
{
	*(struct fpstate_opts *)opts = (struct fpstate_opts){ 0 };
}

#define FPSTATE_COMMON \
	.init = fpstate_init, \
	.opts = fpstate_opts, \
	.nr_opts = NR_OPTS(fpstate_opts)

const struct command cmd_fpstate_show = {
	.name = "fpstate show",
	.synopsis = "FILE [--json]",
	.summary = "decode a saved vcpuN.xsave (from run --save-fpstate)",
	.description = "Decodes FILE, with the vcpuN.layout beside it, into registers.",
	FPSTATE_COMMON,
	.operands = one_file,
	.run = show,
	.statuses = "0 decoded; 64 usage error; 65 FILE or its layout is malformed.",
};

const struct command cmd_fpstate_diff = {
	.name = "fpstate diff",
	.synopsis = "A B [--json]",
	.summary = "registers that differ between two saved states",
	.description = "Lists every register whose value differs between saved states A and B.",
	FPSTATE_COMMON,
	.operands = two_files,
	.run = diff,
	.statuses = "0 no register differs; 1 some do; 64 usage error; 65 a file is\nmalformed.",
};

const struct command cmd_fpstate_check = {
	.name = "fpstate check",
	.synopsis = "FILE [--host] [--json]",
	.summary = "validate a saved state as KVM_SET_XSAVE would",
	.description =
		"Validates FILE by the kernel's rules for a user-ABI XSAVE buffer (header,\n"
		"XSTATE_BV against XCR0, MXCSR against MXCSR_MASK, reserved bytes).",
	.init = fpstate_init,
	.opts = fpstate_check_opts,
	.nr_opts = NR_OPTS(fpstate_check_opts),
	.operands = one_file,
	.run = check,
	.statuses = "0 valid; 1 invalid; 64 usage error; 65 FILE is malformed.",
};
