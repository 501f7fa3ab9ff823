// SPDX-License-Identifier: MIT
/*
 * fpstate: layouts from real CPUID tables, XCR0 rules, guest defaults,
 * buffer sizing and uABI validation.  Fixtures: this build host (AMD,
 * AVX-512, KVM table and host leaf 0xD), Sapphire Rapids (AMX) and
 * Skylake-SP (MPX, AVX-512, PKRU).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../fpstate/fpstate.h"
#include "testutil.h"

#define AMD "cpuid/amd-epyc-avx512-pvm-host.txt"
#define SPR "cpuid/intel-sapphire-rapids.txt"
#define SKX "cpuid/intel-skylake-sp.txt"

static struct fpstate_error err;

/* Layout of a fixture's KVM table (kvm = true) or its raw host rows. */
#define layout_of cpuid_fixture_layout

static void assert_comp(const struct xstate_layout *l, unsigned int bit, uint32_t off,
			uint32_t size)
{
	ck_assert_msg(l->comp[bit].offset == off && l->comp[bit].size == size,
		      "component %u: %u/%u, expected %u/%u", bit, l->comp[bit].offset,
		      l->comp[bit].size, off, size);
}

/* ---- layouts ---- */

START_TEST(layout_amd_kvm_table)
{
	struct xstate_layout l = layout_of(AMD, true);

	ck_assert_uint_eq(l.xcr0_supported, 0xe7);
	ck_assert_uint_eq(l.xss_supported, 0);
	ck_assert_uint_eq(l.max_size, 2432);
	assert_comp(&l, XFEATURE_YMM, 576, 256);
	assert_comp(&l, XFEATURE_OPMASK, 832, 64);	/* no MPX on AMD: not 1088 */
	assert_comp(&l, XFEATURE_ZMM_HI256, 896, 512);
	assert_comp(&l, XFEATURE_HI16_ZMM, 1408, 1024);
	ck_assert(!xstate_has(&l, XFEATURE_BNDREGS));
	ck_assert_uint_eq(xstate_size_standard(&l, 0xe7), 2432);
	ck_assert_uint_eq(xstate_size_standard(&l, 0x7), 832);
	ck_assert_uint_eq(xstate_size_standard(&l, 0x3), 576);
	ck_assert_uint_eq(xstate_size_compacted(&l, 0xe7), 2432);
}
END_TEST

START_TEST(layout_amd_host_supervisor)
{
	struct xstate_layout l = layout_of(AMD, false);

	ck_assert_uint_eq(l.xss_supported, 0x1800);
	ck_assert_uint_eq(l.xsave_features & 0xf, 0xf);
	ck_assert_uint_eq(l.comp[XFEATURE_CET_USER].size, 16);
	ck_assert_uint_eq(l.comp[XFEATURE_CET_KERNEL].size, 24);
	ck_assert(l.comp[XFEATURE_CET_KERNEL].flags & XCOMP_SUPERVISOR);
	ck_assert_uint_eq(l.comp[XFEATURE_CET_KERNEL].offset, 0);
	/* The CPU's own answer: 0xD.1 EBX = 0x9a8 for XCR0 | XSS. */
	ck_assert_uint_eq(xstate_size_compacted(&l, 0xe7 | 0x1800), 0x9a8);
	/* Supervisor components do not grow the standard (uABI) format. */
	ck_assert_uint_eq(xstate_size_standard(&l, 0xe7 | 0x1800), 2432);
}
END_TEST

