// SPDX-License-Identifier: MIT
/*
 * fpvm probe: what this host and its KVM offer for guest FPU state, and
 * how this KVM differs from the architecture (the quirks of quirks.c).
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/json.h"
#include "../vcpu/vcpu.h"
#include "cmd.h"

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
	bool coalesced_pio, split_irqchip;
	struct guest_fpu_cfg fpu;
	uint32_t uabi_size;
	struct quirk q[NR_QUIRKS];
};

static void print_text(const struct facts *f)
{
	char n1[256];
	uint32_t xf = f->fpu.host.layout.xsave_features;

	printf("KVM\n  API version            %d\n  KVM_CAP_XSAVE2         %d bytes\n"
	       "  vCPUs                  %d recommended, %d maximum\n"
	       "  coalesced PIO          %s\n"
	       "  LAPIC in KVM           %s\n", f->api, f->xsave2, f->nr_vcpus, f->max_vcpus,
	       f->coalesced_pio ? "yes (the UART's THR writes need no exit while quiet)" :
	       "no (every THR write exits)",
	       f->split_irqchip ? "yes (test guests' vCPUs: KVM_CAP_SPLIT_IRQCHIP)" :
	       "no (test guests' vCPUs have none; their HLTs exit)");
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
	       "\"max_vcpus\": %d, \"coalesced_pio\": %s, \"split_irqchip\": %s},\n", f->api,
	       f->xsave2, f->nr_vcpus, f->max_vcpus, f->coalesced_pio ? "true" : "false",
	       f->split_irqchip ? "true" : "false");
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
	struct kvm kvm;
	int vm_fd, status = 0;

	if (!f) {
		fprintf(stderr, "fpvm: out of memory\n");
		return FPVM_EXIT_SOFTWARE;
	}
	if (guest_fpu_open(&kvm, &f->fpu, o->kvm_path, false, NULL, &err)) {
		free(f);
		return report_error(&err);
	}
	cpu_brand(f->brand);
	f->api = kvm.api_version;
	f->nr_vcpus = kvm.nr_vcpus;
	f->max_vcpus = kvm.max_vcpus;
	f->coalesced_pio = kvm.has_coalesced_pio;
	f->split_irqchip = kvm.has_split_irqchip;
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

	probe_quirks(&kvm, &f->fpu, f->q);

	if (o->json)
		print_json(f);
	else
		print_text(f);
	if (o->save_cpuid)
		status = save_cpuid(o->save_cpuid, &kvm, &f->fpu.host);
out:
	guest_fpu_close(&kvm, &f->fpu);
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
		"the guest default XCR0, KVM_CAP_XSAVE2, whether KVM queues the UART's writes\n"
		"(coalesced PIO) and gives test guests' vCPUs its LAPIC (split irqchip; their\n"
		"HLTs then stay in KVM and fpvm sees a halt within 100 ms), and every quirk\n"
		"found by running tiny guests (for example guest-xcr0-not-enforced on a\n"
		"paravirtual KVM).",
	.opts = probe_opts,
	.nr_opts = NR_OPTS(probe_opts),
	.init = probe_init,
	.run = probe,
	.statuses = "0 facts printed; 64 usage error; 69 KVM unavailable; 70 internal\n"
		    "error; 74 --save-cpuid FILE cannot be written.",
};
