/* SPDX-License-Identifier: MIT */
/*
 * Where vCPU threads run, as users write it: host CPU lists ("0-3,6"),
 * vCPU-to-CPU maps ("0:2,1:3", "all:0") and scheduling policies
 * ("batch", "fifo:10").  Pure parsing; applying them is the VMM's
 * (vmm/vcpu_thread.c), checking them against this host's CPUs is here.
 */
#ifndef FPVM_BASE_PLACEMENT_H
#define FPVM_BASE_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define PLACEMENT_MAX_CPUS	1024	/* host CPUs a list may name: glibc's CPU_SETSIZE */
#define PLACEMENT_MAX_ENTRIES	64	/* vCPU entries in one map */

struct cpu_mask {
	uint64_t bits[PLACEMENT_MAX_CPUS / 64];
};

static inline void cpu_mask_set(struct cpu_mask *m, unsigned int cpu)
{
	m->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline bool cpu_mask_test(const struct cpu_mask *m, unsigned int cpu)
{
	return cpu < PLACEMENT_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned int cpu_mask_count(const struct cpu_mask *m);
/* "0-3,6" back from a mask, into @buf of @size bytes (truncated with "..."). */
const char *cpu_mask_format(const struct cpu_mask *m, char *buf, unsigned int size);

/*
 * The sched(7) policies: the CFS classes and the real-time ones, which
 * take a priority of 1..99 (sched_get_priority_min/max for both).
 */
enum sched_kind {
	SCHED_KIND_DEFAULT,	/* leave the thread as it was created */
	SCHED_KIND_OTHER,
	SCHED_KIND_BATCH,
	SCHED_KIND_IDLE,
	SCHED_KIND_FIFO,
	SCHED_KIND_RR,
};

struct sched_choice {
	enum sched_kind kind;
	int priority;		/* FIFO and RR: 1..99; the rest: 0 */
};

struct placement_entry {
	bool all;		/* "all:LIST": every vCPU without its own entry */
	unsigned int vcpu;
	struct cpu_mask cpus;
};

/* Which host CPUs each vCPU thread may run on; a vCPU without an entry is left alone. */
struct vcpu_placement {
	unsigned int nr;
	struct placement_entry entry[PLACEMENT_MAX_ENTRIES];
};

/*
 * Each returns 0 or -EINVAL with a one-line message in @err (class
 * FPVM_ERR_CONFIG) that begins with the value and names what is wrong.
 */
/* "N", "N-M" and commas of them, every CPU below PLACEMENT_MAX_CPUS. */
int parse_cpu_list(const char *s, struct cpu_mask *out, struct fpvm_error *err);
/*
 * "VCPU:LIST" or "all:LIST", comma-separated; a comma-separated part with
 * no colon continues the previous LIST ("0:2,3,1:4" is vCPU 0 on 2 and 3).
 */
int parse_vcpu_placement(const char *s, struct vcpu_placement *out, struct fpvm_error *err);
/* "other", "batch", "idle", "fifo:PRIO" or "rr:PRIO". */
int parse_sched_choice(const char *s, struct sched_choice *out, struct fpvm_error *err);

/* @vcpu's CPUs: its own entry, else the "all" one, else NULL. */
const struct cpu_mask *placement_cpus(const struct vcpu_placement *p, unsigned int vcpu);
/*
 * Whether every vCPU named is below @nr_vcpus and every CPU named is one
 * this process may run on (sched_getaffinity): FPVM_ERR_CONFIG otherwise.
 */
int placement_check(const struct vcpu_placement *p, unsigned int nr_vcpus,
		    struct fpvm_error *err);
/* Whether this process may run on every CPU of @m: FPVM_ERR_CONFIG otherwise. */
int cpu_mask_check_host(const struct cpu_mask *m, struct fpvm_error *err);

const char *sched_kind_name(enum sched_kind kind);
/* The policy's SCHED_* number for sched_setscheduler(2). */
int sched_kind_policy(enum sched_kind kind);

#endif
