// SPDX-License-Identifier: MIT
/*
 * Shards and merged reports: every split is disjoint and complete, stable
 * when tests are added, balanced by earlier durations; merging the shards'
 * JSON reports loses no case, status or duration.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "../../suite/suite.h"
#include "testutil.h"

static struct fpvm_error err;

/* A manifest of @n tests named PREFIXi, @first first. */
static char *manifest(const char *prefix, unsigned int first, unsigned int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (unsigned int i = first; i < first + n; i++)
		fprintf(f, "[%s%u]\nguest = hello.elf\ngroups = g%u\n\n", prefix, i, i % 3);
	fclose(f);
	return buf;
}

static void parse_text(const char *text, struct suite *s)
{
	memset(&err, 0, sizeof(err));
	ck_assert_msg(!suite_parse(text, "m.cfg", "/g", SUITE_DIALECT_FPVM, s, &err), "%s",
		      err.msg);
}

/* Which shard (0..n-1) holds each test; -1 for none, and no test twice. */
static void split(struct suite *s, unsigned int n, const struct suite *timings, int *where)
{
	bool *chosen = calloc(s->nr, sizeof(*chosen));

	for (unsigned int i = 0; i < s->nr; i++) {
		chosen[i] = s->tests[i].selected;
		where[i] = -1;
	}
	for (unsigned int k = 0; k < n; k++) {
		for (unsigned int i = 0; i < s->nr; i++)
			s->tests[i].selected = chosen[i];
		ck_assert_int_ge(suite_shard(s, k, n, timings), 0);
		for (unsigned int i = 0; i < s->nr; i++) {
			const char *name = s->tests[i].name;

			if (!s->tests[i].selected)
				continue;
			ck_assert_msg(chosen[i], "%s: not selected, yet in shard %u", name, k);
			ck_assert_msg(where[i] < 0, "%s in shards %d and %u of %u", name,
				      where[i], k, n);
			where[i] = (int)k;
		}
	}
	for (unsigned int i = 0; i < s->nr; i++) {
		ck_assert_msg(!chosen[i] || where[i] >= 0, "%s in no shard of %u", s->tests[i].name,
			      n);
		s->tests[i].selected = chosen[i];
	}
	free(chosen);
}

static void disjoint_and_complete(struct suite *s)
{
	static const unsigned int ns[] = { 1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 4096 };
	int *where = calloc(s->nr, sizeof(*where));

	for (unsigned int j = 0; j < sizeof(ns) / sizeof(ns[0]); j++)
		split(s, ns[j], NULL, where);
	free(where);
}

START_TEST(shards_are_disjoint_and_complete)
{
	static const unsigned int sizes[] = { 1, 2, 5, 31, 97, 500 };
	static const char *const bundled[] = { "guests.cfg", "hostile.cfg" };
	char *g[] = { "g1" }, *glob[] = { "t1*" };
	struct suite s = { 0 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *text = manifest("t", 0, sizes[i]);

		parse_text(text, &s);
		suite_select(&s, NULL, 0, NULL, 0);
		disjoint_and_complete(&s);
		/* A selection: shards split it, never what it left out. */
		if (suite_select(&s, g, 1, glob, 1))
			disjoint_and_complete(&s);
		suite_free(&s);
		free(text);
	}
	for (unsigned int i = 0; i < 2; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/../%s", FIXTURE_DIR, bundled[i]);
		ck_assert_msg(!suite_load(path, "/g", SUITE_DIALECT_FPVM, &s, &err), "%s", err.msg);
		suite_select(&s, NULL, 0, NULL, 0);
		disjoint_and_complete(&s);
		suite_free(&s);
	}
}
END_TEST

