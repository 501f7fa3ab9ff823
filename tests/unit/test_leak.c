// SPDX-License-Identifier: MIT
/*
 * leakcheck's pure parts: canaries, the register-word walk, scans of KVM
 * and host images, attribution of guest reports, the verdict and reports.
 */
#include <stdlib.h>
#include <string.h>

#include "../../guest/abi.h"
#include "../../guest/canary.h"
#include "testutil.h"

/* ---- canaries ---- */

START_TEST(canary_round_trip)
{
	struct canary c;

	for (unsigned int vm = 0; vm < 32; vm += 3)
		for (unsigned int cpu = 0; cpu < 32; cpu += 5)
			for (unsigned int reg = 0; reg < 128; reg += 11)
				for (unsigned int w = 0; w < 128; w += 37) {
					uint64_t x = canary_encode(vm, cpu, reg, w, 70000 + vm);

					ck_assert(canary_decode(x, &c));
					ck_assert_uint_eq(c.vm, vm);
					ck_assert_uint_eq(c.vcpu, cpu);
					ck_assert_uint_eq(c.reg, reg);
					ck_assert_uint_eq(c.word, w);
					ck_assert_uint_eq(c.round, (70000 + vm) & 0xffff);
				}
}
END_TEST

START_TEST(non_canaries_rarely_decode)
{
	struct canary c;
	uint64_t x = 88172645463325252ULL;
	unsigned int hits = 0;

	ck_assert(!canary_decode(0, &c));
	ck_assert(!canary_decode(~0ULL, &c));
	ck_assert(!canary_decode(0x0101010101010101ULL, &c));
	/* 2^-24 per random word: a million words give none or a few. */
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hits += canary_decode(x, &c);
	}
	ck_assert_uint_le(hits, 3);
	/* Adjacent words of one register differ. */
	ck_assert_uint_ne(canary_encode(0, 0, CREG_ZMM0, 0, 1), canary_encode(0, 0, CREG_ZMM0, 1, 1));
}
END_TEST

static void count_slot(const struct canary_slot *s, void *ctx)
{
	unsigned int *n = ctx;

	(void)s;
	(*n)++;
}

static unsigned int slots(uint64_t xcr0)
{
	uint32_t off[64] = { [2] = 576, [3] = 960, [5] = 1088, [6] = 1152, [7] = 1664, [9] = 2688,
			     [18] = 2816 };
	unsigned int n = 0;

	canary_for_each_slot(xcr0, off, count_slot, &n);
	return n;
}

START_TEST(slot_walk_covers_each_component)
{
	ck_assert_uint_eq(slots(0x3), 16 + 32);			/* st0-7 x2, xmm0-15 x2 */
	ck_assert_uint_eq(slots(0x7), 16 + 32 + 32);		/* + ymm upper halves */
	ck_assert_uint_eq(slots(0xe7), 16 + 32 + 32 + 64 + 128 + 8);	/* + zmm, k */
	ck_assert_uint_eq(slots(0x207), 16 + 32 + 32 + 1);	/* + PKRU */
	ck_assert_uint_eq(slots(0x2ff), 280 + 1 + 8);		/* + PKRU, bnd0-3 */
	ck_assert_uint_eq(slots(0x602e7), 280 + 1 + 8 * 128);	/* + tmm0-7 */
}
END_TEST

/* ---- scans, on this build host's real layout ---- */

static struct xstate_layout layout;
static uint32_t off[64];
static struct leak_slots ls;
static uint8_t img[4096] __attribute__((aligned(64))), before[4096] __attribute__((aligned(64)));
static struct leak_table table;

struct fill {
	uint8_t *img;
	unsigned int vm, vcpu, round;
};

static void fill_slot(const struct canary_slot *s, void *ctx)
{
	struct fill *f = ctx;
	uint64_t v = canary_encode(f->vm, f->vcpu, s->reg, s->word, f->round);

	memcpy(f->img + s->offset, &v, s->width);
}

