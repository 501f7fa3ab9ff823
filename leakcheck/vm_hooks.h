/* SPDX-License-Identifier: MIT */
/*
 * One leakcheck VM as its hooks see it (vm_hooks.c): what it checks on
 * every exit, control request and tick, and what it tells the coordinator;
 * its process (vm.c) boots or restores it with leak_ops.  Private to
 * leakcheck/.
 */
#ifndef FPVM_LEAKCHECK_VM_HOOKS_H
#define FPVM_LEAKCHECK_VM_HOOKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"

#define LEAK_MAX_VCPUS		64	/* the guest runtime's limit */
#define LEAK_MAX_READERS	24
#define KVM_CHECK_EVERY		16	/* exits between KVM state checks */
#define YIELD_EVERY		8	/* rounds between forced reschedules */
#define STATS_MS		250
#define LEAK_MEM		(64ULL << 20)

enum { CAPTURE_NONE, CAPTURE_PARENT, CAPTURE_FORWARD, CAPTURE_FRESH };

struct leak_vcpu {
	atomic_bool armed;		/* registers hold canaries */
	atomic_int capture;		/* CAPTURE_* */
	unsigned int forward_to;
	atomic_bool capture_ready;
	atomic_bool inject_pending;
	atomic_bool inject_host;
	atomic_bool injected;		/* tell the coordinator */
	uint8_t *capture_buf;
	uint8_t *inject_buf;
	unsigned long exits;
	struct leak_table table;
};

struct leak_vm {
	const struct leak_config *cfg;
	unsigned int id;
	int sock;
	struct leak_slots guest_slots, host_slots;
	struct timespec t0;
	atomic_ulong rounds, exits, host_bytes, kvm_bytes, guest_bytes, readers;
	uint64_t next_reader, next_stats, reader_period;
	bool armed_sent;
	uint8_t *fresh_state;		/* --inject fresh-vcpu: for the next reader */
	bool restored;			/* from a snapshot: writers' findings LEAK_RESTORED */
	bool snap_pending;		/* LK_SNAPSHOT arrived */
	int snap_inject;		/* >= 0: that vCPU's image in the snapshot is inject_buf */
	uint64_t snapshots, restores;
	char snap_dir[4096];		/* where this VM's snapshot goes */
	char restore_dir[4096];		/* and where it came from */
	struct leak_vcpu v[LEAK_MAX_VCPUS];
};

/* The hooks of a leakcheck VM (struct vm_ops), its struct leak_vm as ops_data. */
extern const struct vm_ops leak_ops;
/* What @lv counted so far, with @vm's XCR0. */
void leak_vm_stats(const struct leak_vm *lv, const struct vm *vm, struct leak_stats *st);

#endif
