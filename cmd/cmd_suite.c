// SPDX-License-Identifier: MIT
/*
 * The 'fpvm test' command (this file is not a test): a manifest of guests,
 * each its own 'fpvm run', in parallel, reported as TAP13 on stdout and, on
 * request, JUnit XML and JSON.  This command judges what needs KVM
 * (requirements, the quirks of quirks.c) once, before any test starts;
 * suite/ runs and reports.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../suite/suite.h"
#include "../vcpu/vcpu.h"
#include "cmd.h"

/* A CPU feature a test can require: KVM_GET_SUPPORTED_CPUID must offer it. */
struct cpu_feature {
	const char *name;
	uint32_t function, index;
	uint8_t reg;		/* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint8_t bit;
};

static const struct cpu_feature cpu_features[] = {
	{ "sse", 1, 0, 3, 25 }, { "sse2", 1, 0, 3, 26 }, { "sse3", 1, 0, 2, 0 },
	{ "ssse3", 1, 0, 2, 9 }, { "fma", 1, 0, 2, 12 }, { "sse4_1", 1, 0, 2, 19 },
	{ "sse4_2", 1, 0, 2, 20 }, { "x2apic", 1, 0, 2, 21 }, { "xsave", 1, 0, 2, 26 },
	{ "avx", 1, 0, 2, 28 }, { "f16c", 1, 0, 2, 29 }, { "avx2", 7, 0, 1, 5 },
	{ "avx512f", 7, 0, 1, 16 }, { "avx512dq", 7, 0, 1, 17 }, { "avx512bw", 7, 0, 1, 30 },
	{ "avx512vl", 7, 0, 1, 31 }, { "pku", 7, 0, 2, 3 }, { "amx_bf16", 7, 0, 3, 22 },
	{ "amx_tile", 7, 0, 3, 24 }, { "amx_int8", 7, 0, 3, 25 }, { "xsaveopt", 0xd, 1, 0, 0 },
	{ "xsavec", 0xd, 1, 0, 1 }, { "xsaves", 0xd, 1, 0, 3 },
};

#define NR_CPU_FEATURES (sizeof(cpu_features) / sizeof(cpu_features[0]))
static const struct cpu_feature *find_cpu_feature(const char *name)
{
	for (size_t i = 0; i < NR_CPU_FEATURES; i++)
		if (!strcmp(cpu_features[i].name, name))
			return &cpu_features[i];
	return NULL;
}

/* "cpu:avx", "xcr0:avx512", "quirk:NAME" or "!quirk:NAME"; NULL when valid. */
static const char *requirement_problem(const char *req)
{
	char msg[200];
	uint64_t mask;

	if (!strncmp(req, "cpu:", 4))
		return find_cpu_feature(req + 4) ? NULL : "unknown CPU feature (see docs/testing.md)";
	if (!strncmp(req, "xcr0:", 5))
		return xfeatures_parse(req + 5, &mask, msg, sizeof(msg)) ? "unknown XCR0 feature"
									     : NULL;
	if (!strncmp(req, "quirk:", 6) || !strncmp(req, "!quirk:", 7))
		return quirk_find(strchr(req, ':') + 1) >= 0 ? NULL
			: "unknown quirk (see 'fpvm probe')";
	return "expected cpu:, xcr0:, quirk: or !quirk:";
}

/*
 * The run options a test gives fpvm, checked by run's own parser: its mem
 * first, alone, so that a bad size names its own line; then the options.
 */
static int check_run_options(const struct suite *s, const struct suite_test *t,
			     struct fpvm_error *err)
{
	char *argv[8 + 256 + 1], cpus[16], msg[sizeof(err->msg)];
	char *mem[] = { "--mem", t->mem, t->guest, NULL };
	unsigned int n = suite_run_words(t, cpus, argv), line;
	const char *problem = NULL;
	struct run_opts o;
	bool help;

	argv[n] = NULL;
	line = t->mem_line ? t->mem_line : t->line;
	if (t->mem && opt_parse(&cmd_run, 3, mem, &o, &help, err)) {
		problem = err->msg;
	} else {
		line = t->options.line ? t->options.line : t->line;
		if (opt_parse(&cmd_run, (int)n, argv, &o, &help, err))
			problem = err->msg;
		else if (help)
			problem = "options: --help";
		else if (o.vm.guest_path != t->guest)
			problem = "options: a guest path among the options";
	}
	if (!problem)
		return 0;
	snprintf(msg, sizeof(msg), "%s", problem);
	return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s:%u: test '%s': %s", s->path, line,
			 t->name, msg);
}

