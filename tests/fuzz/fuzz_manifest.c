// SPDX-License-Identifier: MIT
/*
 * Fuzz target: fpvm test's manifest parser, suite_parse() (suite/manifest.c),
 * on the input as the text of a manifest, relative guests resolving
 * against "guests" as with --guest-dir.  suite_load() rejects a file with a
 * NUL byte before parsing, so such inputs are skipped too.
 *
 * Beyond crashes and leaks (every suite is freed with suite_free()), it
 * checks that a parsed suite is usable: each test has a name and a guest,
 * every word list is readable, and selecting by a test's own name finds it.
 */
#include <string.h>

#include "../../suite/suite.h"
#include "fuzz.h"

static void touch(const char *s)
{
	FUZZ_ASSERT(s);
	FUZZ_ASSERT(strlen(s) < (1U << 20));
}

static void touch_words(const struct suite_words *w)
{
	FUZZ_ASSERT(!w->nr || w->w);
	for (unsigned int i = 0; i < w->nr; i++)
		touch(w->w[i]);
}

static void check_suite(struct suite *s)
{
	char *groups[] = { "smoke" }, *globs[1];

	touch(s->path);
	touch(s->name);
	FUZZ_ASSERT(s->nr >= 1 && s->tests);
	for (unsigned int i = 0; i < s->nr; i++) {
		const struct suite_test *t = &s->tests[i];

		touch(t->name);
		FUZZ_ASSERT(t->name[0]);
		touch(t->guest);
		FUZZ_ASSERT(t->guest[0] == '/' || !strncmp(t->guest, "guests/", 7));
		FUZZ_ASSERT(t->expect >= 0 && t->expect <= 255);
		FUZZ_ASSERT(t->timeout_ms > 0);
		touch_words(&t->args);
		touch_words(&t->options);
		touch_words(&t->groups);
		touch_words(&t->requires);
		if (t->mem)
			touch(t->mem);
		if (t->output)
			touch(t->output);
	}
	/* fpvm test's selection, as with -g smoke and with a name given. */
	FUZZ_ASSERT(suite_select(s, NULL, 0, NULL, 0) == s->nr);
	FUZZ_ASSERT(suite_select(s, groups, 1, NULL, 0) <= s->nr);
	globs[0] = s->tests[s->nr - 1].name;
	FUZZ_ASSERT(suite_select(s, NULL, 0, globs, 1) >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fpvm_error err = { 0 };
	struct suite s;
	char *text;

	if (memchr(data, '\0', size))
		return 0;
	text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	/* Both dialects: fpvm's keys, and kvm-unit-tests' unittests.cfg. */
	for (int d = SUITE_DIALECT_FPVM; d <= SUITE_DIALECT_KVM_UNIT_TESTS; d++) {
		if (suite_parse(text, "fuzz.cfg", "guests", (enum suite_dialect)d, &s, &err)) {
			FUZZ_ASSERT(err.cls == FPVM_ERR_INPUT || err.cls == FPVM_ERR_SYSTEM);
			FUZZ_ASSERT(!strncmp(err.msg, "fuzz.cfg", 8));
			/* A failed parse frees what it built and leaves nothing to free. */
			FUZZ_ASSERT(!s.tests && !s.nr);
		} else {
			check_suite(&s);
			suite_free(&s);
		}
	}
	free(text);
	return 0;
}
