/* SPDX-License-Identifier: MIT */
/*
 * JSON as fpvm writes it: a quoted, escaped string, always valid UTF-8
 * whatever bytes it is given (ill-formed sequences become U+FFFD); and as
 * fpvm reads its own reports back: a strict parser into a tree.
 */
#ifndef FPVM_BASE_JSON_H
#define FPVM_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

void json_str(FILE *f, const char *s);

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool b;
	double num;
	char *str;		/* UTF-8 as the text holds it, escapes decoded */
	struct json *items;	/* an array's elements or an object's values */
	char **keys;		/* an object's keys, one per item */
	unsigned int nr;
};

/*
 * Parses @len bytes of @text into @v (json_free() it).  Returns 0, or
 * -EINVAL with "byte N: problem" in @msg, or -ENOMEM.
 */
int json_parse(const char *text, size_t len, struct json *v, char *msg, size_t msg_size);
void json_free(struct json *v);
/* Object @v's member @key when it has @type; NULL otherwise. */
const struct json *json_get(const struct json *v, const char *key, enum json_type type);

#endif
