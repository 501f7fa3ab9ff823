// SPDX-License-Identifier: MIT
/*
 * Converting uABI images between the XSAVE layouts of the four CPUID
 * fixtures.  The registers decoded from the converted image with the
 * target layout must equal those decoded from the source with its own,
 * and nothing but the legacy area, header and components may be copied.
 */
#include <errno.h>
#include <string.h>

#include "../../fpstate/fpstate.h"
#include "testutil.h"

#define AMD	"cpuid/amd-epyc-avx512-pvm-host.txt"
#define SPR	"cpuid/intel-sapphire-rapids.txt"
#define SKX	"cpuid/intel-skylake-sp.txt"
#define XEON	"cpuid/intel-xeon-avx512-pvm-host.txt"

/* The pvm-host fixtures carry KVM_GET_SUPPORTED_CPUID; the others raw CPUID only. */
static const struct {
	const char *name;
	bool kvm;
} fixtures[] = {
	{ AMD, true }, { SPR, false }, { SKX, false }, { XEON, true },
};
#define NR_FIXTURES	(sizeof(fixtures) / sizeof(fixtures[0]))

static struct fpstate_error err;
static uint8_t src[16384], dst[16384];
static struct fpregs want, got, pat;

static struct xstate_layout fixture(unsigned int i)
{
	return cpuid_fixture_layout(fixtures[i].name, fixtures[i].kvm);
}

/* What both machines can run: their common XCR0, a valid one, user state only. */
static uint64_t common_xcr0(const struct xstate_layout *a, const struct xstate_layout *b)
{
	return xcr0_sanitize(a->xcr0_supported & b->xcr0_supported & ~XFEATURE_MASK_SUPERVISOR);
}

static void fill(void *p, size_t len, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 13 + (i >> 8) + 1);
}

/* Registers a decode gives back unchanged, different in every component. */
static void pattern(struct fpregs *r, uint64_t features)
{
	unsigned int nvec = fpregs_vec_count(features), vbytes = fpregs_vec_bytes(features);

	memset(r, 0, sizeof(*r));
	r->features = features;
	r->xstate_bv = features;
	r->fcw = 0x027f;
	r->fsw = 0x3800;
	r->ftw_abridged = 0xff;	/* all valid: full tag word 0 */
	r->fop = 0x123;
	r->fip = 0x7000a0;
	r->fdp = 0x7100b0;
	r->mxcsr = 0x9f80;
	r->mxcsr_mask = 0xffff;
	for (int i = 0; i < 8; i++) {
		uint64_t mant = (1ULL << 63) | (0x1111ULL * (uint64_t)(i + 1));
		uint16_t exp = (uint16_t)(0x4000 + i);

		memcpy(r->st[i], &mant, 8);
		memcpy(r->st[i] + 8, &exp, 2);
	}
	for (unsigned int i = 0; i < nvec; i++)
		fill(r->zmm[i], vbytes, (uint8_t)(0x20 + i));
	if (features & XMASK(OPMASK))
		for (int i = 0; i < 8; i++)
			r->k[i] = 0x0102030405060708ULL * (uint64_t)(i + 3);
	if (features & XMASK(BNDREGS))
		fill(r->bndregs, sizeof(r->bndregs), 0x60);
	if (features & XMASK(BNDCSR)) {
		r->bndcfgu = 0x7ffff001;
		r->bndstatus = 0x3;
	}
	if (features & XMASK(PKRU))
		r->pkru = 0x5555555c;
	if (features & XMASK(XTILE_CFG)) {
		r->tilecfg[0] = 1;
		fill(r->tilecfg + 16, 48, 0x70);
	}
	if (features & XMASK(XTILE_DATA))
		fill(r->tiledata, sizeof(r->tiledata), 0x80);
}

static bool in_component(const struct xstate_layout *l, uint64_t features, size_t byte)
{
	if (byte < XSAVE_EXT_OFFSET)
		return true;
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if ((features & (1ULL << bit)) && byte >= l->comp[bit].offset &&
		    byte < l->comp[bit].offset + l->comp[bit].size)
			return true;
	return false;
}

