/* SPDX-License-Identifier: MIT */
/*
 * fpvm leakcheck: writer VMs fill their registers with canaries, fresh
 * vCPUs and the host thread are checked for them (scan.c, report.c, vm.c, and
 * leakcheck.c, which coordinates them; proto.h is their wire protocol).
 */
#ifndef FPVM_LEAKCHECK_H
#define FPVM_LEAKCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"
#include "../fpstate/fpstate.h"
#include "../vmm/vm.h"

enum leak_inject {
	INJECT_NONE,
	INJECT_CROSS_VM,	/* VM 1 vCPU 0's state into VM 0 vCPU 0 (KVM_SET_XSAVE) */
	INJECT_CROSS_VCPU,	/* VM 0 vCPU 1's state into VM 0 vCPU 0 */
	INJECT_HOST,		/* VM 0 vCPU 0's guest state into its host thread */
	INJECT_FRESH_VCPU,	/* VM 0 vCPU 0's state into VM 0's next fresh vCPU */
	INJECT_SNAPSHOT,	/* VM 1 vCPU 0's state into VM 0 vCPU 0's snapshot image */
	INJECT_NR,
};

struct fpvm_leak_report;

/* Where a leaked value turned up. */
enum leak_victim_kind {
	LEAK_GUEST,	/* a writer's own registers, as the guest read them */
	LEAK_KVM,	/* a writer's state as KVM_GET_XSAVE2 returned it */
	LEAK_READER,	/* a freshly created vCPU's first XSAVE */
	LEAK_HOST,	/* the VMM thread's registers after KVM_RUN */
	LEAK_RESTORED,	/* a restored writer: KVM_GET_XSAVE2 after the restore, and on */
	LEAK_NR_KINDS,
};

struct leak_finding {
	uint8_t kind;			/* enum leak_victim_kind */
	uint8_t attributed;		/* src_* and round are known */
	uint16_t reg, word;		/* where it was found (guest/canary.h ids) */
	uint32_t offset;		/* byte offset in the XSAVE image */
	uint32_t victim_vm, victim_vcpu;
	uint32_t src_vm, src_vcpu, round;
	uint64_t value;
	uint64_t t_ms;			/* since the run started */
};

/* A source-to-victim cell: how many words, and the first of them. */
struct leak_cell {
	struct leak_finding first;
	uint64_t count;
};

struct leak_table {
	struct leak_cell *cells;
	unsigned int nr, cap;
};

void leak_table_add(struct leak_table *t, const struct leak_finding *f, uint64_t count);
void leak_table_free(struct leak_table *t);
uint64_t leak_table_total(const struct leak_table *t);

/* Where the 8-byte register words of an XSAVE image are, walked once per layout. */
struct leak_slot {
	uint32_t offset;
	uint16_t reg;
	uint8_t word, bit;
};

struct leak_slots {
	unsigned int nr;
	uint32_t size;			/* bytes of the image the slots cover */
	struct leak_slot *slot;
};

int leak_slots_init(struct leak_slots *ls, const struct xstate_layout *l, uint64_t xcr0);
void leak_slots_free(struct leak_slots *ls);
/* A writer's KVM state: every word zero or its own canary.  Returns words scanned. */
unsigned int leak_scan_kvm(const struct leak_slots *ls, const uint8_t *buf, unsigned int vm,
			   unsigned int vcpu, uint64_t t_ms, struct leak_table *t);
/*
 * A restored vCPU's KVM state: every word zero or its own canary, all of
 * one round (the one most words hold); others, stale ones too, as @kind.
 */
unsigned int leak_scan_restored(const struct leak_slots *ls, const uint8_t *buf,
				enum leak_victim_kind kind, unsigned int vm, unsigned int vcpu,
				uint64_t t_ms, struct leak_table *t);
