// SPDX-License-Identifier: MIT
/* The one JSON helper fpvm needs: a quoted, escaped string. */
#include <string.h>

#include "json.h"
#include "utf8.h"

/* RFC 8259 section 8.1: JSON text is UTF-8; what is not becomes U+FFFD. */
static void put_json(const char *seq, unsigned int len, uint32_t c, void *f)
{
	if (c == UTF8_ILL_FORMED)
		fputs("\\ufffd", f);
	else if (c == '"' || c == '\\')
		fprintf(f, "\\%c", (char)c);
	else if (c < 0x20)
		fprintf(f, "\\u%04x", (unsigned int)c);
	else
		fwrite(seq, 1, len, f);
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	utf8_each(s, strlen(s), put_json, f);
	fputc('"', f);
}
