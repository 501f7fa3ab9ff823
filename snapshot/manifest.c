// SPDX-License-Identifier: MIT
/*
 * The manifest's text: "key = value" lines in a fixed order, the parts
 * last, and a final line with the CRC-32C of every byte before it.  It is
 * what makes a directory a snapshot (dir.c writes it last and atomically),
 * so it is parsed strictly: any byte a reader does not expect is an error
 * naming its line, never a guess.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define LINE_MAX_BYTES	1024
#define HASH_SLOTS	(2 * SNAPSHOT_MAX_PARTS)	/* power of two, at most half full */

enum kind { K_FORMAT, K_STR, K_CREATED, K_U32, K_MEM, K_HEX64, K_GEN, K_PART };

/* Every key, in the order it is written; all but part exactly once. */
static const struct key {
	const char *name;
	enum kind kind;
	size_t off;		/* in struct snapshot_manifest */
	size_t size;		/* of a string */
	uint32_t min, max;	/* of a K_U32 */
} keys[] = {
#define F(field) offsetof(struct snapshot_manifest, field)
#define S(field) F(field), sizeof(((struct snapshot_manifest *)0)->field)
	{ "format", K_FORMAT, F(format), 0, 0, 0 },
	{ "fpvm_version", K_STR, S(host.fpvm_version), 0, 0 },
	{ "created", K_CREATED, S(created), 0, 0 },
	{ "reason", K_STR, S(reason), 0, 0 },
	{ "guest", K_STR, S(guest), 0, 0 },
	{ "cpus", K_U32, F(nr_cpus), 0, 1, SNAPSHOT_MAX_CPUS },
	{ "mem_size", K_MEM, F(mem_size), 0, 0, 0 },
	{ "guest_xcr0", K_HEX64, F(guest_xcr0), 0, 0, 0 },
	{ "host_vendor", K_STR, S(host.vendor), 0, 0 },
	{ "host_family", K_U32, F(host.family), 0, 0, UINT32_MAX },
	{ "host_model", K_U32, F(host.model), 0, 0, UINT32_MAX },
	{ "host_stepping", K_U32, F(host.stepping), 0, 0, UINT32_MAX },
	{ "host_model_name", K_STR, S(host.model_name), 0, 0 },
	{ "host_xcr0_supported", K_HEX64, F(host.xcr0_supported), 0, 0, 0 },
	{ "host_xss_supported", K_HEX64, F(host.xss_supported), 0, 0, 0 },
	{ "host_uabi_size", K_U32, F(host.uabi_size), 0, 0, 16U << 20 },
	/* Format 2 on: the directory of the parts, gen-N. */
	{ "generation", K_GEN, F(generation), 0, 1, SNAPSHOT_MAX_GEN },
	{ "part", K_PART, 0, 0, 0, 0 },
#undef S
#undef F
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(sizeof(unsigned int) == sizeof(uint32_t), "K_U32 fields are 32 bits");

void snapshot_manifest_init(struct snapshot_manifest *m)
{
	time_t now = time(NULL);
	struct tm tm;

	memset(m, 0, sizeof(*m));
	m->format = SNAPSHOT_FORMAT;
	if (gmtime_r(&now, &tm))
		strftime(m->created, sizeof(m->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void snapshot_manifest_free(struct snapshot_manifest *m)
{
	free(m->parts);
	m->parts = NULL;
	m->nr_parts = 0;
}

/* ---- formatting ---- */

/*
 * A string field as it goes into the file: one line, whatever the caller
 * put in it.  Tabs stay, as the parser takes them.
 */
static void put_str(FILE *f, const char *s, size_t size)
{
	for (size_t i = 0; i < size && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, f);
	}
}

int snapshot_manifest_format(const struct snapshot_manifest *m, char **text, size_t *len,
			     struct fpvm_error *err)
{
	const unsigned char *base = (const unsigned char *)m;
	bool flat = m->format == SNAPSHOT_FORMAT_FLAT;
	char *buf = NULL, line[32];
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out of memory");
	fprintf(f, "# fpvm snapshot: the parts below, each with its size and CRC-32C\n");
	for (size_t k = 0; k < NR_KEYS; k++) {
		const struct key *key = &keys[k];
		uint32_t u;
		uint64_t q;

		if (key->kind == K_PART)
			break;
		if (key->kind == K_GEN && flat)
			continue;
		fprintf(f, "%s =", key->name);
		switch (key->kind) {
		case K_STR:
		case K_CREATED:
			if (*(const char *)(base + key->off))
				fputc(' ', f);
			put_str(f, (const char *)(base + key->off), key->size);
			break;
		case K_FORMAT:
			/* One this code reads, whatever the caller set. */
			fprintf(f, " %d", flat ? SNAPSHOT_FORMAT_FLAT : SNAPSHOT_FORMAT);
			break;
		case K_GEN:
		case K_U32:
			memcpy(&u, base + key->off, sizeof(u));
			fprintf(f, " %u", u);
			break;
		case K_MEM:
		case K_HEX64:
			memcpy(&q, base + key->off, sizeof(q));
			fprintf(f, key->kind == K_MEM ? " %llu" : " 0x%llx", (unsigned long long)q);
			break;
		case K_PART:
			break;
		}
		fputc('\n', f);
	}
	for (unsigned int i = 0; i < m->nr_parts; i++) {
		fputs("part = ", f);
		put_str(f, m->parts[i].name, sizeof(m->parts[i].name));
		fprintf(f, " %llu 0x%08x\n", (unsigned long long)m->parts[i].size, m->parts[i].crc);
	}
	if (fflush(f)) {
		fclose(f);
		free(buf);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out of memory");
	}
	snprintf(line, sizeof(line), "checksum = 0x%08x\n", crc32c(0, buf, n));
	fputs(line, f);
	if (fclose(f)) {
		free(buf);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out of memory");
	}
	*text = buf;
	*len = n;
	return 0;
}

/* ---- parsing ---- */

struct parser {
	unsigned int line;
	unsigned int seen[NR_KEYS];	/* the line each key was on */
	unsigned int memory_line;
	uint16_t *slots;		/* part names: index + 1, open addressing */
	struct snapshot_manifest *m;
	struct fpvm_error *err;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest line %u: %s",
			 p->line, msg);
}

/* Digits only, no sign, no blank; 0, -EINVAL or -ERANGE. */
static int parse_dec(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* "0x" and hex digits. */
static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s[0] != '0' || s[1] != 'x' || !s[2])
		return -EINVAL;
	for (s += 2; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v >> 60)
			return -ERANGE;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* 2026-12-01T11:22:33Z, the shape and the digits; the calendar is the writer's. */
static bool is_utc_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return false;
	return !s[sizeof(shape) - 1];
}

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261U;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619U;
	return h;
}