START_TEST(layout_sapphire_rapids_amx)
{
	struct xstate_layout l = layout_of(SPR, false);

	ck_assert_uint_eq(l.xcr0_supported, 0x602e7);
	ck_assert_uint_eq(l.max_size, 11008);
	assert_comp(&l, XFEATURE_OPMASK, 1088, 64);
	assert_comp(&l, XFEATURE_PKRU, 2688, 8);
	assert_comp(&l, XFEATURE_XTILE_CFG, 2752, 64);
	assert_comp(&l, XFEATURE_XTILE_DATA, 2816, 8192);
	ck_assert_uint_eq(l.comp[XFEATURE_XTILE_CFG].flags, XCOMP_ALIGNED);
	ck_assert_uint_eq(l.comp[XFEATURE_XTILE_DATA].flags, XCOMP_ALIGNED | XCOMP_XFD);
	ck_assert_uint_eq(xstate_size_standard(&l, 0x602e7), 11008);
	ck_assert_uint_eq(xstate_size_standard(&l, 0x2e7), 2696);
	/* 0xD.1 EBX = 0x2d00 for XCR0 0x602e7 | XSS PASID|LBR, 64-byte aligned AMX. */
	ck_assert_uint_eq(xstate_size_compacted(&l, 0x602e7 | 0x8400), 0x2d00);
	ck_assert_uint_eq(xstate_offset_compacted(&l, 0x602e7 | 0x8400, XFEATURE_XTILE_CFG), 3264);
}
END_TEST

START_TEST(layout_skylake_mpx)
{
	struct xstate_layout l = layout_of(SKX, false);

	ck_assert_uint_eq(l.xcr0_supported, 0x2ff);
	ck_assert_uint_eq(l.xss_supported, 0x100);
	assert_comp(&l, XFEATURE_BNDREGS, 960, 64);
	assert_comp(&l, XFEATURE_BNDCSR, 1024, 64);
	assert_comp(&l, XFEATURE_OPMASK, 1088, 64);
	assert_comp(&l, XFEATURE_ZMM_HI256, 1152, 512);
	assert_comp(&l, XFEATURE_HI16_ZMM, 1664, 1024);
	ck_assert_uint_eq(xstate_size_standard(&l, 0x2ff), 2696);
	/* The dump's 0xD.0 EBX (0xa80) and 0xD.1 EBX (0xa00): XCR0 0xff, XSS 0. */
	ck_assert_uint_eq(xstate_size_standard(&l, 0xff), 0xa80);
	ck_assert_uint_eq(xstate_size_compacted(&l, 0xff), 0xa00);
}
END_TEST

static struct kvm_cpuid2 *table(unsigned int n, const struct kvm_cpuid_entry2 *e)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(*e));

	c->nent = n;
	memcpy(c->entries, e, n * sizeof(*e));
	return c;
}

static void expect_layout_error(unsigned int n, const struct kvm_cpuid_entry2 *e, const char *frag)
{
	struct kvm_cpuid2 *c = table(n, e);
	struct xstate_layout l;

	ck_assert_int_lt(xstate_layout_init(&l, c, &err), 0);
	ck_assert_msg(strstr(err.msg, frag), "'%s' lacks '%s'", err.msg, frag);
	free(c);
}

START_TEST(layout_rejects_bad_tables)
{
	const struct kvm_cpuid_entry2 no_subleaf[] = {
		{ .function = 0xd, .index = 0, .eax = 0x7, .ecx = 832 },
	};
	const struct kvm_cpuid_entry2 in_legacy[] = {
		{ .function = 0xd, .index = 0, .eax = 0x7, .ecx = 832 },
		{ .function = 0xd, .index = 2, .eax = 256, .ebx = 400 },
	};
	const struct kvm_cpuid_entry2 too_big[] = {
		{ .function = 0xd, .index = 0, .eax = 0x7, .ecx = 800 },
		{ .function = 0xd, .index = 2, .eax = 256, .ebx = 576 },
	};
	const struct kvm_cpuid_entry2 overlap[] = {
		{ .function = 0xd, .index = 0, .eax = 0x27, .ecx = 2000 },
		{ .function = 0xd, .index = 2, .eax = 256, .ebx = 576 },
		{ .function = 0xd, .index = 5, .eax = 64, .ebx = 800 },
	};
	const struct kvm_cpuid_entry2 good[] = {
		{ .function = 0xd, .index = 0, .eax = 0x7, .ecx = 832 },
		{ .function = 0xd, .index = 2, .eax = 256, .ebx = 576 },
	};
	struct kvm_cpuid2 *c = table(2, good);
	struct xstate_layout l;

	expect_layout_error(0, NULL, "leaf 0xD is missing");
	expect_layout_error(1, no_subleaf, "0xD.2 (avx) is missing");
	expect_layout_error(2, in_legacy, "overlaps the legacy area");
	expect_layout_error(2, too_big, "beyond the maximum size 800");
	expect_layout_error(3, overlap, "0xD.2 (avx) overlaps 0xD.5 (opmask)");
	ck_assert_int_eq(xstate_layout_init(&l, c, &err), 0);
	free(c);
}
END_TEST

