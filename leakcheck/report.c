// SPDX-License-Identifier: MIT
/* fpvm leakcheck reports: a source-to-victim matrix as text, JSON and TAP. */
#include <stdlib.h>
#include <string.h>

#include "../guest/canary.h"
#include "../base/json.h"
#include "../base/utf8.h"
#include "leakcheck.h"

void leak_run_release(struct leak_run *run)
{
	for (unsigned int i = 0; run->vm_stats && i < run->cfg->nr_vms; i++)
		free(run->vm_stats[i]);
	free(run->vm_stats);
	run->vm_stats = NULL;
	leak_table_free(&run->table);
}

const char *leak_inject_name(enum leak_inject inject)
{
	static const char *const names[] = {
		[INJECT_NONE] = "none", [INJECT_CROSS_VM] = "cross-vm",
		[INJECT_CROSS_VCPU] = "cross-vcpu", [INJECT_HOST] = "host",
		[INJECT_FRESH_VCPU] = "fresh-vcpu", [INJECT_SNAPSHOT] = "snapshot",
	};

	return names[inject];
}

const char *leak_component_name(unsigned int reg, unsigned int word)
{
	if (reg < CREG_ST0 + 8)
		return "x87";
	if (reg >= CREG_ZMM0 && reg < CREG_ZMM0 + 32) {
		if (reg >= CREG_ZMM0 + 16)
			return "hi16_zmm";
		return word < 2 ? "sse" : word < 4 ? "avx" : "zmm_hi256";
	}
	if (reg >= CREG_K0 && reg < CREG_K0 + 8)
		return "opmask";
	if (reg == CREG_PKRU)
		return "pkru";
	if (reg >= CREG_BND0 && reg < CREG_BND0 + 4)
		return "bndregs";
	if (reg >= CREG_TMM0 && reg < CREG_TMM0 + 8)
		return "xtiledata";
	return "control words";
}

bool leak_cell_expected(const struct leak_run *run, const struct leak_cell *c)
{
	const struct leak_finding *f = &c->first, *e = &run->expect;
	bool kind_ok = run->inject == INJECT_HOST ? f->kind == LEAK_HOST
		       : run->inject == INJECT_FRESH_VCPU ? f->kind == LEAK_READER
		       : run->inject == INJECT_SNAPSHOT ? f->kind == LEAK_RESTORED
		       : f->kind == LEAK_GUEST || f->kind == LEAK_KVM;

	return run->inject != INJECT_NONE && f->attributed && kind_ok &&
	       f->src_vm == e->src_vm && f->src_vcpu == e->src_vcpu &&
	       f->victim_vm == e->victim_vm && f->victim_vcpu == e->victim_vcpu;
}

void leak_judge(struct leak_run *run)
{
	uint64_t total = leak_table_total(&run->table), expected = 0;

	for (unsigned int i = 0; i < run->table.nr; i++)
		if (leak_cell_expected(run, &run->table.cells[i]))
			expected += run->table.cells[i].count;
	if (run->inject == INJECT_NONE) {
		run->result = total ? LEAK_FOUND : LEAK_CLEAN;
		if (total)
			snprintf(run->verdict, sizeof(run->verdict),
				 "LEAK: %llu register words crossed a boundary", (unsigned long long)total);
		else
			snprintf(run->verdict, sizeof(run->verdict), "clean: no register content "
				 "crossed between VMs, vCPUs or into the host%s",
				 run->cfg->snapshot ? ", nor through snapshots" : "");
		return;
	}
	/* Every injected word found, and nothing else: exact attribution. */
	if (run->injected && expected && expected == total) {
		run->result = LEAK_CLEAN;
		snprintf(run->verdict, sizeof(run->verdict), "self-test passed: the injected %s leak "
			 "was found (%llu words) and attributed to VM%u vCPU%u",
			 leak_inject_name(run->inject), (unsigned long long)expected,
			 run->expect.src_vm, run->expect.src_vcpu);
		return;
	}
	run->result = LEAK_SELFTEST_FAILED;
	snprintf(run->verdict, sizeof(run->verdict), "SELF-TEST FAILED: %s",
		 !run->injected ? "the injection never took effect"
		 : !expected ? "the injected leak was not found"
			     : "findings beyond the injected leak, or misattributed");
}

static double per_s(uint64_t n, uint64_t ms)
{
	return ms ? (double)n * 1000.0 / (double)ms : 0;
}

