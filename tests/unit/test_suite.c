// SPDX-License-Identifier: MIT
/* Manifests (every key, every error with its line), selection, reports. */
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

static void expect_error(const char *text, const char *msg)
{
	ck_assert_int_lt(parse(text), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_msg(strstr(err.msg, msg), "message '%s' lacks '%s'", err.msg, msg);
	ck_assert_ptr_null(s.tests);	/* freed on error */
}

START_TEST(every_key)
{
	ck_assert_int_eq(parse("# comment\n"
			       "[a]\n"
			       "guest = a.elf\n"
			       "\n"
			       "[b.c-2]\r\n"
			       "  guest = /abs/b.elf  \n"
			       "args = one 'two words' \"say \\\"hi\\\"\" back\\ slash\n"
			       "options = --xcr0 x87,sse --check-host-fpstate\n"
			       "cpus = 4\n"
			       "mem = 128M\n"
			       "timeout = 1.5\n"
			       "expect = 112\n"
			       "output = vector 14 (#PF\n"
			       "groups = smoke faults\n"
			       "requires = cpu:avx !quirk:x\n"), 0);
	ck_assert_uint_eq(s.nr, 2);
	ck_assert_str_eq(s.name, "t");
	ck_assert_str_eq(s.tests[0].name, "a");
	ck_assert_str_eq(s.tests[0].guest, "/g/a.elf");
	ck_assert_uint_eq(s.tests[0].timeout_ms, SUITE_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(s.tests[0].expect, 0);
	ck_assert_uint_eq(s.tests[0].args.nr, 0);
	ck_assert_uint_eq(s.tests[0].line, 2);
	ck_assert_str_eq(s.tests[1].guest, "/abs/b.elf");
	ck_assert_uint_eq(s.tests[1].line, 5);
	ck_assert_uint_eq(s.tests[1].args.nr, 4);
	ck_assert_str_eq(s.tests[1].args.w[1], "two words");
	ck_assert_str_eq(s.tests[1].args.w[2], "say \"hi\"");
	ck_assert_str_eq(s.tests[1].args.w[3], "back slash");
	ck_assert_uint_eq(s.tests[1].options.nr, 3);
	ck_assert_uint_eq(s.tests[1].options.line, 8);
	ck_assert_uint_eq(s.tests[1].cpus, 4);
	ck_assert_str_eq(s.tests[1].mem, "128M");
	ck_assert_uint_eq(s.tests[1].timeout_ms, 1500);
	ck_assert_int_eq(s.tests[1].expect, 112);
	ck_assert_str_eq(s.tests[1].output, "vector 14 (#PF");
	ck_assert(suite_in_group(&s.tests[1], "faults") && !suite_in_group(&s.tests[0], "faults"));
	ck_assert_uint_eq(s.tests[1].requires.nr, 2);
	ck_assert_uint_eq(s.tests[1].requires.line, 15);
	suite_free(&s);
}
END_TEST

START_TEST(errors_name_their_line)
{
	expect_error("", "t.cfg: no tests");
	expect_error("# only a comment\n", "no tests");
	expect_error("guest = a\n", "t.cfg:1: 'guest' before the first [test-name]");
	expect_error("[a]\nguest = a\n[a]\nguest = b\n", "t.cfg:3: test 'a' already defined on line 1");
	expect_error("[a b]\n", "t.cfg:1: test name 'a b'");
	expect_error("[]\n", "t.cfg:1: test name ''");
	expect_error("[a\n", "t.cfg:1: expected [test-name]");
	expect_error("[a] x\n", "t.cfg:1: expected [test-name]");
	expect_error("[a]\nguest\n", "t.cfg:2: expected key = value");
	expect_error("[a]\nguest = a\nbogus = 1\n", "t.cfg:3: unknown key 'bogus'");
	expect_error("[a]\ncpus = 2\n", "t.cfg:1: test 'a' has no guest");
	expect_error("[a]\nguest = x\n[b]\nguest = y\n[c]\n", "t.cfg:5: test 'c' has no guest");
	expect_error("[a]\nguest =\n", "t.cfg:2: guest: empty path");
	expect_error("[a]\nguest = a\ncpus = 0\n", "t.cfg:3: cpus '0': expected 1..1024");
	expect_error("[a]\nguest = a\ncpus = two\n", "cpus 'two'");
	expect_error("[a]\nguest = a\nexpect = 256\n", "t.cfg:3: expect '256': expected an exit status");
	expect_error("[a]\nguest = a\nexpect = -1\n", "expect '-1'");
	expect_error("[a]\nguest = a\ntimeout = 0\n", "t.cfg:3: timeout '0'");
	expect_error("[a]\nguest = a\ntimeout = soon\n", "timeout 'soon'");
	expect_error("[a]\nguest = a\nargs = 'open\n", "t.cfg:3: unterminated ' quote");
	expect_error("[a]\nguest = a\nargs = \"open\n", "unterminated \" quote");
	expect_error("[a]\nguest = a\noutput =\n", "t.cfg:3: output: empty text");
}
END_TEST

START_TEST(a_key_given_twice_keeps_the_last)
{
	ck_assert_int_eq(parse("[a]\nguest = a\nargs = 1 2 3\nargs = 4\nguest = b\n"), 0);
	ck_assert_uint_eq(s.tests[0].args.nr, 1);
	ck_assert_str_eq(s.tests[0].args.w[0], "4");
	ck_assert_str_eq(s.tests[0].guest, "/g/b");
	suite_free(&s);
	/* An absolute path given twice (found by fuzz_manifest: a double free). */
	ck_assert_int_eq(parse("[y]\nguest=/\nguest=/\n"), 0);
	ck_assert_str_eq(s.tests[0].guest, "/");
	suite_free(&s);
}
END_TEST

/* kvm-unit-tests' unittests.cfg, read as it is. */
START_TEST(kvm_unit_tests_dialect)
{
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(suite_parse("# a comment\n"
				     "[xsave]\n"
				     "file = xsave.flat\n"
				     "arch = x86_64\n"
				     "\n"
				     "[vmexit_cpuid]\n"
				     "file = vmexit.flat\n"
				     "smp = 2\n"
				     "test_args = 'cpuid'\n"
				     "qemu_params = -cpu max -m 256 -append 'x y'\n"
				     "groups = vmexit nodefault\n"
				     "timeout = 240s\n"
				     "disabled_if = [[ \"$TARGET\" == \"tcg\" ]]\n"
				     "\n"
				     "[cmpxchg8b]\n"
				     "file = cmpxchg8b.flat\n"
				     "arch = i386\n"
				     "\n"
				     "[tcg_only]\n"
				     "file = a.flat\n"
				     "accel = tcg\n"
				     "\n"
				     "[many]\n"
				     "file = smptest.flat\n"
				     "smp = $MAX_SMP\n"
				     "\n"
				     "[needs_setting]\n"
				     "file = a.flat\n"
				     "check = /nonexistent/setting=Y\n",
				     "x86/unittests.cfg", "x86", SUITE_DIALECT_KVM_UNIT_TESTS, &s, &err), 0);
	ck_assert_uint_eq(s.nr, 6);
	ck_assert_str_eq(s.tests[0].guest, "x86/xsave.flat");
	/* Their exit convention through QEMU's isa-debug-exit: 1 passes, 77 skips. */
	ck_assert_int_eq(s.tests[0].expect, 1);
	ck_assert_int_eq(s.tests[0].skip_status, 77);
	ck_assert_str_eq(s.tests[0].options.w[0], "--exit-status=qemu");
	ck_assert_uint_eq(s.tests[0].timeout_ms, 90000);
	ck_assert_int_eq(s.tests[0].result, SUITE_NOT_RUN);
	ck_assert_str_eq(s.tests[0].mem, "128M");	/* QEMU's default */
	ck_assert_uint_eq(s.tests[1].cpus, 2);
	/* -append's words are the arguments; test_args came first and are replaced. */
	ck_assert_uint_eq(s.tests[1].args.nr, 2);
	ck_assert_str_eq(s.tests[1].args.w[0], "x");
	ck_assert_str_eq(s.tests[1].mem, "256");
	ck_assert(suite_in_group(&s.tests[1], "vmexit"));
	ck_assert_uint_eq(s.tests[1].timeout_ms, 240000);
	ck_assert_int_eq(s.tests[2].result, SUITE_SKIP);
	ck_assert_ptr_nonnull(strstr(s.tests[2].reason, "arch i386"));
	ck_assert_int_eq(s.tests[3].result, SUITE_SKIP);
	ck_assert_ptr_nonnull(strstr(s.tests[3].reason, "accel tcg"));
	ck_assert_uint_eq(s.tests[4].cpus, 0xffff);	/* the host's count, set by fpvm test */
	ck_assert_int_eq(s.tests[5].result, SUITE_SKIP);
	ck_assert_ptr_nonnull(strstr(s.tests[5].reason, "check /nonexistent/setting=Y"));
	suite_free(&s);
	/* Bad values still name their line. */
	ck_assert_int_lt(suite_parse("[a]\nfile = a.flat\nsmp = two\n", "u.cfg", "x86",
				     SUITE_DIALECT_KVM_UNIT_TESTS, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "u.cfg:3: smp 'two'"));
	ck_assert_int_lt(suite_parse("[a]\nsmp = 2\n", "u.cfg", "x86",
				     SUITE_DIALECT_KVM_UNIT_TESTS, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "u.cfg:1: test 'a' has no guest"));
}
END_TEST

/* timeout(1)'s durations, whole and within fpvm's bound (issue 20: 9999999h, 10sjunk). */
START_TEST(kvm_unit_tests_timeouts)
{
	static const struct {
		const char *v;
		uint64_t ms;	/* 0: refused */
	} cases[] = {
		{ "90", 90000 }, { "90s", 90000 }, { "1.5m", 90000 }, { "2h", 7200000 },
		{ "1d", 86400000 }, { "0.001", 1 },
		{ "9999999h", 0 }, { "2d", 0 }, { "86401", 0 }, { "10sjunk", 0 }, { "10ss", 0 },
		{ "s", 0 }, { "0", 0 }, { "0s", 0 }, { "-5", 0 }, { "1e-400", 0 }, { "", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[96];
		int r;

		snprintf(text, sizeof(text), "[a]\nfile = a.flat\ntimeout = %s\n", cases[i].v);
		memset(&err, 0, sizeof(err));
		r = suite_parse(text, "u.cfg", "x86", SUITE_DIALECT_KVM_UNIT_TESTS, &s, &err);
		if (cases[i].ms) {
			ck_assert_msg(r == 0, "timeout '%s' refused: %s", cases[i].v, err.msg);
			ck_assert_uint_eq(s.tests[0].timeout_ms, cases[i].ms);
			suite_free(&s);
		} else {
			ck_assert_msg(r < 0, "timeout '%s' accepted", cases[i].v);
			ck_assert_msg(strstr(err.msg, "u.cfg:3: timeout '"), "%s", err.msg);
		}
	}
}
END_TEST

/* mem is checked by fpvm test with run's parser; the line it names is its own. */
START_TEST(mem_keeps_its_line)
{
	ck_assert_int_eq(parse("[a]\nguest = a\n\nmem = lots\n"), 0);
	ck_assert_str_eq(s.tests[0].mem, "lots");
	ck_assert_uint_eq(s.tests[0].mem_line, 4);
	suite_free(&s);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(suite_parse("[a]\nfile = a.flat\n\nqemu_params = -m 9T\n", "u.cfg",
				     "x86", SUITE_DIALECT_KVM_UNIT_TESTS, &s, &err), 0);
	ck_assert_uint_eq(s.tests[0].mem_line, 4);
	suite_free(&s);
}
END_TEST

START_TEST(selection)
{
	char *groups[] = { "fast", "fpu" }, *globs[] = { "x*", "b" };

	ck_assert_int_eq(parse("[a]\nguest = a\ngroups = fast\n[b]\nguest = b\n"
			       "[xa]\nguest = c\ngroups = fpu slow\n[xb]\nguest = d\n"), 0);
	ck_assert_uint_eq(suite_select(&s, NULL, 0, NULL, 0), 4);
	ck_assert_uint_eq(suite_select(&s, groups, 1, NULL, 0), 1);
	ck_assert(s.tests[0].selected && !s.tests[1].selected);
	ck_assert_uint_eq(suite_select(&s, groups, 2, NULL, 0), 2);
	ck_assert(s.tests[2].selected);
	ck_assert_uint_eq(suite_select(&s, NULL, 0, globs, 2), 3);
	ck_assert(!s.tests[0].selected && s.tests[1].selected && s.tests[3].selected);
	ck_assert_uint_eq(suite_select(&s, groups, 2, globs, 1), 1);	/* both must hold */
	ck_assert(s.tests[2].selected);
	ck_assert_uint_eq(suite_select(&s, groups + 1, 1, globs + 1, 1), 0);
	suite_free(&s);
}
END_TEST

START_TEST(load_rejects_what_is_no_manifest)
{
	char path[] = "/tmp/fpvm-suite-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "[a]\nguest = a\0b\n", 16), 16);
	close(fd);
	ck_assert_int_lt(suite_load(path, NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "a NUL byte"));
	ck_assert_int_lt(suite_load("/nonexistent/m.cfg", NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/m.cfg: No such file"));
	ck_assert_int_lt(suite_load("/tmp", NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/tmp: is a directory"));
	ck_assert_int_lt(suite_load("/dev/null", NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/dev/null: is a device, not a regular file"));
	/* Larger than 1 MiB: refused before it is read. */
	ck_assert_int_eq(truncate(path, (1 << 20) + 1), 0);
	ck_assert_int_lt(suite_load(path, NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 1048576 bytes"));
	/* Guests sit beside their manifest by default. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "[a]\nguest = a.elf\n", 18), 18);
	close(fd);
	ck_assert_int_eq(suite_load(path, NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_str_eq(s.tests[0].guest, "/tmp/a.elf");
	suite_free(&s);
	unlink(path);
}
END_TEST

/* A FIFO as the manifest (or a check's setting) is refused at once, never waited on. */
START_TEST(load_never_waits_on_a_fifo)
{
	char dir[] = "/tmp/fpvm-suite-XXXXXX", fifo[64], cfg[64], text[160];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	alarm(10);	/* before the fix, suite_load() waited here for a writer forever */
	ck_assert_int_lt(suite_load(fifo, NULL, SUITE_DIALECT_FPVM, &s, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "fifo: is a FIFO, not a regular file"));
	/* kvm-unit-tests' check = PATH=VALUE: a FIFO there does not hold, without a wait. */
	snprintf(cfg, sizeof(cfg), "%s/u.cfg", dir);
	snprintf(text, sizeof(text), "[a]\nfile = a.flat\ncheck = %s=Y\n", fifo);
	fd = open(cfg, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(suite_load(cfg, NULL, SUITE_DIALECT_KVM_UNIT_TESTS, &s, &err), 0);
	ck_assert_int_eq(s.tests[0].result, SUITE_SKIP);
	ck_assert_ptr_nonnull(strstr(s.tests[0].reason, "does not hold on this host"));
	suite_free(&s);
	alarm(0);
	unlink(cfg);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

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
	Suite *su = suite_create("suite");
	TCase *tc = tcase_create("manifest");

	/* Some tests start processes (a stand-in fpvm, xmllint, python3) on a busy machine. */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, every_key);
	tcase_add_test(tc, errors_name_their_line);
	tcase_add_test(tc, a_key_given_twice_keeps_the_last);
	tcase_add_test(tc, kvm_unit_tests_dialect);
	tcase_add_test(tc, kvm_unit_tests_timeouts);
	tcase_add_test(tc, mem_keeps_its_line);
	tcase_add_test(tc, selection);
	tcase_add_test(tc, load_rejects_what_is_no_manifest);
	tcase_add_test(tc, load_never_waits_on_a_fifo);
	tcase_add_test(tc, reports_escape_what_they_carry);
	tcase_add_test(tc, reports_carry_only_what_their_format_can);
	tcase_add_test(tc, logs_never_follow_links);
	suite_add_tcase(su, tc);
	return run_suite(su);
}
