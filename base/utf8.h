/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 as the report formats carry it (JSON, XML, TAP and its YAML):
 * bytes from a guest, a log or a file name are never trusted to be text,
 * so every writer decodes them here and replaces what its format cannot
 * carry.
 */
#ifndef FPVM_BASE_UTF8_H
#define FPVM_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* U+FFFD REPLACEMENT CHARACTER, for what is not UTF-8. */
#define UTF8_REPLACEMENT	"\xef\xbf\xbd"

/*
 * The length (1-4) of the well-formed UTF-8 sequence at the start of @s
 * (at most @n bytes), its code point in *@cp; 0 when ill-formed: a stray
 * continuation byte, an overlong form, a surrogate, a code point past
 * U+10FFFF or a sequence cut short (RFC 3629, section 4).
 */
unsigned int utf8_decode(const char *s, size_t n, uint32_t *cp);

/* The code point utf8_each() passes for a byte that starts no well-formed sequence. */
#define UTF8_ILL_FORMED	0xffffffffU

/*
 * Calls @put for each code point in @n bytes of @s, with its bytes (@seq,
 * @len) and @arg; a byte that starts no well-formed sequence is passed
 * alone, as UTF8_ILL_FORMED.  Every writer of a format walks text so.
 */
void utf8_each(const char *s, size_t n,
	       void (*put)(const char *seq, unsigned int len, uint32_t c, void *arg), void *arg);

/*
 * @n bytes of @s as one line of printable text (a TAP line, a YAML
 * scalar): ill-formed UTF-8 becomes U+FFFD; what YAML 1.2 does not count
 * as printable (c-printable: control characters other than tab, DEL, C1
 * controls, U+FFFE, U+FFFF) and line breaks become '?'; @quote, unless 0,
 * is doubled (YAML's single-quoted style).
 */
void utf8_put_line(FILE *f, const char *s, size_t n, char quote);

#endif
