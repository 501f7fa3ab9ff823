// SPDX-License-Identifier: MIT
/*
 * Command line parsing.  A pure function of argv (no getopt globals) so
 * that tests can call it any number of times.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char usage[] =
	"Usage: fpvm run [OPTIONS] GUEST [--] [GUEST-ARGS...]\n"
	"       fpvm version\n"
	"       fpvm --help\n"
	"\n"
	"Boots GUEST, a static x86-64 ELF test guest, under KVM. The value the guest\n"
	"writes to the exit port (0xf4) becomes fpvm's exit status.\n"
	"\n"
	"Options for run:\n"
	"  -c, --cpus N           vCPUs, one thread each (default 1, at most KVM's limit)\n"
	"  -m, --mem SIZE         guest RAM; suffix K, M or G, plain numbers are MiB\n"
	"                         (default 64M, from 2M to 64G)\n"
	"  -t, --timeout SECONDS  stop the guest after SECONDS (may be fractional);\n"
	"                         exit status 124\n"
	"      --serial FILE      write the guest's serial output to FILE, not stdout\n"
	"      --exit-status MODE direct: status = value written to port 0xf4 (default)\n"
	"                         qemu:   status = (value << 1) | 1, like QEMU's\n"
	"                                 isa-debug-exit\n"
	"      --strict-io        an access to an unknown port or MMIO address is fatal\n"
	"                         (exit status 117) instead of reading all-ones\n"
	"      --dump-dtb FILE    write the device tree given to the guest to FILE\n"
	"      --kvm PATH         KVM device to use (default /dev/kvm)\n"
	"  -v, --verbose          report setup and I/O statistics on stderr\n"
	"\n"
	"Guest FPU state:\n"
	"      --xcr0 FEATURES    guest XCR0: names (x87,sse,avx,avx512,pkru,amx,...)\n"
	"                         or a number; default: what KVM and the host support\n"
	"      --amx              request AMX guest permission (before any vCPU exists)\n"
	"      --dump-fpstate     print every vCPU's decoded guest registers at exit\n"
	"      --save-fpstate DIR write DIR/vcpuN.xsave (KVM's buffer) and vcpuN.layout\n"
	"      --check-host-fpstate  compare this process's registers across every\n"
	"                         KVM_RUN; report changes by register (status 120)\n"
	"\n"
	"Other commands:\n"
	"  fpvm probe [--json] [--save-cpuid FILE] [--kvm PATH]\n"
	"                                   host and KVM FPU facts, layout, detected quirks;\n"
	"                                   FILE gets KVM's CPUID table as a test fixture\n"
	"  fpvm fpstate show FILE [--json]  decode a saved vcpuN.xsave\n"
	"  fpvm fpstate diff A B [--json]   registers that differ between two saved states\n"
	"                                   (exit 0 when none do, 1 when some do)\n"
	"  fpvm fpstate check FILE [--host] [--json]\n"
	"                                   validate a saved state as KVM_SET_XSAVE would;\n"
	"                                   --host: as a host fpstate (exit 1 when invalid)\n"
	"  fpvm leakcheck [--vms N] [--cpus N] [--duration SECONDS] [--json FILE] [--tap]\n"
	"                 [--inject cross-vm|cross-vcpu|host|fresh-vcpu] [--xcr0 FEATURES]\n"
	"                 [--kvm PATH]\n"
	"                                   prove no register content crosses between VMs,\n"
	"                                   vCPUs or into the host (default 2 VMs x 2 vCPUs,\n"
	"                                   3 s); --inject: a deliberate leak that must be\n"
	"                                   found (exit 122 leak, 123 self-test failed)\n"
	"\n"
	"Exit status: the guest's value (0-255); 64 usage error; 65 bad guest image;\n"
	"69 KVM unavailable; 70 internal error; 74 output file error; 111 unexpected\n"
	"KVM exit; 112 guest exception; 113 triple fault; 114 entry failure;\n"
	"115 KVM internal error; 116 all vCPUs halted; 117 --strict-io violation;\n"
	"118 system event; 119 guest panic; 120 host registers changed across KVM_RUN;\n"
	"121 invalid guest fpstate from KVM; 122 leak found; 123 leakcheck self-test\n"
	"failed; 124 timeout; 130 SIGINT; 143 SIGTERM.\n";

const char *cli_usage(void)
{
	return usage;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 20;	/* plain numbers are MiB, as in QEMU's -m */
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_seconds_ms(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	v = strtod(s, &end);
	if (*end || !isfinite(v) || v < 0)
		return -EINVAL;
	if (v > 1e7)
		return -ERANGE;
	*ms = (uint64_t)ceil(v * 1000.0);
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

/*
 * An option either has a parser (@set), or, without one, stores into the
 * vm_config field at @field: true for a flag, the argument for a string.
 */
struct opt {
	const char *long_name;
	char short_name;
	bool has_arg;
	int (*set)(struct run_opts *o, const char *arg, struct fpvm_error *err);
	size_t field;
};

#define FLAG(name, short_name, member) { name, short_name, false, NULL, offsetof(struct run_opts, member) }
#define STRING(name, member) { name, 0, true, NULL, offsetof(struct run_opts, member) }

#define USAGE_FAIL(err, ...) fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL, __VA_ARGS__)

static int set_cpus(struct run_opts *o, const char *arg, struct fpvm_error *err)
{
	int r = parse_uint(arg, 1, FPVM_MAX_CPUS, &o->vm.nr_cpus);

	if (r == -ERANGE)
		return USAGE_FAIL(err, "--cpus %s: out of range (1..%d)", arg, FPVM_MAX_CPUS);
	if (r)
		return USAGE_FAIL(err, "--cpus '%s': not a number", arg);
	return 0;
}

static int set_mem(struct run_opts *o, const char *arg, struct fpvm_error *err)
{
	int r = parse_size(arg, &o->vm.mem_size);

	if (r == -EINVAL)
		return USAGE_FAIL(err, "--mem '%s': not a size (examples: 64M, 1G, 512)", arg);
	if (r || o->vm.mem_size < FPVM_MIN_MEM || o->vm.mem_size > FPVM_MAX_MEM)
		return USAGE_FAIL(err, "--mem %s: out of range (2M..64G)", arg);
	return 0;
}

static int set_timeout(struct run_opts *o, const char *arg, struct fpvm_error *err)
{
	int r = parse_seconds_ms(arg, &o->vm.timeout_ms);

	if (r == -ERANGE)
		return USAGE_FAIL(err, "--timeout %s: too large", arg);
	if (r)
		return USAGE_FAIL(err, "--timeout '%s': not a number of seconds", arg);
	return 0;
}

static int set_exit_status(struct run_opts *o, const char *arg, struct fpvm_error *err)
{
	if (!strcmp(arg, "direct"))
		o->exit_mode = EXIT_MODE_DIRECT;
	else if (!strcmp(arg, "qemu"))
		o->exit_mode = EXIT_MODE_QEMU;
	else
		return USAGE_FAIL(err, "--exit-status '%s': expected 'direct' or 'qemu'", arg);
	return 0;
}

static int set_xcr0(struct run_opts *o, const char *arg, struct fpvm_error *err)
{
	char msg[200];

	if (xfeatures_parse(arg, &o->vm.xcr0, msg, sizeof(msg)))
		return USAGE_FAIL(err, "--xcr0 '%s': %s", arg, msg);
	if (!o->vm.xcr0)
		return USAGE_FAIL(err, "--xcr0 %s: XCR0 0 violates rule x87-required: x87 (bit 0) "
				  "must always be set", arg);
	return 0;
}

static const struct opt run_opts[] = {
	{ "cpus", 'c', true, set_cpus, 0 },
	{ "mem", 'm', true, set_mem, 0 },
	{ "timeout", 't', true, set_timeout, 0 },
	{ "exit-status", 0, true, set_exit_status, 0 },
	{ "xcr0", 0, true, set_xcr0, 0 },
	STRING("serial", serial_path),
	STRING("dump-dtb", dtb_path),
	STRING("kvm", kvm_path),
	STRING("save-fpstate", save_fpstate_dir),
	FLAG("strict-io", 0, vm.strict_io),
	FLAG("verbose", 'v', vm.verbose),
	FLAG("amx", 0, amx),
	FLAG("dump-fpstate", 0, dump_fpstate),
	FLAG("check-host-fpstate", 0, vm.check_host_fpstate),
};

static const struct opt *find_opt(const char *arg, const char **value)
{
	*value = NULL;
	if (arg[1] != '-') {
		for (size_t i = 0; i < sizeof(run_opts) / sizeof(run_opts[0]); i++)
			if (run_opts[i].short_name && arg[1] == run_opts[i].short_name) {
				if (arg[2])
					*value = arg + 2;	/* -c4 */
				return &run_opts[i];
			}
		return NULL;
	}
	for (size_t i = 0; i < sizeof(run_opts) / sizeof(run_opts[0]); i++) {
		size_t n = strlen(run_opts[i].long_name);

		if (strncmp(arg + 2, run_opts[i].long_name, n))
			continue;
		if (arg[2 + n] == '=') {
			*value = arg + 3 + n;
			return &run_opts[i];
		}
		if (!arg[2 + n])
			return &run_opts[i];
	}
	return NULL;
}

static int parse_run(int argc, char **argv, struct run_opts *c, struct fpvm_error *err)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *value;
		const struct opt *o;
		int r;

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			break;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
			return 1;
		o = find_opt(arg, &value);
		if (!o)
			return USAGE_FAIL(err, "unknown option '%s'", arg);
		if (o->has_arg && !value) {
			if (i + 1 >= argc)
				return USAGE_FAIL(err, "option '%s' needs a value", arg);
			value = argv[++i];
		} else if (!o->has_arg && value) {
			return USAGE_FAIL(err, "option '--%s' takes no value", o->long_name);
		}
		if (o->set) {
			r = o->set(c, value, err);
			if (r)
				return r;
		} else if (o->has_arg) {
			*(const char **)((char *)c + o->field) = value;
		} else {
			*(bool *)((char *)c + o->field) = true;
		}
	}
	if (i >= argc)
		return USAGE_FAIL(err, "run: no guest image given");
	c->vm.guest_path = argv[i++];
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	c->vm.guest_nargs = argc - i;
	c->vm.guest_args = &argv[i];
	return 0;
}

