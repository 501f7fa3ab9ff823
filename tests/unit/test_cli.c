// SPDX-License-Identifier: MIT
/* Command line parsing: defaults, every option's forms, and every error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <signal.h>

#include "testutil.h"

static struct cli cli;
static struct fpvm_error err;

/* cli keeps pointers into argv, so argv must outlive the call. */
static char *argv_store[32];

static int parse(const char *first, ...)
{
	va_list ap;
	int argc = 0;

	argv_store[argc++] = "fpvm";
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv_store[argc++] = (char *)a;
	va_end(ap);
	argv_store[argc] = NULL;
	return cli_parse(argc, argv_store, &cli, &err);
}

#define PARSE(...) parse(__VA_ARGS__, NULL)

static void expect_usage_error(int r, const char *fragment)
{
	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_msg(strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg, fragment);
}

START_TEST(run_defaults)
{
	ck_assert_int_eq(PARSE("run", "g.elf"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_run);
	ck_assert_str_eq(cli.opts.run.vm.guest_path, "g.elf");
	ck_assert_uint_eq(cli.opts.run.vm.nr_cpus, 1);
	/* No --mem: the image's kind decides, 64M or a Linux kernel's 256M (vm_check_image()). */
	ck_assert_uint_eq(cli.opts.run.vm.mem_size, 0);
	ck_assert_uint_eq(cli.opts.run.vm.timeout_ms, 0);
	ck_assert_int_eq(cli.opts.run.exit_mode, EXIT_MODE_DIRECT);
	ck_assert_int_eq(cli.opts.run.vm.guest_nargs, 0);
	ck_assert_str_eq(cli.opts.run.kvm_path, "/dev/kvm");
	ck_assert(!cli.opts.run.vm.strict_io && !cli.opts.run.vm.verbose);
	ck_assert_ptr_null(cli.opts.run.serial_path);
}
END_TEST

START_TEST(option_forms)
{
	ck_assert_int_eq(PARSE("run", "--cpus", "4", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.nr_cpus, 4);
	ck_assert_int_eq(PARSE("run", "--cpus=3", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.nr_cpus, 3);
	ck_assert_int_eq(PARSE("run", "-c2", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.nr_cpus, 2);
	ck_assert_int_eq(PARSE("run", "-c", "5", "-m", "1G", "-t", "0.25", "-v", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.nr_cpus, 5);
	ck_assert_uint_eq(cli.opts.run.vm.mem_size, 1ULL << 30);
	ck_assert_uint_eq(cli.opts.run.vm.timeout_ms, 250);
	ck_assert(cli.opts.run.vm.verbose);
	ck_assert_int_eq(PARSE("run", "--serial", "out.txt", "--dump-dtb=x.dtb", "--strict-io",
			       "--exit-status", "qemu", "--kvm", "/dev/null", "g"), 0);
	ck_assert_str_eq(cli.opts.run.serial_path, "out.txt");
	ck_assert_str_eq(cli.opts.run.dtb_path, "x.dtb");
	ck_assert_str_eq(cli.opts.run.kvm_path, "/dev/null");
	ck_assert(cli.opts.run.vm.strict_io);
	ck_assert_int_eq(cli.opts.run.exit_mode, EXIT_MODE_QEMU);
	ck_assert_int_eq(PARSE("run", "--exit-status=direct", "g"), 0);
	ck_assert_int_eq(cli.opts.run.exit_mode, EXIT_MODE_DIRECT);
}
END_TEST

START_TEST(guest_arguments)
{
	ck_assert_int_eq(PARSE("run", "-c", "2", "g.elf", "--", "a", "-b", "--cpus"), 0);
	ck_assert_str_eq(cli.opts.run.vm.guest_path, "g.elf");
	ck_assert_int_eq(cli.opts.run.vm.guest_nargs, 3);
	ck_assert_str_eq(cli.opts.run.vm.guest_args[0], "a");
	ck_assert_str_eq(cli.opts.run.vm.guest_args[1], "-b");
	ck_assert_str_eq(cli.opts.run.vm.guest_args[2], "--cpus");
	ck_assert_uint_eq(cli.opts.run.vm.nr_cpus, 2);
	/* Without "--", everything after the image is the guest's too. */
	ck_assert_int_eq(PARSE("run", "g.elf", "x", "--mem", "1G"), 0);
	ck_assert_int_eq(cli.opts.run.vm.guest_nargs, 3);
	ck_assert_uint_eq(cli.opts.run.vm.mem_size, 0);
	/* "--" before the image ends fpvm's options. */
	ck_assert_int_eq(PARSE("run", "--", "-weird-name.elf", "y"), 0);
	ck_assert_str_eq(cli.opts.run.vm.guest_path, "-weird-name.elf");
	ck_assert_int_eq(cli.opts.run.vm.guest_nargs, 1);
	/* A second "--" is an argument. */
	ck_assert_int_eq(PARSE("run", "g", "--", "--"), 0);
	ck_assert_int_eq(cli.opts.run.vm.guest_nargs, 1);
	ck_assert_str_eq(cli.opts.run.vm.guest_args[0], "--");
}
END_TEST

/* Help text from the command table, as a string. */
static char *help_of(const struct command *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	cli_print_help(f, c);
	fclose(f);
	return buf;
}

START_TEST(commands)
{
	char *h;

	ck_assert_int_eq(PARSE("--help"), 0);
	ck_assert(cli.help && !cli.cmd);
	ck_assert_int_eq(PARSE("help"), 0);
	ck_assert(cli.help && !cli.cmd);
	ck_assert_int_eq(PARSE("run", "--help"), 0);
	ck_assert(cli.help);
	ck_assert_ptr_eq(cli.cmd, &cmd_run);
	ck_assert_int_eq(PARSE("help", "fpstate", "check"), 0);
	ck_assert(cli.help);
	ck_assert_ptr_eq(cli.cmd, &cmd_fpstate_check);
	ck_assert_int_eq(PARSE("leakcheck", "-h"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_leakcheck);
	ck_assert(cli.help);
	ck_assert_int_eq(PARSE("version"), 0);
	ck_assert(cli.version);
	ck_assert_int_eq(PARSE("--version"), 0);
	ck_assert(cli.version);
	expect_usage_error(PARSE("help", "launch"), "unknown command 'launch'");
	/* --help and -h take a command as help does; more words are an error (issue 20). */
	ck_assert_int_eq(PARSE("--help", "run"), 0);
	ck_assert(cli.help);
	ck_assert_ptr_eq(cli.cmd, &cmd_run);
	ck_assert_int_eq(PARSE("-h", "fpstate", "show"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_fpstate_show);
	expect_usage_error(PARSE("--help", "bogus"), "unknown command 'bogus'");
	expect_usage_error(PARSE("-h", "bogus"), "unknown command 'bogus'");
	expect_usage_error(PARSE("help", "run", "extra"), "help: unexpected argument 'extra'");
	expect_usage_error(PARSE("version", "extra"), "version takes no arguments");
	expect_usage_error(PARSE("--version", "extra"), "--version takes no arguments");

	/* Every option of a command appears in its help, from the same table. */
	h = help_of(&cmd_run);
	ck_assert_ptr_nonnull(strstr(h, "Usage: fpvm run [OPTIONS] GUEST"));
	ck_assert_ptr_nonnull(strstr(h, "  -c, --cpus N           vCPUs"));
	ck_assert_ptr_nonnull(strstr(h, "      --exit-status MODE direct"));
	ck_assert_ptr_nonnull(strstr(h, "      --check-host-fpstate\n"));
	ck_assert_ptr_nonnull(strstr(h, "Guest FPU state:"));
	ck_assert_ptr_nonnull(strstr(h, "Exit status: the guest's value"));
	free(h);
	h = help_of(&cmd_fpstate_check);
	ck_assert_ptr_nonnull(strstr(h, "--host"));
	free(h);
	h = help_of(NULL);
	for (const char *c = "run\0probe\0fpstate show\0fpstate diff\0fpstate check\0leakcheck\0";
	     *c; c += strlen(c) + 1) {
		char line[40];

		snprintf(line, sizeof(line), "\n  %-16s ", c);
		ck_assert_msg(strstr(h, line), "overview lacks '%s'", c);
	}
	free(h);
}
END_TEST

START_TEST(usage_errors)
{
	char *argv0[] = { "fpvm", NULL };

	expect_usage_error(cli_parse(1, argv0, &cli, &err), "no command given");
	expect_usage_error(PARSE("launch"), "unknown command 'launch'");
	expect_usage_error(PARSE("run"), "no guest image given");
	expect_usage_error(PARSE("run", "--cpus", "4"), "no guest image given");
	expect_usage_error(PARSE("run", "--bogus", "g"), "unknown option '--bogus'");
	expect_usage_error(PARSE("run", "-x", "g"), "unknown option '-x'");
}
END_TEST

START_TEST(value_errors)
{
	expect_usage_error(PARSE("run", "--cpus"), "needs a value");
	expect_usage_error(PARSE("run", "--cpus", "0", "g"), "--cpus 0: out of range (1..1024)");
	expect_usage_error(PARSE("run", "--cpus", "1025", "g"), "out of range");
	expect_usage_error(PARSE("run", "--cpus", "two", "g"), "--cpus 'two': not a number");
	expect_usage_error(PARSE("run", "--cpus", "-1", "g"), "not a number");
	expect_usage_error(PARSE("run", "--cpus", "4x", "g"), "not a number");
	expect_usage_error(PARSE("run", "--mem", "1K", "g"), "--mem 1K: out of range (2M..64G)");
	expect_usage_error(PARSE("run", "--mem", "65G", "g"), "out of range");
	expect_usage_error(PARSE("run", "--mem", "99999999999999999999", "g"), "out of range");
	expect_usage_error(PARSE("run", "--mem", "lots", "g"), "not a size");
	expect_usage_error(PARSE("run", "--mem", "64Q", "g"), "not a size");
	expect_usage_error(PARSE("run", "--timeout", "soon", "g"), "not a number of seconds");
	expect_usage_error(PARSE("run", "--timeout", "-1", "g"), "not a number of seconds");
	expect_usage_error(PARSE("run", "--timeout", "nan", "g"), "not a number of seconds");
	expect_usage_error(PARSE("run", "--timeout", "1e300", "g"), "too large");
	/* 0 s would mean no timeout (issue 20): refused, as what rounds to it. */
	expect_usage_error(PARSE("run", "--timeout", "0", "g"), "--timeout 0: must be more than 0");
	expect_usage_error(PARSE("run", "--timeout", "1e-400", "g"), "must be more than 0 seconds");
	expect_usage_error(PARSE("run", "--timeout", "0x10", "g"), "not a number of seconds");
	expect_usage_error(PARSE("run", "--timeout", " 5", "g"), "not a number of seconds");
	ck_assert_int_eq(PARSE("run", "--timeout", "1e-9", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.timeout_ms, 1);	/* rounded up, never to 0 */
	/* An empty value is no path: '--kvm ""' said 'fpvm: : no such device'. */
	expect_usage_error(PARSE("run", "--kvm", "", "g"), "option '--kvm' needs a value, not an "
			   "empty string");
	expect_usage_error(PARSE("run", "--kvm=", "g"), "'--kvm' needs a value, not an empty");
	expect_usage_error(PARSE("test", "--kvm", "", "m.cfg"), "'--kvm' needs a value");
	expect_usage_error(PARSE("probe", "--kvm="), "'--kvm' needs a value");
	expect_usage_error(PARSE("leakcheck", "--kvm", ""), "'--kvm' needs a value");
	expect_usage_error(PARSE("run", "-c", "", "g"), "'--cpus' needs a value");
	expect_usage_error(PARSE("run", "--exit-status", "posix", "g"), "expected 'direct' or 'qemu'");
	expect_usage_error(PARSE("run", "--strict-io=yes", "g"), "takes no value");
}
END_TEST

/* --gdb: loopback unless told otherwise; every malformed spec refused as a usage error. */
START_TEST(gdb_options)
{
	ck_assert_int_eq(PARSE("run", "--gdb", "tcp:1234", "--gdb-wait", "g"), 0);
	ck_assert(cli.opts.run.gdb && cli.opts.run.gdb_wait && !cli.opts.run.gdb_spec.unix_socket);
	ck_assert_str_eq(cli.opts.run.gdb_spec.host, "127.0.0.1");
	ck_assert_uint_eq(cli.opts.run.gdb_spec.port, 1234);
	ck_assert_int_eq(PARSE("run", "--gdb=tcp::99", "g"), 0);
	ck_assert_str_eq(cli.opts.run.gdb_spec.host, "127.0.0.1");
	ck_assert_int_eq(PARSE("run", "--gdb", "tcp:0.0.0.0:65535", "g"), 0);
	ck_assert_str_eq(cli.opts.run.gdb_spec.host, "0.0.0.0");
	ck_assert_int_eq(PARSE("restore", "--gdb", "unix:/tmp/g.sock", "snap"), 0);
	ck_assert(cli.opts.restore.run.gdb_spec.unix_socket);
	ck_assert_str_eq(cli.opts.restore.run.gdb_spec.path, "/tmp/g.sock");
	ck_assert_int_eq(PARSE("run", "g"), 0);
	ck_assert(!cli.opts.run.gdb);
	expect_usage_error(PARSE("run", "--gdb", "tcp:0", "g"), "from 1 to 65535");
	expect_usage_error(PARSE("run", "--gdb", "tcp:65536", "g"), "from 1 to 65535");
	expect_usage_error(PARSE("run", "--gdb", "tcp:-1", "g"), "from 1 to 65535");
	expect_usage_error(PARSE("run", "--gdb", "tcp:12x", "g"), "from 1 to 65535");
	expect_usage_error(PARSE("run", "--gdb", "tcp:localhost:1", "g"), "not an IPv4 address");
	expect_usage_error(PARSE("run", "--gdb", "unix:", "g"), "no path");
	expect_usage_error(PARSE("run", "--gdb", "1234", "g"), "not tcp:HOST:PORT or unix:PATH");
	expect_usage_error(PARSE("run", "--gdb-wait", "g"), "--gdb-wait: needs --gdb");
	expect_usage_error(PARSE("restore", "--gdb-wait", "snap"), "--gdb-wait: needs --gdb");
}
END_TEST

START_TEST(fpstate_run_options)
{
	ck_assert_int_eq(PARSE("run", "--xcr0", "x87,sse,avx", "--amx", "--dump-fpstate",
			       "--save-fpstate", "/tmp/d", "--check-host-fpstate", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.xcr0, 0x7);
	ck_assert(cli.opts.run.amx && cli.opts.run.dump_fpstate && cli.opts.run.vm.check_host_fpstate);
	ck_assert_str_eq(cli.opts.run.save_fpstate_dir, "/tmp/d");
	ck_assert_int_eq(PARSE("run", "--xcr0=0xe7", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.xcr0, 0xe7);
	ck_assert_int_eq(PARSE("run", "g"), 0);
	ck_assert_uint_eq(cli.opts.run.vm.xcr0, 0);	/* the guest default */
	expect_usage_error(PARSE("run", "--xcr0", "x87,sse,avx9", "g"), "unknown feature 'avx9'");
	expect_usage_error(PARSE("run", "--xcr0", "0", "g"), "rule x87-required");
	/* KVM's host-independent rules, before KVM is opened ('--xcr0 sse' passed). */
	expect_usage_error(PARSE("run", "--xcr0", "sse", "g"),
			   "--xcr0 sse: XCR0 0x2 violates rule x87-required");
	expect_usage_error(PARSE("run", "--xcr0", "x87,avx", "g"), "rule avx-needs-sse");
	expect_usage_error(PARSE("run", "--xcr0", "x87,bndregs", "g"), "rule mpx-pair");
	expect_usage_error(PARSE("run", "--xcr0", "x87,sse,avx,opmask", "g"),
			   "rule avx512-all-or-none");
	expect_usage_error(PARSE("run", "--xcr0", "x87,sse,avx512", "g"), "rule avx512-needs-avx");
	expect_usage_error(PARSE("run", "--xcr0", "x87,sse,xtiledata", "g"), "rule amx-pair");
	expect_usage_error(PARSE("leakcheck", "--xcr0", "sse"), "rule x87-required");
	ck_assert_int_eq(PARSE("run", "--xcr0", "x87,sse,avx,avx512,amx,mpx,pkru", "g"), 0);
	expect_usage_error(PARSE("run", "--save-fpstate"), "needs a value");
}
END_TEST

START_TEST(probe_and_fpstate_commands)
{
	ck_assert_int_eq(PARSE("probe"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_probe);
	ck_assert(!cli.opts.probe.json);
	ck_assert_str_eq(cli.opts.probe.kvm_path, "/dev/kvm");
	ck_assert_int_eq(PARSE("probe", "--json", "--save-cpuid", "t.txt", "--kvm", "/k"), 0);
	ck_assert(cli.opts.probe.json);
	ck_assert_str_eq(cli.opts.probe.save_cpuid, "t.txt");
	ck_assert_str_eq(cli.opts.probe.kvm_path, "/k");
	expect_usage_error(PARSE("probe", "--save-cpuid"), "needs a value");
	expect_usage_error(PARSE("probe", "extra"), "probe: unexpected argument 'extra'");
	expect_usage_error(PARSE("probe", "--jsn"), "probe: unknown option '--jsn'");

	ck_assert_int_eq(PARSE("fpstate", "show", "a.xsave", "--json"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_fpstate_show);
	ck_assert_str_eq(cli.opts.fpstate.files[0], "a.xsave");
	ck_assert(cli.opts.fpstate.json);
	ck_assert_int_eq(PARSE("fpstate", "diff", "a.xsave", "b.xsave"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_fpstate_diff);
	ck_assert_str_eq(cli.opts.fpstate.files[1], "b.xsave");
	ck_assert_int_eq(PARSE("fpstate", "check", "--host", "a.xsave"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_fpstate_check);
	ck_assert(cli.opts.fpstate.host && !cli.opts.fpstate.json);
	expect_usage_error(PARSE("fpstate"), "expected an operation (show, diff, check)");
	expect_usage_error(PARSE("fpstate", "merge", "a"), "unknown operation 'merge'");
	expect_usage_error(PARSE("fpstate", "diff", "a"), "expected two files");
	expect_usage_error(PARSE("fpstate", "show", "a", "b"), "too many files");
	expect_usage_error(PARSE("fpstate", "show", "--host", "a"), "unknown option '--host'");
}
END_TEST

START_TEST(leakcheck_command)
{
	ck_assert_int_eq(PARSE("leakcheck"), 0);
	ck_assert_ptr_eq(cli.cmd, &cmd_leakcheck);
	ck_assert_uint_eq(cli.opts.leakcheck.leak.nr_vms, 2);
	ck_assert_uint_eq(cli.opts.leakcheck.leak.writers, 2);
	ck_assert_uint_eq(cli.opts.leakcheck.leak.duration_ms, 3000);
	ck_assert_int_eq(cli.opts.leakcheck.inject, INJECT_NONE);
	ck_assert_int_eq(PARSE("leakcheck", "--vms", "8", "--cpus", "2", "--duration", "60",
			       "--json", "r.json", "--tap", "--xcr0", "x87,sse"), 0);
	ck_assert_uint_eq(cli.opts.leakcheck.leak.nr_vms, 8);
	ck_assert_uint_eq(cli.opts.leakcheck.leak.duration_ms, 60000);
	ck_assert_str_eq(cli.opts.leakcheck.json_path, "r.json");
	ck_assert(cli.opts.leakcheck.tap);
	ck_assert_uint_eq(cli.opts.leakcheck.leak.xcr0, 0x3);
	ck_assert_int_eq(PARSE("leakcheck", "--inject", "cross-vm"), 0);
	ck_assert_int_eq(cli.opts.leakcheck.inject, INJECT_CROSS_VM);
	ck_assert_int_eq(PARSE("leakcheck", "--inject", "fresh-vcpu", "--vms", "1"), 0);
	ck_assert_int_eq(cli.opts.leakcheck.inject, INJECT_FRESH_VCPU);
	expect_usage_error(PARSE("leakcheck", "--vms", "0"), "--vms 0: expected 1..32");
	expect_usage_error(PARSE("leakcheck", "--vms", "33"), "expected 1..32");
	expect_usage_error(PARSE("leakcheck", "--cpus", "17"), "--cpus 17: expected 1..16");
	expect_usage_error(PARSE("leakcheck", "--duration", "0.1"), "expected 0.5 to 86400 seconds");
	expect_usage_error(PARSE("leakcheck", "--inject", "none"), "expected cross-vm, cross-vcpu");
	expect_usage_error(PARSE("leakcheck", "--inject", "cross-vm", "--vms", "1"),
			   "--inject cross-vm needs --vms 2 or more");
	expect_usage_error(PARSE("leakcheck", "--inject", "cross-vcpu", "--cpus", "1"),
			   "needs --cpus 2 or more");
	expect_usage_error(PARSE("leakcheck", "--json"), "needs a value");
	expect_usage_error(PARSE("leakcheck", "--bogus", "1"), "leakcheck: unknown option '--bogus'");
	expect_usage_error(PARSE("leakcheck", "extra"), "unexpected argument 'extra'");
}
END_TEST

/* What report_error() or report_stop() (@e NULL) writes on stderr. */
static const char *reported(const struct fpvm_error *e, enum vm_stop stop, const char *reason)
{
	static char out[512];
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	if (e)
		report_error(e);
	else
		report_stop(stop, reason);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

/* Libraries name the item; the command adds its option where they named it. */
START_TEST(options_named_by_the_command)
{
	struct fpvm_error e = { 0 };

	fpvm_fail_config(&e, CFG_CPUS, "%u: too many", 9);
	ck_assert_str_eq(reported(&e, 0, NULL), "fpvm: --cpus 9: too many\n");
	fpvm_fail(&e, FPVM_ERR_INPUT, EINVAL, "k.elf: modules are for Multiboot kernels only");
	fpvm_error_item(&e, CFG_MODULES, strlen("k.elf: modules"));
	ck_assert_str_eq(reported(&e, 0, NULL), "fpvm: k.elf: modules (--module, --initrd) are for "
			 "Multiboot kernels only\n");
	/* A new failure forgets the last one's item. */
	fpvm_fail(&e, FPVM_ERR_INPUT, EINVAL, "k.elf: empty file");
	ck_assert_str_eq(reported(&e, 0, NULL), "fpvm: k.elf: empty file\n");
	ck_assert_str_eq(reported(NULL, VM_STOP_STRICT_IO, "vcpu 0: 1-byte read of unknown port"),
			 "fpvm: vcpu 0: 1-byte read of unknown port (--strict-io)\n");
	ck_assert_str_eq(reported(NULL, VM_STOP_TIMEOUT, "timeout after 1 s"),
			 "fpvm: timeout after 1 s\n");
}
END_TEST

START_TEST(sizes)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("512", &v), 0);
	ck_assert_uint_eq(v, 512ULL << 20);
	ck_assert_int_eq(parse_size("4096K", &v), 0);
	ck_assert_uint_eq(v, 4ULL << 20);
	ck_assert_int_eq(parse_size("2g", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(parse_size("", &v), -EINVAL);
	ck_assert_int_eq(parse_size("M", &v), -EINVAL);
	ck_assert_int_eq(parse_size("1MB", &v), -EINVAL);
	ck_assert_int_eq(parse_size("17179869184G", &v), -ERANGE);
}
END_TEST

START_TEST(seconds)
{
	uint64_t ms;

	ck_assert_int_eq(parse_seconds_ms("2", &ms), 0);
	ck_assert_uint_eq(ms, 2000);
	ck_assert_int_eq(parse_seconds_ms("0.0015", &ms), 0);
	ck_assert_uint_eq(ms, 2);	/* rounded up: never shorter than asked */
	ck_assert_int_eq(parse_seconds_ms("0", &ms), 0);
	ck_assert_uint_eq(ms, 0);
	ck_assert_int_eq(parse_seconds_ms("inf", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms("2s", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms("+2", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms(" 2", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms("0x10", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms(".", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms("1e400", &ms), -ERANGE);
	ck_assert_int_eq(parse_seconds_ms(".5e1", &ms), 0);
	ck_assert_uint_eq(ms, 5000);
	ck_assert_int_eq(parse_seconds_ms("1e-400", &ms), 0);
	ck_assert_uint_eq(ms, 0);	/* an underflow is 0 s, for the caller to refuse */
}
END_TEST

/* How a VM's stop and a library error become exit statuses (cmd/status.c). */
START_TEST(statuses)
{
	struct fpvm_error err = { .cls = FPVM_ERR_INPUT };

	ck_assert_int_eq(status_of_stop(VM_STOP_GUEST_EXIT, 3, EXIT_MODE_DIRECT), 3);
	ck_assert_int_eq(status_of_stop(VM_STOP_GUEST_EXIT, 300, EXIT_MODE_DIRECT), 255);
	ck_assert_int_eq(status_of_stop(VM_STOP_GUEST_EXIT, 0, EXIT_MODE_QEMU), 1);
	ck_assert_int_eq(status_of_stop(VM_STOP_GUEST_EXIT, 0x10, EXIT_MODE_QEMU), 0x21);
	ck_assert_int_eq(status_of_stop(VM_STOP_TRIPLE_FAULT, 0, EXIT_MODE_DIRECT), 113);
	ck_assert_int_eq(status_of_stop(VM_STOP_SIGNAL, SIGINT, EXIT_MODE_DIRECT), 130);
	ck_assert_int_eq(status_of_stop(VM_STOP_SIGNAL, SIGTERM, EXIT_MODE_DIRECT), 143);
	ck_assert_int_eq(status_of_stop(VM_STOP_ERROR, FPVM_ERR_OUTPUT, EXIT_MODE_DIRECT), 74);
	ck_assert_int_eq(status_of_error(&err), 65);
	err.cls = FPVM_ERR_KVM_STATE;
	ck_assert_int_eq(status_of_error(&err), 121);
	err.cls = FPVM_ERR_UNAVAILABLE;
	ck_assert_int_eq(status_of_error(&err), 69);
}
END_TEST

/* Every status fpvm decides is in the one table, with its meaning for --help. */
START_TEST(status_table)
{
	static const int all[] = {
		FPVM_EXIT_USAGE, FPVM_EXIT_DATAERR, FPVM_EXIT_UNAVAILABLE, FPVM_EXIT_SOFTWARE,
		FPVM_EXIT_IOERR, FPVM_EXIT_NOPERM, FPVM_EXIT_SNAPSHOT_HOST, FPVM_EXIT_UNEXPECTED,
		FPVM_EXIT_EXCEPTION, FPVM_EXIT_TRIPLE_FAULT, FPVM_EXIT_FAIL_ENTRY,
		FPVM_EXIT_INTERNAL, FPVM_EXIT_HALTED, FPVM_EXIT_STRICT_IO, FPVM_EXIT_SYSTEM_EVENT,
		FPVM_EXIT_PANIC, FPVM_EXIT_HOST_FPSTATE, FPVM_EXIT_BAD_FPSTATE, FPVM_EXIT_LEAK,
		FPVM_EXIT_SELFTEST, FPVM_EXIT_TIMEOUT, FPVM_EXIT_SECCOMP, FPVM_EXIT_SIGINT,
		FPVM_EXIT_SIGTERM,
	};
	char *h = help_of(NULL);

	ck_assert_int_eq(FPVM_EXIT_SECCOMP, 125);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char want[16];

		ck_assert_ptr_nonnull(status_meaning(all[i]));
		snprintf(want, sizeof(want), " %d ", all[i]);
		ck_assert_msg(strstr(h, want) || (snprintf(want, sizeof(want), "\n%d ", all[i]),
						  strstr(h, want)), "--help lacks status %d", all[i]);
	}
	ck_assert_ptr_null(status_meaning(0));
	ck_assert_ptr_null(status_meaning(1000));
	ck_assert_ptr_nonnull(strstr(h, "124 timeout; 125 forbidden"));
	free(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, run_defaults);
	tcase_add_test(tc, option_forms);
	tcase_add_test(tc, gdb_options);
	tcase_add_test(tc, guest_arguments);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, value_errors);
	tcase_add_test(tc, fpstate_run_options);
	tcase_add_test(tc, probe_and_fpstate_commands);
	tcase_add_test(tc, leakcheck_command);
	tcase_add_test(tc, options_named_by_the_command);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, seconds);
	tcase_add_test(tc, statuses);
	tcase_add_test(tc, status_table);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
