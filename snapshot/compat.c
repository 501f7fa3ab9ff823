// SPDX-License-Identifier: MIT
/*
 * Whether a snapshot fits this host.  A restored guest keeps the CPUID,
 * XSAVE features and MSRs it was given: each one this host's KVM cannot
 * give it is an error, found here before any vCPU is touched, by comparing
 * tables.  Pure: the caller hands in both hosts' tables.
 */
#include <stdarg.h>
#include <string.h>

#include "../fpstate/fpstate.h"
#include "check.h"

enum reg { EAX, EBX, ECX, EDX };

static const char *const reg_names[] = { "EAX", "EBX", "ECX", "EDX" };

/* AMD repeats these leaf 1 EDX bits in 0x80000001 EDX; Intel does not. */
#define AMD_EDX_ALIASES	0x0183f3ffU

/* The feature registers compared, with names for the bits people know. */
static const struct feature_reg {
	uint32_t leaf, sub;
	bool has_sub;
	enum reg reg;
	/*
	 * State rather than features, or what KVM computes at run time: the
	 * guest's CR4/APIC settings and KVM's own hypervisor bit.
	 */
	uint32_t ignore;
	const char *names[32];
} regs[] = {
	{ 0x1, 0, false, ECX, 1U << 27 | 1U << 31, {
		[0] = "sse3", [1] = "pclmulqdq", [2] = "dtes64", [3] = "monitor", [4] = "ds-cpl",
		[5] = "vmx", [6] = "smx", [7] = "est", [8] = "tm2", [9] = "ssse3",
		[10] = "cnxt-id", [11] = "sdbg", [12] = "fma", [13] = "cx16", [14] = "xtpr",
		[15] = "pdcm", [17] = "pcid", [18] = "dca", [19] = "sse4.1", [20] = "sse4.2",
		[21] = "x2apic", [22] = "movbe", [23] = "popcnt", [24] = "tsc-deadline",
		[25] = "aes", [26] = "xsave", [28] = "avx", [29] = "f16c", [30] = "rdrand" } },
	/* HTT describes the topology fpvm gives each VM (vcpu/cpuid.c), not a feature. */
	{ 0x1, 0, false, EDX, 1U << 9 | 1U << 28, {
		[0] = "fpu", [1] = "vme", [2] = "de", [3] = "pse", [4] = "tsc", [5] = "msr",
		[6] = "pae", [7] = "mce", [8] = "cx8", [11] = "sep", [12] = "mtrr", [13] = "pge",
		[14] = "mca", [15] = "cmov", [16] = "pat", [17] = "pse36", [18] = "pn",
		[19] = "clflush", [21] = "ds", [22] = "acpi", [23] = "mmx", [24] = "fxsr",
		[25] = "sse", [26] = "sse2", [27] = "ss", [28] = "ht", [29] = "tm",
		[31] = "pbe" } },
	{ 0x7, 0, true, EBX, 0, {
		[0] = "fsgsbase", [1] = "tsc-adjust", [2] = "sgx", [3] = "bmi1", [4] = "hle",
		[5] = "avx2", [7] = "smep", [8] = "bmi2", [9] = "erms", [10] = "invpcid",
		[11] = "rtm", [14] = "mpx", [16] = "avx512f", [17] = "avx512dq", [18] = "rdseed",
		[19] = "adx", [20] = "smap", [21] = "avx512ifma", [23] = "clflushopt",
		[24] = "clwb", [25] = "intel-pt", [26] = "avx512pf", [27] = "avx512er",
		[28] = "avx512cd", [29] = "sha", [30] = "avx512bw", [31] = "avx512vl" } },
	{ 0x7, 0, true, ECX, 1U << 4, {
		[0] = "prefetchwt1", [1] = "avx512vbmi", [2] = "umip", [3] = "pku",
		[5] = "waitpkg", [6] = "avx512vbmi2", [7] = "cet-ss", [8] = "gfni", [9] = "vaes",
		[10] = "vpclmulqdq", [11] = "avx512vnni", [12] = "avx512bitalg",
		[14] = "avx512vpopcntdq", [16] = "la57", [22] = "rdpid", [25] = "cldemote",
		[27] = "movdiri", [28] = "movdir64b", [29] = "enqcmd", [31] = "pks" } },
	{ 0x7, 0, true, EDX, 0, {
		[2] = "avx512-4vnniw", [3] = "avx512-4fmaps", [4] = "fsrm",
		[8] = "avx512-vp2intersect", [10] = "md-clear", [14] = "serialize",
		[16] = "tsxldtrk", [19] = "arch-lbr", [20] = "ibt", [22] = "amx-bf16",
		[23] = "avx512-fp16", [24] = "amx-tile", [25] = "amx-int8", [26] = "spec-ctrl",
		[27] = "stibp", [28] = "flush-l1d", [29] = "arch-capabilities",
		[30] = "core-capabilities", [31] = "ssbd" } },
	{ 0x7, 1, true, EAX, 0, {
		[4] = "avx-vnni", [5] = "avx512-bf16", [10] = "fzrm", [11] = "fsrs", [12] = "fsrc",
		[21] = "amx-fp16", [23] = "avx-ifma", [26] = "lam" } },
	{ 0xd, 1, true, EAX, 0, {
		[0] = "xsaveopt", [1] = "xsavec", [2] = "xgetbv1", [3] = "xsaves", [4] = "xfd" } },
	{ 0x80000001, 0, false, ECX, 0, {
		[0] = "lahf-lm", [1] = "cmp-legacy", [2] = "svm", [3] = "extapic",
		[4] = "cr8-legacy", [5] = "abm", [6] = "sse4a", [7] = "misalignsse",
		[8] = "3dnowprefetch", [9] = "osvw", [10] = "ibs", [11] = "xop", [12] = "skinit",
		[13] = "wdt", [15] = "lwp", [16] = "fma4", [21] = "tbm", [22] = "topoext",
		[23] = "perfctr-core" } },
	{ 0x80000001, 0, false, EDX, 1U << 9, {
		[0] = "fpu", [1] = "vme", [2] = "de", [3] = "pse", [4] = "tsc", [5] = "msr",
		[6] = "pae", [7] = "mce", [8] = "cx8", [11] = "syscall", [12] = "mtrr",
		[13] = "pge", [14] = "mca", [15] = "cmov", [16] = "pat", [17] = "pse36",
		[20] = "nx", [22] = "mmxext", [23] = "mmx", [24] = "fxsr", [25] = "fxsr-opt",
		[26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm", [30] = "3dnowext",
		[31] = "3dnow" } },
	{ 0x80000008, 0, false, EBX, 0, {
		[0] = "clzero", [1] = "irperf", [2] = "xsaveerptr", [4] = "rdpru",
		[9] = "wbnoinvd", [12] = "amd-ibpb", [14] = "amd-ibrs", [15] = "amd-stibp",
		[17] = "amd-stibp-always-on", [23] = "amd-ppin", [24] = "amd-ssbd",
		[25] = "virt-ssbd", [26] = "amd-ssb-no", [28] = "amd-psfd", [29] = "btc-no" } },
};

void snapshot_finding_add(struct snapshot_findings *f, bool error, const char *fmt, ...)
{
	va_list ap;

	if (error)
		f->nr_errors++;
	if (f->nr >= SNAPSHOT_MAX_FINDINGS) {
		f->dropped++;
		return;
	}
	f->item[f->nr].error = error;
	va_start(ap, fmt);
	vsnprintf(f->item[f->nr].msg, sizeof(f->item[f->nr].msg), fmt, ap);
	va_end(ap);
	f->nr++;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t leaf, uint32_t sub)
{
	for (unsigned int i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == leaf && c->entries[i].index == sub)
			return &c->entries[i];
	return NULL;
}

static uint32_t reg_of(const struct kvm_cpuid_entry2 *e, enum reg r)
{
	if (!e)
		return 0;	/* a leaf the table lacks has no features */
	return r == EAX ? e->eax : r == EBX ? e->ebx : r == ECX ? e->ecx : e->edx;
}

void snapshot_check_cpuid(unsigned int vcpu, const struct kvm_cpuid2 *guest,
			  const struct kvm_cpuid2 *host, struct snapshot_findings *f)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		const struct feature_reg *fr = &regs[i];
		const struct kvm_cpuid_entry2 *g = find(guest, fr->leaf, fr->sub);
		uint32_t have = reg_of(find(host, fr->leaf, fr->sub), fr->reg), missing;
		char leaf[24];

		if (!g)
			continue;
		/* An AMD guest's aliases are there on any host that has the feature at all. */
		if (fr->leaf == 0x80000001 && fr->reg == EDX)
			have |= reg_of(find(host, 1, 0), EDX) & AMD_EDX_ALIASES;
		missing = reg_of(g, fr->reg) & ~fr->ignore & ~have;
		if (fr->has_sub)
			snprintf(leaf, sizeof(leaf), "0x%x.%u", fr->leaf, fr->sub);
		else
			snprintf(leaf, sizeof(leaf), "0x%x", fr->leaf);
		for (unsigned int bit = 0; bit < 32; bit++) {
			char what[64];

			if (!(missing & (1U << bit)))
				continue;
			if (fr->names[bit])
				snprintf(what, sizeof(what), "%s (leaf %s %s bit %u)",
					 fr->names[bit], leaf, reg_names[fr->reg], bit);
			else
				snprintf(what, sizeof(what), "leaf %s %s bit %u", leaf,
					 reg_names[fr->reg], bit);
			snapshot_finding_add(f, true, "vcpu %u: CPUID %s: the guest was given it, "
					     "this host's KVM lacks it", vcpu, what);
		}
	}
}

