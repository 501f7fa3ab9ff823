// SPDX-License-Identifier: MIT
/* Manifests: every key, every error with its line, the dialects, selection, loading. */
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

int main(void)
{
	Suite *su = suite_create("suite");
	TCase *tc = tcase_create("manifest");

	tcase_add_test(tc, every_key);
	tcase_add_test(tc, errors_name_their_line);
	tcase_add_test(tc, a_key_given_twice_keeps_the_last);
	tcase_add_test(tc, kvm_unit_tests_dialect);
	tcase_add_test(tc, kvm_unit_tests_timeouts);
	tcase_add_test(tc, mem_keeps_its_line);
	tcase_add_test(tc, selection);
	tcase_add_test(tc, load_rejects_what_is_no_manifest);
	tcase_add_test(tc, load_never_waits_on_a_fifo);
	suite_add_tcase(su, tc);
	return run_suite(su);
}