static int parse_part(struct parser *p, char *v)
{
	struct snapshot_manifest *m = p->m;
	char *tok[4], *save = NULL;
	uint64_t size, crc;
	unsigned int nt = 0, slot;
	int r;

	for (char *t = strtok_r(v, " \t", &save); t && nt < 4; t = strtok_r(NULL, " \t", &save))
		tok[nt++] = t;
	if (nt != 3)
		return fail(p, "part: not 'NAME SIZE CRC'");
	if (!snapshot_part_name_valid(tok[0]))
		return fail(p, "part '%.*s': not a part name (A-Z a-z 0-9 . _ -, at most %d, no "
			    "leading '.', not manifest)", SNAPSHOT_NAME_MAX, tok[0],
			    SNAPSHOT_NAME_MAX - 1);
	if (parse_dec(tok[1], &size))
		return fail(p, "part %s: size %.24s: not a number of bytes", tok[0], tok[1]);
	if (parse_hex(tok[2], &crc) || crc > UINT32_MAX)
		return fail(p, "part %s: crc %.24s: not a hex number of 32 bits", tok[0], tok[2]);
	if (strcmp(tok[0], SNAPSHOT_MEMORY) && size > SNAPSHOT_MAX_PART_SIZE)
		return fail(p, "part %s: %llu bytes, more than the %llu MiB a part may have",
			    tok[0], (unsigned long long)size, SNAPSHOT_MAX_PART_SIZE >> 20);
	if (!p->slots) {
		p->slots = calloc(HASH_SLOTS, sizeof(*p->slots));
		if (!p->slots)
			return fpvm_fail(p->err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out "
					 "of memory");
	}
	for (slot = hash_name(tok[0]) & (HASH_SLOTS - 1); p->slots[slot];
	     slot = (slot + 1) & (HASH_SLOTS - 1))
		if (!strcmp(m->parts[p->slots[slot] - 1].name, tok[0]))
			return fail(p, "part %s: listed twice", tok[0]);
	r = snapshot_part_append(m, tok[0], size, (uint32_t)crc);
	if (r == -ENOMEM)
		return fpvm_fail(p->err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out of "
				 "memory");
	if (r)
		return fail(p, "part %s: more than %d parts", tok[0], SNAPSHOT_MAX_PARTS);
	p->slots[slot] = (uint16_t)m->nr_parts;
	if (!strcmp(tok[0], SNAPSHOT_MEMORY))
		p->memory_line = p->line;
	return 0;
}

