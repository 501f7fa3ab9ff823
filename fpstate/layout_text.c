// SPDX-License-Identifier: MIT
/*
 * The .layout text (v1) that travels with a saved .xsave image: sizes,
 * features and the CPUID leaf 0xD layout that decode it on any machine.
 * Text in memory, both ways, so that a snapshot can carry it as a part
 * and fpstate/file.c can read and write it as a file.
 *
 * The text is "key = value" lines, '#' comments and blank lines.  The
 * parser is strict, since a layout decides where a decoder reads and what
 * a restore loads into a vCPU: every number in its range with nothing
 * after it, every key exactly once (a component line once per bit), no
 * line longer than LAYOUT_LINE_MAX; then the layout as a whole must be one
 * the architecture allows (layout_check()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpstate.h"

/* Bytes in a line, its newline not counted: fpvm writes none of even 64. */
#define LAYOUT_LINE_MAX		256
/* An image and a CPUID maximum size: the largest today's parts have is 11 KiB. */
#define LAYOUT_SIZE_MAX		(16U << 20)
/* vCPU numbers: above fpvm's own limit of 1024, with room for KVM's ids. */
#define LAYOUT_VCPU_MAX		4095

char *fpstate_layout_format(const struct fpstate *fps, uint64_t xcr0, int vcpu, size_t *len)
{
	const struct xstate_layout *l = fps->layout;
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f)
		return NULL;
	fprintf(f, "# fpvm fpstate layout v1: describes vcpu%d.xsave\n", vcpu);
	fprintf(f, "vcpu = %d\nsize = %u\nis_guest = %d\nxcr0 = 0x%llx\nxfeatures = 0x%llx\n",
		vcpu, fps->size, fps->is_guest, (unsigned long long)xcr0,
		(unsigned long long)fps->xfeatures);
	fprintf(f, "xcr0_supported = 0x%llx\nxss_supported = 0x%llx\nxsave_features = 0x%x\n"
		"max_size = %u\nmxcsr_mask = 0x%x\n", (unsigned long long)l->xcr0_supported,
		(unsigned long long)l->xss_supported, l->xsave_features, l->max_size,
		l->mxcsr_mask);
	fprintf(f, "# component = bit offset size flags\n");
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if (l->comp[bit].size)
			fprintf(f, "component = %u %u %u 0x%x\n", bit, l->comp[bit].offset,
				l->comp[bit].size, l->comp[bit].flags);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	if (len)
		*len = n;
	return text;
}

enum layout_key {
	KEY_VCPU, KEY_SIZE, KEY_IS_GUEST, KEY_XCR0, KEY_XFEATURES, KEY_XCR0_SUPPORTED,
	KEY_XSS_SUPPORTED, KEY_XSAVE_FEATURES, KEY_MAX_SIZE, KEY_MXCSR_MASK, KEY_COMPONENT,
	NR_KEYS
};

/* A number of the text: its base (as fpvm writes it) and range. */
struct number_rule {
	const char *name;
	bool hex;
	uint64_t min, max;
};

static const struct number_rule keys[NR_KEYS] = {
	[KEY_VCPU] = { "vcpu", false, 0, LAYOUT_VCPU_MAX },
	[KEY_SIZE] = { "size", false, XSAVE_EXT_OFFSET, LAYOUT_SIZE_MAX },
	[KEY_IS_GUEST] = { "is_guest", false, 0, 1 },
	[KEY_XCR0] = { "xcr0", true, 0, UINT64_MAX },
	[KEY_XFEATURES] = { "xfeatures", true, 0, UINT64_MAX },
	[KEY_XCR0_SUPPORTED] = { "xcr0_supported", true, 0, UINT64_MAX },
	[KEY_XSS_SUPPORTED] = { "xss_supported", true, 0, UINT64_MAX },
	[KEY_XSAVE_FEATURES] = { "xsave_features", true, 0, UINT32_MAX },
	[KEY_MAX_SIZE] = { "max_size", false, 0, LAYOUT_SIZE_MAX },
	[KEY_MXCSR_MASK] = { "mxcsr_mask", true, 0, UINT32_MAX },
	[KEY_COMPONENT] = { "component", false, 0, 0 },
};

