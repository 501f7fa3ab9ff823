// SPDX-License-Identifier: MIT
/*
 * Text and JSON output of decoded registers, and diffs by register.  All
 * three walk the same list of named registers (little-endian byte strings,
 * printed most significant byte first), so they always agree.
 */
#include <stdio.h>
#include <string.h>

#include "fpstate.h"

struct reg_view {
	char name[16];
	const uint8_t *bytes;
	unsigned int len;
	int st;		/* x87 register index, or -1 */
};

#define MAX_VIEWS 96

static void add(struct reg_view *v, unsigned int *n, const char *name, const void *p,
		unsigned int len, int st)
{
	if (*n == MAX_VIEWS)
		return;
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	v[*n].bytes = p;
	v[*n].len = len;
	v[*n].st = st;
	(*n)++;
}

static unsigned int views(const struct fpregs *r, struct reg_view *v)
{
	unsigned int n = 0, nvec = fpregs_vec_count(r->features);
	unsigned int vbytes = fpregs_vec_bytes(r->features);
	const char *vname = vbytes == 64 ? "zmm" : vbytes == 32 ? "ymm" : "xmm";
	char name[16];

	add(v, &n, "xstate_bv", &r->xstate_bv, 8, -1);
	if (r->features & XMASK(FP)) {
		add(v, &n, "fcw", &r->fcw, 2, -1);
		add(v, &n, "fsw", &r->fsw, 2, -1);
		add(v, &n, "ftw", &r->ftw, 2, -1);
		add(v, &n, "fop", &r->fop, 2, -1);
		add(v, &n, "fip", &r->fip, 8, -1);
		add(v, &n, "fdp", &r->fdp, 8, -1);
		for (int i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "st%d", i);
			add(v, &n, name, r->st[i], 10, i);
		}
	}
	if (r->features & (XMASK(SSE) | XMASK(YMM))) {
		add(v, &n, "mxcsr", &r->mxcsr, 4, -1);
		add(v, &n, "mxcsr_mask", &r->mxcsr_mask, 4, -1);
	}
	for (unsigned int i = 0; i < nvec; i++) {
		snprintf(name, sizeof(name), "%s%u", vname, i);
		add(v, &n, name, r->zmm[i], vbytes, -1);
	}
	if (r->features & XMASK(OPMASK))
		for (unsigned int i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "k%u", i);
			add(v, &n, name, &r->k[i], 8, -1);
		}
	if (r->features & XMASK(BNDREGS))
		for (unsigned int i = 0; i < 4; i++) {
			snprintf(name, sizeof(name), "bnd%u", i);
			add(v, &n, name, r->bndregs[i], 16, -1);
		}
	if (r->features & XMASK(BNDCSR)) {
		add(v, &n, "bndcfgu", &r->bndcfgu, 8, -1);
		add(v, &n, "bndstatus", &r->bndstatus, 8, -1);
	}
	if (r->features & XMASK(PKRU))
		add(v, &n, "pkru", &r->pkru, 4, -1);
	if (r->features & XMASK(XTILE_CFG))
		add(v, &n, "tilecfg", r->tilecfg, 64, -1);
	if (r->features & XMASK(XTILE_DATA))
		for (unsigned int i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "tmm%u", i);
			add(v, &n, name, r->tiledata[i], 1024, -1);
		}
	return n;
}

static void hex(FILE *f, const uint8_t *b, unsigned int len)
{
	fputs("0x", f);
	for (unsigned int i = len; i--;)
		fprintf(f, "%02x", b[i]);
}

static bool all_zero(const uint8_t *b, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static const char *const tag_names[] = { "valid", "zero", "special", "empty" };

static void st_comment(FILE *f, const struct fpregs *r, int i)
{
	unsigned int phys = (unsigned int)(i + ((r->fsw >> 11) & 7)) & 7;
	long double v = 0;

	memcpy(&v, r->st[i], 10);	/* x86-64 long double is the 80-bit format */
	fprintf(f, "  %Lg (%s)", v, tag_names[(r->ftw >> (2 * phys)) & 3]);
}

void fpregs_print_text(FILE *f, const struct fpregs *r)
{
	struct reg_view v[MAX_VIEWS];
	unsigned int n = views(r, v);
	char names[256];

	fprintf(f, "features   0x%llx (%s)\n", (unsigned long long)r->features,
		xfeatures_str(r->features, names, sizeof(names)));
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, "%-10s ", v[i].name);
		/* Tiles are 1 KiB each: say so when they are empty. */
		if (v[i].len > 64 && all_zero(v[i].bytes, v[i].len))
			fputs("0 (all zero)", f);
		else
			hex(f, v[i].bytes, v[i].len);
		if (v[i].st >= 0)
			st_comment(f, r, v[i].st);
		if (!strcmp(v[i].name, "xstate_bv"))
			fprintf(f, " (%s)", xfeatures_str(r->xstate_bv, names, sizeof(names)));
		fputc('\n', f);
	}
}

