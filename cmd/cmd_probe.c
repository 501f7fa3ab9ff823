// SPDX-License-Identifier: MIT
/*
 * fpvm probe: what this host and its KVM offer for guest FPU state, and
 * how this KVM differs from the architecture.  Every quirk is a finding
 * from running a tiny guest (the xcr0 guest, built into fpvm), never an
 * assumption about the machine.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../base/json.h"
#include "../vcpu/vcpu.h"
#include "cmd.h"

extern const unsigned char probe_guest_elf[];
extern const size_t probe_guest_elf_len;

#define PROBE_MEM	(16ULL << 20)
#define PROBE_TIMEOUT_MS 10000

struct guest_run {
	int status;		/* 0 when the VM ran, -1 when it could not */
	enum vm_stop stop;
	uint32_t value;
	uint64_t kvm_xcr0;	/* KVM_GET_XCRS after the run: what KVM holds */
	char fpstate_error[320];	/* the guest fpstate KVM returned fails validation */
	char reason[320];
	char out[4096];		/* the guest's serial output */
};

enum { UNKNOWN = -1, NO, YES };

struct quirk {
	const char *name;
	const char *meaning;
	int detected;
	char evidence[360];
};

enum quirk_id {
	Q_XCR0_NOT_ENFORCED,
	Q_AVX_WITHOUT_XCR0,
	Q_CPUID_NOT_VIRTUALIZED,
	Q_CPL0_XGETBV,
	Q_CPL0_XSAVE,
	Q_CPL0_X87,
	Q_SYSCALL_CPL3,
	Q_KVM_CPUID_NO_XSAVE,
	Q_XSAVE_BEYOND_XCR0,
	NR_QUIRKS,
};

static const struct quirk quirk_defs[NR_QUIRKS] = {
	[Q_XCR0_NOT_ENFORCED] = { "guest-xcr0-not-enforced",
		"XGETBV at CPL3 does not return the XCR0 set with KVM_SET_XCRS" },
	[Q_AVX_WITHOUT_XCR0] = { "avx-without-xcr0",
		"AVX instructions run although the guest XCR0 lacks AVX" },
	[Q_CPUID_NOT_VIRTUALIZED] = { "cpuid-not-virtualized",
		"CPUID at CPL3 does not return the table set with KVM_SET_CPUID2" },
	[Q_CPL0_XGETBV] = { "cpl0-xgetbv-fails", "XGETBV at CPL0 stops the vCPU" },
	[Q_CPL0_XSAVE] = { "cpl0-xsave-fails", "XSAVE at CPL0 stops the vCPU" },
	[Q_CPL0_X87] = { "cpl0-x87-fails", "x87 instructions at CPL0 stop the vCPU" },
	[Q_SYSCALL_CPL3] = { "syscall-stays-cpl3",
		"SYSCALL from CPL3 runs its LSTAR handler without entering CPL0" },
	[Q_KVM_CPUID_NO_XSAVE] = { "kvm-cpuid-lacks-xsave",
		"KVM_GET_SUPPORTED_CPUID leaf 1 lacks XSAVE while leaf 0xD offers features" },
	[Q_XSAVE_BEYOND_XCR0] = { "xsave-beyond-xcr0",
		"KVM_GET_XSAVE2 returns state for features outside the guest's XCR0" },
};

/* What every probe guest runs on: this KVM and its guest FPU configuration. */
struct probe_env {
	struct kvm *kvm;
	const struct guest_fpu_cfg *fpu;
};

static int run_guest(const struct probe_env *env, const char *mode, uint64_t xcr0,
		     struct guest_run *gr)
{
	char *args[] = { (char *)mode };
	int fd = memfd_create("fpvm-probe", MFD_CLOEXEC);
	struct vm_config cfg = {
		.guest_path = "xcr0.elf", .guest_nargs = 1, .guest_args = args,
		.nr_cpus = 1, .mem_size = PROBE_MEM, .timeout_ms = PROBE_TIMEOUT_MS,
		.quiet = true, .serial_fd = fd, .dtb_fd = -1, .xcr0 = xcr0,
		.image = probe_guest_elf, .image_len = probe_guest_elf_len,
	};
	struct fpvm_error err = { 0 };
	struct vm vm;
	ssize_t n;