START_TEST(cpuid_restricted_to_guest_xcr0)
{
	struct cpuid_fixture f;
	struct xstate_layout l;
	const struct kvm_cpuid_entry2 *d0, *d5, *d2;

	ck_assert_int_eq(cpuid_fixture_load(AMD, &f), 0);
	ck_assert_int_eq(xstate_layout_init(&l, f.kvm, &err), 0);
	xstate_cpuid_restrict(f.kvm, &l, 0x7);
	d0 = kvm_cpuid_find(f.kvm, 0xd, 0);
	d2 = kvm_cpuid_find(f.kvm, 0xd, 2);
	d5 = kvm_cpuid_find(f.kvm, 0xd, 5);
	ck_assert_uint_eq(d0->eax, 0x7);
	ck_assert_uint_eq(d0->edx, 0);
	ck_assert_uint_eq(d0->ebx, 832);
	ck_assert_uint_eq(d0->ecx, 832);
	ck_assert_uint_eq(d2->eax, 256);
	ck_assert_uint_eq(d5->eax, 0);
	ck_assert_uint_eq(d5->ebx, 0);
	cpuid_fixture_free(&f);
}
END_TEST

/* ---- XCR0 rules: each rule accepts one value and rejects another ---- */

static void rule(uint64_t xcr0, uint64_t supported, enum xcr0_rule want, const char *frag)
{
	enum xcr0_rule got = xcr0_check(xcr0, supported, &err);

	ck_assert_msg(got == want, "XCR0 0x%llx: rule %s, expected %s",
		      (unsigned long long)xcr0, xcr0_rule_name(got), xcr0_rule_name(want));
	if (want != XCR0_OK) {
		ck_assert_msg(strstr(err.msg, frag), "'%s' lacks '%s'", err.msg, frag);
		ck_assert_ptr_nonnull(strstr(err.msg, xcr0_rule_name(want)));
	}
}

START_TEST(xcr0_rules)
{
	rule(0x1, 0xe7, XCR0_OK, NULL);
	rule(0x2, 0xe7, XCR0_NEEDS_X87, "x87 (bit 0) must always be set");
	rule(0x7, 0xe7, XCR0_OK, NULL);
	rule(0x5, 0xe7, XCR0_AVX_NEEDS_SSE, "AVX (bit 2) requires SSE (bit 1)");
	rule(0xe7, 0xe7, XCR0_OK, NULL);
	rule(0x207, 0xe7, XCR0_UNSUPPORTED, "pkru (0x200) not in the guest's supported XCR0 0xe7");
	rule(0x1f, 0x2ff, XCR0_OK, NULL);
	rule(0xf, 0x2ff, XCR0_MPX_PAIR, "BNDREGS (bit 3) and BNDCSR (bit 4)");
	rule(0x17, 0x2ff, XCR0_MPX_PAIR, "must be set together");
	rule(0xe3, 0xe7, XCR0_AVX512_NEEDS_AVX, "requires AVX (bit 2)");
	rule(0x67, 0xe7, XCR0_AVX512_ALL, "opmask, ZMM_Hi256 and Hi16_ZMM");
	rule(0xa7, 0xe7, XCR0_AVX512_ALL, "must be set together");
	rule(0x602e7, 0x602e7, XCR0_OK, NULL);
	rule(0x202e7, 0x602e7, XCR0_AMX_PAIR, "XTILECFG (bit 17) and XTILEDATA (bit 18)");
	rule(0x402e7, 0x602e7, XCR0_AMX_PAIR, "must be set together");
	/* A supervisor bit is never in the supported XCR0. */
	rule(0x807, 0xe7, XCR0_UNSUPPORTED, "cet_user");
}
END_TEST