void snapshot_check_xfeatures(unsigned int vcpu, uint64_t guest_xcr0, uint64_t xstate_bv,
			      uint64_t host_xcr0, struct snapshot_findings *f)
{
	uint64_t in_xcr0 = guest_xcr0 & ~host_xcr0;
	uint64_t in_image = xstate_bv & ~host_xcr0 & ~in_xcr0;
	char what[160];

	if (in_xcr0) {
		xfeatures_describe(in_xcr0, what, sizeof(what));
		snapshot_finding_add(f, true, "vcpu %u: XCR0 0x%llx has %s, which this host's KVM "
				     "does not support", vcpu, (unsigned long long)guest_xcr0,
				     what);
	}
	if (in_image) {
		xfeatures_describe(in_image, what, sizeof(what));
		snapshot_finding_add(f, true, "vcpu %u: the XSAVE image (XSTATE_BV 0x%llx) holds "
				     "%s, which this host's KVM does not support", vcpu,
				     (unsigned long long)xstate_bv, what);
	}
}

static const struct {
	uint32_t index;
	const char *name;
} msr_names[] = {
	{ 0x10, "IA32_TSC" }, { 0x11, "KVM_WALL_CLOCK" }, { 0x12, "KVM_SYSTEM_TIME" },
	{ 0x1b, "IA32_APIC_BASE" }, { 0x3a, "IA32_FEATURE_CONTROL" },
	{ 0x3b, "IA32_TSC_ADJUST" }, { 0x48, "IA32_SPEC_CTRL" }, { 0x49, "IA32_PRED_CMD" },
	{ 0x10a, "IA32_ARCH_CAPABILITIES" }, { 0x174, "IA32_SYSENTER_CS" },
	{ 0x175, "IA32_SYSENTER_ESP" }, { 0x176, "IA32_SYSENTER_EIP" },
	{ 0x1a0, "IA32_MISC_ENABLE" }, { 0x1c4, "IA32_XFD" }, { 0x1c5, "IA32_XFD_ERR" },
	{ 0x1d9, "IA32_DEBUGCTL" }, { 0x277, "IA32_PAT" }, { 0x2ff, "IA32_MTRR_DEF_TYPE" },
	{ 0x6a0, "IA32_U_CET" }, { 0x6a2, "IA32_S_CET" }, { 0x6a4, "IA32_PL0_SSP" },
	{ 0x6a5, "IA32_PL1_SSP" }, { 0x6a6, "IA32_PL2_SSP" }, { 0x6a7, "IA32_PL3_SSP" },
	{ 0x6a8, "IA32_INT_SSP_TAB" }, { 0x6e0, "IA32_TSC_DEADLINE" }, { 0xda0, "IA32_XSS" },
	{ 0xc0000080, "EFER" }, { 0xc0000081, "STAR" }, { 0xc0000082, "LSTAR" },
	{ 0xc0000083, "CSTAR" }, { 0xc0000084, "SFMASK" }, { 0xc0000100, "FS_BASE" },
	{ 0xc0000101, "GS_BASE" }, { 0xc0000102, "KERNEL_GS_BASE" },
	{ 0xc0000103, "TSC_AUX" }, { 0xc001011f, "VIRT_SPEC_CTRL" },
	{ 0x4b564d00, "KVM_WALL_CLOCK_NEW" }, { 0x4b564d01, "KVM_SYSTEM_TIME_NEW" },
	{ 0x4b564d02, "KVM_ASYNC_PF_EN" }, { 0x4b564d03, "KVM_STEAL_TIME" },
	{ 0x4b564d04, "KVM_PV_EOI_EN" }, { 0x4b564d05, "KVM_POLL_CONTROL" },
	{ 0x4b564d06, "KVM_ASYNC_PF_INT" }, { 0x4b564d07, "KVM_ASYNC_PF_ACK" },
};