	memset(gr, 0, sizeof(*gr));
	if (fd < 0) {
		gr->status = -1;
		snprintf(gr->reason, sizeof(gr->reason), "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (vm_boot(&vm, env->kvm, env->fpu, &cfg, &err)) {
		gr->status = -1;
		snprintf(gr->reason, sizeof(gr->reason), "%s", err.msg);
	} else {
		gr->stop = vm.stop;
		gr->value = vm.stop_value;
		snprintf(gr->reason, sizeof(gr->reason), "%s", vm.reason);
		/* XCR0 is read on its own, so it is known even if the state is invalid. */
		if (!vcpu_sync_xcr0(vm.vcpus[0], &err))
			gr->kvm_xcr0 = vm.vcpus[0]->xcr0;
		if (vcpu_sync_fpstate(vm.vcpus[0], &err))
			snprintf(gr->fpstate_error, sizeof(gr->fpstate_error), "%s", err.msg);
	}
	vm_destroy(&vm);
	n = pread(fd, gr->out, sizeof(gr->out) - 1, 0);
	gr->out[n > 0 ? n : 0] = '\0';
	close(fd);
	return gr->status < 0 ? -1 : 0;
}

/* The value of a "key=value" line of the guest's output, or NULL. */
static const char *value_of(const struct guest_run *gr, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = gr->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n");

			snprintf(buf, size, "%.*s", (int)n, p + klen + 1);
			return buf;
		}
	}
	return NULL;
}

__attribute__((format(printf, 3, 4)))
static void found(struct quirk *q, int detected, const char *fmt, ...)
{
	va_list ap;

	q->detected = detected;
	va_start(ap, fmt);
	vsnprintf(q->evidence, sizeof(q->evidence), fmt, ap);
	va_end(ap);
}

static void probe_xcr0(const struct probe_env *env, struct quirk *q)
{
	struct guest_run gr;
	char v[64], d0[128];

	if (run_guest(env, "report", 0x3, &gr) || !value_of(&gr, "xgetbv", v, sizeof(v))) {
		found(&q[Q_XCR0_NOT_ENFORCED], UNKNOWN, "probe guest failed: %s", gr.reason);
		found(&q[Q_CPUID_NOT_VIRTUALIZED], UNKNOWN, "probe guest failed: %s", gr.reason);
		return;
	}
	/* Only KVM holding our XCR0 makes a different XGETBV the host's doing. */
	if (gr.kvm_xcr0 != 0x3)
		found(&q[Q_XCR0_NOT_ENFORCED], UNKNOWN, "KVM_GET_XCRS says 0x%llx after fpvm set "
		      "0x3: an fpvm bug, not a host quirk", (unsigned long long)gr.kvm_xcr0);
	else if (!strncmp(v, "fault", 5))
		found(&q[Q_XCR0_NOT_ENFORCED], UNKNOWN,
		      "XGETBV at CPL3 faulted (%s): CR4.OSXSAVE is clear", v);
	else
		found(&q[Q_XCR0_NOT_ENFORCED], strtoull(v, NULL, 0) != 0x3,
		      "XGETBV at CPL3 returned %s with XCR0 set to 0x3", v);
	if (value_of(&gr, "cpuid.d.0", d0, sizeof(d0)))
		found(&q[Q_CPUID_NOT_VIRTUALIZED], strtoul(d0, NULL, 0) != 0x3,
		      "CPUID 0xD.0 EAX at CPL3 is %.*s; fpvm set 0x3", (int)strcspn(d0, ","), d0);
}

static void probe_avx(const struct probe_env *env, uint64_t kvm_xcr0, struct quirk *q)
{
	struct guest_run gr;
	char v[32];

	if (!(kvm_xcr0 & XMASK(YMM))) {
		found(&q[Q_AVX_WITHOUT_XCR0], UNKNOWN, "this KVM does not offer AVX");
		found(&q[Q_XSAVE_BEYOND_XCR0], UNKNOWN, "this KVM does not offer AVX");
		return;
	}
	if (run_guest(env, "avx", 0x3, &gr) || !value_of(&gr, "avx", v, sizeof(v)))
		found(&q[Q_AVX_WITHOUT_XCR0], UNKNOWN, "probe guest failed: %s", gr.reason);
	else if (gr.kvm_xcr0 != 0x3)
		found(&q[Q_AVX_WITHOUT_XCR0], UNKNOWN, "KVM_GET_XCRS says 0x%llx after fpvm set "
		      "0x3: an fpvm bug, not a host quirk", (unsigned long long)gr.kvm_xcr0);
	else
		found(&q[Q_AVX_WITHOUT_XCR0], !strcmp(v, "ok"),
		      "VPXOR ymm with XCR0 0x3: %s", !strcmp(v, "ok") ? "executed" : v);
	/* Where AVX ran anyway, does KVM hand its state back? fpvm's validator tells. */
	if (gr.status >= 0)
		found(&q[Q_XSAVE_BEYOND_XCR0], gr.fpstate_error[0] != 0, "%s",
		      gr.fpstate_error[0] ? strstr(gr.fpstate_error, "XSTATE_BV")
						 ? strstr(gr.fpstate_error, "XSTATE_BV")
						 : gr.fpstate_error
					   : "KVM_GET_XSAVE2 after the AVX probe validates");
}