START_TEST(xcrs_structure)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = 0x7 } } };

	ck_assert_int_eq(xcrs_validate(&x, 0xe7, &err), 0);
	x.nr_xcrs = KVM_MAX_XCRS + 1;
	ck_assert_int_eq(xcrs_validate(&x, 0xe7, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "nr_xcrs 17 exceeds 16"));
	x.nr_xcrs = 1;
	x.flags = 1;
	ck_assert_int_eq(xcrs_validate(&x, 0xe7, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "flags 0x1 must be 0"));
	x.flags = 0;
	/* Entries other than XCR0 are ignored, as KVM does. */
	x.nr_xcrs = 2;
	x.xcrs[1] = (struct kvm_xcr){ .xcr = 1, .value = ~0ULL };
	ck_assert_int_eq(xcrs_validate(&x, 0xe7, &err), 0);
	x.xcrs[0].value = 0x6;
	ck_assert_int_eq(xcrs_validate(&x, 0xe7, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "x87-required"));
}
END_TEST

START_TEST(xfeature_names)
{
	uint64_t m;
	char buf[128], e[256];

	ck_assert_int_eq(xfeatures_parse("x87,sse,avx", &m, e, sizeof(e)), 0);
	ck_assert_uint_eq(m, 0x7);
	ck_assert_int_eq(xfeatures_parse("x87,SSE,avx,avx512", &m, e, sizeof(e)), 0);
	ck_assert_uint_eq(m, 0xe7);
	ck_assert_int_eq(xfeatures_parse("0x602e7", &m, e, sizeof(e)), 0);
	ck_assert_uint_eq(m, 0x602e7);
	ck_assert_int_eq(xfeatures_parse("x87,sse,amx", &m, e, sizeof(e)), 0);
	ck_assert_uint_eq(m, 0x60003);
	ck_assert_int_eq(xfeatures_parse("x87,sse,avx1024", &m, e, sizeof(e)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e, "unknown feature 'avx1024'"));
	ck_assert_int_eq(xfeatures_parse("0xzz", &m, e, sizeof(e)), -EINVAL);
	ck_assert_int_eq(xfeatures_parse("", &m, e, sizeof(e)), -EINVAL);
	ck_assert_str_eq(xfeatures_str(0xe7, buf, sizeof(buf)),
			 "x87,sse,avx,opmask,zmm_hi256,hi16_zmm");
	ck_assert_str_eq(xfeatures_str(1ULL << 40, buf, sizeof(buf)), "bit40");
	ck_assert_str_eq(xfeatures_str(0, buf, sizeof(buf)), "none");
}
END_TEST

/* ---- guest defaults ---- */

START_TEST(guest_default_features)
{
	struct guest_xcr0_inputs amd = { .kvm_supported = 0xe7, .host_supported = 0xe7 };
	struct guest_xcr0_inputs spr = { .kvm_supported = 0x602e7, .host_supported = 0x602e7 };
	struct guest_xcr0_inputs narrow_host = { .kvm_supported = 0xe7, .host_supported = 0x7 };
	struct guest_xcr0_inputs sup = { .kvm_supported = 0x1ff, .host_supported = 0x19ff };

	ck_assert_uint_eq(xcr0_guest_default(&amd), 0xe7);
	/* AMX tile data is dynamic: only with guest permission. */
	ck_assert_uint_eq(xcr0_guest_default(&spr), 0x2e7);
	spr.guest_perm = 0x602e7;
	ck_assert_uint_eq(xcr0_guest_default(&spr), 0x602e7);
	ck_assert_uint_eq(xcr0_guest_default(&narrow_host), 0x7);
	ck_assert_uint_eq(xcr0_guest_default(&sup), 0xff);	/* PT (bit 8) and CET: supervisor */
}
END_TEST