void fpregs_print_json(FILE *f, const struct fpregs *r)
{
	struct reg_view v[MAX_VIEWS];
	unsigned int n = views(r, v);

	fprintf(f, "{\"features\": \"0x%llx\"", (unsigned long long)r->features);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, ", \"%s\": \"", v[i].name);
		hex(f, v[i].bytes, v[i].len);
		fputc('"', f);
	}
	fputs("}\n", f);
}

unsigned int fpregs_diff(FILE *f, const struct fpregs *a, const struct fpregs *b, bool json)
{
	struct reg_view va[MAX_VIEWS], vb[MAX_VIEWS];
	unsigned int na = views(a, va), nb = views(b, vb), diffs = 0;

	if (json)
		fputc('[', f);
	for (unsigned int i = 0; i < na; i++) {
		const struct reg_view *other = NULL;

		for (unsigned int j = 0; j < nb && !other; j++)
			if (!strcmp(va[i].name, vb[j].name))
				other = &vb[j];
		/* A register only one side has is compared against zero. */
		if (other ? va[i].len == other->len && !memcmp(va[i].bytes, other->bytes, va[i].len)
			  : all_zero(va[i].bytes, va[i].len))
			continue;
		if (json)
			fprintf(f, "%s{\"register\": \"%s\", \"a\": \"", diffs ? ", " : "", va[i].name);
		else
			fprintf(f, "%-10s ", va[i].name);
		hex(f, va[i].bytes, va[i].len);
		fputs(json ? "\", \"b\": \"" : "\n           ", f);
		if (other)
			hex(f, other->bytes, other->len);
		else
			fputs(json ? "absent" : "(absent)", f);
		fputs(json ? "\"}" : "\n", f);
		diffs++;
	}
	if (json)
		fputs("]\n", f);
	return diffs;
}

void xstate_layout_print(FILE *f, const struct xstate_layout *l, uint64_t xcr0, bool json)
{
	bool first = true;

	if (json)
		fputc('[', f);
	else
		fprintf(f, "  %-4s %-11s %7s %6s %9s  %s\n", "bit", "component", "offset", "size",
			"compacted", "flags");
	for (unsigned int bit = 0; bit < XFEATURE_MAX; bit++) {
		const struct xstate_component *c = &l->comp[bit];
		uint64_t all = l->xcr0_supported | l->xss_supported;
		bool sup = c->flags & XCOMP_SUPERVISOR;
		uint32_t coff;

		if (!(all & (1ULL << bit)) || !c->size)
			continue;
		coff = bit < 2 ? c->offset : xstate_offset_compacted(l, all, bit);
		if (json) {
			fprintf(f, "%s{\"bit\": %u, \"name\": \"%s\", \"offset\": %u, \"size\": %u, "
				"\"compacted_offset\": %u, \"supervisor\": %s, \"aligned\": %s, "
				"\"xfd\": %s, \"in_xcr0\": %s}", first ? "" : ", ", bit,
				xfeature_name(bit), c->offset, c->size, coff, sup ? "true" : "false",
				(c->flags & XCOMP_ALIGNED) ? "true" : "false",
				(c->flags & XCOMP_XFD) ? "true" : "false",
				(xcr0 & (1ULL << bit)) ? "true" : "false");
			first = false;
			continue;
		}
		fprintf(f, "  %-4u %-11s ", bit, xfeature_name(bit));
		if (sup)
			fprintf(f, "%7s ", "-");
		else
			fprintf(f, "%7u ", c->offset);
		fprintf(f, "%6u %9u  %s%s%s%s\n", c->size, coff, sup ? "supervisor " : "user ",
			(c->flags & XCOMP_ALIGNED) ? "aligned " : "", (c->flags & XCOMP_XFD) ? "xfd " : "",
			(xcr0 & (1ULL << bit)) ? "in-xcr0" : "");
	}
	if (json)
		fputs("]", f);
}
