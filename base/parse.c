// SPDX-License-Identifier: MIT
/* Numbers as users write them (parse.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 20;	/* plain numbers are MiB, as in QEMU's -m */
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_seconds_ms(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	/*
	 * Decimal only: strtod() would also take a sign, leading blanks, hex
	 * floats, "inf" and "nan", none of which a user means as seconds.
	 */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.') || s[strspn(s, "0123456789.eE+-")])
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	/* An underflow (1e-400) is 0 s, which callers refuse; an overflow is too large. */
	if ((errno == ERANGE && v != 0) || v > 1e7)
		return -ERANGE;
	*ms = (uint64_t)ceil(v * 1000.0);
	return 0;
}
