// SPDX-License-Identifier: MIT
/*
 * Decoding and encoding registers, text/JSON output, diffs and saved
 * files.  Byte positions are written from the fixtures' CPUID offsets
 * here, independently of the decoder, so both are checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fpstate/fpstate.h"
#include "testutil.h"

static struct fpstate_error err;

#define layout_of cpuid_fixture_layout

#define AMD_L() layout_of("cpuid/amd-epyc-avx512-pvm-host.txt", true)
#define SPR_L() layout_of("cpuid/intel-sapphire-rapids.txt", false)
#define SKX_L() layout_of("cpuid/intel-skylake-sp.txt", false)

static uint8_t buf[16384], buf2[16384];

static void fill(void *p, size_t len, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Canonical registers for @features: what a decode of a real buffer gives. */
static void pattern(struct fpregs *r, uint64_t features, uint8_t seed)
{
	unsigned int nvec = fpregs_vec_count(features), vbytes = fpregs_vec_bytes(features);

	memset(r, 0, sizeof(*r));
	r->features = features;
	r->xstate_bv = features;
	r->fcw = 0x027f;
	r->fsw = 0x3800;	/* TOP = 7 */
	r->ftw_abridged = 0xff;
	r->fop = 0x1de;
	r->fip = 0x401000;
	r->fdp = 0x602000;
	r->mxcsr = 0x1f80 | 0x8000;
	r->mxcsr_mask = 0xffff;
	for (int i = 0; i < 8; i++) {
		uint64_t mant = (1ULL << 63) | (uint64_t)(i + seed);
		uint16_t exp = (uint16_t)(0x3fff + i);

		memcpy(r->st[i], &mant, 8);
		memcpy(r->st[i] + 8, &exp, 2);
	}
	r->ftw = 0;	/* all valid */
	for (unsigned int i = 0; i < nvec; i++)
		fill(r->zmm[i], vbytes, (uint8_t)(seed + i));
	if (features & XMASK(OPMASK))
		for (int i = 0; i < 8; i++)
			r->k[i] = 0x0101010101010101ULL * (uint64_t)(i + 1) + seed;
	if (features & XMASK(BNDREGS))
		fill(r->bndregs, sizeof(r->bndregs), seed);
	if (features & XMASK(BNDCSR)) {
		r->bndcfgu = 0x1001;
		r->bndstatus = 0x2;
	}
	if (features & XMASK(PKRU))
		r->pkru = 0x55555554;
	if (features & XMASK(XTILE_CFG)) {
		r->tilecfg[0] = 1;
		fill(r->tilecfg + 16, 48, seed);
	}
	if (features & XMASK(XTILE_DATA))
		fill(r->tiledata, sizeof(r->tiledata), seed);
}

