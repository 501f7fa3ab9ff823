// SPDX-License-Identifier: MIT
/*
 * Reading JSON (RFC 8259) into a tree: fpvm reads back its own reports
 * (fpvm test --merge, --shard-timings).  Strict: what RFC 8259 does not
 * allow (ill-formed UTF-8 included) is an error naming its byte offset,
 * never a guess.  A string
 * holding U+0000 is refused, since every consumer wants C strings.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

#define JSON_MAX_DEPTH	64	/* fpvm's reports nest 4 deep */

struct reader {
	const char *p, *start, *end;
	char *msg;
	size_t msg_size;
	unsigned int depth;
};

static int fail(struct reader *r, const char *fmt, ...)
{
	char what[120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->msg, r->msg_size, "byte %zu: %s", (size_t)(r->p - r->start), what);
	return -EINVAL;
}

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hex4(struct reader *r, unsigned int *out)
{
	*out = 0;
	if (r->end - r->p < 4)
		return fail(r, "a short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;

		*out <<= 4;
		if (c >= '0' && c <= '9')
			*out |= (unsigned int)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*out |= (unsigned int)((c | 0x20) - 'a' + 10);
		else
			return fail(r, "a bad \\u escape");
	}
	return 0;
}

static char *put_utf8(char *o, unsigned int c)
{
	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xc0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | c >> 12);
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | c >> 18);
		*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	return o;
}

/* An escape after its backslash; a lone surrogate becomes U+FFFD, as fpvm writes it. */
static int escape(struct reader *r, char **o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned int c, lo;

	if (r->p == r->end)
		return fail(r, "an unterminated string");
	e = strchr(from, *r->p);
	if (*r->p && e) {
		r->p++;
		*(*o)++ = to[e - from];
		return 0;
	}
	if (*r->p++ != 'u')
		return fail(r, "a bad escape");
	if (hex4(r, &c))
		return -EINVAL;
	if (c == 0)
		return fail(r, "a NUL character in a string");
	if (c >= 0xd800 && c < 0xdc00 && r->end - r->p >= 6 && r->p[0] == '\\' &&
	    r->p[1] == 'u') {
		r->p += 2;
		if (hex4(r, &lo))
			return -EINVAL;
		if (lo >= 0xdc00 && lo < 0xe000)
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		else
			r->p -= 6, c = 0xfffd;
	} else if (c >= 0xd800 && c < 0xe000) {
		c = 0xfffd;
	}
	*o = put_utf8(*o, c);
	return 0;
}

static int string(struct reader *r, char **out)
{
	const char *q = ++r->p;
	char *buf, *o;

	/* Escapes only shrink: the raw length is room enough. */
	while (q < r->end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (q >= r->end)
		return fail(r, "an unterminated string");
	buf = o = malloc((size_t)(q - r->p) + 1);
	if (!buf)
		return -ENOMEM;
	while (*r->p != '"') {
		unsigned char c = (unsigned char)*r->p;

		if (c < 0x20) {
			free(buf);
			return fail(r, "a control character in a string");
		}
		if (c != '\\') {
			/* RFC 8259 section 8.1: JSON text is UTF-8; what is not is refused. */
			uint32_t cp;
			unsigned int len = utf8_decode(r->p, (size_t)(r->end - r->p), &cp);

			if (!len) {
				free(buf);
				return fail(r, "a string that is not UTF-8");
			}
			memcpy(o, r->p, len);
			o += len;
			r->p += len;
			continue;
		}
		r->p++;
		if (escape(r, &o)) {
			free(buf);
			return -EINVAL;
		}
	}
	r->p++;
	*o = '\0';
	*out = buf;
	return 0;
}

static int number(struct reader *r, struct json *v)
{
	const char *s = r->p;
	char tmp[64];

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p == r->end || *r->p < '0' || *r->p > '9')
		return fail(r, "a bad value");
	if (*r->p == '0' && r->p + 1 < r->end && r->p[1] >= '0' && r->p[1] <= '9')
		return fail(r, "a number with a leading zero");
	while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || strchr(".eE+-", *r->p)))
		r->p++;
	if ((size_t)(r->p - s) >= sizeof(tmp))
		return fail(r, "a number too long");
	memcpy(tmp, s, (size_t)(r->p - s));
	tmp[r->p - s] = '\0';
	{
		char *end;

		v->type = JSON_NUMBER;
		v->num = strtod(tmp, &end);
		if (*end) {
			r->p = s;
			return fail(r, "a bad number");
		}
	}
	return 0;
}