static int parse_value(struct parser *p, const struct key *key, char *v)
{
	unsigned char *field = (unsigned char *)p->m + key->off;
	uint64_t q;
	uint32_t u;

	switch (key->kind) {
	case K_FORMAT:
		if (parse_dec(v, &q) || q > UINT32_MAX)
			return fail(p, "format: not a number");
		if (q != SNAPSHOT_FORMAT && q != SNAPSHOT_FORMAT_FLAT)
			return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: "
					 "format %llu; this fpvm reads formats %d and %d",
					 (unsigned long long)q, SNAPSHOT_FORMAT_FLAT, SNAPSHOT_FORMAT);
		p->m->format = (unsigned int)q;
		return 0;
	case K_CREATED:
		if (!is_utc_time(v))
			return fail(p, "created: not a UTC time like 2026-12-01T11:22:33Z");
		/* fall through */
	case K_STR:
		if (strlen(v) >= key->size)
			return fail(p, "%s: longer than %zu bytes", key->name, key->size - 1);
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case K_GEN:
		if (p->m->format == SNAPSHOT_FORMAT_FLAT)
			return fail(p, "generation: not in a format %d manifest",
				    SNAPSHOT_FORMAT_FLAT);
		/* fall through */
	case K_U32:
		if (parse_dec(v, &q) || q < key->min || q > key->max)
			return fail(p, "%s: not a number from %u to %u", key->name, key->min,
				    key->max);
		u = (uint32_t)q;
		memcpy(field, &u, sizeof(u));
		return 0;
	case K_MEM:
		if (parse_dec(v, &q) || !q || q % SNAPSHOT_PAGE_SIZE || q > SNAPSHOT_MAX_MEM)
			return fail(p, "mem_size: not a non-zero multiple of %d of at most 1 TiB",
				    SNAPSHOT_PAGE_SIZE);
		memcpy(field, &q, sizeof(q));
		return 0;
	case K_HEX64:
		if (parse_hex(v, &q))
			return fail(p, "%s: not a hex number of 64 bits (0x...)", key->name);
		memcpy(field, &q, sizeof(q));
		return 0;
	case K_PART:
		return parse_part(p, v);
	}
	return 0;
}

/*
 * Splits one line (no newline) into key and value, in place.  Returns 1 for
 * a line to skip, 0 with *key and *value, or an error.
 */
static int split_line(struct parser *p, char *s, size_t len, char **key, char **value)
{
	char *v, *end;

	if (len > LINE_MAX_BYTES)
		return fail(p, "longer than %d bytes", LINE_MAX_BYTES);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!c)
			return fail(p, "a NUL byte");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(p, "a control character (0x%02x)", c);
	}
	s[len] = '\0';
	if (!len || s[0] == '#')
		return 1;
	for (v = s; (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '_'; v++)
		;
	end = v;
	while (*v == ' ' || *v == '\t')
		v++;
	if (end == s || *v != '=')
		return fail(p, "not a 'key = value' line");
	*end = '\0';
	for (v++; *v == ' ' || *v == '\t'; v++)
		;
	for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	*key = s;
	*value = v;
	return 0;
}