/* The fields of a component line: "component = bit offset size flags". */
static const struct number_rule comp_fields[4] = {
	{ "component bit", false, 2, XFEATURE_MAX - 1 },
	{ "component offset", false, 0, LAYOUT_SIZE_MAX },
	{ "component size", false, 1, LAYOUT_SIZE_MAX },
	{ "component flags", true, 0, XCOMP_SUPERVISOR | XCOMP_ALIGNED | XCOMP_XFD },
};

struct parser {
	const char *name;
	struct fpstate_file *sf;
	struct fpstate_error *err;
	unsigned int lineno;
	unsigned int key_line[NR_KEYS];		/* where each key was; 0: not yet */
	unsigned int comp_line[XFEATURE_MAX];
};

/* Fails the parse with "NAME:LINE: message" (@lineno 0: "NAME: message"). */
static int __attribute__((format(printf, 3, 4)))
fail(struct parser *ps, unsigned int lineno, const char *fmt, ...)
{
	char msg[sizeof(ps->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!lineno)
		return fpstate_error_set(ps->err, "%s: %s", ps->name, msg);
	return fpstate_error_set(ps->err, "%s:%u: %s", ps->name, lineno, msg);
}

/* How much of a token a message quotes: a line may be 256 bytes of junk. */
static int quoted(size_t n)
{
	return n > 32 ? 32 : (int)n;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A token of a line: a run of anything but blanks. */
struct token {
	const char *s;
	size_t n;
};

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && blank(*p))
		p++;
	return p;
}

static const char *next_token(const char *p, const char *end, struct token *t)
{
	p = skip_blanks(p, end);
	t->s = p;
	while (p < end && !blank(*p))
		p++;
	t->n = (size_t)(p - t->s);
	return p;
}

/*
 * An unsigned number with nothing before or after it: decimal digits, or
 * hex digits with an optional 0x.  -EINVAL if it is no such number,
 * -ERANGE if it is one above UINT64_MAX.
 */