static int value(struct reader *r, struct json *v);

static int add(struct reader *r, struct json *v, char *key)
{
	struct json *items;
	char **keys = v->keys;

	if (v->nr % 16 == 0) {
		items = realloc(v->items, (v->nr + 16) * sizeof(*items));
		if (!items)
			return -ENOMEM;
		v->items = items;
		if (v->type == JSON_OBJECT) {
			keys = realloc(v->keys, (v->nr + 16) * sizeof(*keys));
			if (!keys)
				return -ENOMEM;
			v->keys = keys;
		}
	}
	memset(&v->items[v->nr], 0, sizeof(v->items[0]));
	if (keys)
		keys[v->nr] = key;
	v->nr++;
	return value(r, &v->items[v->nr - 1]);
}

/* An array or an object after its opening bracket. */
static int container(struct reader *r, struct json *v, char close)
{
	if (++r->depth > JSON_MAX_DEPTH)
		return fail(r, "nested deeper than %d", JSON_MAX_DEPTH);
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		int e;

		skip_ws(r);
		if (close == '}') {
			if (r->p == r->end || *r->p != '"')
				return fail(r, "expected a key");
			e = string(r, &key);
			if (e)
				return e;
			skip_ws(r);
			if (r->p == r->end || *r->p != ':') {
				free(key);
				return fail(r, "expected ':'");
			}
			r->p++;
		}
		e = add(r, v, key);
		if (e)
			return e;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			r->depth--;
			return 0;
		}
		return fail(r, "expected ',' or '%c'", close);
	}
}

static int word(struct reader *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
		return fail(r, "a bad value");
	r->p += n;
	return 0;
}

static int value(struct reader *r, struct json *v)
{
	skip_ws(r);
	if (r->p == r->end)
		return fail(r, "a value expected, the end found");
	switch (*r->p) {
	case '{':
		r->p++;
		v->type = JSON_OBJECT;
		return container(r, v, '}');
	case '[':
		r->p++;
		v->type = JSON_ARRAY;
		return container(r, v, ']');
	case '"':
		v->type = JSON_STRING;
		return string(r, &v->str);
	case 't':
		v->type = JSON_BOOL;
		v->b = true;
		return word(r, "true");
	case 'f':
		v->type = JSON_BOOL;
		return word(r, "false");
	case 'n':
		v->type = JSON_NULL;
		return word(r, "null");
	default:
		return number(r, v);
	}
}

int json_parse(const char *text, size_t len, struct json *v, char *msg, size_t msg_size)
{
	struct reader r = { text, text, text + len, msg, msg_size, 0 };
	int e;

	memset(v, 0, sizeof(*v));
	e = value(&r, v);
	if (!e) {
		skip_ws(&r);
		if (r.p != r.end)
			e = fail(&r, "text after the value");
	}
	if (e == -ENOMEM)
		snprintf(msg, msg_size, "out of memory");
	if (e)
		json_free(v);
	return e;
}

void json_free(struct json *v)
{
	for (unsigned int i = 0; i < v->nr; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const struct json *json_get(const struct json *v, const char *key, enum json_type type)
{
	if (v->type != JSON_OBJECT)
		return NULL;
	for (unsigned int i = 0; i < v->nr; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i].type == type ? &v->items[i] : NULL;
	return NULL;
}