static void probe_cpl0(const struct probe_env *env, const char *mode, struct quirk *q)
{
	struct guest_run gr;

	if (run_guest(env, mode, 0, &gr))
		found(q, UNKNOWN, "probe guest failed: %s", gr.reason);
	else if (gr.stop == VM_STOP_INTERNAL_ERROR)
		found(q, YES, "%s", gr.reason);
	else if (gr.stop == VM_STOP_GUEST_EXIT && gr.value <= 1)
		found(q, NO, "%s at CPL0 completed", mode + 5);
	else
		found(q, UNKNOWN, "probe guest stopped: %s", gr.reason);
}

static void probe_syscall(const struct probe_env *env, struct quirk *q)
{
	struct guest_run gr;
	char cs[32];

	if (run_guest(env, "syscall", 0, &gr) || !value_of(&gr, "syscall.cs", cs, sizeof(cs)))
		found(q, UNKNOWN, "probe guest failed: %s", gr.reason);
	else
		found(q, (strtoul(cs, NULL, 0) & 3) != 0,
		      "the SYSCALL handler ran with CS %s (CPL %lu)", cs, strtoul(cs, NULL, 0) & 3);
}

static void probe_kvm_cpuid(const struct kvm *kvm, struct quirk *q)
{
	const struct kvm_cpuid_entry2 *l1 = kvm_cpuid_find(kvm->cpuid, 1, 0);
	const struct kvm_cpuid_entry2 *d0 = kvm_cpuid_find(kvm->cpuid, 0xd, 0);
	bool xsave = l1 && (l1->ecx & (1U << 26));

	found(q, !xsave && d0 && (d0->eax & ~3U), "leaf 1 ECX 0x%x (XSAVE %s), leaf 0xD.0 EAX 0x%x",
	      l1 ? l1->ecx : 0, xsave ? "set" : "clear", d0 ? d0->eax : 0);
}

