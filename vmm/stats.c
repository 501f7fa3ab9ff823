// SPDX-License-Identifier: MIT
/*
 * A VM's statistics (fpvm run --stats, leakcheck's VMs): where the time
 * went (phases, KVM_RUN against the VMM), what the guest made KVM do (exits
 * by reason, per vCPU), where the host ran each vCPU thread and how often
 * it switched it out, and what the VM costs in memory.  RSS counts every
 * resident page, PSS divides shared ones among their users, USS is this
 * process's private memory alone (Documentation/filesystems/proc.rst,
 * smaps); guest RAM is told apart by its mapping, so "fpvm's own" is USS
 * minus guest RAM's private part.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vcpu/vcpu.h"
#include "stats.h"

const char *vm_phase_name(enum vm_phase phase)
{
	static const char *const names[NR_VM_PHASES] = {
		[VM_PHASE_CREATE] = "vm_create", [VM_PHASE_FPSTATE] = "fpstate",
		[VM_PHASE_DEVICES] = "devices", [VM_PHASE_LOAD] = "load",
		[VM_PHASE_FDT] = "fdt", [VM_PHASE_VCPUS] = "vcpus", [VM_PHASE_RUN] = "run",
	};

	return names[phase];
}

struct smaps_sum {
	uint64_t rss, pss, private_kib;
};

/* Adds a "Key:   N kB" line of smaps to @s. */
static void add_field(const char *line, struct smaps_sum *s)
{
	unsigned long long kib;

	if (sscanf(line, "Rss: %llu kB", &kib) == 1)
		s->rss += kib;
	else if (sscanf(line, "Pss: %llu kB", &kib) == 1)
		s->pss += kib;
	else if (sscanf(line, "Private_Clean: %llu kB", &kib) == 1 ||
		 sscanf(line, "Private_Dirty: %llu kB", &kib) == 1)
		s->private_kib += kib;
}

int vm_read_memory(const void *guest, uint64_t guest_size, struct mem_figures *m)
{
	uintptr_t lo = (uintptr_t)guest, hi = lo + guest_size;
	struct smaps_sum all = { 0 }, ram = { 0 };
	bool in_guest = false;
	char line[512];
	FILE *f;

	*m = (struct mem_figures){ 0 };
	f = fopen("/proc/self/smaps_rollup", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		add_field(line, &all);
	fclose(f);
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;

		/* A mapping's first line: "start-end perms offset dev inode [path]". */
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2 && strchr(line, '-') <
		    strchr(line, ' ')) {
			in_guest = guest && start >= lo && end <= hi;
			continue;
		}
		if (in_guest)
			add_field(line, &ram);
	}
	fclose(f);
	*m = (struct mem_figures){
		.rss_kib = all.rss, .pss_kib = all.pss, .uss_kib = all.private_kib,
		.guest_rss_kib = ram.rss, .guest_private_kib = ram.private_kib,
	};
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static uint64_t vcpu_exits(const struct vcpu_stats *v)
{
	uint64_t n = 0;

	for (unsigned int r = 0; r < VCPU_EXIT_REASONS; r++)
		n += v->exits[r];
	return n;
}