static const char *msr_name(uint32_t index)
{
	for (size_t i = 0; i < sizeof(msr_names) / sizeof(msr_names[0]); i++)
		if (msr_names[i].index == index)
			return msr_names[i].name;
	return NULL;
}

void snapshot_check_msrs(unsigned int vcpu, const uint32_t *saved, unsigned int nr_saved,
			 const uint32_t *host, unsigned int nr_host, struct snapshot_findings *f)
{
	/* Both lists are a few hundred entries: a plain search is cheap. */
	for (unsigned int i = 0; i < nr_saved; i++) {
		const char *name;
		unsigned int j;

		for (j = 0; j < nr_host && host[j] != saved[i]; j++)
			;
		if (j < nr_host)
			continue;
		name = msr_name(saved[i]);
		snapshot_finding_add(f, true, "vcpu %u: MSR 0x%x%s%s%s: saved, but this host's KVM "
				     "cannot restore it", vcpu, saved[i], name ? " (" : "",
				     name ? name : "", name ? ")" : "");
	}
}

void snapshot_check_host(const struct snapshot_host *from, const struct snapshot_host *here,
			 struct snapshot_findings *f)
{
	/* An empty vendor is a table without leaf 0: nothing to compare. */
	if (!from->vendor[0] || !here->vendor[0])
		return;
	if (strcmp(from->vendor, here->vendor)) {
		snapshot_finding_add(f, false, "the snapshot comes from a %s host; this is %s: the "
				     "guest keeps its CPUID, and the XSAVE image is converted "
				     "between layouts where they differ", from->vendor,
				     here->vendor);
		return;
	}
	if (from->family != here->family || from->model != here->model)
		snapshot_finding_add(f, false, "the snapshot comes from a %s family %u model %u "
				     "host; this is family %u model %u: the guest keeps its CPUID",
				     from->vendor, from->family, from->model, here->family,
				     here->model);
}