/* Tests added before, between and after leave every other test's shard alone. */
START_TEST(shards_are_stable_when_tests_are_added)
{
	char *a = manifest("t", 0, 40), *before = manifest("new", 0, 25);
	char *after = manifest("z", 0, 9);
	char *both = malloc(strlen(a) + strlen(before) + strlen(after) + 1);
	struct suite s = { 0 }, bigger = { 0 };
	int where[40], where2[74];

	sprintf(both, "%s%s%s", before, a, after);
	parse_text(a, &s);
	parse_text(both, &bigger);
	for (unsigned int n = 2; n <= 9; n++) {
		suite_select(&s, NULL, 0, NULL, 0);
		suite_select(&bigger, NULL, 0, NULL, 0);
		split(&s, n, NULL, where);
		split(&bigger, n, NULL, where2);
		for (unsigned int i = 0; i < 40; i++) {
			ck_assert_str_eq(s.tests[i].name, bigger.tests[25 + i].name);
			ck_assert_int_eq(where[i], where2[25 + i]);
			ck_assert_int_eq(where[i], (int)suite_shard_of(s.tests[i].name, n));
		}
	}
	/* The same name, the same shard: a pure function of the name. */
	ck_assert_uint_eq(suite_shard_of("hello", 7), suite_shard_of("hello", 7));
	ck_assert_uint_eq(suite_shard_of("", 1), 0);
	suite_free(&s);
	suite_free(&bigger);
	free(a);
	free(before);
	free(after);
	free(both);
}
END_TEST

/* Deterministic durations, 50 ms to 20 s, a few long ones. */
static uint64_t duration(unsigned int i)
{
	uint32_t x = i * 2654435761u;

	return i % 25 == 0 ? 20000 : 50 + (x >> 8) % 8000;
}

static void shard_loads(struct suite *s, unsigned int n, const struct suite *timings,
			uint64_t *load)
{
	int *where = calloc(s->nr, sizeof(*where));

	split(s, n, timings, where);
	memset(load, 0, n * sizeof(*load));
	for (unsigned int i = 0; i < s->nr; i++)
		load[where[i]] += timings->tests[i].duration_ms;
	free(where);
}

START_TEST(timings_balance_shards_within_1_2x)
{
	char *text = manifest("t", 0, 120);
	struct suite s = { 0 }, report = { 0 };
	uint64_t load[16];

	parse_text(text, &s);
	parse_text(text, &report);
	for (unsigned int i = 0; i < report.nr; i++) {
		report.tests[i].result = SUITE_PASS;
		report.tests[i].duration_ms = duration(i);
	}
	for (unsigned int n = 2; n <= 16; n++) {
		uint64_t lo = UINT64_MAX, hi = 0, stable_lo = UINT64_MAX, stable_hi = 0;

		suite_select(&s, NULL, 0, NULL, 0);
		shard_loads(&s, n, &report, load);
		for (unsigned int k = 0; k < n; k++) {
			lo = load[k] < lo ? load[k] : lo;
			hi = load[k] > hi ? load[k] : hi;
		}
		ck_assert_msg(lo && (double)hi / (double)lo <= 1.2,
			      "%u shards: %llu ms to %llu ms", n, (unsigned long long)lo,
			      (unsigned long long)hi);
		/* The split by name alone is not balanced: the durations did it. */
		{
			struct suite none = { 0 };
			int where[120];

			split(&s, n, &none, where);
			memset(load, 0, sizeof(load));
			for (unsigned int i = 0; i < s.nr; i++)
				load[where[i]] += report.tests[i].duration_ms;
			for (unsigned int k = 0; k < n; k++) {
				stable_lo = load[k] < stable_lo ? load[k] : stable_lo;
				stable_hi = load[k] > stable_hi ? load[k] : stable_hi;
			}
			if (n >= 4)
				ck_assert((double)stable_hi / (double)(stable_lo ?: 1) > 1.2);
		}
	}
	suite_free(&s);
	suite_free(&report);
	free(text);
}
END_TEST

/* Tests the report lacks stay on their stable shard; the rest still split. */
START_TEST(timings_fall_back_to_the_stable_split)
{
	char *text = manifest("t", 0, 30), *old = manifest("t", 0, 20);
	struct suite s = { 0 }, report = { 0 };
	int where[30], again[30];

	parse_text(text, &s);
	parse_text(old, &report);
	for (unsigned int i = 0; i < report.nr; i++) {
		report.tests[i].result = SUITE_PASS;
		report.tests[i].duration_ms = duration(i);
	}
	/* One that never ran is not a duration. */
	report.tests[3].result = SUITE_NOT_RUN;
	suite_select(&s, NULL, 0, NULL, 0);
	split(&s, 4, &report, where);
	split(&s, 4, &report, again);
	for (unsigned int i = 0; i < 30; i++) {
		ck_assert_int_eq(where[i], again[i]);
		if (i >= 20 || i == 3)
			ck_assert_int_eq(where[i], (int)suite_shard_of(s.tests[i].name, 4));
	}
	suite_free(&s);
	suite_free(&report);
	free(text);
	free(old);
}
END_TEST

