// SPDX-License-Identifier: MIT
/*
 * Finding and attributing leaked register contents: scans of XSAVE images
 * (KVM's view of a vCPU, the VMM thread's own registers) and the decoding
 * of what guests report.  Pure: images in, findings out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../guest/abi.h"
#include "../guest/canary.h"
#include "leakcheck.h"

void leak_table_add(struct leak_table *t, const struct leak_finding *f, uint64_t count)
{
	for (unsigned int i = 0; i < t->nr; i++) {
		struct leak_finding *c = &t->cells[i].first;

		if (c->kind == f->kind && c->victim_vm == f->victim_vm &&
		    c->victim_vcpu == f->victim_vcpu && c->attributed == f->attributed &&
		    (!f->attributed || (c->src_vm == f->src_vm && c->src_vcpu == f->src_vcpu))) {
			t->cells[i].count += count;
			return;
		}
	}
	if (t->nr == t->cap) {
		unsigned int cap = t->cap ? 2 * t->cap : 16;
		struct leak_cell *c = realloc(t->cells, cap * sizeof(*c));

		if (!c)
			return;	/* the count is lost, not the run */
		t->cells = c;
		t->cap = cap;
	}
	t->cells[t->nr++] = (struct leak_cell){ .first = *f, .count = count };
}

void leak_table_free(struct leak_table *t)
{
	free(t->cells);
	*t = (struct leak_table){ 0 };
}

uint64_t leak_table_total(const struct leak_table *t)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < t->nr; i++)
		n += t->cells[i].count;
	return n;
}

struct slot_fill {
	struct leak_slots *ls;
	unsigned int cap;
};

static void add_slot(const struct canary_slot *s, void *ctx)
{
	struct slot_fill *f = ctx;

	/* x87 exponents and PKRU are too narrow to tell; the guest checks those. */
	if (s->width != 8 || f->ls->nr == f->cap)
		return;
	f->ls->slot[f->ls->nr++] = (struct leak_slot){ s->offset, s->reg, (uint8_t)s->word,
						       s->bit };
	if (s->offset + 8 > f->ls->size)
		f->ls->size = s->offset + 8;
}

int leak_slots_init(struct leak_slots *ls, const struct xstate_layout *l, uint64_t xcr0)
{
	uint32_t off[64];
	struct slot_fill f = { ls, 2048 };

	for (unsigned int bit = 0; bit < 64; bit++)
		off[bit] = l->comp[bit].offset;
	*ls = (struct leak_slots){ .size = XSAVE_EXT_OFFSET, .slot = calloc(f.cap, sizeof(*ls->slot)) };
	if (!ls->slot)
		return -ENOMEM;
	canary_for_each_slot(xcr0, off, add_slot, &f);
	return 0;
}

void leak_slots_free(struct leak_slots *ls)
{
	free(ls->slot);
	*ls = (struct leak_slots){ 0 };
}

static uint64_t word_at(const uint8_t *img, uint64_t bv, const struct leak_slot *s)
{
	uint64_t v;

	if (!((bv >> s->bit) & 1))
		return 0;	/* component in its init state */
	memcpy(&v, img + s->offset, 8);
	return v;
}

static struct leak_finding finding(enum leak_victim_kind kind, const struct leak_slot *s,
				   unsigned int vm, unsigned int vcpu, uint64_t v, uint64_t t_ms)
{
	return (struct leak_finding){
		.kind = kind, .reg = s->reg, .word = s->word, .offset = s->offset,
		.victim_vm = vm, .victim_vcpu = vcpu, .value = v, .t_ms = t_ms,
	};
}

static void attribute(struct leak_finding *f, const struct canary *c)
{
	f->attributed = 1;
	f->src_vm = c->vm;
	f->src_vcpu = c->vcpu;
	f->round = c->round;
}

static bool own(const struct canary *c, const struct leak_slot *s, unsigned int vm,
		unsigned int vcpu)
{
	return c->vm == vm && c->vcpu == vcpu && c->reg == s->reg && c->word == s->word;
}

/* Words that are neither zero nor @vcpu's own canary (of *@round, if given). */
static void scan_own(const struct leak_slots *ls, const uint8_t *buf, enum leak_victim_kind kind,
		     unsigned int vm, unsigned int vcpu, const unsigned int *round,
		     uint64_t t_ms, struct leak_table *t)
{
	uint64_t bv;

	memcpy(&bv, buf + XSAVE_HDR_OFFSET, 8);
	for (unsigned int i = 0; i < ls->nr; i++) {
		const struct leak_slot *s = &ls->slot[i];
		uint64_t v = word_at(buf, bv, s);
		struct leak_finding f;
		struct canary c;
		bool canary;

		if (!v)
			continue;
		canary = canary_decode(v, &c);
		if (canary && own(&c, s, vm, vcpu) && (!round || c.round == *round))
			continue;
		f = finding(kind, s, vm, vcpu, v, t_ms);
		if (canary)
			attribute(&f, &c);
		leak_table_add(t, &f, 1);
	}
}

unsigned int leak_scan_kvm(const struct leak_slots *ls, const uint8_t *buf, unsigned int vm,
			   unsigned int vcpu, uint64_t t_ms, struct leak_table *t)
{
	scan_own(ls, buf, LEAK_KVM, vm, vcpu, NULL, t_ms, t);
	return ls->nr;
}

