// SPDX-License-Identifier: MIT
/*
 * What a snapshot's guest was given against a host, on the CPUID fixtures
 * (compat.c), and whether its saved state is one KVM takes, by the vCPU's
 * own CPUID (state.c).  Pure: tables in, findings out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snaptest.h"

/* ---- whether a snapshot fits this host ---- */

#define AMD "cpuid/amd-epyc-avx512-pvm-host.txt"
#define XEON "cpuid/intel-xeon-avx512-pvm-host.txt"
#define SPR "cpuid/intel-sapphire-rapids.txt"
#define SKX "cpuid/intel-skylake-sp.txt"

static bool has_finding(const struct snapshot_findings *f, const char *want)
{
	for (unsigned int i = 0; i < f->nr; i++)
		if (strstr(f->item[i].msg, want))
			return true;
	return false;
}

static void print_findings(const struct snapshot_findings *f)
{
	for (unsigned int i = 0; i < f->nr; i++)
		fprintf(stderr, "  %s\n", f->item[i].msg);
}

START_TEST(cpuid_against_itself)
{
	static const char *const kvm_tables[] = { AMD, XEON };

	for (size_t i = 0; i < 2; i++) {
		struct snapshot_findings f = { 0 };
		struct cpuid_fixture c;

		ck_assert_int_eq(cpuid_fixture_load(kvm_tables[i], &c), 0);
		ck_assert_uint_gt(c.kvm->nent, 0);
		snapshot_check_cpuid(0, c.kvm, c.kvm, &f);
		snapshot_check_xfeatures(0, 0xe7, 0xe7, 0xe7, &f);
		ck_assert_uint_eq(f.nr, 0);
		ck_assert_uint_eq(f.nr_errors, 0);
		cpuid_fixture_free(&c);
	}
}
END_TEST

/*
 * Sapphire Rapids onto Skylake-SP.  The SPR fixture has leaf 0xD only (no
 * leaf 7): what differs there is XFD in 0xD.1 and the AMX state in XCR0.
 */
START_TEST(spr_onto_skx)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture spr, skx;

	ck_assert_int_eq(cpuid_fixture_load(SPR, &spr), 0);
	ck_assert_int_eq(cpuid_fixture_load(SKX, &skx), 0);
	snapshot_check_cpuid(1, spr.host, skx.host, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert_str_eq(f.item[0].msg, "vcpu 1: CPUID xfd (leaf 0xd.1 EAX bit 4): the guest was "
			 "given it, this host's KVM lacks it");
	snapshot_check_xfeatures(1, 0x602e7, 0x602e7, 0x2ff, &f);
	ck_assert_uint_eq(f.nr, 2);
	ck_assert_str_eq(f.item[1].msg, "vcpu 1: XCR0 0x602e7 has amx (xtilecfg,xtiledata), which "
			 "this host's KVM does not support");
	ck_assert_uint_eq(f.nr_errors, 2);
	/* The other way round, Skylake-SP's leaves 1 and 7 against nothing but 0xD. */
	memset(&f, 0, sizeof(f));
	snapshot_check_cpuid(0, skx.host, spr.host, &f);
	ck_assert_str_eq(f.item[0].msg, "vcpu 0: CPUID sse3 (leaf 0x1 ECX bit 0): the guest was "
			 "given it, this host's KVM lacks it");
	ck_assert(has_finding(&f, "CPUID sse4.2 (leaf 0x1 ECX bit 20)"));
	ck_assert(!has_finding(&f, "leaf 0x1 ECX bit 27"));	/* OSXSAVE is state */
	ck_assert(!has_finding(&f, "leaf 0x1 ECX bit 31"));	/* and hypervisor KVM's */
	ck_assert(!has_finding(&f, "leaf 0x1 EDX bit 9"));
	/* More than are kept: Skylake-SP has well over 64 feature bits. */
	ck_assert_uint_eq(f.nr, SNAPSHOT_MAX_FINDINGS);
	ck_assert_uint_gt(f.dropped, 0);
	ck_assert_uint_eq(f.nr_errors, f.nr + f.dropped);
	cpuid_fixture_free(&spr);
	cpuid_fixture_free(&skx);
}
END_TEST

