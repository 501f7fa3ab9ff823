// SPDX-License-Identifier: MIT
/* UTF-8 decoded strictly, for writers of reports (utf8.h). */
#include "utf8.h"

unsigned int utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;	/* the second byte's range (RFC 3629) */
	unsigned int len;
	uint32_t c;

	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	/* C0 and C1 start only overlong forms; F5 and up only what lies past U+10FFFF. */
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		len = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* below: overlong */
		if (s[0] == 0xed)
			hi = 0x9f;	/* above: UTF-16 surrogates */
	} else {
		len = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;	/* below: overlong */
		if (s[0] == 0xf4)
			hi = 0x8f;	/* above: past U+10FFFF */
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (unsigned int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return len;
}

void utf8_each(const char *s, size_t n,
	       void (*put)(const char *seq, unsigned int len, uint32_t c, void *arg), void *arg)
{
	while (n) {
		uint32_t c;
		unsigned int len = utf8_decode(s, n, &c);

		if (!len) {
			len = 1;
			c = UTF8_ILL_FORMED;
		}
		put(s, len, c, arg);
		s += len;
		n -= len;
	}
}

struct line {
	FILE *f;
	char quote;
};

/* YAML 1.2's c-printable, less its line breaks (CR, LF and NEL). */
static void put_line(const char *seq, unsigned int len, uint32_t c, void *arg)
{
	const struct line *l = arg;

	if (c == UTF8_ILL_FORMED) {
		fputs(UTF8_REPLACEMENT, l->f);
	} else if (c != '\t' && (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xfffe ||
				 c == 0xffff)) {
		fputc('?', l->f);
	} else {
		if (l->quote && c == (unsigned char)l->quote)
			fputc(l->quote, l->f);
		fwrite(seq, 1, len, l->f);
	}
}

void utf8_put_line(FILE *f, const char *s, size_t n, char quote)
{
	struct line l = { .f = f, .quote = quote };

	utf8_each(s, n, put_line, &l);
}
