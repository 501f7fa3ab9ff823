/* SPDX-License-Identifier: MIT */
/*
 * What 'fpvm run --stats' reports, and leakcheck's VMs with it (stats.c):
 * the VM's phases and vCPUs' figures, copied out before the VM is
 * destroyed, and the process's memory.
 */
#ifndef FPVM_VMM_STATS_H
#define FPVM_VMM_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vm.h"

struct mem_figures {
	uint64_t rss_kib, pss_kib, uss_kib;
	uint64_t guest_rss_kib, guest_private_kib;	/* guest RAM's share of them */
};

struct vm_run_stats {
	uint64_t kvm_open_ns, fpu_cfg_ns, teardown_ns, total_ns;
	struct vm_stats vm;
	unsigned int nr_vcpus;
	struct vcpu_stats *vcpus;	/* copied out before the VM is destroyed */
	struct mem_figures mem;
	bool have_mem;
};

const char *vm_phase_name(enum vm_phase phase);
/* Reads this process's RSS, PSS and USS, and guest RAM's part, from /proc/self. */
int vm_read_memory(const void *guest, uint64_t guest_size, struct mem_figures *m);
/* Copies what @vm counted and measures memory, while the VM still exists. */
int vm_stats_collect(struct vm_run_stats *rs, const struct vm *vm);
void vm_stats_print(FILE *f, bool json, const struct vm_run_stats *rs);
void vm_stats_release(struct vm_run_stats *rs);

#endif
