// SPDX-License-Identifier: MIT
/*
 * fpu_check DIR/vcpu0.xsave kmovq|kmovw
 *
 * Compares the XSAVE image the fpu guest left behind with the values it
 * loaded (guest/fpu_pattern.h), byte for byte.  Offsets come straight from
 * the saved layout, not from the fpstate decoder, so a decoder bug cannot
 * hide a wrong image.  Exit 0 when every byte matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fpstate/fpstate.h"
#include "../../guest/fpu_pattern.h"

static unsigned int checked, bad;

static void expect(const struct fpstate_file *f, const char *what, unsigned int off,
		   const void *want, unsigned int len)
{
	const uint8_t *w = want;

	for (unsigned int i = 0; i < len; i++, checked++) {
		if (off + i >= f->size || f->buf[off + i] == w[i])
			continue;
		if (bad++ < 20)
			printf("mismatch: %s byte %u (offset %u): 0x%02x, expected 0x%02x\n", what, i,
			       off + i, f->buf[off + i], w[i]);
	}
}

int main(int argc, char **argv)
{
	struct fpstate_file f;
	struct fpstate_error err;
	uint64_t x = 0, bv;
	unsigned int nvec, vbytes;
	uint8_t v[64];
	char name[32];

	if (argc != 3) {
		fprintf(stderr, "usage: fpu_check FILE.xsave kmovq|kmovw\n");
		return 2;
	}
	if (fpstate_file_load(argv[1], &f, &err)) {
		fprintf(stderr, "fpu_check: %s\n", err.msg);
		return 2;
	}
	x = f.xcr0;
	nvec = (x & 0xe0) == 0xe0 ? 32 : 16;
	vbytes = (x & 0xe0) == 0xe0 ? 64 : (x & 4) ? 32 : 16;

	memcpy(&bv, f.buf + 512, 8);
	if ((bv & x & 0xe7) != (x & 0xe7)) {
		printf("mismatch: XSTATE_BV 0x%llx lacks loaded components of 0x%llx\n",
		       (unsigned long long)bv, (unsigned long long)x);
		bad++;
	}
	expect(&f, "fcw", 0, &(uint16_t){ FPU_PATTERN_FCW }, 2);
	expect(&f, "ftw (abridged: all 8 valid)", 4, &(uint8_t){ 0xff }, 1);
	if ((f.buf[3] >> 3) & 7) {
		printf("mismatch: FSW TOP is %u, expected 0 after 8 pushes\n", (f.buf[3] >> 3) & 7);
		bad++;
	}
	expect(&f, "mxcsr", 24, &(uint32_t){ FPU_PATTERN_MXCSR }, 4);
	for (unsigned int i = 0; i < 8; i++) {
		long double st = (long double)(FPU_PATTERN_ST_BASE + 7 - i);

		snprintf(name, sizeof(name), "st%u", i);
		expect(&f, name, 32 + 16 * i, &st, 10);
	}
	for (unsigned int r = 0; r < nvec; r++) {
		for (unsigned int b = 0; b < 64; b++)
			v[b] = fpu_pattern_vec(r, b);
		snprintf(name, sizeof(name), "vec%u", r);
		if (r < 16) {
			expect(&f, name, 160 + 16 * r, v, 16);
			if (vbytes >= 32)
				expect(&f, name, f.layout.comp[XFEATURE_YMM].offset + 16 * r, v + 16, 16);
			if (vbytes == 64)
				expect(&f, name, f.layout.comp[XFEATURE_ZMM_HI256].offset + 32 * r,
				       v + 32, 32);
		} else {
			expect(&f, name, f.layout.comp[XFEATURE_HI16_ZMM].offset + 64 * (r - 16), v, 64);
		}
	}
	if (vbytes == 64)
		for (unsigned int i = 0; i < 8; i++) {
			uint64_t k = fpu_pattern_k(i);

			if (!strcmp(argv[2], "kmovw"))
				k &= 0xffff;
			snprintf(name, sizeof(name), "k%u", i);
			expect(&f, name, f.layout.comp[XFEATURE_OPMASK].offset + 8 * i, &k, 8);
		}
	printf("fpu_check: XCR0 0x%llx, %u vector registers of %u bytes: %u bytes checked, %u "
	       "wrong\n", (unsigned long long)x, nvec, vbytes, checked, bad);
	fpstate_file_free(&f);
	return bad ? 1 : 0;
}