static size_t uabi_size(const struct xstate_layout *l, uint64_t features)
{
	size_t size = xstate_size_standard(l, features);

	return size < XSAVE_UABI_MIN ? XSAVE_UABI_MIN : size;
}

/* A source image as a host writes it, with garbage wherever no component lives. */
static size_t make_src(const struct xstate_layout *l, uint64_t features)
{
	size_t size = uabi_size(l, features);

	pattern(&pat, features);
	ck_assert_int_eq(fpstate_encode(l, features, &pat, src, size), 0);
	for (size_t i = 0; i < size; i++)
		if (!in_component(l, features, i))
			src[i] = 0xee;
	return size;
}

START_TEST(every_fixture_pair)
{
	unsigned int fi = (unsigned int)_i / NR_FIXTURES, ti = (unsigned int)_i % NR_FIXTURES;
	struct xstate_layout from = fixture(fi), to = fixture(ti);
	uint64_t features = common_xcr0(&from, &to);
	size_t i, src_size, dst_size = uabi_size(&to, features);

	ck_assert_uint_eq(features & XFEATURE_MASK_FPSSE, XFEATURE_MASK_FPSSE);
	src_size = make_src(&from, features);
	ck_assert_int_eq(fpstate_decode(&from, features, src, src_size, &want), 0);
	/* The pattern survives the source layout: every component is in the image. */
	ck_assert_mem_eq(&want, &pat, sizeof(want));

	memset(dst, 0xa5, sizeof(dst));
	ck_assert_msg(!fpstate_convert_uabi(&from, &to, features, src, src_size, dst, dst_size,
					    &err), "%s -> %s: %s", fixtures[fi].name,
		      fixtures[ti].name, err.msg);
	ck_assert_int_eq(fpstate_decode(&to, features, dst, dst_size, &got), 0);
	ck_assert_mem_eq(&got, &want, sizeof(got));

	ck_assert_mem_eq(dst, src, XSAVE_EXT_OFFSET);
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if (features & (1ULL << bit))
			ck_assert_mem_eq(dst + to.comp[bit].offset, src + from.comp[bit].offset,
					 to.comp[bit].size);
	for (i = 0; i < dst_size && (in_component(&to, features, i) || !dst[i]); i++)
		;
	ck_assert_msg(i == dst_size, "%s -> %s: byte %zu is 0x%02x, outside every component",
		      fixtures[fi].name, fixtures[ti].name, i, dst[i]);
	ck_assert_uint_eq(dst[dst_size], 0xa5);	/* nothing written past dst_size */
}
END_TEST

/* The pairs above exercise every kind of state some two fixtures share. */
START_TEST(pairs_cover_all_state)
{
	uint64_t seen = 0;

	for (unsigned int a = 0; a < NR_FIXTURES; a++)
		for (unsigned int b = 0; b < NR_FIXTURES; b++) {
			struct xstate_layout la = fixture(a), lb = fixture(b);

			seen |= common_xcr0(&la, &lb);
		}
	ck_assert_uint_eq(seen & KVM_SUPPORTED_XCR0, KVM_SUPPORTED_XCR0);
}
END_TEST

