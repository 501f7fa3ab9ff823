// SPDX-License-Identifier: MIT
/*
 * The manifest: "key = value" lines in a fixed order, the parts last, and a
 * final line with the CRC-32C of every byte before it.  It is what makes a
 * directory a snapshot, so it is written last and atomically, and read
 * strictly: any byte a reader does not expect is an error naming its line,
 * never a guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/json.h"
#include "../fpstate/fpstate.h"
#include "snapshot.h"

#define LINE_MAX_BYTES	1024
#define HASH_SLOTS	(2 * SNAPSHOT_MAX_PARTS)	/* power of two, at most half full */

enum kind { K_FORMAT, K_STR, K_CREATED, K_U32, K_MEM, K_HEX64, K_PART };

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

/* ---- writing ---- */

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
		fprintf(f, "%s =", key->name);
		switch (key->kind) {
		case K_STR:
		case K_CREATED:
			if (*(const char *)(base + key->off))
				fputc(' ', f);
			put_str(f, (const char *)(base + key->off), key->size);
			break;
		case K_FORMAT:
			/* What this code writes, whatever the caller set. */
			fprintf(f, " %d", SNAPSHOT_FORMAT);
			break;
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

int snapshot_manifest_write(int dirfd, const struct snapshot_manifest *m, struct fpvm_error *err)
{
	struct snapshot_manifest check;
	size_t len;
	char *text;
	int r = snapshot_manifest_format(m, &text, &len, err);

	if (r)
		return r;
	/* What this fpvm would refuse to read is not worth a snapshot. */
	r = snapshot_manifest_parse(text, len, &check, err);
	if (r) {
		free(text);
		err->cls = FPVM_ERR_OUTPUT;
		return r;
	}
	snapshot_manifest_free(&check);
	r = snapshot_file_write(dirfd, "manifest.tmp", text, len);
	free(text);
	if (!r && renameat(dirfd, "manifest.tmp", dirfd, "manifest"))
		r = -errno;
	/* The rename itself on the disk: the snapshot is there after a crash. */
	if (!r && fsync(dirfd))
		r = -errno;
	if (r)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: manifest: %s", strerror(-r));
	return 0;
}

/* ---- reading ---- */

int snapshot_manifest_read(int dirfd, struct snapshot_manifest *m, struct fpvm_error *err)
{
	int fd = openat(dirfd, "manifest", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = 0;
	struct stat st;
	char *text;
	int r;

	memset(m, 0, sizeof(*m));
	if (fd < 0 && errno == ENOENT)
		return fpvm_fail(err, FPVM_ERR_INPUT, ENOENT, "snapshot: manifest: missing (not a "
				 "snapshot, or one whose writing did not finish)");
	if (fd < 0)
		return fpvm_fail(err, FPVM_ERR_INPUT, errno, "snapshot: manifest: %s",
				 strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: not a regular "
				 "file");
	}
	if (st.st_size > SNAPSHOT_MANIFEST_MAX) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EFBIG, "snapshot: manifest: %lld bytes, more "
				 "than the 1 MiB a manifest may have", (long long)st.st_size);
	}
	/* One byte more than allowed, to see a file that grew meanwhile. */
	text = malloc(SNAPSHOT_MANIFEST_MAX + 1);
	if (!text) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: manifest: out of memory");
	}
	while (len <= SNAPSHOT_MANIFEST_MAX) {
		ssize_t n = read(fd, text + len, SNAPSHOT_MANIFEST_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno;
			close(fd);
			free(text);
			return fpvm_fail(err, FPVM_ERR_INPUT, r, "snapshot: manifest: %s",
					 strerror(r));
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = snapshot_manifest_parse(text, len, m, err);
	free(text);
	return r;
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
		if (q != SNAPSHOT_FORMAT)
			return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "snapshot: manifest: "
					 "format %llu; this fpvm reads format %d",
					 (unsigned long long)q, SNAPSHOT_FORMAT);
		p->m->format = SNAPSHOT_FORMAT;
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
		if (!p->seen[k] && keys[k].kind != K_PART)
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

/* ---- printing ---- */

static void print_json(FILE *f, const struct snapshot_manifest *m)
{
	const struct snapshot_host *h = &m->host;

	fprintf(f, "{\"format\": %u, \"fpvm_version\": ", m->format);
	json_str(f, h->fpvm_version);
	fputs(", \"created\": ", f);
	json_str(f, m->created);
	fputs(", \"reason\": ", f);
	json_str(f, m->reason);
	fputs(", \"guest\": ", f);
	json_str(f, m->guest);
	fprintf(f, ", \"cpus\": %u, \"mem_size\": %llu, \"guest_xcr0\": \"0x%llx\", "
		"\"host_vendor\": ", m->nr_cpus, (unsigned long long)m->mem_size,
		(unsigned long long)m->guest_xcr0);
	json_str(f, h->vendor);
	fprintf(f, ", \"host_family\": %u, \"host_model\": %u, \"host_stepping\": %u, "
		"\"host_model_name\": ", h->family, h->model, h->stepping);
	json_str(f, h->model_name);
	fprintf(f, ", \"host_xcr0_supported\": \"0x%llx\", \"host_xss_supported\": \"0x%llx\", "
		"\"host_uabi_size\": %u, \"parts\": [", (unsigned long long)h->xcr0_supported,
		(unsigned long long)h->xss_supported, h->uabi_size);
	for (unsigned int i = 0; i < m->nr_parts; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", f);
		json_str(f, m->parts[i].name);
		fprintf(f, ", \"size\": %llu, \"crc\": \"0x%08x\"}",
			(unsigned long long)m->parts[i].size, m->parts[i].crc);
	}
	fputc(']', f);
}

static void print_text(FILE *f, const struct snapshot_manifest *m)
{
	const struct snapshot_host *h = &m->host;
	char names[256];

	fprintf(f, "snapshot:  format %u, written by fpvm %s at %s (%s)\n", m->format,
		h->fpvm_version[0] ? h->fpvm_version : "?", m->created,
		m->reason[0] ? m->reason : "no reason given");
	fprintf(f, "guest:     %s: %u vCPU%s, %llu MiB, XCR0 0x%llx (%s)\n",
		m->guest[0] ? m->guest : "?", m->nr_cpus, m->nr_cpus == 1 ? "" : "s",
		(unsigned long long)(m->mem_size >> 20), (unsigned long long)m->guest_xcr0,
		xfeatures_str(m->guest_xcr0, names, sizeof(names)));
	fprintf(f, "host:      %s family %u model %u stepping %u%s%s\n",
		h->vendor[0] ? h->vendor : "?", h->family, h->model, h->stepping,
		h->model_name[0] ? ", " : "", h->model_name);
	fprintf(f, "host KVM:  XCR0 0x%llx, XSS 0x%llx, XSAVE buffer %u bytes\n",
		(unsigned long long)h->xcr0_supported, (unsigned long long)h->xss_supported,
		h->uabi_size);
	fprintf(f, "parts:     %u\n", m->nr_parts);
	for (unsigned int i = 0; i < m->nr_parts; i++)
		fprintf(f, "  %-24s %14llu  0x%08x\n", m->parts[i].name,
			(unsigned long long)m->parts[i].size, m->parts[i].crc);
}

void snapshot_manifest_print(FILE *f, const struct snapshot_manifest *m, bool json)
{
	if (json)
		print_json(f, m);
	else
		print_text(f, m);
}
