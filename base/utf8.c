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

/* YAML 1.2's c-printable, less its line breaks (CR, LF and NEL). */
static int printable(uint32_t c)
{
	return c == '\t' || (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c != 0xfffe && c != 0xffff);
}

void utf8_put_line(FILE *f, const char *s, size_t n, char quote)
{
	while (n) {
		uint32_t c;
		unsigned int len = utf8_decode(s, n, &c);

		if (!len) {
			fputs(UTF8_REPLACEMENT, f);
			len = 1;
		} else if (!printable(c)) {
			fputc('?', f);
		} else {
			if (quote && c == (unsigned char)quote)
				fputc(quote, f);
			fwrite(s, 1, len, f);
		}
		s += len;
		n -= len;
	}
}
