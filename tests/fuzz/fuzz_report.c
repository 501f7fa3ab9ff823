// SPDX-License-Identifier: MIT
/*
 * Fuzz target: fpvm test's JSON reports read back (suite/merge.c, on
 * base/json_read.c), as --merge and --shard-timings read the reports of
 * shards, on the input as the text of a report.
 *
 * Beyond crashes and leaks, it checks what merging promises: a rejected
 * report is one input error naming its file and leaves nothing behind; an
 * accepted one read a second time is refused as the same shard twice
 * (unless it holds no test); and what fpvm writes of an accepted report
 * (JSON) reads back to the same tests, results, statuses and durations.
 */
#include <string.h>

#include "../../suite/suite.h"
#include "fuzz.h"

static char *json_of(const struct suite *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_ASSERT(f);
	suite_print_json(f, s);
	FUZZ_ASSERT(!fclose(f));
	return buf;
}

static void round_trip(struct suite *s)
{
	struct fpvm_error err = { 0 };
	struct suite again = { 0 };
	size_t len;
	char *text;

	/* Only the report's text: no log named in it is read. */
	for (unsigned int i = 0; i < s->nr; i++) {
		free(s->tests[i].log_path);
		s->tests[i].log_path = NULL;
	}
	text = json_of(s, &len);
	FUZZ_ASSERT(!suite_read_report(text, len, "again.json", &again, &err));
	FUZZ_ASSERT(again.nr == s->nr && again.duration_ms == s->duration_ms);
	for (unsigned int i = 0; i < s->nr; i++) {
		FUZZ_ASSERT(again.tests[i].result == s->tests[i].result);
		FUZZ_ASSERT(again.tests[i].status == s->tests[i].status);
		FUZZ_ASSERT(again.tests[i].expect == s->tests[i].expect);
		FUZZ_ASSERT(again.tests[i].duration_ms == s->tests[i].duration_ms);
		FUZZ_ASSERT(again.tests[i].groups.nr == s->tests[i].groups.nr);
	}
	suite_free(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fpvm_error err = { 0 };
	struct suite s = { 0 };
	unsigned int nr;

	if (suite_read_report((const char *)data, size, "fuzz.json", &s, &err)) {
		FUZZ_ASSERT(err.cls == FPVM_ERR_INPUT || err.cls == FPVM_ERR_SYSTEM);
		FUZZ_ASSERT(!strncmp(err.msg, "fuzz.json", 9) || err.cls == FPVM_ERR_SYSTEM);
		suite_free(&s);
		return 0;
	}
	for (unsigned int i = 0; i < s.nr; i++) {
		FUZZ_ASSERT(s.tests[i].name && s.tests[i].name[0] && s.tests[i].selected);
		FUZZ_ASSERT(s.tests[i].result >= SUITE_PASS && s.tests[i].result <= SUITE_SKIP);
	}
	/* The same report again: the same shard twice, unless it has no test. */
	memset(&err, 0, sizeof(err));
	nr = s.nr;
	FUZZ_ASSERT(!suite_read_report((const char *)data, size, "fuzz.json", &s, &err) == !nr);
	FUZZ_ASSERT(s.nr == nr);
	round_trip(&s);
	suite_free(&s);
	return 0;
}
