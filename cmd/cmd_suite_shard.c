// SPDX-License-Identifier: MIT
/*
 * fpvm test across runners: --shard K/N picks this runner's part of the
 * selection (suite/shard.c), --merge joins the shards' JSON reports into
 * one TAP, JUnit and JSON report for a fan-in step.  No scheduler: a CI
 * matrix or a Kubernetes Indexed Job starts the shards.
 */
#include <stdlib.h>
#include <string.h>

#include "../base/parse.h"
#include "../suite/suite.h"
#include "cmd.h"

/*
 * Kubernetes gives each pod of an Indexed Job its index, 0-based, in
 * JOB_COMPLETION_INDEX (batch/v1 Job, completionMode: Indexed); shard
 * "index/N" is shard index + 1 of N.  Opt-in: the variable is read only
 * when K is "index".
 */
#define INDEX_ENV	"JOB_COMPLETION_INDEX"

int test_set_shard(void *opts, const char *arg, struct fpvm_error *err)
{
	struct test_opts *o = opts;
	const char *env = getenv(INDEX_ENV), *given = arg;
	char spec[32];
	unsigned int index;

	if (!strncmp(arg, "index/", 6)) {
		if (!env || parse_uint(env, 0, SUITE_MAX_SHARDS - 1, &index))
			return USAGE_FAIL(err, "--shard %s: %s is %s%s%s, expected 0..%d", arg,
					  INDEX_ENV, env ? "'" : "not set", env ? env : "",
					  env ? "'" : "", SUITE_MAX_SHARDS - 1);
		snprintf(spec, sizeof(spec), "%u/%.16s", index + 1, arg + 6);
		arg = spec;
	}
	if (suite_parse_shard(arg, &o->shard_k, &o->shard_n))
		return USAGE_FAIL(err, "--shard %s: expected K/N with 1 <= K <= N <= %d, "
				  "or index/N", given, SUITE_MAX_SHARDS);
	o->shard = given;
	return 0;
}

int test_shard(const struct test_opts *o, struct suite *s)
{
	struct fpvm_error err = { 0 };
	struct suite timings = { 0 };
	int kept;

	if (o->shard_timings && suite_load_report(o->shard_timings, &timings, &err)) {
		suite_free(&timings);
		return report_error(&err);
	}
	kept = suite_shard(s, o->shard_k, o->shard_n, o->shard_timings ? &timings : NULL);
	suite_free(&timings);
	if (kept < 0) {
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	return 0;
}

int test_merge(const struct test_opts *o)
{
	struct fpvm_error err = { 0 };
	struct suite s = { 0 };
	unsigned int number = 0;
	int status = 0;

	for (unsigned int i = 0; i < o->nr_reports; i++) {
		if (suite_load_report(o->reports[i], &s, &err)) {
			suite_free(&s);
			return report_error(&err);
		}
	}
	suite_tap_plan(stdout, &s);
	for (unsigned int i = 0; i < s.nr; i++)
		suite_tap_result(stdout, &s.tests[i], ++number);
	for (unsigned int i = 0; i < s.nr; i++)
		if (s.tests[i].result == SUITE_FAIL || s.tests[i].result == SUITE_TIMEOUT)
			status = 1;
	if (s.interrupted) {
		/* An interrupted shard's report lacks what it never ran. */
		fprintf(stderr, "fpvm: a shard's run was interrupted: its report is incomplete\n");
		status = 1;
	}
	status = test_write_reports(o, &s) ?: status;
	suite_free(&s);
	return status;
}