/* What Sapphire Rapids adds in leaf 7, set on the Xeon's KVM table. */
START_TEST(amx_and_fp16_named)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture c;
	struct kvm_cpuid2 *g;
	size_t size;

	ck_assert_int_eq(cpuid_fixture_load(XEON, &c), 0);
	size = sizeof(*c.kvm) + c.kvm->nent * sizeof(c.kvm->entries[0]);
	g = malloc(size);
	ck_assert_ptr_nonnull(g);
	memcpy(g, c.kvm, size);
	for (unsigned int i = 0; i < g->nent; i++)
		if (g->entries[i].function == 7 && g->entries[i].index == 0)
			g->entries[i].edx |= 1U << 22 | 1U << 23 | 1U << 24 | 1U << 25 | 1U << 5;
	snapshot_check_cpuid(0, g, c.kvm, &f);
	if (f.nr != 5)
		print_findings(&f);
	ck_assert_uint_eq(f.nr, 5);
	ck_assert(has_finding(&f, "vcpu 0: CPUID amx-tile (leaf 0x7.0 EDX bit 24): the guest was "
			      "given it, this host's KVM lacks it"));
	ck_assert(has_finding(&f, "CPUID avx512-fp16 (leaf 0x7.0 EDX bit 23)"));
	ck_assert(has_finding(&f, "CPUID amx-bf16 (leaf 0x7.0 EDX bit 22)"));
	ck_assert(has_finding(&f, "CPUID amx-int8 (leaf 0x7.0 EDX bit 25)"));
	ck_assert(has_finding(&f, "vcpu 0: CPUID leaf 0x7.0 EDX bit 5: the guest was given it"));
	free(g);
	cpuid_fixture_free(&c);
}
END_TEST

/* The Xeon's KVM table onto Skylake-SP hardware: a newer guest, an older host. */
START_TEST(xeon_onto_skx)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture xeon, skx;

	ck_assert_int_eq(cpuid_fixture_load(XEON, &xeon), 0);
	ck_assert_int_eq(cpuid_fixture_load(SKX, &skx), 0);
	snapshot_check_cpuid(0, xeon.kvm, skx.host, &f);
	ck_assert(has_finding(&f, "CPUID gfni (leaf 0x7.0 ECX bit 8)"));
	ck_assert(has_finding(&f, "CPUID la57 (leaf 0x7.0 ECX bit 16)"));
	ck_assert(has_finding(&f, "CPUID movdir64b (leaf 0x7.0 ECX bit 28)"));
	ck_assert(has_finding(&f, "CPUID tsxldtrk (leaf 0x7.0 EDX bit 16)"));
	ck_assert(has_finding(&f, "CPUID fsrs (leaf 0x7.1 EAX bit 11)"));
	/* The dump's 0x80000001 EDX lacks SYSCALL (taken outside 64-bit mode). */
	ck_assert(has_finding(&f, "CPUID syscall (leaf 0x80000001 EDX bit 11)"));
	ck_assert(!has_finding(&f, "avx512f"));
	ck_assert_uint_eq(f.nr, 12);
	ck_assert_uint_eq(f.nr_errors, f.nr);
	cpuid_fixture_free(&xeon);
	cpuid_fixture_free(&skx);
}
END_TEST

START_TEST(amd_onto_intel)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture amd, xeon;

	ck_assert_int_eq(cpuid_fixture_load(AMD, &amd), 0);
	ck_assert_int_eq(cpuid_fixture_load(XEON, &xeon), 0);
	snapshot_check_cpuid(0, amd.kvm, xeon.kvm, &f);
	ck_assert(has_finding(&f, "CPUID misalignsse (leaf 0x80000001 ECX bit 7)"));
	ck_assert(has_finding(&f, "CPUID topoext (leaf 0x80000001 ECX bit 22)"));
	ck_assert(has_finding(&f, "CPUID mmxext (leaf 0x80000001 EDX bit 22)"));
	ck_assert(has_finding(&f, "CPUID clzero (leaf 0x80000008 EBX bit 0)"));
	ck_assert(has_finding(&f, "CPUID leaf 0x80000008 EBX bit 30: the guest was given it"));
	/* AMD's copies of leaf 1 EDX are there on Intel through leaf 1. */
	ck_assert(!has_finding(&f, "CPUID fpu (leaf 0x80000001"));
	ck_assert(!has_finding(&f, "CPUID cx8 (leaf 0x80000001"));
	cpuid_fixture_free(&amd);
	cpuid_fixture_free(&xeon);
}
END_TEST