static void setup(void)
{
	struct cpuid_fixture fx;
	struct fpstate_error err;
	uint64_t bv = 0xe7;

	ck_assert_int_eq(cpuid_fixture_load("cpuid/amd-epyc-avx512-pvm-host.txt", &fx), 0);
	ck_assert_int_eq(xstate_layout_init(&layout, fx.kvm, &err), 0);
	cpuid_fixture_free(&fx);
	for (unsigned int bit = 0; bit < 64; bit++)
		off[bit] = layout.comp[bit].offset;
	ck_assert_int_eq(leak_slots_init(&ls, &layout, 0xe7), 0);
	memset(img, 0, sizeof(img));
	memset(before, 0, sizeof(before));
	memcpy(img + 512, &bv, 8);
	memcpy(before + 512, &bv, 8);
	table = (struct leak_table){ 0 };
}

static void teardown(void)
{
	leak_table_free(&table);
	leak_slots_free(&ls);
}

static void put64(uint8_t *b, uint32_t o, uint64_t v)
{
	memcpy(b + o, &v, 8);
}

START_TEST(kvm_scan_accepts_own_canaries_and_init)
{
	struct fill f = { img, 1, 2, 77 };

	ck_assert_uint_eq(leak_scan_kvm(&ls, img, 1, 2, 0, &table), 272);	/* 8-byte words */
	ck_assert_uint_eq(table.nr, 0);		/* all zero: init */
	canary_for_each_slot(0xe7, off, fill_slot, &f);
	leak_scan_kvm(&ls, img, 1, 2, 0, &table);
	ck_assert_uint_eq(table.nr, 0);
}
END_TEST

START_TEST(kvm_scan_attributes_foreign_canaries)
{
	struct fill f = { img, 0, 0, 5 };

	canary_for_each_slot(0xe7, off, fill_slot, &f);
	/* zmm21 word 3 (Hi16_ZMM at 1408 on this host) now holds VM 3 vCPU 1's. */
	put64(img, 1408 + 5 * 64 + 24, canary_encode(3, 1, CREG_ZMM0 + 21, 3, 900));
	/* k2 holds garbage that is no canary. */
	put64(img, 832 + 16, 0x1234);
	leak_scan_kvm(&ls, img, 0, 0, 42, &table);
	ck_assert_uint_eq(table.nr, 2);
	ck_assert_uint_eq(table.cells[0].first.kind, LEAK_KVM);
	ck_assert(table.cells[0].first.attributed);
	ck_assert_uint_eq(table.cells[0].first.src_vm, 3);
	ck_assert_uint_eq(table.cells[0].first.src_vcpu, 1);
	ck_assert_uint_eq(table.cells[0].first.round, 900);
	ck_assert_uint_eq(table.cells[0].first.reg, CREG_ZMM0 + 21);
	ck_assert_uint_eq(table.cells[0].first.offset, 1408 + 5 * 64 + 24);
	ck_assert_uint_eq(table.cells[0].first.t_ms, 42);
	ck_assert(!table.cells[1].first.attributed);
	ck_assert_uint_eq(table.cells[1].first.value, 0x1234);
	/* A canary of the right VM and vCPU, in the wrong place, is wrong too. */
	leak_table_free(&table);
	put64(img, 832 + 16, canary_encode(0, 0, CREG_K0 + 3, 0, 5));
	leak_scan_kvm(&ls, img, 0, 0, 0, &table);
	ck_assert_uint_eq(leak_table_total(&table), 2);
}
END_TEST

START_TEST(kvm_scan_ignores_components_in_init_state)
{
	uint64_t bv = 0x3;

	put64(img, 832, canary_encode(3, 0, CREG_K0, 0, 1));	/* k0 bytes, but opmask is init */
	memcpy(img + 512, &bv, 8);
	leak_scan_kvm(&ls, img, 0, 0, 0, &table);
	ck_assert_uint_eq(table.nr, 0);
}
END_TEST