static void print_exits(FILE *f, bool json, const struct vcpu_stats *v)
{
	bool first = true;

	for (unsigned int r = 0; r < VCPU_EXIT_REASONS; r++) {
		char name[32];

		if (!v->exits[r])
			continue;
		snprintf(name, sizeof(name), "%s", kvm_exit_reason_name(r));
		for (char *c = name; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		fprintf(f, json ? "%s\"%s\": %" PRIu64 : "%s%s %" PRIu64, first ? "" : ", ", name,
			v->exits[r]);
		first = false;
	}
}

/* -1, a counter the thread could not read, is null. */
static void print_counter(FILE *f, const char *name, int64_t v)
{
	if (v < 0)
		fprintf(f, ", \"%s\": null", name);
	else
		fprintf(f, ", \"%s\": %lld", name, (long long)v);
}

/* What the host's scheduler did with the vCPU's thread (vcpu_host.c). */
static void print_host_json(FILE *f, const struct vcpu_stats *v)
{
	char cpus[128];

	fprintf(f, ", \"host_cpus\": \"%s\"", cpu_mask_format(&v->host_cpus, cpus, sizeof(cpus)));
	print_counter(f, "voluntary_switches", v->voluntary_switches);
	print_counter(f, "involuntary_switches", v->involuntary_switches);
	print_counter(f, "migrations", v->migrations);
}

static void print_host_text(FILE *f, unsigned int i, const struct vcpu_stats *v)
{
	char cpus[128];

	fprintf(f, "fpvm: stats: vcpu %u: host CPUs %s", i,
		cpu_mask_count(&v->host_cpus) ? cpu_mask_format(&v->host_cpus, cpus, sizeof(cpus))
					      : "unknown");
	if (v->voluntary_switches >= 0 && v->involuntary_switches >= 0)
		fprintf(f, "; context switches %lld voluntary, %lld involuntary",
			(long long)v->voluntary_switches, (long long)v->involuntary_switches);
	else
		fputs("; context switches unknown (no /proc/thread-self/status)", f);
	if (v->migrations >= 0)
		fprintf(f, "; migrations %lld\n", (long long)v->migrations);
	else
		fputs("; migrations unknown (no se.nr_migrations: a kernel without "
		      "CONFIG_SCHED_DEBUG)\n", f);
}

/*
 * The VMM's own time per exit, what the exit benchmark (bench/bench_exits.c)
 * sets against a raw KVM loop: the time between KVM_RUN calls over the exits.
 */
static double us_per_exit(const struct vcpu_stats *v)
{
	uint64_t n = vcpu_exits(v);

	return n ? (double)v->vmm_ns / 1e3 / (double)n : 0;
}

static void print_json(FILE *f, const struct vm_run_stats *rs)
{
	const struct mem_figures *m = &rs->mem;

	fprintf(f, "{\"phases_ms\": {\"kvm_open\": %.3f, \"fpu_config\": %.3f", ms(rs->kvm_open_ns),
		ms(rs->fpu_cfg_ns));
	for (enum vm_phase p = 0; p < NR_VM_PHASES; p++)
		fprintf(f, ", \"%s\": %.3f", vm_phase_name(p), ms(rs->vm.phase_ns[p]));
	fprintf(f, ", \"first_exit\": %.3f, \"teardown\": %.3f, \"total\": %.3f}, \"vcpus\": [",
		ms(rs->vm.first_exit_ns), ms(rs->teardown_ns), ms(rs->total_ns));
	for (unsigned int i = 0; i < rs->nr_vcpus; i++) {
		const struct vcpu_stats *v = &rs->vcpus[i];

		fprintf(f, "%s{\"id\": %u, \"exits\": %" PRIu64 ", \"exits_by_reason\": {", i ? ", " : "",
			i, vcpu_exits(v));
		print_exits(f, true, v);
		fprintf(f, "}, \"kvm_run_ms\": %.3f, \"vmm_ms\": %.3f, \"vmm_us_per_exit\": %.3f",
			ms(v->run_ns), ms(v->vmm_ns), us_per_exit(v));
		print_host_json(f, v);
		fputs("}", f);
	}
	fputs("]", f);
	fprintf(f, ", \"snapshot_ns\": %" PRIu64 ", \"coalesced_serial_writes\": %" PRIu64,
		rs->vm.snapshot_ns, rs->vm.coalesced_writes);
	if (rs->have_mem)
		fprintf(f, ", \"memory_kib\": {\"rss\": %" PRIu64 ", \"pss\": %" PRIu64 ", \"uss\": %"
			PRIu64 ", \"guest_ram_rss\": %" PRIu64 ", \"guest_ram_private\": %" PRIu64
			", \"fpvm_private\": %" PRIu64 "}", m->rss_kib, m->pss_kib, m->uss_kib,
			m->guest_rss_kib, m->guest_private_kib, m->uss_kib - m->guest_private_kib);
	fputs("}\n", f);
}

static void print_text(FILE *f, const struct vm_run_stats *rs)
{
	const struct mem_figures *m = &rs->mem;

	fprintf(f, "fpvm: stats: phases (ms): kvm_open %.3f, fpu_config %.3f", ms(rs->kvm_open_ns),
		ms(rs->fpu_cfg_ns));
	for (enum vm_phase p = 0; p < NR_VM_PHASES; p++)
		fprintf(f, ", %s %.3f", vm_phase_name(p), ms(rs->vm.phase_ns[p]));
	fprintf(f, " (first exit %.3f), teardown %.3f; total %.3f\n", ms(rs->vm.first_exit_ns),
		ms(rs->teardown_ns), ms(rs->total_ns));
	for (unsigned int i = 0; i < rs->nr_vcpus; i++) {
		const struct vcpu_stats *v = &rs->vcpus[i];

		fprintf(f, "fpvm: stats: vcpu %u: %" PRIu64 " exits (", i, vcpu_exits(v));
		print_exits(f, false, v);
		fprintf(f, "), %.3f ms in KVM_RUN, %.3f ms in the VMM (%.3f us per exit)\n",
			ms(v->run_ns), ms(v->vmm_ns), us_per_exit(v));
		print_host_text(f, i, v);
	}
	if (rs->vm.coalesced_writes)
		fprintf(f, "fpvm: stats: serial: %" PRIu64 " THR writes without an exit (coalesced "
			"PIO)\n", rs->vm.coalesced_writes);
	if (rs->have_mem)
		fprintf(f, "fpvm: stats: memory (KiB): RSS %" PRIu64 ", PSS %" PRIu64 ", USS %" PRIu64
			"; guest RAM %" PRIu64 " resident, %" PRIu64 " private; fpvm's own private %"
			PRIu64 "\n", m->rss_kib, m->pss_kib, m->uss_kib, m->guest_rss_kib,
			m->guest_private_kib, m->uss_kib - m->guest_private_kib);
}

void vm_stats_print(FILE *f, bool json, const struct vm_run_stats *rs)
{
	if (json)
		print_json(f, rs);
	else
		print_text(f, rs);
	fflush(f);
}

int vm_stats_collect(struct vm_run_stats *rs, const struct vm *vm)
{
	rs->vm = vm->stats;
	rs->vcpus = calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, sizeof(*rs->vcpus));
	if (!rs->vcpus)
		return -ENOMEM;
	rs->nr_vcpus = vm->nr_vcpus;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		rs->vcpus[i] = vm->vcpus[i]->stats;
	rs->have_mem = !vm_read_memory(vm->mem.host, vm->mem.size, &rs->mem);
	return 0;
}

void vm_stats_release(struct vm_run_stats *rs)
{
	free(rs->vcpus);
	rs->vcpus = NULL;
}