/* kvm-unit-tests' "smp = $MAX_SMP": as many vCPUs as this host has online. */
static void fit_cpus(struct suite *s)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	for (unsigned int i = 0; i < s->nr; i++)
		if (s->tests[i].cpus == 0xffff)
			s->tests[i].cpus = online < 1 ? 1 : online > 1024 ? 1024 : (unsigned int)online;
}

static int check_manifest(const struct suite *s, struct fpvm_error *err)
{
	for (unsigned int i = 0; i < s->nr; i++) {
		const struct suite_test *t = &s->tests[i];

		if (t->result == SUITE_SKIP)
			continue;	/* skipped as the manifest says: never run */
		if (check_run_options(s, t, err))
			return -EINVAL;
		for (unsigned int r = 0; r < t->requires.nr; r++) {
			const char *why = requirement_problem(t->requires.w[r]);

			if (why)
				return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL,
						 "%s:%u: test '%s': requires '%s': %s", s->path,
						 t->requires.line, t->name, t->requires.w[r], why);
		}
	}
	return 0;
}

/* What this host offers, judged once for every test. */
struct host_facts {
	struct kvm kvm;
	struct guest_fpu_cfg fpu;
	bool have_quirks;
	struct quirk q[NR_QUIRKS];
};

static bool cpu_offers(const struct kvm *kvm, const struct cpu_feature *f)
{
	const struct kvm_cpuid_entry2 *e = kvm_cpuid_find(kvm->cpuid, f->function, f->index);
	uint32_t regs[4];

	if (!e)
		return false;
	regs[0] = e->eax;
	regs[1] = e->ebx;
	regs[2] = e->ecx;
	regs[3] = e->edx;
	return regs[f->reg] & (1U << f->bit);
}

/* Why @t cannot run here, into t->reason; false when it can. */
static bool unmet(struct host_facts *h, struct suite_test *t)
{
	for (unsigned int i = 0; i < t->requires.nr; i++) {
		const char *req = t->requires.w[i];
		char msg[200];
		uint64_t mask;

		if (!strncmp(req, "cpu:", 4)) {
			if (cpu_offers(&h->kvm, find_cpu_feature(req + 4)))
				continue;
			snprintf(t->reason, sizeof(t->reason), "requires %s: KVM does not offer it",
				 req);
			return true;
		}
		if (!strncmp(req, "xcr0:", 5)) {
			xfeatures_parse(req + 5, &mask, msg, sizeof(msg));
			if ((h->fpu.default_xcr0 & mask) == mask)
				continue;
			snprintf(t->reason, sizeof(t->reason), "requires %s: the guest default XCR0 "
				 "is 0x%llx", req, (unsigned long long)h->fpu.default_xcr0);
			return true;
		}
		if (!h->have_quirks) {
			probe_quirks(&h->kvm, &h->fpu, h->q);
			h->have_quirks = true;
		}
		{
			const struct quirk *q = &h->q[quirk_find(strchr(req, ':') + 1)];
			int want = req[0] == '!' ? NO : YES;

			if (q->detected == want)
				continue;
			snprintf(t->reason, sizeof(t->reason), "requires %s: %s (%.150s)", req,
				 q->detected == UNKNOWN ? "not known on this host" :
				 q->detected == YES ? "detected" : "not detected", q->evidence);
			return true;
		}
	}
	return false;
}