START_TEST(restored_scan_wants_one_round_of_own_canaries)
{
	struct fill f = { img, 2, 1, 300 };
	const struct leak_cell *c;

	canary_for_each_slot(0xe7, off, fill_slot, &f);
	ck_assert_uint_eq(leak_scan_restored(&ls, img, LEAK_RESTORED, 2, 1, 5, &table), 272);
	ck_assert_uint_eq(table.nr, 0);
	/* Two words a round behind: stale, though they are this vCPU's own. */
	put64(img, 160, canary_encode(2, 1, CREG_ZMM0, 0, 299));
	put64(img, 832 + 8, canary_encode(2, 1, CREG_K0 + 1, 0, 299));
	/* And one of another VM. */
	put64(img, 576 + 16, canary_encode(0, 0, CREG_ZMM0 + 1, 2, 300));
	leak_scan_restored(&ls, img, LEAK_RESTORED, 2, 1, 5, &table);
	ck_assert_uint_eq(table.nr, 2);
	c = &table.cells[0];
	ck_assert_uint_eq(c->first.kind, LEAK_RESTORED);
	ck_assert_uint_eq(c->count, 2);
	ck_assert_uint_eq(c->first.src_vm, 2);
	ck_assert_uint_eq(c->first.src_vcpu, 1);
	ck_assert_uint_eq(c->first.round, 299);
	ck_assert_uint_eq(c->first.offset, 160);
	ck_assert_uint_eq(table.cells[1].first.src_vm, 0);
	ck_assert_uint_eq(table.cells[1].first.t_ms, 5);
	/* The KVM scan takes own canaries of any round. */
	leak_table_free(&table);
	leak_scan_kvm(&ls, img, 2, 1, 0, &table);
	ck_assert_uint_eq(leak_table_total(&table), 1);
}
END_TEST

START_TEST(restored_scan_of_a_foreign_image)
{
	struct fill f = { img, 1, 0, 42 };

	/* A whole image of another VM (--inject snapshot): every word its. */
	canary_for_each_slot(0xe7, off, fill_slot, &f);
	leak_scan_restored(&ls, img, LEAK_RESTORED, 0, 0, 0, &table);
	ck_assert_uint_eq(table.nr, 1);
	ck_assert_uint_eq(table.cells[0].count, 272);
	ck_assert_uint_eq(table.cells[0].first.src_vm, 1);
	/* A reader's restored image must be init: any canary is a leak. */
	leak_table_free(&table);
	leak_scan_restored(&ls, img, LEAK_READER, 1, 5, 0, &table);
	ck_assert_uint_eq(table.nr, 1);
	ck_assert_uint_eq(table.cells[0].first.kind, LEAK_READER);
	ck_assert_uint_eq(table.cells[0].count, 272);
}
END_TEST

START_TEST(host_scan_counts_only_what_kvm_run_changed)
{
	uint64_t c = canary_encode(1, 0, CREG_ZMM0 + 2, 1, 33);

	/* The host already held this word before KVM_RUN: its own copy. */
	put64(before, 160 + 2 * 16 + 8, c);
	put64(img, 160 + 2 * 16 + 8, c);
	leak_scan_host(&ls, before, img, 0, 1, 2, 7, &table);
	ck_assert_uint_eq(table.nr, 0);
	/* Changed by KVM_RUN, a canary, in its own register and word: a leak. */
	put64(before, 160 + 2 * 16 + 8, 0);
	leak_scan_host(&ls, before, img, 0, 1, 2, 7, &table);
	ck_assert_uint_eq(table.nr, 1);
	ck_assert_uint_eq(table.cells[0].first.kind, LEAK_HOST);
	ck_assert_uint_eq(table.cells[0].first.victim_vcpu, 1);
	ck_assert_uint_eq(table.cells[0].first.src_vm, 1);
	ck_assert_uint_eq(table.cells[0].first.round, 33);
	/* A canary elsewhere than its register, or of a VM not in the run: not ours. */
	leak_table_free(&table);
	put64(img, 160 + 2 * 16 + 8, canary_encode(1, 0, CREG_ZMM0 + 3, 1, 33));
	leak_scan_host(&ls, before, img, 0, 1, 2, 7, &table);
	put64(img, 160 + 2 * 16 + 8, canary_encode(5, 0, CREG_ZMM0 + 2, 1, 33));
	leak_scan_host(&ls, before, img, 0, 1, 2, 7, &table);
	ck_assert_uint_eq(table.nr, 0);
}
END_TEST