unsigned int leak_scan_restored(const struct leak_slots *ls, const uint8_t *buf,
				enum leak_victim_kind kind, unsigned int vm, unsigned int vcpu,
				uint64_t t_ms, struct leak_table *t)
{
	unsigned int round = 0, votes = 0;
	uint64_t bv;

	/* A writer's registers come from one XRSTOR: one round, the majority's. */
	memcpy(&bv, buf + XSAVE_HDR_OFFSET, 8);
	for (unsigned int i = 0; i < ls->nr; i++) {
		struct canary c;

		if (!canary_decode(word_at(buf, bv, &ls->slot[i]), &c) ||
		    !own(&c, &ls->slot[i], vm, vcpu))
			continue;
		if (!votes)
			round = c.round;
		votes += c.round == round ? 1 : -1;
	}
	scan_own(ls, buf, kind, vm, vcpu, &round, t_ms, t);
	return ls->nr;
}

unsigned int leak_scan_host(const struct leak_slots *ls, const uint8_t *before,
			    const uint8_t *after, unsigned int vm, unsigned int vcpu,
			    unsigned int nr_vms, uint64_t t_ms, struct leak_table *t)
{
	uint64_t bv_before, bv_after;

	/* The common case: KVM put every host register back. */
	if (!memcmp(before, after, ls->size))
		return ls->nr;
	memcpy(&bv_before, before + XSAVE_HDR_OFFSET, 8);
	memcpy(&bv_after, after + XSAVE_HDR_OFFSET, 8);
	for (unsigned int i = 0; i < ls->nr; i++) {
		const struct leak_slot *s = &ls->slot[i];
		uint64_t v = word_at(after, bv_after, s);
		struct leak_finding f;
		struct canary c;

		/*
		 * Only what KVM_RUN changed: fpvm's own code may hold copies of
		 * guest reports in its registers, and those are the same before
		 * and after.  A canary counts only in its own register and word.
		 */
		if (v == word_at(before, bv_before, s) || !canary_decode(v, &c) ||
		    c.vm >= nr_vms || c.reg != s->reg || c.word != s->word)
			continue;
		f = finding(LEAK_HOST, s, vm, vcpu, v, t_ms);
		attribute(&f, &c);
		leak_table_add(t, &f, 1);
	}
	return ls->nr;
}

/*
 * x87 exponents and PKRU hold a few canary bits only: they are attributed
 * to a source another word of the same report was decoded to, if theirs.
 */
static bool narrow_match(const struct fpvm_leak_item *it, const struct canary *src)
{
	if (it->reg < CREG_ST0 + 8 && it->word == 1)	/* CREG_ST0 is 0 */
		return it->found == canary_st_exponent(src->vcpu, src->round);
	if (it->reg == CREG_PKRU)
		return it->found == canary_pkru(canary_encode(src->vm, src->vcpu, CREG_PKRU, 0,
							      src->round));
	return false;
}

void leak_report_findings(const struct fpvm_leak_report *rep, enum leak_victim_kind kind,
			  unsigned int vm, uint64_t t_ms, struct leak_table *t)
{
	struct canary dec[FPVM_LEAK_MAX_ITEMS];
	bool ok[FPVM_LEAK_MAX_ITEMS] = { false };
	unsigned int n = rep->nr_items < FPVM_LEAK_MAX_ITEMS ? rep->nr_items : FPVM_LEAK_MAX_ITEMS;
	struct leak_finding first = { 0 };

	for (unsigned int i = 0; i < n; i++)
		ok[i] = canary_decode(rep->item[i].found, &dec[i]);
	for (unsigned int i = 0; i < n; i++) {
		const struct fpvm_leak_item *it = &rep->item[i];
		struct leak_finding f = {
			.kind = kind, .reg = it->reg, .word = it->word, .offset = it->offset,
			.victim_vm = vm, .victim_vcpu = rep->vcpu, .value = it->found, .t_ms = t_ms,
		};

		if (ok[i]) {
			attribute(&f, &dec[i]);
		} else {
			for (unsigned int j = 0; j < n && !f.attributed; j++)
				if (ok[j] && narrow_match(it, &dec[j]))
					attribute(&f, &dec[j]);
		}
		leak_table_add(t, &f, 1);
		if (!i)
			first = f;
	}
	/* Words beyond the itemised ones go with the first item's source. */
	if (n && rep->mismatches > n)
		leak_table_add(t, &first, rep->mismatches - n);
}

const char *leak_reg_name(unsigned int reg, char *buf, size_t size)
{
	if (reg < CREG_ST0 + 8)
		snprintf(buf, size, "st%u", reg - CREG_ST0);
	else if (reg >= CREG_ZMM0 && reg < CREG_ZMM0 + 32)
		snprintf(buf, size, "zmm%u", reg - CREG_ZMM0);
	else if (reg >= CREG_K0 && reg < CREG_K0 + 8)
		snprintf(buf, size, "k%u", reg - CREG_K0);
	else if (reg == CREG_PKRU)
		snprintf(buf, size, "pkru");
	else if (reg >= CREG_BND0 && reg < CREG_BND0 + 4)
		snprintf(buf, size, "bnd%u", reg - CREG_BND0);
	else if (reg >= CREG_TMM0 && reg < CREG_TMM0 + 8)
		snprintf(buf, size, "tmm%u", reg - CREG_TMM0);
	else if (reg == CREG_CONTROL)
		snprintf(buf, size, "control");
	else
		snprintf(buf, size, "reg%u", reg);
	return buf;
}

const char *leak_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[LEAK_GUEST] = "guest registers", [LEAK_KVM] = "KVM state",
		[LEAK_READER] = "fresh vCPU", [LEAK_HOST] = "host thread",
		[LEAK_RESTORED] = "restored VM",
	};

	return kind < LEAK_NR_KINDS ? names[kind] : "?";
}