START_TEST(shard_specs)
{
	static const char *const bad[] = { "", "0/3", "4/3", "1/0", "a/b", "1/3x", "/3", "1/",
		"1", "-1/3", "1/4097", " 1/3", "1/+3", "index/3" };
	unsigned int k, n;

	ck_assert_int_eq(suite_parse_shard("1/1", &k, &n), 0);
	ck_assert_uint_eq(k, 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(suite_parse_shard("7/4096", &k, &n), 0);
	ck_assert_uint_eq(k, 6);
	ck_assert_uint_eq(n, 4096);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(suite_parse_shard(bad[i], &k, &n), "'%s' accepted", bad[i]);
}
END_TEST

static char *json_of(const struct suite *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	suite_print_json(f, s);
	fclose(f);
	return buf;
}

/* Every case, result, status, duration, reason and group survives a merge. */
START_TEST(merging_is_lossless)
{
	static const enum suite_result results[] = { SUITE_PASS, SUITE_FAIL, SUITE_TIMEOUT,
		SUITE_SKIP };
	char *text = manifest("case", 0, 37), *reports[3];
	struct suite s = { 0 }, merged = { 0 };

	parse_text(text, &s);
	for (unsigned int i = 0; i < s.nr; i++) {
		struct suite_test *t = &s.tests[i];

		t->result = results[i % 4];
		t->status = t->result == SUITE_TIMEOUT ? -1 : (int)(i * 7 % 256);
		t->expect = (int)(i % 3);
		t->duration_ms = (uint64_t)i * 1234567 + 1;
		snprintf(t->reason, sizeof(t->reason),
			 "why \"%u\"\n\\ tab\t \xc3\xa9\xf0\x9f\x98\x80", i);
	}
	s.duration_ms = 999;
	for (unsigned int k = 0; k < 3; k++) {
		suite_select(&s, NULL, 0, NULL, 0);
		ck_assert_int_ge(suite_shard(&s, k, 3, NULL), 1);
		reports[k] = json_of(&s);
	}
	for (unsigned int k = 0; k < 3; k++) {
		int r = suite_read_report(reports[k], strlen(reports[k]), "r.json", &merged, &err);

		ck_assert_msg(!r, "%s", err.msg);
	}
	ck_assert_uint_eq(merged.nr, s.nr);
	ck_assert_uint_eq(merged.duration_ms, 3 * 999);
	ck_assert_str_eq(merged.name, "m");
	for (unsigned int i = 0; i < s.nr; i++) {
		const struct suite_test *a = &s.tests[i], *b = NULL;

		for (unsigned int j = 0; j < merged.nr; j++)
			if (!strcmp(merged.tests[j].name, a->name))
				b = &merged.tests[j];
		ck_assert_msg(b, "%s lost", a->name);
		ck_assert(b->selected);
		ck_assert_int_eq(b->result, a->result);
		ck_assert_int_eq(b->status, a->status);
		ck_assert_int_eq(b->expect, a->expect);
		ck_assert_uint_eq(b->duration_ms, a->duration_ms);
		ck_assert_str_eq(b->reason, a->reason);
		ck_assert_uint_eq(b->groups.nr, 1);
		ck_assert_str_eq(b->groups.w[0], a->groups.w[0]);
	}
	/* The same shard twice is an error naming the test, not a double count. */
	ck_assert_int_eq(suite_read_report(reports[0], strlen(reports[0]), "again.json", &merged,
					   &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "again.json: test 'case"));
	ck_assert_ptr_nonnull(strstr(err.msg, "is also in an earlier report"));
	for (unsigned int k = 0; k < 3; k++)
		free(reports[k]);
	suite_free(&merged);
	suite_free(&s);
	free(text);
}
END_TEST

START_TEST(malformed_reports_are_named)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "", "r.json: byte 0: a value expected" },
		{ "{\"manifest\": \"m\"", "r.json: byte 16: expected ',' or '}'" },
		{ "[]", "not an fpvm test report" },
		{ "{\"manifest\": \"m\", \"duration_ms\": 1, \"interrupted\": false, "
		  "\"results\": [1]}",
		  "r.json: result 1: not an object" },
		{ "{\"manifest\": \"m\", \"duration_ms\": 1, \"interrupted\": false, \"results\": "
		  "[{\"name\": \"a\", \"result\": \"maybe\", \"status\": 0, \"expected\": 0, "
		  "\"duration_ms\": 1}]}", "result 1: no result" },
		{ "{\"manifest\": \"m\", \"duration_ms\": 1, \"interrupted\": false, \"results\": "
		  "[{\"name\": \"a\", \"result\": \"pass\", \"status\": 0.5, \"expected\": 0, "
		  "\"duration_ms\": 1}]}", "result 1: status, expected or duration_ms" },
		{ "{\"manifest\": \"m\", \"duration_ms\": -1, \"interrupted\": false, "
		  "\"results\": []}",
		  "not an fpvm test report" },
		{ "{\"manifest\": \"m\\u0000\", \"duration_ms\": 1}", "a NUL character" },
		{ "{\"a\": 01}", "leading zero" },
		{ "{\"a\": 1} x", "text after the value" },
		{ "\"\x01\"", "a control character" },
		{ "\"a\xff\"", "byte 2: a string that is not UTF-8" },
		{ "\"\xc0\xaf\"", "not UTF-8" },
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct suite s = { 0 };

		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(suite_read_report(bad[i].text, strlen(bad[i].text), "r.json", &s,
						   &err), -EINVAL);
		ck_assert_msg(strstr(err.msg, bad[i].msg), "'%s': %s", bad[i].text, err.msg);
		suite_free(&s);
	}
}
END_TEST