/* ---- guest reports ---- */

START_TEST(report_attribution)
{
	static struct fpvm_leak_report rep;
	struct canary c = { .vm = 1, .vcpu = 0, .round = 400 };

	rep = (struct fpvm_leak_report){ .vcpu = 0, .nr_items = 4, .round = 12, .mismatches = 10 };
	rep.item[0] = (struct fpvm_leak_item){ CREG_ST0 + 3, 0, 32 + 48,
					       canary_encode(1, 0, CREG_ST0 + 3, 0, 400), 0 };
	/* The exponent carries no magic: it is attributed by its report. */
	rep.item[1] = (struct fpvm_leak_item){ CREG_ST0 + 3, 1, 32 + 56,
					       canary_st_exponent(c.vcpu, c.round), 0 };
	rep.item[2] = (struct fpvm_leak_item){ CREG_PKRU, 0, 2688,
		canary_pkru(canary_encode(1, 0, CREG_PKRU, 0, 400)), 0 };
	rep.item[3] = (struct fpvm_leak_item){ CREG_CONTROL, 0, 0, 0x037f, 0x027f };
	leak_report_findings(&rep, LEAK_GUEST, 0, 99, &table);
	/* Three attributed to VM1 vCPU0, one without a canary, and six unitemised. */
	ck_assert_uint_eq(table.nr, 2);
	ck_assert(table.cells[0].first.attributed);
	ck_assert_uint_eq(table.cells[0].first.src_vm, 1);
	ck_assert_uint_eq(table.cells[0].count, 3 + 6);
	ck_assert(!table.cells[1].first.attributed);
	ck_assert_uint_eq(table.cells[1].count, 1);
	ck_assert_uint_eq(leak_table_total(&table), 10);
}
END_TEST

START_TEST(report_names)
{
	char b[16];

	ck_assert_str_eq(leak_reg_name(CREG_ZMM0 + 17, b, sizeof(b)), "zmm17");
	ck_assert_str_eq(leak_reg_name(CREG_ST0 + 7, b, sizeof(b)), "st7");
	ck_assert_str_eq(leak_reg_name(CREG_TMM0 + 2, b, sizeof(b)), "tmm2");
	ck_assert_str_eq(leak_component_name(CREG_ZMM0 + 3, 1), "sse");
	ck_assert_str_eq(leak_component_name(CREG_ZMM0 + 3, 3), "avx");
	ck_assert_str_eq(leak_component_name(CREG_ZMM0 + 3, 6), "zmm_hi256");
	ck_assert_str_eq(leak_component_name(CREG_ZMM0 + 20, 0), "hi16_zmm");
	ck_assert_str_eq(leak_component_name(CREG_K0 + 1, 0), "opmask");
	ck_assert_str_eq(leak_kind_name(LEAK_READER), "fresh vCPU");
	ck_assert_str_eq(leak_kind_name(LEAK_RESTORED), "restored VM");
	ck_assert_str_eq(leak_inject_name(INJECT_SNAPSHOT), "snapshot");
}
END_TEST

/* ---- verdicts and reports ---- */

static struct leak_config cfg = { .nr_vms = 2, .writers = 2, .duration_ms = 3000 };

static struct leak_finding fnd(unsigned int kind, unsigned int svm, unsigned int scpu,
			       unsigned int vvm, unsigned int vcpu)
{
	return (struct leak_finding){
		.kind = (uint8_t)kind, .attributed = 1, .src_vm = svm, .src_vcpu = scpu,
		.victim_vm = vvm, .victim_vcpu = vcpu, .reg = CREG_ZMM0 + 4, .word = 5,
		.offset = 1024, .round = 7, .value = 0xabc, .t_ms = 1500,
	};
}

