// SPDX-License-Identifier: MIT
/*
 * The fpvm leakcheck guest (argv[1] = "vm=N").
 *
 * Writers (the boot vCPUs) fill every register their XCR0 enables with
 * canaries (guest/canary.h) by XRSTOR of a prepared image, exit to fpvm,
 * XSAVE, and report every word that is no longer theirs.  Readers (vCPUs
 * fpvm adds while the VM runs) XSAVE before doing anything else and report
 * every word that is not in its init state.  fpvm decodes what they found.
 *
 * Nothing but the XRSTOR/XSAVE touches FPU or vector state: the runtime and
 * this file are general-registers-only C, and libfdt runs only in writers,
 * before their first round, and in readers, after their XSAVE.
 */
#include <libfdt.h>

#include "canary.h"
#include "runtime.h"

#define IMG_MAX		12288	/* AMX: 11008 */
#define CTL_FCW		0
#define CTL_MXCSR	1
#define CTL_FSW		2
#define CTL_FTW		3
#define CTL_FOP		4
#define CTL_FIP		5
#define CTL_FDP		6
#define CTL_TILECFG	8	/* words 8-15 */

struct layout {
	uint64_t xcr0;
	uint32_t off[64];
};

struct leak_req {
	struct fpvm_ctl_req hdr;
	struct fpvm_leak_report rep;
} __attribute__((aligned(8)));

static uint8_t images[GUEST_MAX_CPUS][2][IMG_MAX] __attribute__((aligned(64)));
static struct leak_req reqs[GUEST_MAX_CPUS];