static void round_trip(const struct xstate_layout *l, uint64_t features, size_t size)
{
	static struct fpregs a, b;

	pattern(&a, features, 3);
	ck_assert_int_eq(fpstate_encode(l, features, &a, buf, size), 0);
	ck_assert_int_eq(fpstate_decode(l, features, buf, size, &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	/* And the other way: a canonical buffer survives decode + encode. */
	ck_assert_int_eq(fpstate_encode(l, features, &b, buf2, size), 0);
	ck_assert_mem_eq(buf, buf2, size);
}

START_TEST(round_trip_amd_avx512)
{
	struct xstate_layout l = AMD_L();

	round_trip(&l, 0xe7, 4096);
	round_trip(&l, 0x7, 4096);
	round_trip(&l, 0x3, 4096);
}
END_TEST

START_TEST(round_trip_spr_amx)
{
	struct xstate_layout l = SPR_L();

	round_trip(&l, 0x602e7, 11008);
	round_trip(&l, 0x2e7, 4096);
}
END_TEST

START_TEST(round_trip_skx_mpx_pkru)
{
	struct xstate_layout l = SKX_L();

	round_trip(&l, 0x2ff, 4096);
}
END_TEST

START_TEST(encode_needs_room)
{
	struct xstate_layout l = SPR_L();
	static struct fpregs r;

	pattern(&r, 0x602e7, 0);
	ck_assert_int_eq(fpstate_encode(&l, 0x602e7, &r, buf, 4096), -EINVAL);
}
END_TEST

/* zmm pieces come from three places; check each byte's source. */
/* A layout (from a file) that claims a component smaller than the architecture's. */
START_TEST(short_component_is_not_decoded)
{
	struct xstate_layout l = { 0 };
	static uint8_t img[4096];
	struct fpregs *r = calloc(1, sizeof(*r));
	uint64_t bv = XMASK(FP) | XMASK(SSE) | (1ULL << XFEATURE_XTILE_DATA);

	ck_assert_ptr_nonnull(r);
	l.comp[XFEATURE_FP] = (struct xstate_component){ 160, 0, 0 };
	l.comp[XFEATURE_SSE] = (struct xstate_component){ 256, 160, 0 };
	l.comp[XFEATURE_XTILE_DATA] = (struct xstate_component){ 64, 4000, 0 };
	memset(img, 0x5a, sizeof(img));
	memcpy(img + 512, &bv, 8);		/* XSTATE_BV */
	memset(img + 520, 0, 56);
	fpstate_decode(&l, bv, img, sizeof(img), r);
	{
		static const uint8_t zero[sizeof(r->tiledata)];

		ck_assert(!memcmp(r->tiledata, zero, sizeof(zero)));
	}
	fpstate_encode(&l, bv, r, img, sizeof(img));	/* must not write past img */
	free(r);
}
END_TEST

START_TEST(vector_registers_assembled)
{
	struct xstate_layout l = AMD_L();	/* YMM 576, ZMM_Hi256 896, Hi16_ZMM 1408 */
	static struct fpregs r;
	uint64_t bv = 0xe7;

	memset(buf, 0, 4096);
	memcpy(buf + 512, &bv, 8);
	buf[160 + 16 * 3] = 0xa1;		/* xmm3 byte 0 */
	buf[576 + 16 * 3 + 15] = 0xb2;		/* ymm3 byte 31 */
	buf[896 + 32 * 3 + 31] = 0xc3;		/* zmm3 byte 63 */
	buf[1408 + 64 * 4 + 7] = 0xd4;		/* zmm20 byte 7 */
	buf[832 + 8 * 6] = 0xe5;		/* k6 */
	ck_assert_int_eq(fpstate_decode(&l, 0xe7, buf, 4096, &r), 0);
	ck_assert_uint_eq(r.zmm[3][0], 0xa1);
	ck_assert_uint_eq(r.zmm[3][31], 0xb2);
	ck_assert_uint_eq(r.zmm[3][63], 0xc3);
	ck_assert_uint_eq(r.zmm[20][7], 0xd4);
	ck_assert_uint_eq(r.k[6], 0xe5);
	/* On Skylake-SP the same registers live elsewhere. */
	l = SKX_L();	/* opmask 1088, ZMM_Hi256 1152, Hi16_ZMM 1664 */
	memset(buf, 0, 4096);
	memcpy(buf + 512, &bv, 8);
	buf[1152 + 32 * 3 + 31] = 0xc3;
	buf[1088 + 8 * 6] = 0xe5;
	ck_assert_int_eq(fpstate_decode(&l, 0xe7, buf, 4096, &r), 0);
	ck_assert_uint_eq(r.zmm[3][63], 0xc3);
	ck_assert_uint_eq(r.k[6], 0xe5);
}
END_TEST

START_TEST(absent_components_decode_as_init)
{
	struct xstate_layout l = AMD_L();
	static struct fpregs r;
	uint64_t bv = 0x2;	/* SSE only: x87 and AVX-512 in init state */

	memset(buf, 0x5a, 4096);
	memcpy(buf + 512, &bv, 8);
	memset(buf + 520, 0, 56);
	ck_assert_int_eq(fpstate_decode(&l, 0xe7, buf, 4096, &r), 0);
	ck_assert_uint_eq(r.fcw, 0x37f);
	ck_assert_uint_eq(r.fsw, 0);
	ck_assert_uint_eq(r.ftw, 0xffff);	/* all empty */
	ck_assert_uint_eq(r.zmm[0][0], 0x5a);	/* xmm: present */
	ck_assert_uint_eq(r.zmm[0][16], 0);	/* ymm upper half: init */
	ck_assert_uint_eq(r.zmm[31][0], 0);
	ck_assert_uint_eq(r.k[0], 0);
	/* Features the buffer may not hold are never decoded. */
	bv = 0xe7;
	memcpy(buf + 512, &bv, 8);
	ck_assert_int_eq(fpstate_decode(&l, 0x3, buf, 4096, &r), 0);
	ck_assert_uint_eq(r.zmm[0][16], 0);
	ck_assert_uint_eq(r.k[0], 0);
	ck_assert_int_eq(fpstate_decode(&l, 0x3, buf, 100, &r), -EINVAL);
}
END_TEST

START_TEST(full_tag_word)
{
	struct xstate_layout l = AMD_L();
	static struct fpregs r;
	uint64_t bv = 0x1, one = 1ULL << 63, inf = 1ULL << 63, denorm = 1;
	uint16_t fsw = 5 << 11;	/* TOP = 5: ST(i) is physical register (5 + i) & 7 */
	uint16_t e_one = 0x3fff, e_inf = 0x7fff, e_zero = 0;

	memset(buf, 0, 4096);
	memcpy(buf + 512, &bv, 8);
	memcpy(buf + 2, &fsw, 2);
	buf[4] = (1 << 5) | (1 << 6) | (1 << 7) | (1 << 0);	/* phys 5, 6, 7, 0 in use */
	memcpy(buf + 32, &one, 8);		/* ST0 = phys 5: valid */
	memcpy(buf + 40, &e_one, 2);
	memcpy(buf + 48 + 8, &e_zero, 2);	/* ST1 = phys 6: zero */
	memcpy(buf + 64, &inf, 8);		/* ST2 = phys 7: special (infinity) */
	memcpy(buf + 72, &e_inf, 2);
	memcpy(buf + 80, &denorm, 8);		/* ST3 = phys 0: special (denormal) */
	ck_assert_int_eq(fpstate_decode(&l, 0x1, buf, 4096, &r), 0);
	/* phys 0 special(2), 1-4 empty(3), 5 valid(0), 6 zero(1), 7 special(2) */
	ck_assert_uint_eq(r.ftw, 0x2 | 0x3 << 2 | 0x3 << 4 | 0x3 << 6 | 0x3 << 8 | 0x0 << 10 |
				 0x1 << 12 | 0x2 << 14);
}
END_TEST

static char *capture(void (*fn)(FILE *, void *), void *arg)
{
	static char out[200000];
	FILE *f = fmemopen(out, sizeof(out), "w");

	fn(f, arg);
	fclose(f);
	return out;
}

static void print_text(FILE *f, void *r)
{
	fpregs_print_text(f, r);
}

static void print_json(FILE *f, void *r)
{
	fpregs_print_json(f, r);
}

START_TEST(text_and_json_output)
{
	static struct fpregs r;
	char *out;

	pattern(&r, 0xe7, 0);
	r.xstate_bv = 0xe7;
	memset(r.st[0], 0, 10);
	r.st[0][7] = 0x80;
	r.st[0][8] = 0xff;
	r.st[0][9] = 0x3f;	/* 1.0 */
	r.ftw = 0;
	out = capture(print_text, &r);
	ck_assert_ptr_nonnull(strstr(out, "features   0xe7 (x87,sse,avx,opmask,zmm_hi256,hi16_zmm)"));
	ck_assert_ptr_nonnull(strstr(out, "st0        0x3fff8000000000000000  1 (valid)"));
	ck_assert_ptr_nonnull(strstr(out, "fcw        0x027f\n"));
	ck_assert_ptr_nonnull(strstr(out, "mxcsr      0x00009f80\n"));
	ck_assert_ptr_nonnull(strstr(out, "zmm31      0x"));
	ck_assert_ptr_nonnull(strstr(out, "k7         0x0808080808080808\n"));
	ck_assert_ptr_null(strstr(out, "pkru"));
	/* A 64-byte register printed most significant byte first. */
	memset(r.zmm[1], 0, 64);
	r.zmm[1][63] = 0xab;
	r.zmm[1][0] = 0x01;
	out = capture(print_text, &r);
	ck_assert_ptr_nonnull(strstr(out, "zmm1       0xab0000000000000000000000000000000000000000"
				     "00000000000000000000000000000000000000000000000000000000000000"
				     "000000000000000000000001\n"));
	out = capture(print_json, &r);
	ck_assert_ptr_nonnull(strstr(out, "{\"features\": \"0xe7\", \"xstate_bv\": \"0x00000000000000e7\""));
	ck_assert_ptr_nonnull(strstr(out, "\"k7\": \"0x0808080808080808\"}"));
	/* SSE-only: xmm names, 16 registers. */
	pattern(&r, 0x3, 0);
	out = capture(print_text, &r);
	ck_assert_ptr_nonnull(strstr(out, "xmm15 "));
	ck_assert_ptr_null(strstr(out, "xmm16"));
	ck_assert_ptr_null(strstr(out, "ymm"));
}
END_TEST

START_TEST(diff_by_register)
{
	static struct fpregs a, b;
	char out[4096];
	FILE *f;

	pattern(&a, 0xe7, 0);
	b = a;
	f = fmemopen(out, sizeof(out), "w");
	ck_assert_uint_eq(fpregs_diff(f, &a, &b, false), 0);
	fclose(f);
	b.zmm[5][40] ^= 1;
	b.k[2] = 0;
	b.mxcsr = 0x1f80;
	f = fmemopen(out, sizeof(out), "w");
	ck_assert_uint_eq(fpregs_diff(f, &a, &b, false), 3);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "mxcsr      0x00009f80\n           0x00001f80\n"));
	ck_assert_ptr_nonnull(strstr(out, "zmm5 "));
	ck_assert_ptr_nonnull(strstr(out, "k2         0x0303030303030303\n           0x0000000000000000"));
	ck_assert_ptr_null(strstr(out, "zmm4 "));
	f = fmemopen(out, sizeof(out), "w");
	ck_assert_uint_eq(fpregs_diff(f, &a, &b, true), 3);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "{\"register\": \"k2\", \"a\": \"0x0303030303030303\", "
				     "\"b\": \"0x0000000000000000\"}]"));
}
END_TEST