START_TEST(judge_clean_and_leak)
{
	struct leak_run run = { .cfg = &cfg };
	struct leak_finding f = fnd(LEAK_GUEST, 1, 0, 0, 0);

	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_CLEAN);
	ck_assert_ptr_nonnull(strstr(run.verdict, "clean"));
	leak_table_add(&run.table, &f, 280);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_FOUND);
	ck_assert_str_eq(run.verdict, "LEAK: 280 register words crossed a boundary");
	leak_table_free(&run.table);
}
END_TEST

START_TEST(judge_self_tests)
{
	struct leak_run run = { .cfg = &cfg, .inject = INJECT_CROSS_VM, .injected = true,
				.expect = { .attributed = 1, .src_vm = 1 } };
	struct leak_finding guest = fnd(LEAK_GUEST, 1, 0, 0, 0), kvm = fnd(LEAK_KVM, 1, 0, 0, 0);
	struct leak_finding stray = fnd(LEAK_GUEST, 1, 1, 0, 0);

	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_SELFTEST_FAILED);
	ck_assert_ptr_nonnull(strstr(run.verdict, "the injected leak was not found"));
	leak_table_add(&run.table, &guest, 280);
	leak_table_add(&run.table, &kvm, 16);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_CLEAN);
	ck_assert_ptr_nonnull(strstr(run.verdict, "found (296 words) and attributed to VM1 vCPU0"));
	/* A word from the wrong source spoils the attribution. */
	leak_table_add(&run.table, &stray, 1);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_SELFTEST_FAILED);
	ck_assert_ptr_nonnull(strstr(run.verdict, "misattributed"));
	run.injected = false;
	leak_judge(&run);
	ck_assert_ptr_nonnull(strstr(run.verdict, "never took effect"));
	leak_table_free(&run.table);

	/* The host self-test wants its finding in the host thread, nowhere else. */
	run = (struct leak_run){ .cfg = &cfg, .inject = INJECT_HOST, .injected = true,
				 .expect = { .attributed = 1 } };
	guest = fnd(LEAK_GUEST, 0, 0, 0, 0);
	leak_table_add(&run.table, &guest, 5);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_SELFTEST_FAILED);
	leak_table_free(&run.table);
	kvm = fnd(LEAK_HOST, 0, 0, 0, 0);
	leak_table_add(&run.table, &kvm, 272);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_CLEAN);
	leak_table_free(&run.table);
}
END_TEST

START_TEST(judge_snapshot_self_test)
{
	static struct leak_config scfg = { .nr_vms = 2, .writers = 2, .snapshot = true };
	struct leak_run run = { .cfg = &scfg, .inject = INJECT_SNAPSHOT, .injected = true,
				.expect = { .attributed = 1, .src_vm = 1 } };
	struct leak_finding restored = fnd(LEAK_RESTORED, 1, 0, 0, 0);
	struct leak_finding guest = fnd(LEAK_GUEST, 1, 0, 0, 0);

	/* Taken and restored, but not found: the self-test fails (status 123). */
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_SELFTEST_FAILED);
	ck_assert_ptr_nonnull(strstr(run.verdict, "not found"));
	/* Only in the restored VM does it count: in the original it would be another leak. */
	leak_table_add(&run.table, &guest, 280);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_SELFTEST_FAILED);
	leak_table_free(&run.table);
	leak_table_add(&run.table, &restored, 552);
	leak_judge(&run);
	ck_assert_int_eq(run.result, LEAK_CLEAN);
	ck_assert_ptr_nonnull(strstr(run.verdict, "injected snapshot leak was found (552 words)"));
	leak_table_free(&run.table);
	run = (struct leak_run){ .cfg = &scfg };
	leak_judge(&run);
	ck_assert_ptr_nonnull(strstr(run.verdict, "nor through snapshots"));
}
END_TEST

static char *print(void (*fn)(FILE *, const struct leak_run *), const struct leak_run *run)
{
	static char out[16384];
	FILE *f = fmemopen(out, sizeof(out), "w");

	fn(f, run);
	fclose(f);
	return out;
}