START_TEST(json_reads_what_rfc_8259_allows)
{
	const char *text = " {\"s\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\udc00\","
			   " \"n\": -1.5e3, \"t\": true, \"f\": false, \"z\": null,"
			   " \"a\": [[], {}]} ";
	const struct json *v;
	struct json j;
	char msg[128], deep[200];

	ck_assert_int_eq(json_parse(text, strlen(text), &j, msg, sizeof(msg)), 0);
	v = json_get(&j, "s", JSON_STRING);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->str, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
	ck_assert(fabs(json_get(&j, "n", JSON_NUMBER)->num + 1500) < 1e-9);
	ck_assert(json_get(&j, "t", JSON_BOOL)->b);
	ck_assert(!json_get(&j, "f", JSON_BOOL)->b);
	ck_assert_ptr_nonnull(json_get(&j, "z", JSON_NULL));
	ck_assert_uint_eq(json_get(&j, "a", JSON_ARRAY)->nr, 2);
	ck_assert_ptr_null(json_get(&j, "s", JSON_NUMBER));
	ck_assert_ptr_null(json_get(&j, "nope", JSON_STRING));
	json_free(&j);
	/* Nesting is bounded, so a hostile report cannot exhaust the stack. */
	memset(deep, '[', sizeof(deep));
	ck_assert_int_eq(json_parse(deep, sizeof(deep), &j, msg, sizeof(msg)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "nested deeper than 64"));
}
END_TEST

int main(void)
{
	Suite *su = suite_create("suite_shard");
	TCase *tc = tcase_create("shard");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shards_are_disjoint_and_complete);
	tcase_add_test(tc, shards_are_stable_when_tests_are_added);
	tcase_add_test(tc, timings_balance_shards_within_1_2x);
	tcase_add_test(tc, timings_fall_back_to_the_stable_split);
	tcase_add_test(tc, shard_specs);
	tcase_add_test(tc, merging_is_lossless);
	tcase_add_test(tc, malformed_reports_are_named);
	tcase_add_test(tc, json_reads_what_rfc_8259_allows);
	suite_add_tcase(su, tc);
	return run_suite(su);
}