void snapshot_host_from_cpuid(struct snapshot_host *h, const struct kvm_cpuid2 *cpuid)
{
	const struct kvm_cpuid_entry2 *e = find(cpuid, 0, 0);
	char name[49] = "";
	size_t start = 0, end;

	memset(h->vendor, 0, sizeof(h->vendor));
	if (e) {
		memcpy(h->vendor, &e->ebx, 4);
		memcpy(h->vendor + 4, &e->edx, 4);
		memcpy(h->vendor + 8, &e->ecx, 4);
	}
	e = find(cpuid, 1, 0);
	h->family = h->model = h->stepping = 0;
	if (e) {
		uint32_t base = (e->eax >> 8) & 0xf;

		h->family = base + (base == 0xf ? (e->eax >> 20) & 0xff : 0);
		h->model = ((e->eax >> 4) & 0xf) |
			   (base == 0x6 || base == 0xf ? ((e->eax >> 16) & 0xf) << 4 : 0);
		h->stepping = e->eax & 0xf;
	}
	for (uint32_t leaf = 0; leaf < 3; leaf++) {
		e = find(cpuid, 0x80000002 + leaf, 0);
		if (!e)
			break;
		memcpy(name + leaf * 16, &e->eax, 4);
		memcpy(name + leaf * 16 + 4, &e->ebx, 4);
		memcpy(name + leaf * 16 + 8, &e->ecx, 4);
		memcpy(name + leaf * 16 + 12, &e->edx, 4);
	}
	/* Intel pads the brand string with leading blanks. */
	for (size_t i = 0; i < sizeof(name) - 1 && name[i]; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f)
			name[i] = '?';
	while (name[start] == ' ')
		start++;
	for (end = strlen(name); end > start && name[end - 1] == ' '; end--)
		;
	snprintf(h->model_name, sizeof(h->model_name), "%.*s", (int)(end - start), name + start);
}
