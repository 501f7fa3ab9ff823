// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the .layout text parser (fpstate/layout_text.c), by two
 * properties of what it accepts, not only for crashes:
 *
 *  - it formats back to text that parses to the same struct (and to the
 *    same text again): nothing is accepted that fpvm cannot write, and
 *    nothing written is read differently;
 *  - every component it lets the image use lies inside the image: an
 *    image of exactly the layout's size, every feature in use, is decoded,
 *    encoded and decoded again.  The buffer is malloc'd at that size, so
 *    under ASan (./fpvm-dev fuzz) a read or write past it traps.
 *
 * The input is the .layout text, whole; the image's bytes are a pattern.
 */
#include <string.h>

#include "../../fpstate/fpstate.h"
#include "fuzz.h"

static void same_file(const struct fpstate_file *a, const struct fpstate_file *b)
{
	FUZZ_ASSERT(a->xcr0 == b->xcr0 && a->xfeatures == b->xfeatures);
	FUZZ_ASSERT(a->is_guest == b->is_guest && a->vcpu == b->vcpu && a->size == b->size);
	FUZZ_ASSERT(!memcmp(&a->layout, &b->layout, sizeof(a->layout)));
}

/* The text the parsed layout formats to; its length in *@len. */
static char *format(const struct fpstate_file *sf, size_t *len)
{
	struct fpstate fps = {
		.layout = &sf->layout, .xfeatures = sf->xfeatures, .size = sf->size,
		.is_guest = sf->is_guest,
	};
	char *text = fpstate_layout_format(&fps, sf->xcr0, sf->vcpu, len);

	FUZZ_ASSERT(text && strlen(text) == *len);
	return text;
}

static void round_trip(const struct fpstate_file *sf)
{
	static struct fpstate_file again, third;
	struct fpstate_error err = { { 0 } };
	size_t len, len2;
	char *text = format(sf, &len), *text2;

	if (fpstate_layout_parse(text, len, "formatted", &again, &err)) {
		fprintf(stderr, "fuzz_layout: the formatted layout is refused: %s\n%s", err.msg,
			text);
		FUZZ_ASSERT(!"the formatted layout parses");
	}
	same_file(sf, &again);
	text2 = format(&again, &len2);
	FUZZ_ASSERT(len == len2 && !memcmp(text, text2, len));
	FUZZ_ASSERT(!fpstate_layout_parse(text2, len2, "formatted", &third, &err));
	same_file(&again, &third);
	free(text2);
	free(text);
}

/*
 * Every feature in use, no component left out: XSTATE_BV is all of
 * xfeatures, and the rest a pattern that differs from init.
 */
static void decode_inside(const struct fpstate_file *sf)
{
	uint8_t *buf = malloc(sf->size), *out = malloc(sf->size);
	static struct fpregs r, r2;

	FUZZ_ASSERT(buf && out);
	for (uint32_t i = 0; i < sf->size; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memset(buf + XSAVE_HDR_OFFSET, 0, XSAVE_HDR_SIZE);
	memcpy(buf + XSAVE_HDR_OFFSET, &sf->xfeatures, 8);
	/* The layout puts every component of xfeatures inside the image. */
	FUZZ_ASSERT(xstate_size_standard(&sf->layout, sf->xfeatures) <= sf->size);
	FUZZ_ASSERT(!fpstate_decode(&sf->layout, sf->xfeatures, buf, sf->size, &r));
	FUZZ_ASSERT(!fpstate_encode(&sf->layout, sf->xfeatures, &r, out, sf->size));
	FUZZ_ASSERT(!fpstate_decode(&sf->layout, sf->xfeatures, out, sf->size, &r2));
	FUZZ_ASSERT(!memcmp(&r, &r2, sizeof(r)));
	free(out);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fpstate_file sf;
	struct fpstate_error err = { { 0 } };

	if (fpstate_layout_parse((const char *)data, size, "fuzz.layout", &sf, &err)) {
		FUZZ_ASSERT(err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)));
		FUZZ_ASSERT(!sf.buf);
		return 0;
	}
	FUZZ_ASSERT(!sf.buf && sf.size >= XSAVE_EXT_OFFSET);
	round_trip(&sf);
	decode_inside(&sf);
	return 0;
}