static int parse_number(const struct token *t, bool hex, uint64_t *out)
{
	const char *s = t->s, *end = t->s + t->n;
	unsigned int base = hex ? 16 : 10;
	uint64_t v = 0;

	if (hex && end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (hex && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (hex && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* One number by @rule; the message names the line, the field and the text. */
static int field(struct parser *ps, const struct number_rule *rule, const struct token *t,
		 uint64_t *v)
{
	int r;

	if (!t->n)
		return fail(ps, ps->lineno, "%s: no value", rule->name);
	r = parse_number(t, rule->hex, v);
	if (r == -EINVAL)
		return fail(ps, ps->lineno, "%s: '%.*s' is not a %s number", rule->name,
			    quoted(t->n), t->s, rule->hex ? "hexadecimal" : "decimal");
	if (r || *v < rule->min || *v > rule->max)
		return fail(ps, ps->lineno, rule->hex ?
			    "%s %.*s is out of range (0x%llx to 0x%llx)" :
			    "%s %.*s is out of range (%llu to %llu)", rule->name, quoted(t->n),
			    t->s, (unsigned long long)rule->min, (unsigned long long)rule->max);
	return 0;
}

static int after_value(struct parser *ps, const char *what, const char *p, const char *end)
{
	struct token t;

	next_token(p, end, &t);
	if (t.n)
		return fail(ps, ps->lineno, "%s: '%.*s' after the value", what, quoted(t.n), t.s);
	return 0;
}

/* Where a component lies in the standard format, as the architecture fixes it. */
static int component_line(struct parser *ps, const char *p, const char *end)
{
	struct xstate_component *c;
	uint64_t v[4];
	struct token t;
	unsigned int bit;
	uint32_t arch;
	bool sup;
	int r;

	for (unsigned int i = 0; i < 4; i++) {
		p = next_token(p, end, &t);
		r = field(ps, &comp_fields[i], &t, &v[i]);
		if (r)
			return r;
	}
	r = after_value(ps, "component", p, end);
	if (r)
		return r;
	bit = (unsigned int)v[0];
	if (ps->comp_line[bit])
		return fail(ps, ps->lineno, "component %u (%s) again (first on line %u)", bit,
			    xfeature_name(bit), ps->comp_line[bit]);
	ps->comp_line[bit] = ps->lineno;
	c = &ps->sf->layout.comp[bit];
	*c = (struct xstate_component){ (uint32_t)v[2], (uint32_t)v[1], (uint32_t)v[3] };
	arch = xstate_arch_size(bit);
	sup = c->flags & XCOMP_SUPERVISOR;
	/* Supervisor state has no place in the standard format: CPUID 0xD gives it offset 0. */
	if (sup && c->offset)
		return fail(ps, ps->lineno, "component %u (%s): a supervisor component at "
			    "offset %u (it has none in the standard format)", bit,
			    xfeature_name(bit), c->offset);
	if (!sup && c->offset < XSAVE_EXT_OFFSET)
		return fail(ps, ps->lineno, "component %u (%s): offset %u is inside the legacy "
			    "area and header (components start at %u)", bit, xfeature_name(bit),
			    c->offset, XSAVE_EXT_OFFSET);
	if (arch && (c->size != arch || sup))
		return fail(ps, ps->lineno, "component %u (%s): %s of %u bytes; the architecture's "
			    "is a user component of %u", bit, xfeature_name(bit),
			    sup ? "supervisor" : "size", c->size, arch);
	/* SDM vol. 1, 13.4.2: AVX state is at 576 in the standard format, on every part. */
	if (bit == XFEATURE_YMM && c->offset != XSAVE_EXT_OFFSET)
		return fail(ps, ps->lineno, "component 2 (avx): offset %u, not %u", c->offset,
			    XSAVE_EXT_OFFSET);
	return 0;
}

static void set_key(struct fpstate_file *sf, enum layout_key k, uint64_t v)
{
	switch (k) {
	case KEY_VCPU: sf->vcpu = (int)v; break;
	case KEY_SIZE: sf->size = (uint32_t)v; break;
	case KEY_IS_GUEST: sf->is_guest = v; break;
	case KEY_XCR0: sf->xcr0 = v; break;
	case KEY_XFEATURES: sf->xfeatures = v; break;
	case KEY_XCR0_SUPPORTED: sf->layout.xcr0_supported = v; break;
	case KEY_XSS_SUPPORTED: sf->layout.xss_supported = v; break;
	case KEY_XSAVE_FEATURES: sf->layout.xsave_features = (uint32_t)v; break;
	case KEY_MAX_SIZE: sf->layout.max_size = (uint32_t)v; break;
	case KEY_MXCSR_MASK: sf->layout.mxcsr_mask = (uint32_t)v; break;
	default: break;
	}
}

static int line(struct parser *ps, const char *p, const char *end)
{
	struct token key, t;
	unsigned int k;
	uint64_t v;
	int r;

	p = skip_blanks(p, end);
	if (p == end || *p == '#')
		return 0;
	key.s = p;
	while (p < end && !blank(*p) && *p != '=')
		p++;
	key.n = (size_t)(p - key.s);
	for (k = 0; k < NR_KEYS; k++)
		if (strlen(keys[k].name) == key.n && !memcmp(keys[k].name, key.s, key.n))
			break;
	if (k == NR_KEYS)
		return fail(ps, ps->lineno, "unrecognised line: unknown key '%.*s'", quoted(key.n),
			    key.s);
	p = skip_blanks(p, end);
	if (p == end || *p != '=')
		return fail(ps, ps->lineno, "unrecognised line: %s without '='", keys[k].name);
	p++;
	if (k == KEY_COMPONENT)
		return component_line(ps, p, end);
	if (ps->key_line[k])
		return fail(ps, ps->lineno, "%s again (first on line %u)", keys[k].name,
			    ps->key_line[k]);
	ps->key_line[k] = ps->lineno;
	p = next_token(p, end, &t);
	r = field(ps, &keys[k], &t, &v);
	if (r)
		return r;
	r = after_value(ps, keys[k].name, p, end);
	if (r)
		return r;
	set_key(ps->sf, k, v);
	return 0;
}

static bool overlap(const struct xstate_component *a, const struct xstate_component *b)
{
	return (uint64_t)a->offset < (uint64_t)b->offset + b->size &&
	       (uint64_t)b->offset < (uint64_t)a->offset + a->size;
}

/* A user component of the layout, where it lies; 0 when it is in order. */
static int user_component_check(struct parser *ps, unsigned int bit)
{
	const struct fpstate_file *sf = ps->sf;
	const struct xstate_component *c = &sf->layout.comp[bit];
	unsigned long long end = (unsigned long long)c->offset + c->size;
	unsigned int line = ps->comp_line[bit];

	if (sf->layout.max_size && end > sf->layout.max_size)
		return fail(ps, line, "component %u (%s) ends at %llu, beyond max_size %u", bit,
			    xfeature_name(bit), end, sf->layout.max_size);
	if ((sf->xfeatures & (1ULL << bit)) && end > sf->size)
		return fail(ps, line, "component %u (%s) ends at %llu, outside the image's %u "
			    "bytes", bit, xfeature_name(bit), end, sf->size);
	for (unsigned int b = 2; b < bit; b++)
		if (sf->layout.comp[b].size && !(sf->layout.comp[b].flags & XCOMP_SUPERVISOR) &&
		    overlap(c, &sf->layout.comp[b]))
			return fail(ps, line, "component %u (%s) overlaps component %u (%s)", bit,
				    xfeature_name(bit), b, xfeature_name(b));
	return 0;
}

/*
 * The layout as a whole: what a CPU could have reported and KVM returned
 * an image of, so that decoding and converting it read only inside the
 * image and restoring it loads only state the guest was given.
 */
static int layout_check(struct parser *ps)
{
	const struct fpstate_file *sf = ps->sf;
	const struct xstate_layout *l = &sf->layout;
	uint64_t supported = l->xcr0_supported | l->xss_supported, described = XFEATURE_MASK_FPSSE;
	uint64_t user = XFEATURE_MASK_FPSSE;
	char names[256];
	int r;

	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++) {
		if (!l->comp[bit].size)
			continue;
		described |= 1ULL << bit;
		if (!(supported & (1ULL << bit)))
			return fail(ps, ps->comp_line[bit], "component %u (%s) is in neither "
				    "xcr0_supported nor xss_supported", bit, xfeature_name(bit));
		if (l->comp[bit].flags & XCOMP_SUPERVISOR)
			continue;
		user |= 1ULL << bit;
		r = user_component_check(ps, bit);
		if (r)
			return r;
	}
	if (sf->xfeatures & ~described)
		return fail(ps, ps->key_line[KEY_XFEATURES], "xfeatures 0x%llx: %s without a "
			    "component line", (unsigned long long)sf->xfeatures,
			    xfeatures_str(sf->xfeatures & ~described, names, sizeof(names)));
	/* SDM vol. 1, 13.3: XCR0 bit 0 is always 1; XSETBV refuses to clear it. */
	if (!(sf->xcr0 & XMASK(FP)))
		return fail(ps, ps->key_line[KEY_XCR0], "xcr0 0x%llx without x87 (bit 0), which "
			    "XCR0 always has", (unsigned long long)sf->xcr0);
	if (sf->xcr0 & ~(sf->xfeatures & user))
		return fail(ps, ps->key_line[KEY_XCR0], "xcr0 0x%llx: %s outside the user features "
			    "of xfeatures 0x%llx", (unsigned long long)sf->xcr0,
			    xfeatures_str(sf->xcr0 & ~(sf->xfeatures & user), names, sizeof(names)),
			    (unsigned long long)sf->xfeatures);
	return 0;
}

int fpstate_layout_parse(const char *text, size_t len, const char *name, struct fpstate_file *sf,
			 struct fpstate_error *err)
{
	struct parser ps = { .name = name, .sf = sf, .err = err };
	const char *p = text, *end = text + len;

	memset(sf, 0, sizeof(*sf));
	/* x87 and SSE live in the legacy area, where the architecture fixes them. */
	sf->layout.comp[XFEATURE_FP] = (struct xstate_component){ 160, 0, 0 };
	sf->layout.comp[XFEATURE_SSE] = (struct xstate_component){ 256, 160, 0 };
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		int r;

		ps.lineno++;
		if (eol - p > LAYOUT_LINE_MAX)
			return fail(&ps, ps.lineno, "longer than %u characters", LAYOUT_LINE_MAX);
		if (memchr(p, '\0', (size_t)(eol - p)))
			return fail(&ps, ps.lineno, "a NUL byte: not text");
		r = line(&ps, p, eol);
		if (r)
			return r;
		p = nl ? nl + 1 : end;
	}
	for (unsigned int k = 0; k < KEY_COMPONENT; k++)
		if (!ps.key_line[k])
			return fail(&ps, 0, "no %s line", keys[k].name);
	return layout_check(&ps);
}
