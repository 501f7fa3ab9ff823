// SPDX-License-Identifier: MIT
/*
 * Fuzz target: xfeatures_parse() (fpstate/xcr0.c), the parser behind
 * --xcr0 and the manifest's "requires = xcr0:..." lines, on the input as a
 * C string (it ends at the first NUL byte, as an argv string would).
 *
 * Beyond crashes it checks the round trip through xfeatures_str() for
 * masks of named features, and that xcr0_sanitize() of any mask is an
 * XCR0 that xcr0_check() accepts, or 0.
 */
#include <string.h>

#include "../../fpstate/fpstate.h"
#include "fuzz.h"

/* Every bit xfeatures_str() prints by a name xfeatures_parse() reads back. */
static uint64_t named_mask(void)
{
	uint64_t m = 0;

	for (unsigned int bit = 0; bit < XFEATURE_MAX; bit++)
		if (strcmp(xfeature_name(bit), "unknown"))
			m |= 1ULL << bit;
	return m;
}

static void check_mask(uint64_t mask)
{
	/* 64 names of at most 16 bytes each, with their commas. */
	char str[64 * 17 + 1], err[200];
	struct fpstate_error ferr;
	uint64_t back, sane;

	xfeatures_str(mask, str, sizeof(str));
	FUZZ_ASSERT(memchr(str, '\0', sizeof(str)));
	if (mask && !(mask & ~named_mask())) {
		FUZZ_ASSERT(!xfeatures_parse(str, &back, err, sizeof(err)));
		FUZZ_ASSERT(back == mask);
	}
	sane = xcr0_sanitize(mask);
	FUZZ_ASSERT(!(sane & ~mask));
	if (sane)
		FUZZ_ASSERT(xcr0_check(sane, ~0ULL, &ferr) == XCR0_OK);
	/* The rules themselves, with KVM's and with no support at all. */
	xcr0_check(mask, KVM_SUPPORTED_XCR0, &ferr);
	xcr0_check(mask, 0, &ferr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[200];
	uint64_t mask = 0;

	FUZZ_ASSERT(s);
	memcpy(s, data, size);
	s[size] = '\0';
	if (xfeatures_parse(s, &mask, err, sizeof(err)))
		FUZZ_ASSERT(err[0] && memchr(err, '\0', sizeof(err)));
	else
		check_mask(mask);
	/* A small buffer, as error messages use: truncated, never overrun. */
	xfeatures_str(mask, err, 16);
	free(s);
	return 0;
}