static void cpu_brand(char *buf)
{
	uint32_t r[12] = { 0 };

	for (unsigned int i = 0; i < 3; i++)
		__cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
	memcpy(buf, r, 48);
	buf[48] = '\0';
	while (*buf == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

static int save_cpuid(const char *path, const struct kvm *kvm, const struct host_fpu *h)
{
	FILE *f = fopen(path, "w");
	char brand[49];

	if (!f) {
		fprintf(stderr, "fpvm: --save-cpuid %s: %s\n", path, strerror(errno));
		return FPVM_EXIT_IOERR;
	}
	cpu_brand(brand);
	fprintf(f, "# %s: written by fpvm probe --save-cpuid\n", brand);
	fprintf(f, "# KVM_GET_SUPPORTED_CPUID: function index flags eax ebx ecx edx\n");
	for (uint32_t i = 0; i < kvm->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &kvm->cpuid->entries[i];

		fprintf(f, "0x%08x 0x%x 0x%x 0x%08x 0x%08x 0x%08x 0x%08x\n", e->function, e->index,
			e->flags, e->eax, e->ebx, e->ecx, e->edx);
	}
	fprintf(f, "# host CPUID leaf 0xD (raw, as seen by a host process)\n");
	for (uint32_t i = 0; i < h->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &h->cpuid->entries[i];

		fprintf(f, "0x%08x 0x%x - 0x%08x 0x%08x 0x%08x 0x%08x\n", e->function, e->index,
			e->eax, e->ebx, e->ecx, e->edx);
	}
	fprintf(f, "# host XCR0 = 0x%09llx\n", (unsigned long long)h->xcr0);
	if (fclose(f)) {
		fprintf(stderr, "fpvm: --save-cpuid %s: write failed\n", path);
		return FPVM_EXIT_IOERR;
	}
	return 0;
}

struct facts {
	char brand[49];
	int api, xsave2, nr_vcpus, max_vcpus;
	struct guest_fpu_cfg fpu;
	uint32_t uabi_size;
	struct quirk q[NR_QUIRKS];
};

static void print_text(const struct facts *f)
{
	char n1[256];
	uint32_t xf = f->fpu.host.layout.xsave_features;

	printf("KVM\n  API version            %d\n  KVM_CAP_XSAVE2         %d bytes\n"
	       "  vCPUs                  %d recommended, %d maximum\n", f->api, f->xsave2,
	       f->nr_vcpus, f->max_vcpus);
	printf("Host\n  CPU                    %s\n", f->brand);
	printf("  XCR0                   0x%llx (%s)\n", (unsigned long long)f->fpu.host.xcr0,
	       xfeatures_str(f->fpu.host.xcr0, n1, sizeof(n1)));
	printf("  user features          0x%llx (%s)\n",
	       (unsigned long long)host_fpu_user_features(&f->fpu.host),
	       f->fpu.host.has_xcomp_supp ? "ARCH_GET_XCOMP_SUPP" : "XGETBV");
	printf("  supervisor (XSS) bits  0x%llx (%s)\n",
	       (unsigned long long)f->fpu.host.layout.xss_supported,
	       xfeatures_str(f->fpu.host.layout.xss_supported, n1, sizeof(n1)));
	printf("  XSAVE instructions     %s%s%s%s%s\n", (xf & 1) ? "xsaveopt " : "",
	       (xf & 2) ? "xsavec " : "", (xf & 4) ? "xgetbv1 " : "", (xf & 8) ? "xsaves " : "",
	       (xf & 16) ? "xfd" : "");
	printf("  MXCSR_MASK             0x%x\n", f->fpu.host.mxcsr_mask);
	printf("Guest\n  KVM-supported XCR0     0x%llx (%s)\n", (unsigned long long)f->fpu.kvm_xcr0,
	       xfeatures_str(f->fpu.kvm_xcr0, n1, sizeof(n1)));
	printf("  default guest XCR0     0x%llx (%s)\n", (unsigned long long)f->fpu.default_xcr0,
	       xfeatures_str(f->fpu.default_xcr0, n1, sizeof(n1)));
	printf("  uABI buffer            %u bytes\n", f->uabi_size);
	printf("  AMX                    %s\n",
	       !(host_fpu_user_features(&f->fpu.host) & XMASK(XTILE_DATA)) ? "not offered by this host"
	       : (f->fpu.host.guest_perm & XMASK(XTILE_DATA)) ? "permitted"
							   : "offered; needs --amx");
	printf("Guest XSAVE layout (KVM_GET_SUPPORTED_CPUID leaf 0xD)\n");
	xstate_layout_print(stdout, &f->fpu.layout, f->fpu.default_xcr0, false);
	printf("Host XSAVE layout (CPUID leaf 0xD)\n");
	xstate_layout_print(stdout, &f->fpu.host.layout, f->fpu.host.xcr0, false);
	printf("Quirks (each found by running a tiny guest)\n");
	for (int i = 0; i < NR_QUIRKS; i++)
		printf("  %-24s %-8s %s\n", f->q[i].name,
		       f->q[i].detected == YES ? "DETECTED" : f->q[i].detected == NO ? "no" : "unknown",
		       f->q[i].evidence);
}

static void print_json(const struct facts *f)
{
	printf("{\"kvm\": {\"api_version\": %d, \"xsave2_size\": %d, \"nr_vcpus\": %d, "
	       "\"max_vcpus\": %d},\n", f->api, f->xsave2, f->nr_vcpus, f->max_vcpus);
	printf(" \"host\": {\"cpu\": ");
	json_str(stdout, f->brand);
	printf(", \"xcr0\": \"0x%llx\", \"user_features\": \"0x%llx\", \"xss\": \"0x%llx\", "
	       "\"xsave_features\": \"0x%x\", \"mxcsr_mask\": \"0x%x\", \"amx_guest_perm\": %s, "
	       "\"layout\": ", (unsigned long long)f->fpu.host.xcr0,
	       (unsigned long long)host_fpu_user_features(&f->fpu.host),
	       (unsigned long long)f->fpu.host.layout.xss_supported, f->fpu.host.layout.xsave_features,
	       f->fpu.host.mxcsr_mask, (f->fpu.host.guest_perm & XMASK(XTILE_DATA)) ? "true" : "false");
	xstate_layout_print(stdout, &f->fpu.host.layout, f->fpu.host.xcr0, true);
	printf("},\n \"guest\": {\"kvm_supported_xcr0\": \"0x%llx\", \"default_xcr0\": \"0x%llx\", "
	       "\"uabi_size\": %u, \"layout\": ", (unsigned long long)f->fpu.kvm_xcr0,
	       (unsigned long long)f->fpu.default_xcr0, f->uabi_size);
	xstate_layout_print(stdout, &f->fpu.layout, f->fpu.default_xcr0, true);
	printf("},\n \"quirks\": [");
	for (int i = 0; i < NR_QUIRKS; i++) {
		printf("%s\n  {\"name\": \"%s\", \"detected\": %s, \"meaning\": ", i ? "," : "",
		       f->q[i].name, f->q[i].detected == YES ? "true" : f->q[i].detected == NO
									  ? "false" : "null");
		json_str(stdout, f->q[i].meaning);
		printf(", \"evidence\": ");
		json_str(stdout, f->q[i].evidence);
		putchar('}');
	}
	printf("]}\n");
}

static int probe(const void *opts)
{
	const struct probe_opts *o = opts;
	struct fpvm_error err = { 0 };
	struct facts *f = calloc(1, sizeof(*f));
	struct probe_env env;
	struct kvm kvm;
	int vm_fd, status = 0;

	if (!f) {
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	if (kvm_open(&kvm, o->kvm_path, &err)) {
		free(f);
		return report_error(&err);
	}
	if (guest_fpu_cfg_init(&f->fpu, &kvm, &err)) {
		status = report_error(&err);
		goto out_kvm;
	}
	env = (struct probe_env){ .kvm = &kvm, .fpu = &f->fpu };
	memcpy(f->q, quirk_defs, sizeof(f->q));
	cpu_brand(f->brand);
	f->api = kvm.api_version;
	f->nr_vcpus = kvm.nr_vcpus;
	f->max_vcpus = kvm.max_vcpus;
	/* KVM_CAP_XSAVE2 is a VM's answer (api.rst): ask a VM, as fpvm run does. */
	vm_fd = kvm_create_vm(&kvm);
	if (vm_fd < 0) {
		fprintf(stderr, "fpvm: KVM_CREATE_VM: %s\n", strerror(-vm_fd));
		status = FPVM_EXIT_SOFTWARE;
		goto out;
	}
	f->xsave2 = kvm_check_extension(&kvm, vm_fd, KVM_CAP_XSAVE2);
	close(vm_fd);
	f->uabi_size = fpstate_guest_uabi_size(f->xsave2, &f->fpu.layout, f->fpu.default_xcr0);

	probe_xcr0(&env, f->q);
	probe_avx(&env, f->fpu.kvm_xcr0, f->q);
	probe_cpl0(&env, "cpl0-xgetbv", &f->q[Q_CPL0_XGETBV]);
	probe_cpl0(&env, "cpl0-xsave", &f->q[Q_CPL0_XSAVE]);
	probe_cpl0(&env, "cpl0-x87", &f->q[Q_CPL0_X87]);
	probe_syscall(&env, &f->q[Q_SYSCALL_CPL3]);
	probe_kvm_cpuid(&kvm, &f->q[Q_KVM_CPUID_NO_XSAVE]);

	if (o->json)
		print_json(f);
	else
		print_text(f);
	if (o->save_cpuid)
		status = save_cpuid(o->save_cpuid, &kvm, &f->fpu.host);
out:
	guest_fpu_cfg_release(&f->fpu);
out_kvm:
	kvm_close(&kvm);
	free(f);
	return status;
}

static const struct opt probe_opts[] = {
	OPT_FLAG("json", 0, struct probe_opts, json, "print the facts as one JSON object"),
	OPT_STRING("save-cpuid", 0, "FILE", struct probe_opts, save_cpuid,
		   "write KVM's supported CPUID table to FILE, a test\nfixture for fpstate/"),
	OPT_STRING("kvm", 0, "PATH", struct probe_opts, kvm_path,
		   "KVM device to use (default /dev/kvm)"),
};

static void probe_init(void *opts)
{
	*(struct probe_opts *)opts = (struct probe_opts){ .kvm_path = "/dev/kvm" };
}

const struct command cmd_probe = {
	.name = "probe",
	.synopsis = "[--json] [--save-cpuid FILE] [--kvm PATH]",
	.summary = "host and KVM FPU facts, XSAVE layout, detected quirks",
	.description =
		"Reports what this host and its KVM offer for guest FPU state: XSAVE features,\n"
		"the guest default XCR0, KVM_CAP_XSAVE2, and every quirk found by running tiny\n"
		"guests (for example guest-xcr0-not-enforced on a paravirtual KVM).",
	.opts = probe_opts,
	.nr_opts = NR_OPTS(probe_opts),
	.init = probe_init,
	.run = probe,
	.statuses = "0 facts printed; 64 usage error; 69 KVM unavailable; 70 internal\n"
		    "error; 74 --save-cpuid FILE cannot be written.",
};