START_TEST(host_identity)
{
	struct snapshot_host skx = { 0 }, amd = { 0 }, xeon = { 0 };

	host_of(SKX, false, &skx);
	ck_assert_str_eq(skx.vendor, "GenuineIntel");
	ck_assert_uint_eq(skx.family, 6);
	ck_assert_uint_eq(skx.model, 0x55);
	ck_assert_uint_eq(skx.stepping, 4);
	ck_assert_str_eq(skx.model_name, "Intel(R) Xeon(R) Silver 4108 CPU @ 1.80GHz");
	host_of(AMD, true, &amd);
	ck_assert_str_eq(amd.vendor, "AuthenticAMD");
	ck_assert_uint_eq(amd.family, 0xf + 0xb);
	ck_assert_uint_eq(amd.model, 2);
	ck_assert_uint_eq(amd.stepping, 1);
	ck_assert_str_eq(amd.model_name, "");	/* KVM's table has no brand string */
	host_of(XEON, true, &xeon);
	ck_assert_uint_eq(xeon.family, 6);
	ck_assert_uint_eq(xeon.model, 0xcf);
}
END_TEST

START_TEST(host_vendor_and_model)
{
	struct snapshot_findings f = { 0 };
	struct snapshot_host skx = { 0 }, amd = { 0 }, xeon = { 0 };

	host_of(SKX, false, &skx);
	host_of(AMD, true, &amd);
	host_of(XEON, true, &xeon);
	snapshot_check_host(&xeon, &amd, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert_uint_eq(f.nr_errors, 0);
	ck_assert(!f.item[0].error);
	ck_assert_str_eq(f.item[0].msg, "the snapshot comes from a GenuineIntel host; this is "
			 "AuthenticAMD: the guest keeps its CPUID, and the XSAVE image is "
			 "converted between layouts where they differ");
	memset(&f, 0, sizeof(f));
	snapshot_check_host(&skx, &xeon, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert(!f.item[0].error);
	ck_assert(has_finding(&f, "family 6 model 85 host; this is family 6 model 207"));
	memset(&f, 0, sizeof(f));
	snapshot_check_host(&amd, &amd, &f);
	ck_assert_uint_eq(f.nr, 0);
}
END_TEST

START_TEST(xfeatures)
{
	struct snapshot_findings f = { 0 };

	snapshot_check_xfeatures(0, 0x2e7, 0x2e7, 0x7, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert_str_eq(f.item[0].msg, "vcpu 0: XCR0 0x2e7 has avx512 (opmask,zmm_hi256,"
			 "hi16_zmm), pkru, which this host's KVM does not support");
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(2, 0x2e7, 0x2e7, 0x207, &f);
	ck_assert_str_eq(f.item[0].msg, "vcpu 2: XCR0 0x2e7 has avx512 (opmask,zmm_hi256,"
			 "hi16_zmm), which this host's KVM does not support");
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(0, 0x7, 0x207, 0x7, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert(has_finding(&f, "vcpu 0: the XSAVE image (XSTATE_BV 0x207) holds pkru"));
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(0, 0x60207, 0x20003, 0x7, &f);
	ck_assert(has_finding(&f, "XCR0 0x60207 has amx (xtilecfg,xtiledata), pkru"));
	ck_assert_uint_eq(f.nr, 1);	/* the image's xtilecfg is already said */
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(0, 0x2e7, 0x3, 0x2e7, &f);
	ck_assert_uint_eq(f.nr, 0);
}
END_TEST

START_TEST(msrs)
{
	static const uint32_t saved[] = { 0x10, 0x1c4, 0xda0, 0xc0000103, 0x12345678, 0x4b564d01 };
	static const uint32_t host[] = { 0xc0000103, 0x10, 0xda0 };
	struct snapshot_findings f = { 0 };

	snapshot_check_msrs(3, saved, 6, host, 3, &f);
	ck_assert_uint_eq(f.nr, 3);
	ck_assert_uint_eq(f.nr_errors, 3);
	ck_assert_str_eq(f.item[0].msg, "vcpu 3: MSR 0x1c4 (IA32_XFD): saved, but this host's KVM "
			 "cannot restore it");
	ck_assert_str_eq(f.item[1].msg, "vcpu 3: MSR 0x12345678: saved, but this host's KVM cannot "
			 "restore it");
	ck_assert(has_finding(&f, "MSR 0x4b564d01 (KVM_SYSTEM_TIME_NEW)"));
	memset(&f, 0, sizeof(f));
	snapshot_check_msrs(0, host, 3, saved, 6, &f);
	ck_assert_uint_eq(f.nr, 0);
}
END_TEST

/* Past SNAPSHOT_MAX_FINDINGS findings are counted, not kept. */
START_TEST(findings_dropped)
{
	struct snapshot_findings f = { 0 };
	struct kvm_cpuid2 *g = calloc(1, sizeof(*g) + 8 * sizeof(g->entries[0]));
	struct kvm_cpuid2 empty = { 0 };
	static const uint32_t leaves[][2] = {
		{ 1, 0 }, { 7, 0 }, { 7, 1 }, { 0xd, 1 }, { 0x80000001, 0 }, { 0x80000008, 0 },
	};

	ck_assert_ptr_nonnull(g);
	for (unsigned int i = 0; i < 6; i++)
		g->entries[g->nent++] = (struct kvm_cpuid_entry2){
			.function = leaves[i][0], .index = leaves[i][1],
			.eax = ~0U, .ebx = ~0U, .ecx = ~0U, .edx = ~0U,
		};
	snapshot_check_cpuid(0, g, &empty, &f);
	ck_assert_uint_eq(f.nr, SNAPSHOT_MAX_FINDINGS);
	/* 10 registers of 32 bits, less the 6 ignored bits (HTT is topology) */
	ck_assert_uint_eq(f.nr_errors, 10 * 32 - 6);
	ck_assert_uint_eq(f.dropped, f.nr_errors - SNAPSHOT_MAX_FINDINGS);
	free(g);
}
END_TEST

/* ---- whether saved state is one KVM takes, by the vCPU's own CPUID ---- */

static struct cpuid_fixture amd;
static char why[SNAPSHOT_WHY_MAX];

static void load_amd(void)
{
	ck_assert_int_eq(cpuid_fixture_load(AMD, &amd), 0);
}

static void free_amd(void)
{
	cpuid_fixture_free(&amd);
}

/* The AMD KVM table, with @fn.@sub's register @reg changed by @set and @clear. */
static struct kvm_cpuid2 *amd_with(uint32_t fn, uint32_t sub, int reg, uint32_t set,
				   uint32_t clear)
{
	size_t size = sizeof(*amd.kvm) + amd.kvm->nent * sizeof(amd.kvm->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);

	ck_assert_ptr_nonnull(c);
	memcpy(c, amd.kvm, size);
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t *r[] = { &e->eax, &e->ebx, &e->ecx, &e->edx };

		if (e->function == fn && e->index == sub)
			*r[reg] = (*r[reg] | set) & ~clear;
	}
	return c;
}

/* A 64-bit vCPU as fpvm's guests run: paging, PAE, long mode, SSE. */
static struct kvm_sregs long_mode(void)
{
	struct kvm_sregs s = { 0 };

	s.cr0 = 0x80050033;		/* PG, AM, WP, NE, ET, MP, PE */
	s.cr4 = 0x620;			/* OSXMMEXCPT, OSFXSR, PAE */
	s.cr3 = 0x1000;
	s.efer = 0xd01;			/* NXE, LMA, LME, SCE */
	s.cs.l = 1;
	s.apic_base = 0xfee00900;	/* EN, BSP */
	return s;
}

static void expect_why(int r, const char *want)
{
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(why, want), "'%s' does not say '%s'", why, want);
}

START_TEST(sregs_as_kvm_takes_them)
{
	struct kvm_sregs s = long_mode();

	ck_assert_msg(!snapshot_check_sregs(&s, amd.kvm, why), "%s", why);
	/* Real mode, as a vCPU starts: nothing set at all. */
	memset(&s, 0, sizeof(s));
	s.cr0 = 0x60000010;	/* CD, NW, ET: the reset value */
	ck_assert_msg(!snapshot_check_sregs(&s, amd.kvm, why), "%s", why);
}
END_TEST

START_TEST(sregs_refused)
{
	struct kvm_sregs s = long_mode();
	struct kvm_cpuid2 *c;

	s.cr4 = ~0ULL;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "CR4 0xffffffffffffffff: ");
	s = long_mode();
	s.cr4 |= 1ULL << 14;	/* SMXE: no KVM gives it */
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "CR4 0x4620: bit 14 is reserved");
	s = long_mode();
	s.cr4 |= 1ULL << 18;
	c = amd_with(1, 0, 2, 0, 1U << 26);	/* no XSAVE */
	expect_why(snapshot_check_sregs(&s, c, why), "OSXSAVE is set, but the vCPU's CPUID lacks "
		   "its feature");
	free(c);
	s = long_mode();
	s.cr0 |= 1ULL << 32;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "bits above 31 are reserved");
	s.cr0 = 0x20000001;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "NW without CD");
	s.cr0 = 0x80000000;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "PG without PE");
	s = long_mode();
	s.cr4 &= ~0x20ULL;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "without CR4.PAE or EFER.LMA");
	s = long_mode();
	s.cr0 &= ~0x80000000ULL;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "EFER.LMA or a 64-bit CS outside");
	s = long_mode();
	s.efer |= 1ULL << 1;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "EFER 0xd03: bit 1 is reserved");
	c = amd_with(0x80000001, 0, 3, 0, 1U << 20);	/* no NX */
	s = long_mode();
	expect_why(snapshot_check_sregs(&s, c, why), "EFER 0xd01: NXE is set");
	free(c);
	s.cr3 = 1ULL << 48;	/* the AMD table's MAXPHYADDR is 48 */
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "CR3 0x1000000000000: bits above");
	s = long_mode();
	s.apic_base |= 1;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "APIC base 0xfee00901: reserved bits");
	s.apic_base = 0xfee00400;
	expect_why(snapshot_check_sregs(&s, amd.kvm, why), "x2APIC mode with the APIC disabled");
}
END_TEST

