// SPDX-License-Identifier: MIT
/*
 * Reading back fpvm test's JSON reports: the shards of one suite merged
 * into one (fpvm test --merge), or an earlier run's durations for
 * balancing shards (--shard-timings).  The JSON report is the one that
 * carries every field of every test, so it is what is read; JUnit and TAP
 * are written from the merged suite by report.c, as for a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/json.h"
#include "suite.h"

#define REPORT_MAX	(64 << 20)	/* 4096 tests with 16 KiB of stats each */

static int bad(const char *path, unsigned int i, const char *what, struct fpvm_error *err)
{
	if (i == ~0u)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: not an fpvm test report: %s",
				 path, what);
	return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: result %u: %s", path, i + 1, what);
}

static enum suite_result result_of(const char *name)
{
	for (enum suite_result r = SUITE_PASS; r <= SUITE_SKIP; r++)
		if (!strcmp(suite_result_name(r), name))
			return r;
	return SUITE_NOT_RUN;
}

/* An integer member within [min, max]; false when missing or not one. */
static bool integer(const struct json *o, const char *key, double min, double max, double *out)
{
	const struct json *v = json_get(o, key, JSON_NUMBER);

	if (!v || v->num != floor(v->num) || v->num < min || v->num > max)
		return false;
	*out = v->num;
	return true;
}

/* The groups, as the manifest parser keeps words: one buffer, w[0] its start. */
static int groups_of(const struct json *g, struct suite_words *w)
{
	size_t len = 1;
	char *buf, *o;

	if (!g->nr)
		return 0;
	for (unsigned int i = 0; i < g->nr; i++) {
		if (g->items[i].type != JSON_STRING)
			return -EINVAL;
		len += strlen(g->items[i].str) + 1;
	}
	w->w = calloc(g->nr, sizeof(*w->w));
	buf = o = malloc(len);
	if (!w->w || !buf) {
		free(w->w);
		free(buf);
		w->w = NULL;
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < g->nr; i++) {
		w->w[i] = o;
		o = stpcpy(o, g->items[i].str) + 1;
	}
	w->nr = g->nr;
	return 0;
}

static int add_result(struct suite *s, const struct json *o, const char *path, unsigned int i,
		      struct fpvm_error *err)
{
	const struct json *name = json_get(o, "name", JSON_STRING);
	const struct json *result = json_get(o, "result", JSON_STRING);
	const struct json *reason = json_get(o, "reason", JSON_STRING);
	const struct json *log = json_get(o, "log", JSON_STRING);
	const struct json *groups = json_get(o, "groups", JSON_ARRAY);
	struct suite_test *t;
	double status, expect, ms;

	if (!name || !*name->str || strlen(name->str) > SUITE_NAME_MAX)
		return bad(path, i, "no test name, or one too long", err);
	if (!result || result_of(result->str) == SUITE_NOT_RUN)
		return bad(path, i, "no result (pass, fail, timeout or skip)", err);
	if (!integer(o, "status", -1, 255, &status) || !integer(o, "expected", 0, 255, &expect) ||
	    !integer(o, "duration_ms", 0, 9007199254740992.0, &ms))
		return bad(path, i, "status, expected or duration_ms missing or out of range", err);
	for (unsigned int j = 0; j < s->nr; j++)
		if (!strcmp(s->tests[j].name, name->str))
			return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL,
					 "%s: test '%s' is also in an earlier report "
					 "(the same shard twice?)", path, name->str);
	if (s->nr == SUITE_MAX_TESTS)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: more than %d tests", path,
				 SUITE_MAX_TESTS);
	t = &s->tests[s->nr];
	*t = (struct suite_test){
		.name = strdup(name->str), .selected = true, .result = result_of(result->str),
		.status = (int)status, .expect = (int)expect, .duration_ms = (uint64_t)ms,
		.log_path = log ? strdup(log->str) : NULL,
	};
	s->nr++;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason->str : "");
	if (!t->name || (log && !t->log_path) ||
	    (groups && groups_of(groups, &t->groups) == -ENOMEM))
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "%s: out of memory", path);
	if (groups && groups->nr && !t->groups.nr)
		return bad(path, i, "a group that is not a string", err);
	return 0;
}

int suite_read_report(const char *text, size_t len, const char *path, struct suite *s,
		      struct fpvm_error *err)
{
	const struct json *manifest, *results, *interrupted;
	char msg[160];
	struct json v;
	double ms;
	int r;

	if (json_parse(text, len, &v, msg, sizeof(msg)))
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: %s", path, msg);
	manifest = json_get(&v, "manifest", JSON_STRING);
	results = json_get(&v, "results", JSON_ARRAY);
	interrupted = json_get(&v, "interrupted", JSON_BOOL);
	if (!manifest || !results || !interrupted || !integer(&v, "duration_ms", 0, 9e15, &ms)) {
		r = bad(path, ~0u, "no manifest, duration_ms, interrupted or results", err);
		goto out;
	}
	r = 0;
	if (!s->tests) {
		s->tests = calloc(SUITE_MAX_TESTS, sizeof(*s->tests));
		if (!s->tests || suite_set_names(s, manifest->str, err)) {
			r = fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "%s: out of memory", path);
			goto out;
		}
	}
	/* Shards ran one after another or side by side: their sum is the work done. */
	s->duration_ms += (uint64_t)ms;
	if (interrupted->b)
		s->interrupted = s->interrupted ?: SUITE_INTERRUPTED_SHARD;
	for (unsigned int i = 0; i < results->nr && !r; i++) {
		if (results->items[i].type != JSON_OBJECT)
			r = bad(path, i, "not an object", err);
		else
			r = add_result(s, &results->items[i], path, i, err);
	}
out:
	json_free(&v);
	return r;
}

int suite_load_report(const char *path, struct suite *s, struct fpvm_error *err)
{
	uint8_t *text;
	size_t n;
	int r;

	r = file_read_regular(AT_FDCWD, path, 0, REPORT_MAX, FPVM_ERR_INPUT, &text, &n, err);
	if (r)
		return r;
	r = suite_read_report((const char *)text, n, path, s, err);
	free(text);
	return r;
}