/* Host registers: words changed across KVM_RUN that decode, in place, as a canary. */
unsigned int leak_scan_host(const struct leak_slots *ls, const uint8_t *before,
			    const uint8_t *after, unsigned int vm, unsigned int vcpu,
			    unsigned int nr_vms, uint64_t t_ms, struct leak_table *t);
/* A guest's report of words that are not what they should be. */
void leak_report_findings(const struct fpvm_leak_report *rep, enum leak_victim_kind kind,
			  unsigned int vm, uint64_t t_ms, struct leak_table *t);
const char *leak_reg_name(unsigned int reg, char *buf, size_t size);
const char *leak_kind_name(unsigned int kind);

#define LEAK_MAX_VMS	32	/* canary VM ids: 5 bits */
#define LEAK_MAX_CPUS	16	/* writers per VM; readers take the rest of 64 */
#define LEAK_SNAPSHOT_CYCLES	2	/* --snapshot: snapshot/restore cycles per VM */

/* One leakcheck run; each VM is a process of its own (vm.c). */
struct leak_config {
	unsigned int nr_vms;
	unsigned int writers;		/* vCPUs per VM at boot */
	unsigned int duration_ms;
	uint64_t xcr0;			/* 0: the guest default */
	const char *kvm_path;
	bool snapshot;			/* VMs snapshotted mid-run, restored in new ones */
	bool pin;			/* every process on host CPU pin_cpu; else on any */
	unsigned int pin_cpu;
	const char *neighbour;		/* a guest image run beside the VMs, or NULL */
};

struct leak_stats {
	uint64_t rounds, exits, host_bytes, kvm_bytes, guest_bytes;
	uint64_t readers, leaks;
	uint64_t snapshots, restores;	/* taken by this VM process; restored into it */
	uint64_t xcr0;
	/* The VM processes' threads, all of them (wait4(2)): the switches the check covered */
	uint64_t voluntary_switches, involuntary_switches;
};

/* How a run ended; the command decides what status each is. */
enum leak_verdict {
	LEAK_CLEAN,		/* nothing crossed; or the self-test found its injection exactly */
	LEAK_FOUND,		/* register content crossed a boundary */
	LEAK_SELFTEST_FAILED,	/* the injected leak was missed or misattributed */
	LEAK_VM_FAILED,		/* a VM process did not run to its end */
};

/* What a run found and did, for the report (report.c). */
struct leak_run {
	const struct leak_config *cfg;
	enum leak_inject inject;
	bool injected;
	uint64_t injected_ms;
	struct leak_finding expect;	/* the injected leak: source and victim */
	struct leak_stats total;
	uint64_t elapsed_ms;
	struct leak_table table;
	enum leak_verdict result;
	struct {			/* with LEAK_VM_FAILED: the first VM that did */
		unsigned int vm;
		enum vm_stop stop;
		uint32_t value;
	} failed;
	char verdict[200];
	int status;			/* the command's exit status, for the reports */
	char **vm_stats;		/* per VM, its --stats=json object, or NULL */
	bool neighbour_ok;		/* every boot of the neighbour ended well */
};

/*
 * One leakcheck run: VM processes forked from here, coordinated until they
 * end; @progress: a progress line on stderr.  Fills @run (free its table
 * with leak_table_free()); -errno with @err when the run could not start.
 */
int leakcheck_run(const struct leak_config *c, enum leak_inject inject, bool progress,
		  struct leak_run *run, struct fpvm_error *err);

/* Frees what a run holds: its findings and its VMs' figures. */
void leak_run_release(struct leak_run *run);
const char *leak_inject_name(enum leak_inject inject);
const char *leak_component_name(unsigned int reg, unsigned int word);
bool leak_cell_expected(const struct leak_run *run, const struct leak_cell *c);
/* Sets result and verdict from the findings and the injection, if any. */
void leak_judge(struct leak_run *run);
void leak_print_text(FILE *f, const struct leak_run *run);
void leak_print_json(FILE *f, const struct leak_run *run);
void leak_print_tap(FILE *f, const struct leak_run *run);

#endif