static void describe(FILE *f, const struct leak_cell *c)
{
	const struct leak_finding *x = &c->first;
	char reg[16];

	if (x->attributed)
		fprintf(f, "  VM%u vCPU%u -> ", x->src_vm, x->src_vcpu);
	else
		fprintf(f, "  (no canary)  -> ");
	fprintf(f, "VM%u vCPU%u %s: %llu word%s; first %s word %u (%s, byte %u)", x->victim_vm,
		x->victim_vcpu, leak_kind_name(x->kind), (unsigned long long)c->count,
		c->count == 1 ? "" : "s", leak_reg_name(x->reg, reg, sizeof(reg)), x->word,
		leak_component_name(x->reg, x->word), x->offset);
	if (x->attributed)
		fprintf(f, ", source round %u", x->round);
	fprintf(f, ", value 0x%016llx, at %.2f s\n", (unsigned long long)x->value,
		(double)x->t_ms / 1000.0);
}

/* Every context switch of the VM processes' threads: each may switch FPU state. */
static uint64_t switches(const struct leak_stats *s)
{
	return s->voluntary_switches + s->involuntary_switches;
}

void leak_print_text(FILE *f, const struct leak_run *run)
{
	const struct leak_config *c = run->cfg;
	const struct leak_stats *s = &run->total;
	uint64_t bytes = s->host_bytes + s->kvm_bytes + s->guest_bytes;
	char names[128];

	fprintf(f, "fpvm leakcheck: %u VM%s x %u vCPU%s for %.1f s, XCR0 0x%llx (%s)\n", c->nr_vms,
		c->nr_vms == 1 ? "" : "s", c->writers, c->writers == 1 ? "" : "s",
		(double)run->elapsed_ms / 1000.0, (unsigned long long)s->xcr0,
		xfeatures_str(s->xcr0, names, sizeof(names)));
	fprintf(f, "  writer rounds     %llu (%.0f/s)\n", (unsigned long long)s->rounds,
		per_s(s->rounds, run->elapsed_ms));
	fprintf(f, "  exits checked     %llu (%.0f/s)\n", (unsigned long long)s->exits,
		per_s(s->exits, run->elapsed_ms));
	fprintf(f, "  context switches  %llu (%.0f/s): %llu voluntary, %llu involuntary, of the VM "
		"processes' threads%s\n", (unsigned long long)switches(s),
		per_s(switches(s), run->elapsed_ms), (unsigned long long)s->voluntary_switches,
		(unsigned long long)s->involuntary_switches, c->pin ? ", all on one CPU" : "");
	if (c->pin)
		fprintf(f, "  pinned            every VM process on host CPU %u\n", c->pin_cpu);
	if (c->neighbour)
		fprintf(f, "  neighbour         %s, booted again until the end: %s\n", c->neighbour,
			run->neighbour_ok ? "every boot ended well" : "FAILED");
	fprintf(f, "  state checked     %.1f MB (%.1f MB/s): host %.1f, KVM %.1f, guests %.1f MB\n",
		bytes / 1e6, per_s(bytes, run->elapsed_ms) / 1e6, s->host_bytes / 1e6,
		s->kvm_bytes / 1e6, s->guest_bytes / 1e6);
	fprintf(f, "  fresh vCPUs       %llu read their registers first\n",
		(unsigned long long)s->readers);
	if (c->snapshot)
		fprintf(f, "  snapshots         %llu taken, %llu restored in new processes\n",
			(unsigned long long)s->snapshots, (unsigned long long)s->restores);
	if (run->inject != INJECT_NONE)
		fprintf(f, "  injected          %s: VM%u vCPU%u's state into VM%u vCPU%u%s, %s\n",
			leak_inject_name(run->inject), run->expect.src_vm, run->expect.src_vcpu,
			run->expect.victim_vm, run->expect.victim_vcpu,
			run->inject == INJECT_HOST ? " host thread"
			: run->inject == INJECT_FRESH_VCPU ? " (a fresh vCPU)"
			: run->inject == INJECT_SNAPSHOT ? "'s snapshot image" : "",
			run->injected ? "done" : "NOT DONE");

	fprintf(f, "source -> victim (register words)\n%-16s", "");
	for (unsigned int v = 0; v < c->nr_vms; v++)
		for (unsigned int p = 0; p < c->writers; p++) {
			char col[32];

			snprintf(col, sizeof(col), "VM%u/%u", v, p);
			fprintf(f, " %7s", col);
		}
	fprintf(f, " %7s %7s\n", "host", "fresh");
	for (int srow = -1; srow < (int)(c->nr_vms * c->writers); srow++) {
		uint64_t row[CANARY_MAX_VMS * CANARY_MAX_VCPUS + 2] = { 0 }, any = 0;
		unsigned int ncol = c->nr_vms * c->writers;

		for (unsigned int i = 0; i < run->table.nr; i++) {
			const struct leak_finding *x = &run->table.cells[i].first;
			int src = x->attributed ? (int)(x->src_vm * c->writers + x->src_vcpu) : -1;
			unsigned int col = x->kind == LEAK_HOST ? ncol : x->kind == LEAK_READER
				? ncol + 1 : x->victim_vm * c->writers + x->victim_vcpu;

			if (src != srow || col > ncol + 1)
				continue;
			row[col] += run->table.cells[i].count;
			any += run->table.cells[i].count;
		}
		if (!any)
			continue;
		if (srow < 0)
			fprintf(f, "  %-14s", "(no canary)");
		else
			fprintf(f, "  VM%-2u vCPU%-5u", srow / c->writers, srow % c->writers);
		for (unsigned int col = 0; col < ncol + 2; col++)
			if (row[col])
				fprintf(f, " %7llu", (unsigned long long)row[col]);
			else
				fprintf(f, " %7s", ".");
		fputc('\n', f);
	}
	if (!run->table.nr)
		fprintf(f, "  (none)\n");
	else
		fprintf(f, "first occurrences\n");
	for (unsigned int i = 0; i < run->table.nr; i++)
		describe(f, &run->table.cells[i]);
	fprintf(f, "result: %s\n", run->verdict);
}