START_TEST(mp_states)
{
	ck_assert_int_eq(snapshot_check_mp_state(KVM_MP_STATE_RUNNABLE, false, why), 0);
	ck_assert_int_eq(snapshot_check_mp_state(KVM_MP_STATE_HALTED, true, why), 0);
	ck_assert_int_eq(snapshot_check_mp_state(KVM_MP_STATE_INIT_RECEIVED, true, why), 0);
	expect_why(snapshot_check_mp_state(KVM_MP_STATE_HALTED, false, why),
		   "MP state 3 without an in-kernel LAPIC");
	expect_why(snapshot_check_mp_state(99, true, why), "MP state 99: not an x86 vCPU state");
	expect_why(snapshot_check_mp_state(KVM_MP_STATE_STOPPED, true, why), "MP state 5:");
}
END_TEST

START_TEST(xcrs)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = 0xe7 } } };

	ck_assert_msg(!snapshot_check_xcrs(&x, amd.kvm, 0xe7, why), "%s", why);
	x.xcrs[0].value = 0;
	expect_why(snapshot_check_xcrs(&x, amd.kvm, 0xe7, why), "x87");
	x.xcrs[0].value = 0x2e7;	/* PKRU: not in the table's leaf 0xD */
	expect_why(snapshot_check_xcrs(&x, amd.kvm, 0x2e7, why), "0x2e7");
	x.xcrs[0].value = 0x7;
	expect_why(snapshot_check_xcrs(&x, amd.kvm, 0x3, why), "XCR0 0x7: beyond the manifest's "
		   "guest XCR0 0x3");
	x.flags = 1;
	expect_why(snapshot_check_xcrs(&x, amd.kvm, 0xe7, why), "flags");
}
END_TEST