static int parse_probe(int argc, char **argv, struct cli *cli, struct fpvm_error *err)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			cli->json = true;
		} else if (!strcmp(argv[i], "--save-cpuid") || !strcmp(argv[i], "--kvm")) {
			if (i + 1 >= argc)
				return USAGE_FAIL(err, "option '%s' needs a value", argv[i]);
			if (!strcmp(argv[i], "--kvm"))
				cli->run.kvm_path = argv[++i];
			else
				cli->save_cpuid = argv[++i];
		} else {
			return USAGE_FAIL(err, "probe: unknown argument '%s'", argv[i]);
		}
	}
	return 0;
}

static int parse_fpstate(int argc, char **argv, struct cli *cli, struct fpvm_error *err)
{
	static const char *const ops[] = { "show", "diff", "check" };
	int nfiles = 0, want;

	if (argc < 1)
		return USAGE_FAIL(err, "fpstate: expected show, diff or check");
	for (want = 0; want < 3 && strcmp(argv[0], ops[want]); want++)
		;
	if (want == 3)
		return USAGE_FAIL(err, "fpstate: unknown operation '%s' (show, diff, check)", argv[0]);
	cli->fpstate_op = (enum fpstate_op)want;
	want = cli->fpstate_op == FPSTATE_DIFF ? 2 : 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			cli->json = true;
		else if (!strcmp(argv[i], "--host") && cli->fpstate_op == FPSTATE_CHECK)
			cli->host = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return USAGE_FAIL(err, "fpstate %s: unknown option '%s'", argv[0], argv[i]);
		else if (nfiles < want)
			cli->files[nfiles++] = argv[i];
		else
			return USAGE_FAIL(err, "fpstate %s: too many files", argv[0]);
	}
	if (nfiles != want)
		return USAGE_FAIL(err, "fpstate %s: expected %s", argv[0],
				  want == 2 ? "two files" : "a file");
	return 0;
}