static inline void xsave(void *buf, uint64_t mask)
{
	__asm__ volatile("xsave64 (%0)" : : "r"(buf), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

static inline void xrstor(const void *buf, uint64_t mask)
{
	__asm__ volatile("xrstor64 (%0)" : : "r"(buf), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

static void read_layout(struct layout *l)
{
	int node = fdt_path_offset(guest_fdt(), "/chosen"), len;
	const fdt32_t *v = fdt_getprop(guest_fdt(), node, "fpvm,xsave-layout", &len);

	memset(l, 0, sizeof(*l));
	l->xcr0 = guest_xcr0();
	for (int i = 0; v && i + 2 < len / 4; i += 3)
		if (fdt32_to_cpu(v[i]) < 64)
			l->off[fdt32_to_cpu(v[i])] = fdt32_to_cpu(v[i + 1]);
}

static uint64_t get(const uint8_t *img, uint32_t off, unsigned int width)
{
	uint64_t v = 0;

	memcpy(&v, img + off, width);
	return v;
}

static void put(uint8_t *img, uint32_t off, uint64_t v, unsigned int width)
{
	memcpy(img + off, &v, width);
}

/* ---- writers ---- */

struct writer {
	const struct layout *l;
	unsigned int vm, cpu, round;
	uint8_t *img, *chk;
	struct fpvm_leak_report *rep;
};

static uint64_t expected(const struct writer *w, const struct canary_slot *s)
{
	uint64_t c = canary_encode(w->vm, w->cpu, s->reg, s->word, w->round);

	if (s->width == 2)
		return canary_st_exponent(w->cpu, w->round);
	if (s->width == 4)
		return canary_pkru(c);
	return c;
}

static void fill_slot(const struct canary_slot *s, void *ctx)
{
	struct writer *w = ctx;

	put(w->img, s->offset, expected(w, s), s->width);
}

static void mismatch(struct fpvm_leak_report *rep, uint16_t reg, uint16_t word, uint32_t off,
		     uint64_t found, uint64_t want)
{
	if (rep->nr_items < FPVM_LEAK_MAX_ITEMS)
		rep->item[rep->nr_items++] = (struct fpvm_leak_item){ reg, word, off, found, want };
	rep->mismatches++;
}

static uint64_t found_in(const uint8_t *chk, const struct canary_slot *s)
{
	uint64_t bv = get(chk, 512, 8);

	/* XSAVE leaves a component in its init state out: zero. */
	return (bv >> s->bit) & 1 ? get(chk, s->offset, s->width) : 0;
}

static void check_slot(const struct canary_slot *s, void *ctx)
{
	struct writer *w = ctx;
	uint64_t want = expected(w, s), got = found_in(w->chk, s);

	if (got != want)
		mismatch(w->rep, s->reg, s->word, s->offset, got, want);
}

static void tilecfg(uint8_t *cfg)
{
	cfg[0] = 1;	/* palette 1 */
	for (unsigned int t = 0; t < 8; t++) {
		put(cfg, 16 + 2 * t, 64, 2);	/* 64 bytes per row */
		cfg[48 + t] = 16;		/* 16 rows */
	}
}

static _Noreturn void writer(void)
{
	struct layout l;
	struct writer w = { .l = &l, .cpu = guest_vcpu_id() };
	struct leak_req *req = &reqs[w.cpu];
	const char *arg = guest_argc() > 1 ? guest_argv(1) : "vm=0";

	read_layout(&l);
	w.vm = (unsigned int)strtoul(arg + (strncmp(arg, "vm=", 3) ? 0 : 3), NULL, 0);
	w.img = images[w.cpu][0];
	w.chk = images[w.cpu][1];
	w.rep = &req->rep;
	req->hdr = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_LEAK_ROUND, sizeof(req->rep), 0 };
	req->rep.vcpu = w.cpu;

	/* What does not change between rounds: header and control words. */
	put(w.img, 0, CANARY_FCW, 2);
	w.img[4] = 0xff;			/* all eight x87 registers valid */
	put(w.img, 24, CANARY_MXCSR, 4);
	put(w.img, 512, l.xcr0, 8);		/* XSTATE_BV: every component present */
	if ((l.xcr0 >> 17) & 1)
		tilecfg(w.img + l.off[17]);

	for (w.round = 1;; w.round++) {
		canary_for_each_slot(l.xcr0, l.off, fill_slot, &w);
		xrstor(w.img, l.xcr0);
		guest_ctl(&req->hdr);	/* an exit: fpvm checks, KVM swaps state */
		xsave(w.chk, l.xcr0);
		req->rep.round = w.round;
		req->rep.nr_items = 0;
		req->rep.mismatches = 0;
		req->rep.xstate_bv = get(w.chk, 512, 8);
		canary_for_each_slot(l.xcr0, l.off, check_slot, &w);
		if (get(w.chk, 0, 2) != CANARY_FCW)
			mismatch(&req->rep, CREG_CONTROL, CTL_FCW, 0, get(w.chk, 0, 2), CANARY_FCW);
		if (get(w.chk, 24, 4) != CANARY_MXCSR)
			mismatch(&req->rep, CREG_CONTROL, CTL_MXCSR, 24, get(w.chk, 24, 4),
				 CANARY_MXCSR);
	}
}

/* ---- readers ---- */

struct reader {
	const uint8_t *img;
	struct fpvm_leak_report *rep;
};

static void check_init_slot(const struct canary_slot *s, void *ctx)
{
	struct reader *r = ctx;
	uint64_t got = found_in(r->img, s);

	if (got)
		mismatch(r->rep, s->reg, s->word, s->offset, got, 0);
}

static void check_control(struct reader *r, unsigned int word, uint32_t off, unsigned int width,
			  uint64_t init)
{
	uint64_t got = get(r->img, off, width);

	if (got != init)
		mismatch(r->rep, CREG_CONTROL, (uint16_t)word, off, got, init);
}

static _Noreturn void reader(void)
{
	unsigned int cpu = guest_vcpu_id();
	uint8_t *img = images[cpu][0];
	struct leak_req *req = &reqs[cpu];
	struct reader r = { .img = img, .rep = &req->rep };
	struct layout l;
	uint64_t bv;

	/* First: every register, before anything could write one. */
	xsave(img, ~0ULL);

	read_layout(&l);
	req->hdr = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_LEAK_READER, sizeof(req->rep), 0 };
	req->rep.vcpu = cpu;
	bv = get(img, 512, 8);
	req->rep.xstate_bv = bv;
	canary_for_each_slot(l.xcr0, l.off, check_init_slot, &r);
	if (bv & 1) {
		check_control(&r, CTL_FCW, 0, 2, 0x037f);
		check_control(&r, CTL_FSW, 2, 2, 0);
		check_control(&r, CTL_FTW, 4, 1, 0);
		check_control(&r, CTL_FOP, 6, 2, 0);
		check_control(&r, CTL_FIP, 8, 8, 0);
		check_control(&r, CTL_FDP, 16, 8, 0);
	}
	if (bv & 6)
		check_control(&r, CTL_MXCSR, 24, 4, 0x1f80);
	if ((bv >> 17) & 1)
		for (unsigned int w = 0; w < 8; w++)
			check_control(&r, CTL_TILECFG + w, l.off[17] + 8 * w, 8, 0);
	guest_ctl(&req->hdr);
	guest_halt();
}

int guest_main(void)
{
	writer();
}

void guest_ap_main(void)
{
	/* Boot vCPUs write; vCPUs fpvm adds later (ids beyond them) read. */
	if (guest_vcpu_id() < guest_nr_cpus())
		writer();
	reader();
}