START_TEST(cpuid_tables)
{
	struct kvm_cpuid2 empty = { 0 }, *c = amd_with(0, 0, 0, 0, 0);

	ck_assert_msg(!snapshot_check_cpuid_table(amd.kvm, why), "%s", why);
	expect_why(snapshot_check_cpuid_table(&empty, why), "0 entries, without leaf 0 or 1");
	c->nent = 257;
	expect_why(snapshot_check_cpuid_table(c, why), "257 entries, more than the 256 KVM takes");
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot-compat");
	TCase *compat = tcase_create("compat"), *state = tcase_create("state");

	tcase_add_test(compat, cpuid_against_itself);
	tcase_add_test(compat, spr_onto_skx);
	tcase_add_test(compat, amx_and_fp16_named);
	tcase_add_test(compat, xeon_onto_skx);
	tcase_add_test(compat, amd_onto_intel);
	tcase_add_test(compat, host_identity);
	tcase_add_test(compat, host_vendor_and_model);
	tcase_add_test(compat, xfeatures);
	tcase_add_test(compat, msrs);
	tcase_add_test(compat, findings_dropped);
	suite_add_tcase(s, compat);

	tcase_add_checked_fixture(state, load_amd, free_amd);
	tcase_add_test(state, sregs_as_kvm_takes_them);
	tcase_add_test(state, sregs_refused);
	tcase_add_test(state, mp_states);
	tcase_add_test(state, xcrs);
	tcase_add_test(state, cpuid_tables);
	suite_add_tcase(s, state);
	return run_suite(s);
}