START_TEST(report_formats)
{
	struct leak_run run = { .cfg = &cfg, .elapsed_ms = 2000,
				.total = { .rounds = 1000, .exits = 2000, .host_bytes = 1000000,
					   .readers = 12, .xcr0 = 0xe7 } };
	struct leak_finding f = fnd(LEAK_GUEST, 1, 0, 0, 1);
	char *out;

	leak_table_add(&run.table, &f, 280);
	leak_judge(&run);
	run.status = 122;	/* the command's decision, which the reports carry */
	out = print(leak_print_text, &run);
	ck_assert_ptr_nonnull(strstr(out, "2 VMs x 2 vCPUs for 2.0 s, XCR0 0xe7"));
	ck_assert_ptr_nonnull(strstr(out, "exits checked     2000 (1000/s)"));
	ck_assert_ptr_nonnull(strstr(out, "  VM1  vCPU0           .     280       .       ."));
	ck_assert_ptr_nonnull(strstr(out, "VM1 vCPU0 -> VM0 vCPU1 guest registers: 280 words; first "
				     "zmm4 word 5 (zmm_hi256, byte 1024), source round 7"));
	ck_assert_ptr_nonnull(strstr(out, "result: LEAK: 280 register words"));
	out = print(leak_print_json, &run);
	ck_assert_ptr_nonnull(strstr(out, "\"source\": {\"vm\": 1, \"vcpu\": 0}, \"victim\": "
				     "{\"kind\": \"guest\", \"vm\": 0, \"vcpu\": 1}, \"count\": 280"));
	ck_assert_ptr_nonnull(strstr(out, "\"status\": 122"));
	out = print(leak_print_tap, &run);
	ck_assert_ptr_nonnull(strstr(out, "not ok 1 - VM0: writers' registers hold only their own"));
	ck_assert_ptr_nonnull(strstr(out, "ok 2 - VM0: KVM state"));
	ck_assert_ptr_nonnull(strstr(out, "ok 8 - VM1: host threads carry no guest canaries\n"));
	ck_assert_ptr_nonnull(strstr(out, "1..8\n"));
	ck_assert_ptr_null(strstr(out, "restored"));
	/* A VM's reason can quote its guest: it must not start a TAP line of its own. */
	snprintf(run.verdict, sizeof(run.verdict), "VM0 failed: panic: x\nok 99 - forged\r\033[2J\xff");
	out = print(leak_print_tap, &run);
	ck_assert_ptr_nonnull(strstr(out, "# VM0 failed: panic: x?ok 99 - forged??[2J\xef\xbf\xbd\n1..8\n"));
	leak_table_free(&run.table);
}
END_TEST

START_TEST(report_formats_with_snapshots)
{
	static struct leak_config scfg = { .nr_vms = 2, .writers = 2, .snapshot = true };
	struct leak_run run = { .cfg = &scfg, .elapsed_ms = 2000,
				.total = { .snapshots = 4, .restores = 4, .xcr0 = 0xe7 } };
	struct leak_finding f = fnd(LEAK_RESTORED, 1, 1, 1, 1);
	char *out;

	leak_table_add(&run.table, &f, 9);
	leak_judge(&run);
	out = print(leak_print_text, &run);
	ck_assert_ptr_nonnull(strstr(out, "snapshots         4 taken, 4 restored in new "
				     "processes"));
	ck_assert_ptr_nonnull(strstr(out, "  VM1  vCPU1           .       .       .       9"));
	ck_assert_ptr_nonnull(strstr(out, "VM1 vCPU1 -> VM1 vCPU1 restored VM: 9 words"));
	out = print(leak_print_json, &run);
	ck_assert_ptr_nonnull(strstr(out, "\"snapshot\": true, \"pin_cpu\": null, "
				     "\"neighbour\": null}"));
	ck_assert_ptr_nonnull(strstr(out, "\"snapshots\": 4, \"restores\": 4"));
	ck_assert_ptr_nonnull(strstr(out, "\"victim\": {\"kind\": \"restored\", \"vm\": 1"));
	out = print(leak_print_tap, &run);
	ck_assert_ptr_nonnull(strstr(out, "ok 5 - VM0: restored writers hold only their own "
				     "canaries, of one round\n"));
	ck_assert_ptr_nonnull(strstr(out, "not ok 10 - VM1: restored writers"));
	ck_assert_ptr_nonnull(strstr(out, "1..10\n"));
	leak_table_free(&run.table);
}
END_TEST