static const char *json_kind(unsigned int kind)
{
	static const char *const names[LEAK_NR_KINDS] = {
		[LEAK_GUEST] = "guest", [LEAK_KVM] = "kvm", [LEAK_READER] = "fresh-vcpu",
		[LEAK_HOST] = "host", [LEAK_RESTORED] = "restored",
	};

	return kind < LEAK_NR_KINDS ? names[kind] : "?";
}

static void json_finding(FILE *f, const struct leak_cell *c)
{
	const struct leak_finding *x = &c->first;
	char reg[16];

	fputs("{\"source\": ", f);
	if (x->attributed)
		fprintf(f, "{\"vm\": %u, \"vcpu\": %u}", x->src_vm, x->src_vcpu);
	else
		fputs("null", f);
	fprintf(f, ", \"victim\": {\"kind\": \"%s\", \"vm\": %u, \"vcpu\": %u}, \"count\": %llu, "
		"\"first\": {\"component\": \"%s\", \"register\": \"%s\", \"word\": %u, "
		"\"byte_offset\": %u, \"round\": ", json_kind(x->kind), x->victim_vm,
		x->victim_vcpu, (unsigned long long)c->count,
		leak_component_name(x->reg, x->word), leak_reg_name(x->reg, reg, sizeof(reg)),
		x->word, x->offset);
	if (x->attributed)
		fprintf(f, "%u", x->round);
	else
		fputs("null", f);
	fprintf(f, ", \"value\": \"0x%016llx\", \"t_ms\": %llu}}", (unsigned long long)x->value,
		(unsigned long long)x->t_ms);
}

