// SPDX-License-Identifier: MIT
/* The one JSON helper fpvm needs: a quoted, escaped string. */
#include <string.h>

#include "json.h"
#include "utf8.h"

void json_str(FILE *f, const char *s)
{
	size_t n = strlen(s);

	fputc('"', f);
	while (n) {
		uint32_t c;
		unsigned int len = utf8_decode(s, n, &c);

		/* RFC 8259 section 8.1: JSON text is UTF-8; what is not becomes U+FFFD. */
		if (!len) {
			fputs("\\ufffd", f);
			len = 1;
		} else if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", (char)c);
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", (unsigned int)c);
		} else {
			fwrite(s, 1, len, f);
		}
		s += len;
		n -= len;
	}
	fputc('"', f);
}
