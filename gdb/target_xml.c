// SPDX-License-Identifier: MIT
/*
 * The target description (target_xml.h).  Registers are described in
 * the order of the register set, which is the 'g' packet's, so gdb's
 * remote numbers are the set's indices with no regnum attributes.  The
 * types gdb does not define itself (the vector unions, the flag words)
 * are defined in every feature that uses them: gdb scopes a type to its
 * feature.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "target_xml.h"

struct out {
	char *buf;
	size_t size, len;
	int full;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

static const char *const feature_names[GDB_NR_FEATURES] = {
	[GDB_FEAT_CORE] = "org.gnu.gdb.i386.core",
	[GDB_FEAT_SSE] = "org.gnu.gdb.i386.sse",
	[GDB_FEAT_SEGMENTS] = "org.gnu.gdb.i386.segments",
	[GDB_FEAT_AVX] = "org.gnu.gdb.i386.avx",
	[GDB_FEAT_AVX512] = "org.gnu.gdb.i386.avx512",
	[GDB_FEAT_PKEYS] = "org.gnu.gdb.i386.pkeys",
};

/* EFLAGS (SDM vol. 1, 3.4.3) or MXCSR (10.2.3) bit by bit, as gdb prints them. */
static void flags_type(struct out *o, bool mxcsr_type)
{
	static const struct { const char *name; int bit; } eflags[] = {
		{ "CF", 0 }, { "", 1 }, { "PF", 2 }, { "AF", 4 }, { "ZF", 6 }, { "SF", 7 },
		{ "TF", 8 }, { "IF", 9 }, { "DF", 10 }, { "OF", 11 }, { "NT", 14 }, { "RF", 16 },
		{ "VM", 17 }, { "AC", 18 }, { "VIF", 19 }, { "VIP", 20 }, { "ID", 21 },
	}, mxcsr[] = {
		{ "IE", 0 }, { "DE", 1 }, { "ZE", 2 }, { "OE", 3 }, { "UE", 4 }, { "PE", 5 },
		{ "DAZ", 6 }, { "IM", 7 }, { "DM", 8 }, { "ZM", 9 }, { "OM", 10 }, { "UM", 11 },
		{ "PM", 12 }, { "FZ", 15 },
	};

	if (!mxcsr_type) {
		emit(o, "<flags id=\"i386_eflags\" size=\"4\">");
		for (unsigned int i = 0; i < sizeof(eflags) / sizeof(eflags[0]); i++)
			emit(o, "<field name=\"%s\" start=\"%d\" end=\"%d\"/>", eflags[i].name,
			     eflags[i].bit, eflags[i].bit);
	} else {
		emit(o, "<flags id=\"i386_mxcsr\" size=\"4\">");
		for (unsigned int i = 0; i < sizeof(mxcsr) / sizeof(mxcsr[0]); i++)
			emit(o, "<field name=\"%s\" start=\"%d\" end=\"%d\"/>", mxcsr[i].name,
			     mxcsr[i].bit, mxcsr[i].bit);
	}
	emit(o, "</flags>\n");
}

/* An XMM register seen as lanes of each width, the union gdb users know as $xmmN.v4_int32. */
static void vec128_type(struct out *o)
{
	static const struct { const char *field, *type; int count; } lanes[] = {
		{ "v4_float", "ieee_single", 4 }, { "v2_double", "ieee_double", 2 },
		{ "v16_int8", "int8", 16 }, { "v8_int16", "int16", 8 },
		{ "v4_int32", "int32", 4 }, { "v2_int64", "int64", 2 },
	};

	for (unsigned int i = 0; i < sizeof(lanes) / sizeof(lanes[0]); i++)
		emit(o, "<vector id=\"fpvm_%s\" type=\"%s\" count=\"%d\"/>\n", lanes[i].field,
		     lanes[i].type, lanes[i].count);
	emit(o, "<union id=\"vec128\">");
	for (unsigned int i = 0; i < sizeof(lanes) / sizeof(lanes[0]); i++)
		emit(o, "<field name=\"%s\" type=\"fpvm_%s\"/>", lanes[i].field, lanes[i].field);
	emit(o, "<field name=\"uint128\" type=\"uint128\"/></union>\n");
}

static const char *group_of(const struct gdb_reg *r)
{
	switch ((enum gdb_reg_kind)r->kind) {
	case GDB_REG_ST: case GDB_REG_FCTRL: case GDB_REG_FSTAT: case GDB_REG_FTAG:
	case GDB_REG_FISEG: case GDB_REG_FIOFF: case GDB_REG_FOSEG: case GDB_REG_FOOFF:
	case GDB_REG_FOP:
		return "float";
	case GDB_REG_XMM: case GDB_REG_MXCSR: case GDB_REG_YMMH: case GDB_REG_ZMMH:
		return "vector";
	default:
		return "general";
	}
}

size_t gdb_target_xml(const struct gdb_regset *set, char *buf, size_t size)
{
	struct out o = { buf, size, 0, 0 };
	int feat = -1;

	if (!size)
		return 0;
	emit(&o, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	     "<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n");
	for (unsigned int i = 0; i < set->nr; i++) {
		const struct gdb_reg *r = &set->reg[i];

		if (r->feature != feat) {
			if (feat >= 0)
				emit(&o, "</feature>\n");
			feat = r->feature;
			emit(&o, "<feature name=\"%s\">\n", feature_names[feat]);
			if (feat == GDB_FEAT_CORE || feat == GDB_FEAT_SSE)
				flags_type(&o, feat == GDB_FEAT_SSE);
			if (feat == GDB_FEAT_SSE || feat == GDB_FEAT_AVX512)
				vec128_type(&o);
			if (feat == GDB_FEAT_AVX512)
				emit(&o, "<vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>\n");
		}
		emit(&o, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" group=\"%s\"/>\n", r->name,
		     r->bytes * 8U, r->type, group_of(r));
	}
	if (feat >= 0)
		emit(&o, "</feature>\n");
	emit(&o, "</target>\n");
	return o.full ? 0 : o.len;
}