/* Marks the tests this host cannot run as skips, with the reason. */
static int judge_requirements(const struct test_opts *o, struct suite *s)
{
	struct fpvm_error err = { 0 };
	struct host_facts *h = calloc(1, sizeof(*h));
	bool usable;

	if (!h) {
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	usable = !guest_fpu_open(&h->kvm, &h->fpu, o->kvm_path, false, NULL, &err);
	if (!usable) {
		/* No usable KVM is a skip for every test, never a failure. */
		for (unsigned int i = 0; i < s->nr; i++) {
			s->tests[i].result = SUITE_SKIP;
			snprintf(s->tests[i].reason, sizeof(s->tests[i].reason),
				 "no usable KVM: %.200s", err.msg);
		}
		free(h);
		return 0;
	}
	for (unsigned int i = 0; i < s->nr; i++)
		if (s->tests[i].selected && unmet(h, &s->tests[i]))
			s->tests[i].result = SUITE_SKIP;
	guest_fpu_close(&h->kvm, &h->fpu);
	free(h);
	return 0;
}

static void list(const struct suite *s)
{
	for (unsigned int i = 0; i < s->nr; i++) {
		const struct suite_test *t = &s->tests[i];

		if (!t->selected)
			continue;
		printf("%-24s", t->name);
		for (unsigned int g = 0; g < t->groups.nr; g++)
			printf("%s%s", g ? "," : " ", t->groups.w[g]);
		printf("%s %s", t->groups.nr ? "" : " -", t->guest);
		for (unsigned int a = 0; a < t->args.nr; a++)
			printf(" %s", t->args.w[a]);
		putchar('\n');
	}
}

static int status_of_suite(const struct suite *s)
{
	if (s->interrupted)
		return s->interrupted == SIGINT ? FPVM_EXIT_SIGINT : FPVM_EXIT_SIGTERM;
	for (unsigned int i = 0; i < s->nr; i++)
		if (s->tests[i].selected &&
		    (s->tests[i].result == SUITE_FAIL || s->tests[i].result == SUITE_TIMEOUT))
			return 1;
	return 0;
}

static int run_suite(const struct test_opts *o, struct suite *s)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct fpvm_error err = { 0 };
	int status, r;

	if (n <= 0) {
		fprintf(stderr, "fpvm: /proc/self/exe: %s\n", strerror(errno));
		return FPVM_EXIT_SOFTWARE;
	}
	self[n] = '\0';
	status = judge_requirements(o, s);
	if (status)
		return status;
	suite_tap_plan(stdout, s);
	fflush(stdout);
	r = suite_run(s, &(struct suite_run_cfg){
		.fpvm = self, .kvm_path = o->kvm_path, .log_dir = o->log_dir, .jobs = o->jobs,
		.timeout_status = FPVM_EXIT_TIMEOUT,
		.progress = isatty(STDERR_FILENO) && !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb")),
		.tap = stdout,
	}, &err);
	if (s->interrupted)
		printf("Bail out! interrupted by %s\n", strsignal(s->interrupted));
	status = r ? report_error(&err) : status_of_suite(s);
	return test_write_reports(o, s) ?: status;
}

static int test(const void *opts)
{
	const struct test_opts *o = opts;
	struct fpvm_error err = { 0 };
	struct suite s = { 0 };
	int status;

	if (o->merge)
		return test_merge(o);
	if (suite_load(o->manifest, o->guest_dir, o->kvm_unit_tests ? SUITE_DIALECT_KVM_UNIT_TESTS :
		       SUITE_DIALECT_FPVM, &s, &err) || (fit_cpus(&s), check_manifest(&s, &err))) {
		suite_free(&s);
		return report_error(&err);
	}
	if (!suite_select(&s, o->groups, o->nr_groups, o->globs, o->nr_globs)) {
		fprintf(stderr, "fpvm: %s: no test matches the groups and names given\n",
			o->manifest);
		suite_free(&s);
		return FPVM_EXIT_USAGE;
	}
	/* A shard may hold no test (more shards than tests): it passes, running none. */
	if (o->shard && (status = test_shard(o, &s))) {
		suite_free(&s);
		return status;
	}
	if (o->list) {
		list(&s);
		status = 0;
	} else {
		status = run_suite(o, &s);
	}
	suite_free(&s);
	return status;
}

static int set_jobs(void *opts, const char *arg, struct fpvm_error *err)
{
	if (parse_uint(arg, 1, 256, &((struct test_opts *)opts)->jobs))
		return USAGE_FAIL(err, "--jobs %s: expected 1..256", arg);
	return 0;
}

static int add_group(void *opts, const char *arg, struct fpvm_error *err)
{
	struct test_opts *o = opts;

	if (o->nr_groups == TEST_MAX_SELECT)
		return USAGE_FAIL(err, "--group: at most %d", TEST_MAX_SELECT);
	o->groups[o->nr_groups++] = (char *)arg;
	return 0;
}

