// SPDX-License-Identifier: MIT
/* base/utf8.c and base/json.c: what is not text never reaches a report as if it were. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/json.h"
#include "../../base/utf8.h"
#include "testutil.h"

/* RFC 3629's table, each boundary from both sides. */
START_TEST(decode_takes_only_well_formed_sequences)
{
	static const struct {
		const char *s;
		unsigned int len;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 'A' }, { "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 }, { "\xdf\xbf", 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0x800 }, { "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 0xe000 }, { "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 0x10000 }, { "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
		/* ill-formed: stray continuation, overlong forms, surrogates, past U+10FFFF, cut short */
		{ "\x80", 0, 0 }, { "\xbf", 0, 0 },
		{ "\xc0\xaf", 0, 0 }, { "\xc1\xbf", 0, 0 }, { "\xe0\x80\xaf", 0, 0 },
		{ "\xe0\x9f\xbf", 0, 0 }, { "\xf0\x80\x80\xaf", 0, 0 }, { "\xf0\x8f\xbf\xbf", 0, 0 },
		{ "\xed\xa0\x80", 0, 0 }, { "\xed\xbf\xbf", 0, 0 },
		{ "\xf4\x90\x80\x80", 0, 0 }, { "\xf5\x80\x80\x80", 0, 0 }, { "\xff", 0, 0 },
		{ "\xc3", 0, 0 }, { "\xe2\x82", 0, 0 }, { "\xe2\x82\x41", 0, 0 },
		{ "\xf0\x9f\x98", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0xdeadbeef;
		unsigned int len = utf8_decode(cases[i].s, strlen(cases[i].s), &cp);

		ck_assert_msg(len == cases[i].len, "case %zu: length %u, expected %u", i, len,
			      cases[i].len);
		if (len)
			ck_assert_msg(cp == cases[i].cp, "case %zu: U+%04X", i, cp);
	}
	/* The bound is respected: a sequence cut by @n is ill-formed. */
	ck_assert_uint_eq(utf8_decode("\xc3\xa9", 1, &(uint32_t){ 0 }), 0);
	ck_assert_uint_eq(utf8_decode("", 0, &(uint32_t){ 0 }), 0);
}
END_TEST

static char *capture(void (*fn)(FILE *, const char *, char), const char *s, char q)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, s, q);
	fclose(f);
	return buf;
}

static void json(FILE *f, const char *s, char q)
{
	(void)q;
	json_str(f, s);
}

static void line(FILE *f, const char *s, char q)
{
	utf8_put_line(f, s, strlen(s), q);
}

START_TEST(json_strings_are_utf8)
{
	char *x = capture(json, "a\"b\\c\n\r\t\033\x7f \xc3\xa9 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 "
			  "\xef\xbf\xbe \xe2\x82", 0);

	ck_assert_str_eq(x, "\"a\\\"b\\\\c\\u000a\\u000d\\u0009\\u001b\x7f \xc3\xa9 "
			 "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd "
			 "\xef\xbf\xbe \\ufffd\\ufffd\"");
	free(x);
}
END_TEST

START_TEST(lines_are_printable)
{
	char *x = capture(line, "it's\ttab\r\n\033[1m\x7f\xc2\x85\xc2\xa0\xef\xbf\xbe\xef\xbf\xbd"
			  "\xf0\x9f\x98\x80\xff", '\'');

	ck_assert_str_eq(x, "it''s\ttab???[1m??\xc2\xa0?\xef\xbf\xbd\xf0\x9f\x98\x80\xef\xbf\xbd");
	free(x);
	x = capture(line, "it's", 0);
	ck_assert_str_eq(x, "it's");
	free(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");

	tcase_add_test(tc, decode_takes_only_well_formed_sequences);
	tcase_add_test(tc, json_strings_are_utf8);
	tcase_add_test(tc, lines_are_printable);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