static int parse_leakcheck(int argc, char **argv, struct cli *cli, struct fpvm_error *err)
{
	static const char *const injects[] = { "none", "cross-vm", "cross-vcpu", "host",
					       "fresh-vcpu" };

	cli->leak.vms = 2;
	cli->leak.cpus = 2;
	cli->leak.duration_ms = 3000;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned int n;
		int r;

		if (!strcmp(o, "--tap")) {
			cli->leak.tap = true;
			continue;
		}
		if (o[0] != '-')
			return USAGE_FAIL(err, "leakcheck: unexpected argument '%s'", o);
		if (!v)
			return USAGE_FAIL(err, "option '%s' needs a value", o);
		i++;
		if (!strcmp(o, "--vms") || !strcmp(o, "--cpus")) {
			bool vms = !strcmp(o, "--vms");

			r = parse_uint(v, 1, vms ? LEAK_MAX_VMS : LEAK_MAX_CPUS, &n);
			if (r)
				return USAGE_FAIL(err, "%s %s: expected 1..%d", o, v,
						  vms ? LEAK_MAX_VMS : LEAK_MAX_CPUS);
			*(vms ? &cli->leak.vms : &cli->leak.cpus) = n;
		} else if (!strcmp(o, "--duration")) {
			r = parse_seconds_ms(v, &cli->leak.duration_ms);
			if (r || cli->leak.duration_ms < 500 || cli->leak.duration_ms > 86400000)
				return USAGE_FAIL(err, "--duration %s: expected 0.5 to 86400 seconds", v);
		} else if (!strcmp(o, "--json")) {
			cli->leak.json_path = v;
		} else if (!strcmp(o, "--inject")) {
			unsigned int k;

			for (k = 1; k < 5 && strcmp(v, injects[k]); k++)
				;
			if (k == 5)
				return USAGE_FAIL(err, "--inject '%s': expected cross-vm, cross-vcpu, "
						  "host or fresh-vcpu", v);
			cli->leak.inject = (enum leak_inject)k;
		} else if (!strcmp(o, "--xcr0")) {
			r = set_xcr0(&cli->run, v, err);
			if (r)
				return r;
		} else if (!strcmp(o, "--kvm")) {
			cli->run.kvm_path = v;
		} else {
			return USAGE_FAIL(err, "leakcheck: unknown option '%s'", o);
		}
	}
	if (cli->leak.inject == INJECT_CROSS_VM && cli->leak.vms < 2)
		return USAGE_FAIL(err, "--inject cross-vm needs --vms 2 or more");
	if (cli->leak.inject == INJECT_CROSS_VCPU && cli->leak.cpus < 2)
		return USAGE_FAIL(err, "--inject cross-vcpu needs --cpus 2 or more");
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *cli, struct fpvm_error *err)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	*cli = (struct cli){
		.cmd = CLI_HELP,
		.run = {
			.vm = {
				.nr_cpus = 1,
				.mem_size = FPVM_DEFAULT_MEM,
				.serial_fd = -1,
				.dtb_fd = -1,
			},
			.kvm_path = "/dev/kvm",
			.exit_mode = EXIT_MODE_DIRECT,
		},
	};
	if (!cmd)
		return USAGE_FAIL(err, "no command given");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		return 0;
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		cli->cmd = CLI_VERSION;
		return 0;
	}
	if (!strcmp(cmd, "run")) {
		int r = parse_run(argc - 2, argv + 2, &cli->run, err);

		cli->cmd = r == 1 ? CLI_HELP : CLI_RUN;
		return r == 1 ? 0 : r;
	}
	if (!strcmp(cmd, "probe")) {
		cli->cmd = CLI_PROBE;
		return parse_probe(argc - 2, argv + 2, cli, err);
	}
	if (!strcmp(cmd, "fpstate")) {
		cli->cmd = CLI_FPSTATE;
		return parse_fpstate(argc - 2, argv + 2, cli, err);
	}
	if (!strcmp(cmd, "leakcheck")) {
		cli->cmd = CLI_LEAKCHECK;
		return parse_leakcheck(argc - 2, argv + 2, cli, err);
	}
	return USAGE_FAIL(err, "unknown command '%s'", cmd);
}
