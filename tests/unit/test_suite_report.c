// SPDX-License-Identifier: MIT
/* Reports (TAP13, JUnit, JSON) and logs: what their formats carry, never through links. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/utf8.h"
#include "../../suite/suite.h"
#include "testutil.h"

static struct suite s;
static struct fpvm_error err;

static int parse(const char *text)
{
	memset(&err, 0, sizeof(err));
	return suite_parse(text, "t.cfg", "/g", SUITE_DIALECT_FPVM, &s, &err);
}

static char *print(void (*fn)(FILE *, const struct suite *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, &s);
	fclose(f);
	return buf;
}

/*
 * @cmd (a parser: "xmllint ... %s", "python3 -m json.tool %s") accepts
 * @text; true where the parser is not installed.
 */
static bool parses(const char *cmd, const char *text)
{
	char path[] = "/tmp/fpvm-suite-report-XXXXXX", line[512], tool[32];
	int fd = mkstemp(path), r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(tool, sizeof(tool), "%.*s", (int)strcspn(cmd, " "), cmd);
	snprintf(line, sizeof(line), "command -v %s >/dev/null 2>&1 || exit 0; ", tool);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), cmd, path);
	r = system(line);
	unlink(path);
	return r == 0;
}

/* Every test's TAP line, as suite_run() prints them. */
static void suite_print_tap_for_tests(FILE *f, const struct suite *su)
{
	for (unsigned int i = 0; i < su->nr; i++)
		suite_tap_result(f, &su->tests[i], i + 1);
}

/* The whole string is well-formed UTF-8 (utf8_decode has its own tests). */
static bool utf8_valid(const char *x)
{
	size_t n = strlen(x);
	uint32_t c;

	for (unsigned int len; n; x += len, n -= len)
		if (!(len = utf8_decode(x, n, &c)))
			return false;
	return true;
}