void leak_print_json(FILE *f, const struct leak_run *run)
{
	const struct leak_stats *s = &run->total;

	fprintf(f, "{\"config\": {\"vms\": %u, \"cpus\": %u, \"duration_ms\": %u, \"xcr0\": "
		"\"0x%llx\", \"inject\": \"%s\", \"snapshot\": %s", run->cfg->nr_vms,
		run->cfg->writers, run->cfg->duration_ms, (unsigned long long)s->xcr0,
		leak_inject_name(run->inject), run->cfg->snapshot ? "true" : "false");
	if (run->cfg->pin)
		fprintf(f, ", \"pin_cpu\": %u", run->cfg->pin_cpu);
	else
		fputs(", \"pin_cpu\": null", f);
	fputs(", \"neighbour\": ", f);
	if (run->cfg->neighbour)
		json_str(f, run->cfg->neighbour);
	else
		fputs("null", f);
	fputs("},\n", f);
	fprintf(f, " \"stats\": {\"elapsed_ms\": %llu, \"rounds\": %llu, \"exits_checked\": %llu, "
		"\"host_bytes\": %llu, \"kvm_bytes\": %llu, \"guest_bytes\": %llu, "
		"\"fresh_vcpus\": %llu, \"snapshots\": %llu, \"restores\": %llu, "
		"\"exits_per_s\": %.0f, \"bytes_per_s\": %.0f, \"voluntary_switches\": %llu, "
		"\"involuntary_switches\": %llu, \"switches_per_s\": %.0f},\n",
		(unsigned long long)run->elapsed_ms, (unsigned long long)s->rounds,
		(unsigned long long)s->exits, (unsigned long long)s->host_bytes,
		(unsigned long long)s->kvm_bytes, (unsigned long long)s->guest_bytes,
		(unsigned long long)s->readers, (unsigned long long)s->snapshots,
		(unsigned long long)s->restores, per_s(s->exits, run->elapsed_ms),
		per_s(s->host_bytes + s->kvm_bytes + s->guest_bytes, run->elapsed_ms),
		(unsigned long long)s->voluntary_switches, (unsigned long long)s->involuntary_switches,
		per_s(switches(s), run->elapsed_ms));
	if (run->cfg->neighbour)
		fprintf(f, " \"neighbour_ok\": %s,\n", run->neighbour_ok ? "true" : "false");
	if (run->inject != INJECT_NONE)
		fprintf(f, " \"injected\": {\"mode\": \"%s\", \"source\": {\"vm\": %u, \"vcpu\": %u}, "
			"\"victim\": {\"vm\": %u, \"vcpu\": %u}, \"done\": %s, \"t_ms\": %llu},\n",
			leak_inject_name(run->inject), run->expect.src_vm, run->expect.src_vcpu,
			run->expect.victim_vm, run->expect.victim_vcpu,
			run->injected ? "true" : "false", (unsigned long long)run->injected_ms);
	fputs(" \"leaks\": [", f);
	for (unsigned int i = 0; i < run->table.nr; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		json_finding(f, &run->table.cells[i]);
	}
	fputs("],\n \"vm_stats\": [", f);
	for (unsigned int i = 0; i < run->cfg->nr_vms; i++) {
		const char *st = run->vm_stats ? run->vm_stats[i] : NULL;
		size_t n = st ? strlen(st) : 0;

		while (n && st[n - 1] == '\n')
			n--;
		fputs(i ? ",\n  " : "\n  ", f);
		if (n && st[0] == '{' && st[n - 1] == '}')
			fwrite(st, 1, n, f);
		else
			fputs("null", f);
	}
	fprintf(f, "],\n \"total_words\": %llu, \"status\": %d, \"result\": ",
		(unsigned long long)leak_table_total(&run->table), run->status);
	json_str(f, run->verdict);
	fputs("}\n", f);
}

/* One TAP line per VM and place a leak could show, plus the self-test. */
void leak_print_tap(FILE *f, const struct leak_run *run)
{
	static const char *const what[LEAK_NR_KINDS] = {
		[LEAK_GUEST] = "writers' registers hold only their own canaries",
		[LEAK_KVM] = "KVM state holds only each writer's own canaries",
		[LEAK_READER] = "fresh vCPUs start in init state",
		[LEAK_HOST] = "host threads carry no guest canaries",
		[LEAK_RESTORED] = "restored writers hold only their own canaries, of one round",
	};
	unsigned int n = 0;

	for (unsigned int vm = 0; vm < run->cfg->nr_vms; vm++)
		for (unsigned int kind = 0; kind < LEAK_NR_KINDS; kind++) {
			uint64_t bad = 0, expected = 0;
			const struct leak_cell *first = NULL;

			if (kind == LEAK_RESTORED && !run->cfg->snapshot)
				continue;
			for (unsigned int i = 0; i < run->table.nr; i++) {
				const struct leak_cell *c = &run->table.cells[i];

				if (c->first.victim_vm != vm || c->first.kind != kind)
					continue;
				if (leak_cell_expected(run, c)) {
					expected += c->count;
					continue;
				}
				bad += c->count;
				if (!first)
					first = c;
			}
			fprintf(f, "%s %u - VM%u: %s", bad ? "not ok" : "ok", ++n, vm, what[kind]);
			if (expected)
				fprintf(f, " (apart from the %llu injected words)",
					(unsigned long long)expected);
			fputc('\n', f);
			if (first) {
				fputs("#", f);
				describe(f, first);
			}
		}
	if (run->inject != INJECT_NONE)
		fprintf(f, "%s %u - injected %s leak found and attributed to VM%u vCPU%u\n",
			run->result != LEAK_CLEAN ? "not ok" : "ok", ++n, leak_inject_name(run->inject),
			run->expect.src_vm, run->expect.src_vcpu);
	fprintf(f, "# %llu context switches (%.0f/s), %llu exits checked (%.0f/s)%s\n",
		(unsigned long long)switches(&run->total), per_s(switches(&run->total), run->elapsed_ms),
		(unsigned long long)run->total.exits, per_s(run->total.exits, run->elapsed_ms),
		run->cfg->pin ? ", every VM process on one CPU" : "");
	/* The verdict may quote a guest's panic message: one printable line of it. */
	fputs("# ", f);
	utf8_put_line(f, run->verdict, strlen(run->verdict), 0);
	fprintf(f, "\n1..%u\n", n);
}