/* Old kernels reported TILECFG without TILEDATA when not permitted. */
START_TEST(regression_tilecfg_without_tiledata_never_offered)
{
	struct guest_xcr0_inputs old = { .kvm_supported = 0x202e7, .host_supported = 0x602e7,
					 .guest_perm = 0x602e7 };

	ck_assert_uint_eq(xcr0_guest_default(&old), 0x2e7);
	ck_assert_uint_eq(xcr0_sanitize(0x202e7), 0x2e7);
	ck_assert_int_eq(xcr0_check(xcr0_guest_default(&old), old.kvm_supported, &err), XCR0_OK);
	/* Partial AVX-512 or MPX groups are dropped the same way. */
	ck_assert_uint_eq(xcr0_sanitize(0x67), 0x7);
	ck_assert_uint_eq(xcr0_sanitize(0xef), 0xe7);
	ck_assert_uint_eq(xcr0_sanitize(0xe3), 0x3);
	ck_assert_uint_eq(xcr0_sanitize(0x6), 0);
}
END_TEST

/* ---- buffers ---- */

/* CVE-2022-49557: a uABI size below 4096 let KVM read/write out of bounds. */
START_TEST(regression_uabi_size_never_below_4096)
{
	struct xstate_layout amd = layout_of(AMD, true), spr = layout_of(SPR, false);

	ck_assert_uint_eq(fpstate_guest_uabi_size(0, &amd, 0xe7), 4096);
	ck_assert_uint_eq(fpstate_guest_uabi_size(2432, &amd, 0xe7), 4096);
	ck_assert_uint_eq(fpstate_guest_uabi_size(-1, &amd, 0xe7), 4096);
	ck_assert_uint_eq(fpstate_guest_uabi_size(4096, &amd, 0xe7), 4096);
	ck_assert_uint_eq(fpstate_guest_uabi_size(11008, &spr, 0x602e7), 11008);
	/* KVM_CAP_XSAVE2 not grown (no permission yet) yet AMX features: still fits. */
	ck_assert_uint_eq(fpstate_guest_uabi_size(4096, &spr, 0x602e7), 11008);
}
END_TEST

START_TEST(alloc_checks_size)
{
	struct xstate_layout spr = layout_of(SPR, false);
	struct fpstate fps;

	ck_assert_int_eq(fpstate_alloc(&fps, &spr, 0x602e7, 4096, true, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "below the 11008 bytes"));
	ck_assert_int_eq(fpstate_alloc(&fps, &spr, 0x602e7, 11008, true, &err), 0);
	ck_assert_uint_eq((uintptr_t)fps.buf % 64, 0);
	ck_assert(fps.is_guest);
	fpstate_free(&fps);
}
END_TEST

static struct xstate_layout amd_layout;
static struct fpstate guest, host;
static uint8_t buf[4096];
static struct fpstate_diag diag;

static void buffers_setup(void)
{
	amd_layout = layout_of(AMD, true);
	amd_layout.mxcsr_mask = 0xffff;
	ck_assert_int_eq(fpstate_alloc(&guest, &amd_layout, 0xe7, 4096, true, &err), 0);
	ck_assert_int_eq(fpstate_alloc(&host, &amd_layout, 0xe7, 4096, false, &err), 0);
	fpstate_init_uabi(buf, sizeof(buf));
}

static void buffers_teardown(void)
{
	fpstate_free(&guest);
	fpstate_free(&host);
}