START_TEST(saved_file_round_trip)
{
	char dir[] = "/tmp/fpvm-fps-XXXXXX", path[256];
	struct xstate_layout l = SPR_L();
	struct fpstate fps;
	struct fpstate_file sf;
	static struct fpregs a, b;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	l.mxcsr_mask = 0xffff;
	ck_assert_int_eq(fpstate_alloc(&fps, &l, 0x602e7, 11008, true, &err), 0);
	pattern(&a, 0x602e7, 9);
	ck_assert_int_eq(fpstate_encode(&l, 0x602e7, &a, fps.buf, fps.size), 0);
	ck_assert_int_eq(fpstate_file_save(dir, 2, &fps, 0x602e7, &err), 0);
	snprintf(path, sizeof(path), "%s/vcpu2.xsave", dir);
	ck_assert_int_eq(fpstate_file_load(path, &sf, &err), 0);
	ck_assert_int_eq(sf.vcpu, 2);
	ck_assert_uint_eq(sf.size, 11008);
	ck_assert_uint_eq(sf.xfeatures, 0x602e7);
	ck_assert(sf.is_guest);
	ck_assert_mem_eq(&sf.layout, &l, sizeof(l));
	ck_assert_mem_eq(sf.buf, fps.buf, fps.size);
	ck_assert_int_eq(fpstate_decode(&sf.layout, sf.xfeatures, sf.buf, sf.size, &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	fpstate_file_free(&sf);

	/* A truncated buffer, a missing or corrupt layout, a wrong name. */
	f = fopen(path, "w");
	fputs("short", f);
	fclose(f);
	ck_assert_int_lt(fpstate_file_load(path, &sf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "5 bytes, but its layout says 11008"));
	snprintf(path, sizeof(path), "%s/vcpu2.layout", dir);
	f = fopen(path, "a");
	fputs("bogus line\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/vcpu2.xsave", dir);
	ck_assert_int_lt(fpstate_file_load(path, &sf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unrecognised line"));
	snprintf(path, sizeof(path), "%s/vcpu2.layout", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vcpu2.xsave", dir);
	ck_assert_int_lt(fpstate_file_load(path, &sf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "vcpu2.layout: No such file"));
	ck_assert_int_lt(fpstate_file_load("/tmp/x.bin", &sf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "expected a NAME.xsave file"));
	unlink(path);
	rmdir(dir);
	fpstate_free(&fps);
}
END_TEST

START_TEST(layout_table_output)
{
	struct xstate_layout l = SPR_L();
	char out[8192];
	FILE *f = fmemopen(out, sizeof(out), "w");

	xstate_layout_print(f, &l, 0x2e7, false);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "  18   xtiledata      2816   8192      3584  user aligned xfd \n"));
	ck_assert_ptr_nonnull(strstr(out, "  12   cet_kernel        -     24"));
	ck_assert_ptr_nonnull(strstr(out, "  9    pkru           2688      8"));
	f = fmemopen(out, sizeof(out), "w");
	xstate_layout_print(f, &l, 0x2e7, true);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "{\"bit\": 9, \"name\": \"pkru\", \"offset\": 2688, "
				     "\"size\": 8"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fpregs");
	TCase *tc = tcase_create("decode"), *o = tcase_create("output");

	tcase_add_test(tc, round_trip_amd_avx512);
	tcase_add_test(tc, short_component_is_not_decoded);
	tcase_add_test(tc, round_trip_spr_amx);
	tcase_add_test(tc, round_trip_skx_mpx_pkru);
	tcase_add_test(tc, encode_needs_room);
	tcase_add_test(tc, vector_registers_assembled);
	tcase_add_test(tc, absent_components_decode_as_init);
	tcase_add_test(tc, full_tag_word);
	tcase_add_test(o, text_and_json_output);
	tcase_add_test(o, diff_by_register);
	tcase_add_test(o, saved_file_round_trip);
	tcase_add_test(o, layout_table_output);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, o);
	return run_suite(s);
}