START_TEST(amd_and_intel_layouts_differ)
{
	struct xstate_layout amd = fixture(0), spr = fixture(1), skx = fixture(2);
	struct xstate_layout xeon = fixture(3);
	uint64_t k6 = 0xfeedface0000e5e5ULL, v;

	ck_assert_uint_eq(amd.comp[XFEATURE_OPMASK].offset, 832);
	ck_assert_uint_eq(skx.comp[XFEATURE_OPMASK].offset, 1088);
	ck_assert_uint_eq(spr.comp[XFEATURE_OPMASK].offset, 1088);
	ck_assert(!xstate_layout_same(&amd, &skx, 0xe7));
	ck_assert(!xstate_layout_same(&skx, &amd, 0xe7));
	ck_assert(xstate_layout_same(&amd, &amd, 0xe7));
	ck_assert(xstate_layout_same(&skx, &skx, 0x2ff));
	/* AVX sits at 576 everywhere; only the later components move. */
	ck_assert(xstate_layout_same(&amd, &skx, 0x7));
	/* Two Intel parts agree on AVX-512, not on MPX the pvm host lacks. */
	ck_assert(xstate_layout_same(&skx, &xeon, 0xe7));
	ck_assert(!xstate_layout_same(&skx, &xeon, 0x2ff));

	/* k6 of an AMD snapshot lands where Intel reads k6. */
	make_src(&amd, 0xe7);
	memcpy(src + 832 + 8 * 6, &k6, 8);
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0xe7, src, 4096, dst, 4096, &err), 0);
	memcpy(&v, dst + 1088 + 8 * 6, 8);
	ck_assert_uint_eq(v, k6);
	memcpy(&v, dst + 832 + 8 * 6, 8);
	ck_assert_uint_eq(v, 0);	/* a gap on Intel when MPX is off */
}
END_TEST

/* Import: the same layout is a copy (zeroed past it), another one a conversion. */
START_TEST(import_copies_or_converts)
{
	struct xstate_layout amd = fixture(0), skx = fixture(2);
	static uint8_t conv[16384];

	make_src(&amd, 0xe7);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_import_uabi(&amd, &amd, 0xe7, src, 4096, dst, 8192, &err), 0);
	ck_assert_mem_eq(dst, src, 4096);
	for (size_t i = 4096; i < 8192; i++)
		ck_assert_uint_eq(dst[i], 0);
	/* Another layout: exactly what the conversion gives. */
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0xe7, src, 4096, conv, 4096, &err), 0);
	ck_assert_int_eq(fpstate_import_uabi(&amd, &skx, 0xe7, src, 4096, dst, 4096, &err), 0);
	ck_assert_mem_eq(dst, conv, 4096);
	/* A copy into less than the components need is a conversion's error. */
	ck_assert_int_lt(fpstate_import_uabi(&amd, &amd, 0xe7, src, 4096, dst, 1024, &err), 0);
}
END_TEST

static void assert_fails(const char *part, const char *part2)
{
	ck_assert_ptr_nonnull(strstr(err.msg, part));
	if (part2)
		ck_assert_ptr_nonnull(strstr(err.msg, part2));
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	for (size_t i = 0; i < sizeof(dst); i++)
		ck_assert_uint_eq(dst[i], 0xa5);	/* untouched on error */
}

START_TEST(component_missing_on_target)
{
	struct xstate_layout spr = fixture(1), skx = fixture(2), amd = fixture(0);

	make_src(&spr, 0x602e7);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_convert_uabi(&spr, &skx, 0x602e7, src, 11008, dst,
					      sizeof(dst), &err), -EINVAL);
	assert_fails("component 17 (xtilecfg)",
		     "64 bytes in the snapshot's layout, 0 on this host");
	/* MPX from Skylake-SP to AMD, which has none. */
	make_src(&skx, 0xff);
	ck_assert_int_eq(fpstate_convert_uabi(&skx, &amd, 0xff, src, 4096, dst, sizeof(dst), &err),
			 -EINVAL);
	assert_fails("component 3 (bndregs)", "64 bytes in the snapshot's layout, 0 on this host");
	/* A layout (from a file) with another size for the same component. */
	skx.comp[XFEATURE_PKRU].size = 16;
	make_src(&spr, 0x2e7);
	ck_assert_int_eq(fpstate_convert_uabi(&spr, &skx, 0x2e7, src, 4096, dst, sizeof(dst), &err),
			 -EINVAL);
	assert_fails("component 9 (pkru)", "8 bytes in the snapshot's layout, 16 on this host");
	/* Nor may a layout put a component over the legacy area. */
	skx = fixture(2);
	skx.comp[XFEATURE_PKRU].offset = 400;
	ck_assert_int_eq(fpstate_convert_uabi(&spr, &skx, 0x2e7, src, 4096, dst, sizeof(dst), &err),
			 -EINVAL);
	assert_fails("component 9 (pkru)", "overlaps the legacy area");
}
END_TEST