static void set64(size_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

static void set32(size_t off, uint32_t v)
{
	memcpy(buf + off, &v, 4);
}

static void expect_invalid(struct fpstate *fps, const char *frag)
{
	ck_assert_int_eq(fpstate_validate_uabi(fps, buf, sizeof(buf), &diag), -EINVAL);
	ck_assert_msg(strstr(fpstate_diag_first_error(&diag), frag), "'%s' lacks '%s'",
		      fpstate_diag_first_error(&diag), frag);
}

static void expect_valid(struct fpstate *fps)
{
	ck_assert_msg(fpstate_validate_uabi(fps, buf, sizeof(buf), &diag) == 0, "%s",
		      diag.nr ? diag.item[0].msg : "?");
}

START_TEST(validate_init_image)
{
	uint16_t fcw;
	uint32_t mxcsr;

	expect_valid(&guest);
	ck_assert_uint_eq(diag.nr, 0);
	memcpy(&fcw, buf, 2);
	memcpy(&mxcsr, buf + 24, 4);
	ck_assert_uint_eq(fcw, 0x37f);
	ck_assert_uint_eq(mxcsr, 0x1f80);
}
END_TEST

START_TEST(validate_size)
{
	ck_assert_int_eq(fpstate_validate_uabi(&guest, buf, 2432, &diag), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fpstate_diag_first_error(&diag), "2432 bytes, below the 4096"));
}
END_TEST

START_TEST(validate_xstate_bv)
{
	struct fpstate narrow;

	set64(512, 0xe7);
	expect_valid(&guest);
	ck_assert_int_eq(fpstate_alloc(&narrow, &amd_layout, 0x7, 4096, true, &err), 0);
	expect_invalid(&narrow, "XSTATE_BV 0xe7: bits opmask,zmm_hi256,hi16_zmm (0xe0) outside "
			"the guest fpstate's features 0x7");
	fpstate_free(&narrow);
	/* XCR0 x87 alone: the buffer still carries SSE, as the kernel's does. */
	ck_assert_int_eq(fpstate_alloc(&narrow, &amd_layout, 0x1, 4096, true, &err), 0);
	set64(512, 0x3);
	expect_valid(&narrow);
	set64(512, 0x7);
	expect_invalid(&narrow, "XSTATE_BV 0x7: bits avx (0x4) outside the guest fpstate's "
			"features 0x1");
	fpstate_free(&narrow);
	set64(512, 0x803);
	expect_invalid(&guest, "XSTATE_BV: supervisor bits cet_user (0x800)");
}
END_TEST

START_TEST(validate_xcomp_bv)
{
	set64(520, 0);
	expect_valid(&guest);
	set64(520, 0x8000000000000003ULL);
	expect_invalid(&guest, "XCOMP_BV is 0x8000000000000003, must be 0");
}
END_TEST

START_TEST(validate_reserved_header)
{
	buf[575] = 0;
	expect_valid(&guest);
	buf[540] = 0x01;
	expect_invalid(&guest, "reserved byte 28 (offset 540) is 0x01");
}
END_TEST

START_TEST(validate_mxcsr)
{
	set32(24, 0x1f80 | 0x8000);	/* FZ: inside 0xffff */
	expect_valid(&guest);
	set32(24, 0x11f80);
	expect_invalid(&guest, "MXCSR 0x00011f80: bits 0x00010000 outside MXCSR_MASK 0x0000ffff");
	/* DAZ (bit 6) is outside the SDM's default mask for CPUs without it. */
	amd_layout.mxcsr_mask = 0;
	set32(24, 0x1fc0);
	expect_invalid(&guest, "outside MXCSR_MASK 0x0000ffbf");
	/* Without x87, SSE or AVX in XSTATE_BV, MXCSR is not looked at. */
	set64(512, 0);
	expect_valid(&guest);
}
END_TEST

START_TEST(validate_reports_everything)
{
	set64(520, 1);
	buf[530] = 1;
	set32(24, 0xffffffff);
	ck_assert_int_eq(fpstate_validate_uabi(&guest, buf, sizeof(buf), &diag), -EINVAL);
	ck_assert_uint_eq(diag.nr_errors, 3);
}
END_TEST