static void write_file(const char *path, const char *text, unsigned int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * The files fpvm names itself in --log-dir (NAME.log, NAME.log.stats) are
 * created in the directory it opened, never through a link planted there:
 * the run stops with a line naming the file, and the link's target is left
 * as it was.  A stand-in for fpvm writes its --stats-file as fpvm run does.
 */
START_TEST(logs_never_follow_links)
{
	char dir[] = "/tmp/fpvm-suite-XXXXXX", logs[64], victim[64], fake[64], link[96];
	struct suite_run_cfg c = { .kvm_path = "/dev/kvm", .jobs = 1, .timeout_status = 124 };
	char *x;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(logs, sizeof(logs), "%s/logs", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(fake, sizeof(fake), "%s/fpvm", dir);
	ck_assert_int_eq(mkdir(logs, 0755), 0);
	write_file(victim, "precious\n", 0644);
	write_file(fake, "#!/bin/sh\n"
		   "while [ $# -gt 0 ]; do\n"
		   "	[ \"$1\" = --stats-file ] && echo '{\"fake\": 1}' >\"$2\"\n"
		   "	shift\n"
		   "done\n"
		   "echo ran\n"
		   "exit ${FAKE_STATUS:-0}\n", 0755);
	c.fpvm = fake;
	c.log_dir = logs;
	alarm(20);

	snprintf(link, sizeof(link), "%s/a.log", logs);
	ck_assert_int_eq(symlink(victim, link), 0);
	ck_assert_int_eq(parse("[a]\nguest = a.elf\n"), 0);
	ck_assert_int_lt(suite_run(&s, &c, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_OUTPUT);
	ck_assert_msg(strstr(err.msg, "/logs/a.log: a symbolic link"), "%s", err.msg);
	ck_assert_str_eq(read_file(victim), "precious\n");
	suite_free(&s);
	ck_assert_int_eq(unlink(link), 0);

	snprintf(link, sizeof(link), "%s/a.log.stats", logs);
	ck_assert_int_eq(symlink(victim, link), 0);
	ck_assert_int_eq(parse("[a]\nguest = a.elf\n"), 0);
	ck_assert_int_lt(suite_run(&s, &c, &err), 0);
	ck_assert_msg(strstr(err.msg, "/logs/a.log.stats: a symbolic link"), "%s", err.msg);
	ck_assert_str_eq(read_file(victim), "precious\n");
	suite_free(&s);
	ck_assert_int_eq(unlink(link), 0);

	/* Without links, the test runs: its log and figures are where the reports look. */
	ck_assert_int_eq(parse("[a]\nguest = a.elf\n"), 0);
	ck_assert_int_eq(suite_run(&s, &c, &err), 0);
	ck_assert_int_eq(s.tests[0].result, SUITE_PASS);
	ck_assert_str_eq(read_file(s.tests[0].log_path), "ran\n");
	x = print(suite_print_json);
	ck_assert_msg(strstr(x, "\"stats\": {\"fake\": 1}"), "%s", x);
	free(x);
	suite_free(&s);

	/* A timeout is fpvm run's status for it, as the command says, not a number here. */
	setenv("FAKE_STATUS", "99", 1);
	c.timeout_status = 99;
	ck_assert_int_eq(parse("[a]\nguest = a.elf\ntimeout = 2\n"), 0);
	ck_assert_int_eq(suite_run(&s, &c, &err), 0);
	ck_assert_int_eq(s.tests[0].result, SUITE_TIMEOUT);
	ck_assert_str_eq(s.tests[0].reason, "timed out after 2 s");
	suite_free(&s);
	setenv("FAKE_STATUS", "124", 1);
	ck_assert_int_eq(parse("[a]\nguest = a.elf\n"), 0);
	ck_assert_int_eq(suite_run(&s, &c, &err), 0);
	ck_assert_int_eq(s.tests[0].result, SUITE_FAIL);
	suite_free(&s);
	unsetenv("FAKE_STATUS");
	alarm(0);
	snprintf(link, sizeof(link), "rm -rf %s", dir);
	ck_assert_int_eq(system(link), 0);
}
END_TEST

START_TEST(reports_escape_what_they_carry)
{
	const char *text = "one\ntwo <&>\n\x01\xff three\n";
	char log[] = "/tmp/fpvm-suite-log-XXXXXX", *x, *tap = NULL;
	int fd = mkstemp(log);
	size_t len = 0;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(parse("[ok]\nguest = a\n[bad]\nguest = b\ngroups = g\n[skip]\nguest = c\n"), 0);
	s.tests[0].result = SUITE_PASS;
	s.tests[1].result = SUITE_FAIL;
	s.tests[1].status = 3;
	snprintf(s.tests[1].reason, sizeof(s.tests[1].reason), "exit status 3, expected 0 'q'");
	s.tests[1].log_path = strdup(log);
	s.tests[2].result = SUITE_SKIP;
	snprintf(s.tests[2].reason, sizeof(s.tests[2].reason), "needs \"avx\" & more");

	x = print(suite_print_junit);
	ck_assert_ptr_nonnull(strstr(x, "<testsuite name=\"t\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
	ck_assert_ptr_nonnull(strstr(x, "<skipped message=\"needs &quot;avx&quot; &amp; more\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "<failure type=\"fail\" message=\"exit status 3, expected 0 &apos;q&apos;\">"));
	/* Control bytes become '?', invalid UTF-8 U+FFFD: XML 1.0 carries neither. */
	ck_assert_ptr_nonnull(strstr(x, "<system-out>one\ntwo &lt;&amp;&gt;\n?\xef\xbf\xbd three\n</system-out>"));
	free(x);

	x = print(suite_print_json);
	ck_assert_ptr_nonnull(strstr(x, "\"tests\": 3, \"passed\": 1, \"failed\": 1, \"skipped\": 1"));
	ck_assert_ptr_nonnull(strstr(x, "\"name\": \"bad\", \"result\": \"fail\", \"status\": 3"));
	ck_assert_ptr_nonnull(strstr(x, "\"groups\": [\"g\"]"));
	free(x);

	f = open_memstream(&tap, &len);
	suite_tap_result(f, &s.tests[1], 2);
	suite_tap_result(f, &s.tests[2], 3);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(tap, "not ok 2 - bad\n  ---\n  message: 'exit status 3, expected 0 ''q'''\n"));
	ck_assert_ptr_nonnull(strstr(tap, "  output: |\n    one\n    two <&>\n    ?\xef\xbf\xbd three\n  ...\n"));
	ck_assert_ptr_nonnull(strstr(tap, "ok 3 - skip # SKIP needs \"avx\" & more\n"));
	free(tap);

	x = suite_log_tail(&s.tests[1], 2, 4096);
	ck_assert_str_eq(x, "two <&>\n\x01\xff three\n");
	free(x);
	x = suite_log_tail(&s.tests[1], 10, 6);
	ck_assert_str_eq(x, "three\n");
	free(x);
	unlink(log);
	suite_free(&s);
}
END_TEST

/*
 * Bytes no report format can carry, each where a writer takes text from
 * (a reason, a log, a group): ill-formed UTF-8 of every kind, the
 * noncharacters XML refuses, and the control characters a terminal obeys.
 */
#define HOSTILE "cr\r esc\033[2J del\x7f c1\xc2\x85 " \
	"lone\x80 overlong\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf " \
	"surrogate\xed\xa0\x80 fffe\xef\xbf\xbe ffff\xef\xbf\xbf " \
	"past-10ffff\xf4\x90\x80\x80\xf5\x80\x80\x80 cut\xe2\x82 " \
	"fine\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"

START_TEST(reports_carry_only_what_their_format_can)
{
	char log[] = "/tmp/fpvm-suite-log-XXXXXX", *x;
	int fd = mkstemp(log);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, HOSTILE "\n", strlen(HOSTILE) + 1), (ssize_t)strlen(HOSTILE) + 1);
	close(fd);
	ck_assert_int_eq(parse("[skip]\nguest = a\n[bad]\nguest = b\ngroups = " HOSTILE "\n"), 0);
	s.tests[0].result = SUITE_SKIP;
	snprintf(s.tests[0].reason, sizeof(s.tests[0].reason), "%s", HOSTILE);
	s.tests[1].result = SUITE_FAIL;
	snprintf(s.tests[1].reason, sizeof(s.tests[1].reason), "%s", HOSTILE);
	s.tests[1].log_path = strdup(log);

	/* TAP: one printable line for the SKIP reason and the YAML scalars. */
	x = print(suite_print_tap_for_tests);
	ck_assert_ptr_nonnull(strstr(x, "ok 1 - skip # SKIP cr? esc?[2J del? c1? lone\xef\xbf\xbd "
				     "overlong\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	ck_assert_ptr_nonnull(strstr(x, " surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd fffe? ffff? "
				     "past-10ffff\xef\xbf\xbd\xef\xbf\xbd"));
	ck_assert_ptr_nonnull(strstr(x, " cut\xef\xbf\xbd\xef\xbf\xbd fine\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n"));
	ck_assert_ptr_nonnull(strstr(x, "  message: 'cr? esc?[2J"));
	ck_assert_ptr_nonnull(strstr(x, "  output: |\n    cr? esc?[2J"));
	ck_assert_ptr_null(strchr(x, '\r'));
	ck_assert_ptr_null(strchr(x, '\033'));
	ck_assert_ptr_null(strchr(x, '\x7f'));
	ck_assert(utf8_valid(x));
	free(x);

	/* XML: CR as a reference, what XML 1.0 cannot carry as '?' or U+FFFD. */
	x = print(suite_print_junit);
	ck_assert_ptr_nonnull(strstr(x, "<skipped message=\"cr&#13; esc?[2J del\x7f c1\xc2\x85 "
				     "lone\xef\xbf\xbd "));
	ck_assert_ptr_nonnull(strstr(x, "fffe? ffff? past-10ffff\xef\xbf\xbd"));
	ck_assert_ptr_nonnull(strstr(x, "<system-out>cr&#13; esc?[2J"));
	ck_assert_ptr_null(strstr(x, "\xef\xbf\xbe"));
	ck_assert_ptr_null(strchr(x, '\r'));
	ck_assert_ptr_null(strchr(x, '\033'));
	ck_assert(utf8_valid(x));
	ck_assert(parses("xmllint --noout --schema " FIXTURE_DIR "/../junit.xsd %s >/dev/null 2>&1",
			 x));
	free(x);

	/* JSON: control characters as \u escapes, what is not UTF-8 as \ufffd. */
	x = print(suite_print_json);
	ck_assert_ptr_nonnull(strstr(x, "\"reason\": \"cr\\u000d esc\\u001b[2J del\x7f c1\xc2\x85 "
				     "lone\\ufffd overlong\\ufffd\\ufffd\\ufffd"));
	ck_assert_ptr_nonnull(strstr(x, "\"groups\": [\"cr\\u000d\", \"esc\\u001b[2J\""));
	ck_assert_ptr_nonnull(strstr(x, "fine\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]"));
	ck_assert(utf8_valid(x));
	ck_assert(parses("python3 -m json.tool %s >/dev/null 2>&1", x));
	free(x);
	unlink(log);
	suite_free(&s);
}
END_TEST


int main(void)
{
	Suite *su = suite_create("suite_report");
	TCase *tc = tcase_create("report");

	/* Some tests start processes (a stand-in fpvm, xmllint, python3) on a busy machine. */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, reports_escape_what_they_carry);
	tcase_add_test(tc, reports_carry_only_what_their_format_can);
	tcase_add_test(tc, logs_never_follow_links);
	suite_add_tcase(su, tc);
	return run_suite(su);
}