START_TEST(compacted_image)
{
	struct xstate_layout amd = fixture(0), skx = fixture(2);
	uint64_t xcomp_bv = (1ULL << 63) | 0xe7;

	make_src(&amd, 0xe7);
	memcpy(src + XSAVE_HDR_OFFSET + 8, &xcomp_bv, 8);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0xe7, src, 4096, dst, sizeof(dst), &err),
			 -EINVAL);
	assert_fails("XCOMP_BV 0x80000000000000e7", "not a uABI (standard format) image");
}
END_TEST

START_TEST(source_too_small)
{
	struct xstate_layout spr = fixture(1), amd = fixture(0), skx = fixture(2);
	char want_msg[128];
	uint32_t need = xstate_size_standard(&spr, 0x602e7);

	make_src(&spr, 0x602e7);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_convert_uabi(&spr, &spr, 0x602e7, src, need - 1, dst, sizeof(dst),
					      &err), -EINVAL);
	snprintf(want_msg, sizeof(want_msg), "image of %u bytes is smaller than the snapshot "
		 "layout's %u", need - 1, need);
	assert_fails(want_msg, NULL);
	ck_assert_uint_eq(need, 11008);
	/* An AMD image cut to the Intel size for the same features still fits. */
	make_src(&amd, 0xe7);
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0xe7, src,
					      xstate_size_standard(&amd, 0xe7), dst, sizeof(dst),
					      &err), 0);
}
END_TEST

START_TEST(target_too_small)
{
	struct xstate_layout amd = fixture(0), skx = fixture(2);
	uint32_t amd_size = xstate_size_standard(&amd, 0xe7);
	uint32_t skx_size = xstate_size_standard(&skx, 0xe7);
	char want_msg[128];

	ck_assert_uint_lt(amd_size, skx_size);	/* 2432 < 2688: no MPX hole on AMD */
	make_src(&amd, 0xe7);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0xe7, src, amd_size, dst, amd_size, &err),
			 -EINVAL);
	snprintf(want_msg, sizeof(want_msg), "buffer of %u bytes is smaller than this host's "
		 "layout's %u", amd_size, skx_size);
	assert_fails(want_msg, NULL);
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0xe7, src, amd_size, dst, skx_size, &err),
			 0);
}
END_TEST

START_TEST(xstate_bv_outside_features)
{
	struct xstate_layout amd = fixture(0), skx = fixture(2);
	uint64_t bv = 0xe7;

	make_src(&amd, 0x7);
	memcpy(src + XSAVE_HDR_OFFSET, &bv, 8);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &skx, 0x7, src, 4096, dst, sizeof(dst), &err),
			 -EINVAL);
	assert_fails("the image's XSTATE_BV 0xe7 has features outside 0x7", NULL);
}
END_TEST

START_TEST(supervisor_feature)
{
	/* The raw AMD rows list CET (bits 11, 12) as supervisor components. */
	struct xstate_layout amd = cpuid_fixture_layout(AMD, false);
	uint64_t features = 0xe7 | XMASK(CET_USER);

	ck_assert(amd.comp[XFEATURE_CET_USER].flags & XCOMP_SUPERVISOR);
	make_src(&amd, 0xe7);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(fpstate_convert_uabi(&amd, &amd, features, src, 4096, dst, sizeof(dst),
					      &err), -EINVAL);
	assert_fails("component 11 (cet_user)", "supervisor");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("convert"), *e = tcase_create("errors");

	tcase_add_loop_test(tc, every_fixture_pair, 0, NR_FIXTURES * NR_FIXTURES);
	tcase_add_test(tc, pairs_cover_all_state);
	tcase_add_test(tc, amd_and_intel_layouts_differ);
	tcase_add_test(tc, import_copies_or_converts);
	tcase_add_test(e, component_missing_on_target);
	tcase_add_test(e, compacted_image);
	tcase_add_test(e, source_too_small);
	tcase_add_test(e, target_too_small);
	tcase_add_test(e, xstate_bv_outside_features);
	tcase_add_test(e, supervisor_feature);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, e);
	return run_suite(s);
}