START_TEST(host_fpstate_guest_supervisor_warning)
{
	struct fpstate h;
	struct xstate_layout hl = layout_of(AMD, false);

	/* A host fpstate sized with XSS features it must never hold. */
	ck_assert_int_eq(fpstate_alloc(&h, &hl, 0xe7 | 0x1800, 4096, false, &err), 0);
	ck_assert_int_eq(fpstate_validate_uabi(&h, buf, sizeof(buf), &diag), 0);
	ck_assert_uint_eq(diag.nr_warnings, 1);
	ck_assert_ptr_nonnull(strstr(diag.item[0].msg, "guest-only supervisor state cet_kernel "
				     "(0x1000) in its features"));
	/* Once per fpstate, like WARN_ON_FPU. */
	ck_assert_int_eq(fpstate_validate_uabi(&h, buf, sizeof(buf), &diag), 0);
	ck_assert_uint_eq(diag.nr_warnings, 0);
	fpstate_free(&h);

	/* Other supervisor state gets a warning of its own. */
	ck_assert_int_eq(fpstate_alloc(&h, &hl, 0xe7 | 0x800, 4096, false, &err), 0);
	ck_assert_int_eq(fpstate_validate_uabi(&h, buf, sizeof(buf), &diag), 0);
	ck_assert_ptr_nonnull(strstr(diag.item[0].msg, "host fpstate carries supervisor state "
				     "cet_user"));
	fpstate_free(&h);

	/* A guest fpstate may own CET state: no warning. */
	ck_assert_int_eq(fpstate_alloc(&h, &hl, 0xe7 | 0x1800, 4096, true, &err), 0);
	ck_assert_int_eq(fpstate_validate_uabi(&h, buf, sizeof(buf), &diag), 0);
	ck_assert_uint_eq(diag.nr, 0);
	fpstate_free(&h);

	/* Clean host fpstate: nothing. */
	expect_valid(&host);
	ck_assert_uint_eq(diag.nr, 0);
	/* XSTATE_BV with guest-only bits in a host buffer: warning and error. */
	set64(512, 0x1003);
	ck_assert_int_eq(fpstate_validate_uabi(&host, buf, sizeof(buf), &diag), -EINVAL);
	ck_assert_uint_eq(diag.nr_warnings, 1);
	ck_assert_ptr_nonnull(strstr(diag.item[0].msg, "cet_kernel (0x1000) in its XSTATE_BV"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fpstate");
	TCase *lay = tcase_create("layout"), *x = tcase_create("xcr0"), *b = tcase_create("buffer");

	tcase_add_test(lay, layout_amd_kvm_table);
	tcase_add_test(lay, layout_amd_host_supervisor);
	tcase_add_test(lay, layout_sapphire_rapids_amx);
	tcase_add_test(lay, layout_skylake_mpx);
	tcase_add_test(lay, layout_rejects_bad_tables);
	tcase_add_test(lay, cpuid_restricted_to_guest_xcr0);
	tcase_add_test(x, xcr0_rules);
	tcase_add_test(x, xcrs_structure);
	tcase_add_test(x, xfeature_names);
	tcase_add_test(x, guest_default_features);
	tcase_add_test(x, regression_tilecfg_without_tiledata_never_offered);
	tcase_add_test(b, regression_uabi_size_never_below_4096);
	tcase_add_test(b, alloc_checks_size);
	tcase_add_checked_fixture(b, buffers_setup, buffers_teardown);
	tcase_add_test(b, validate_init_image);
	tcase_add_test(b, validate_size);
	tcase_add_test(b, validate_xstate_bv);
	tcase_add_test(b, validate_xcomp_bv);
	tcase_add_test(b, validate_reserved_header);
	tcase_add_test(b, validate_mxcsr);
	tcase_add_test(b, validate_reports_everything);
	tcase_add_test(b, host_fpstate_guest_supervisor_warning);
	suite_add_tcase(s, lay);
	suite_add_tcase(s, x);
	suite_add_tcase(s, b);
	return run_suite(s);
}