/* --pin and --neighbour in every format; the switches the check covered, and per second. */
START_TEST(report_counts_switches)
{
	static struct leak_config pcfg = { .nr_vms = 2, .writers = 2, .pin = true, .pin_cpu = 1,
					   .neighbour = "hello.elf" };
	struct leak_run run = { .cfg = &pcfg, .elapsed_ms = 2000, .neighbour_ok = true,
				.total = { .exits = 5000, .voluntary_switches = 3000,
					   .involuntary_switches = 1000, .xcr0 = 0xe7 } };
	char *out;

	leak_judge(&run);
	out = print(leak_print_text, &run);
	ck_assert_ptr_nonnull(strstr(out, "  context switches  4000 (2000/s): 3000 voluntary, 1000 "
				     "involuntary, of the VM processes' threads, all on one CPU\n"));
	ck_assert_ptr_nonnull(strstr(out, "  pinned            every VM process on host CPU 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "  neighbour         hello.elf, booted again until the end: "
				     "every boot ended well\n"));
	out = print(leak_print_json, &run);
	ck_assert_ptr_nonnull(strstr(out, "\"pin_cpu\": 1, \"neighbour\": \"hello.elf\"}"));
	ck_assert_ptr_nonnull(strstr(out, "\"voluntary_switches\": 3000, \"involuntary_switches\": "
				     "1000, \"switches_per_s\": 2000}"));
	ck_assert_ptr_nonnull(strstr(out, "\"neighbour_ok\": true,"));
	out = print(leak_print_tap, &run);
	ck_assert_ptr_nonnull(strstr(out, "# 4000 context switches (2000/s), 5000 exits checked "
				     "(2500/s), every VM process on one CPU\n"));
	/* Unpinned, the report says nothing of one CPU. */
	pcfg.pin = false;
	out = print(leak_print_text, &run);
	ck_assert_ptr_null(strstr(out, "one CPU"));
	ck_assert_ptr_null(strstr(out, "pinned"));
	leak_table_free(&run.table);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("leak");
	TCase *c = tcase_create("canary"), *sc = tcase_create("scan"), *r = tcase_create("report");

	tcase_add_test(c, canary_round_trip);
	tcase_add_test(c, non_canaries_rarely_decode);
	tcase_add_test(c, slot_walk_covers_each_component);
	tcase_add_checked_fixture(sc, setup, teardown);
	tcase_add_test(sc, kvm_scan_accepts_own_canaries_and_init);
	tcase_add_test(sc, kvm_scan_attributes_foreign_canaries);
	tcase_add_test(sc, kvm_scan_ignores_components_in_init_state);
	tcase_add_test(sc, restored_scan_wants_one_round_of_own_canaries);
	tcase_add_test(sc, restored_scan_of_a_foreign_image);
	tcase_add_test(sc, host_scan_counts_only_what_kvm_run_changed);
	tcase_add_checked_fixture(r, setup, teardown);
	tcase_add_test(r, report_attribution);
	tcase_add_test(r, report_names);
	tcase_add_test(r, judge_clean_and_leak);
	tcase_add_test(r, judge_self_tests);
	tcase_add_test(r, judge_snapshot_self_test);
	tcase_add_test(r, report_formats);
	tcase_add_test(r, report_formats_with_snapshots);
	tcase_add_test(r, report_counts_switches);
	suite_add_tcase(s, c);
	suite_add_tcase(s, sc);
	suite_add_tcase(s, r);
	return run_suite(s);
}