static const struct opt test_opts[] = {
	OPT_CALL("jobs", 'j', "N", set_jobs, "tests run at once (default: online CPUs)"),
	OPT_CALL("group", 'g', "GROUP", add_group,
		 "only tests in GROUP; may be given more than once"),
	OPT_FLAG("list", 0, struct test_opts, list, "list the selected tests, run none"),
	OPT_FLAG("kvm-unit-tests", 0, struct test_opts, kvm_unit_tests,
		 "MANIFEST is kvm-unit-tests' unittests.cfg, read as it is\n"
		 "(file, smp, test_args, groups, timeout, arch, check)"),
	OPT_STRING("junit", 0, "FILE", struct test_opts, junit_path,
		   "also write a JUnit XML report to FILE"),
	OPT_STRING("json", 0, "FILE", struct test_opts, json_path,
		   "also write a JSON report to FILE"),
	OPT_STRING("log-dir", 0, "DIR", struct test_opts, log_dir,
		   "each test's output in DIR/NAME.log (default\nfpvm-test-logs); never written through a link"),
	OPT_STRING("guest-dir", 0, "DIR", struct test_opts, guest_dir,
		   "where relative guest paths start (default: the\nmanifest's directory)"),
	OPT_STRING("kvm", 0, "PATH", struct test_opts, kvm_path,
		   "KVM device to use (default /dev/kvm)"),
	OPT_SECTION("Across runners (docs/testing.md, \"Sharding\"):"),
	OPT_CALL("shard", 0, "K/N", test_set_shard,
		 "run only shard K of N (1 <= K <= N): a stable split\nby test name; "
		 "index/N takes K from Kubernetes'\nJOB_COMPLETION_INDEX (0-based) plus 1"),
	OPT_STRING("shard-timings", 0, "REPORT", struct test_opts, shard_timings,
		   "balance the shards by the durations in an earlier\nJSON REPORT "
		   "(longest first); tests it lacks keep\ntheir stable shard"),
	OPT_FLAG("merge", 0, struct test_opts, merge,
		 "merge shards' JSON reports (the operands) into\none: TAP on stdout, "
		 "--junit, --json"),
};

static int merge_operands(struct test_opts *o, int argc, char **argv, struct fpvm_error *err)
{
	if (o->shard || o->shard_timings || o->list || o->nr_groups || o->kvm_unit_tests)
		return USAGE_FAIL(err, "test: --merge takes no --shard, --shard-timings, --list, "
				  "--group or --kvm-unit-tests");
	if (argc < 1)
		return USAGE_FAIL(err, "test: --merge: no report given");
	if (argc > TEST_MAX_REPORTS)
		return USAGE_FAIL(err, "test: --merge: at most %d reports", TEST_MAX_REPORTS);
	for (int i = 0; i < argc; i++)
		o->reports[o->nr_reports++] = argv[i];
	return 0;
}

static void test_init(void *opts)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	*(struct test_opts *)opts = (struct test_opts){
		.log_dir = "fpvm-test-logs", .kvm_path = "/dev/kvm",
		.jobs = cpus < 1 ? 1 : cpus > 256 ? 256 : (unsigned int)cpus,
	};
}

/* MANIFEST [NAME-GLOB...], or with --merge REPORT... */
static int test_operands(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	struct test_opts *o = opts;

	if (o->merge)
		return merge_operands(o, argc, argv, err);
	if (o->shard_timings && !o->shard)
		return USAGE_FAIL(err, "test: --shard-timings needs --shard");
	if (argc < 1)
		return USAGE_FAIL(err, "test: no manifest given");
	if (argc > TEST_MAX_SELECT + 1)
		return USAGE_FAIL(err, "test: at most %d name globs", TEST_MAX_SELECT);
	/* The strings are argv's; the array holding them is the parser's. */
	o->manifest = argv[0];
	for (int i = 1; i < argc; i++)
		o->globs[o->nr_globs++] = argv[i];
	return 0;
}

const struct command cmd_test = {
	.name = "test",
	.synopsis = "[OPTIONS] MANIFEST [NAME-GLOB...] | --merge [OPTIONS] REPORT...",
	.summary = "run a manifest of guests in parallel; TAP13, JUnit, JSON",
	.description =
		"Runs every test of MANIFEST (docs/testing.md) whose name matches a\n"
		"NAME-GLOB, each as its own 'fpvm run', and prints TAP13 on stdout as they end.\n"
		"A test whose requirement this host lacks, or every test without a usable KVM,\n"
		"is skipped with its reason.  With --shard it runs one part of the selection;\n"
		"with --merge it joins the JSON reports of shards into one report.",
	.opts = test_opts,
	.nr_opts = NR_OPTS(test_opts),
	.init = test_init,
	.operands = test_operands,
	.run = test,
	.statuses = "0 every selected test passed or was skipped; 1 a test failed or timed\n"
		    "out (--merge: or a shard was interrupted); 64 usage error or no test\n"
		    "selected; 65 malformed manifest or report; 70 internal\n"
		    "error; 74 a log or report cannot be written; 130 SIGINT; 143 SIGTERM.",
};