static int parse_line(struct parser *p, char *s, size_t len)
{
	char *key, *value;
	size_t k;
	int r = split_line(p, s, len, &key, &value);

	if (r)
		return r > 0 ? 0 : r;
	if (!strcmp(key, "checksum"))
		return fail(p, "checksum: not the last line");
	for (k = 0; k < NR_KEYS && strcmp(keys[k].name, key); k++)
		;
	if (k == NR_KEYS)
		return fail(p, "%.32s: unknown key", key);
	/* The format first: a newer one may have keys this fpvm does not know. */
	if (!p->seen[0] && k)
		return fail(p, "%s: the first key must be format", key);
	if (p->seen[k] && keys[k].kind != K_PART)
		return fail(p, "%s: given twice (first on line %u)", key, p->seen[k]);
	if (!p->seen[k])
		p->seen[k] = p->line;
	return parse_value(p, &keys[k], value);
}

/*
 * The checksum line: last, and over every byte before it.  Checked before
 * anything else, so that damage is reported as damage and not as whatever
 * rule the damaged byte happens to break; every format ends this way.
 */
static int check_sum(struct parser *p, char *text, size_t len, size_t *body)
{
	size_t end = len, start, lines = 0;
	char *key, *value;
	uint64_t want;
	int r;

	if (text[end - 1] == '\n')
		end--;
	for (start = end; start && text[start - 1] != '\n'; start--)
		;
	for (size_t i = 0; i < start; i++)
		lines += text[i] == '\n';
	p->line = (unsigned int)lines + 1;
	if (end - start < 8 || memcmp(text + start, "checksum", 8))
		return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: the last "
				 "line is not its checksum (truncated?)");
	r = split_line(p, text + start, end - start, &key, &value);
	if (r > 0 || (!r && strcmp(key, "checksum")))
		return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: the last "
				 "line is not its checksum (truncated?)");
	if (r)
		return r;
	if (parse_hex(value, &want) || want > UINT32_MAX)
		return fail(p, "checksum: not a hex number of 32 bits");
	if (crc32c(0, text, start) != want)
		return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: checksum "
				 "mismatch (damaged or edited)");
	*body = start;
	return 0;
}

static int parse_text(struct parser *p, char *text, size_t len)
{
	size_t body = 0, pos = 0;
	int r;

	if (!len)
		return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: empty");
	if (len > SNAPSHOT_MANIFEST_MAX)
		return fpvm_fail(p->err, FPVM_ERR_INPUT, EFBIG, "snapshot: manifest: %zu bytes, "
				 "more than the 1 MiB a manifest may have", len);
	r = check_sum(p, text, len, &body);
	if (r)
		return r;
	p->line = 0;
	while (pos < body) {
		char *nl = memchr(text + pos, '\n', body - pos);	/* body ends in one */

		p->line++;
		r = parse_line(p, text + pos, (size_t)(nl - (text + pos)));
		if (r)
			return r;
		pos = (size_t)(nl - text) + 1;
	}
	for (size_t k = 0; k < NR_KEYS; k++)
		if (!p->seen[k] && keys[k].kind != K_PART &&
		    !(keys[k].kind == K_GEN && p->m->format == SNAPSHOT_FORMAT_FLAT))
			return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: "
					 "no %s line", keys[k].name);
	if (p->memory_line) {
		const struct snapshot_part *mem = snapshot_part_find(p->m, SNAPSHOT_MEMORY);

		p->line = p->memory_line;
		if (mem->size != p->m->mem_size)
			return fail(p, "part memory: %llu bytes, but mem_size is %llu",
				    (unsigned long long)mem->size,
				    (unsigned long long)p->m->mem_size);
	}
	return 0;
}

int snapshot_manifest_parse(const char *text, size_t len, struct snapshot_manifest *m,
			    struct fpvm_error *err)
{
	struct parser p = { .m = m, .err = err };
	char *copy = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	/* A copy to cut into lines, bounded before it is made. */
	if (len && len <= SNAPSHOT_MANIFEST_MAX) {
		copy = malloc(len + 1);
		if (!copy)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out of "
					 "memory");
		memcpy(copy, text, len);
		copy[len] = '\0';
	}
	r = parse_text(&p, copy, len);
	free(p.slots);
	free(copy);
	if (r) {
		snapshot_manifest_free(m);
		memset(m, 0, sizeof(*m));
	}
	return r;
}
