/* SPDX-License-Identifier: MIT */
/*
 * How leakcheck's coordinator (leakcheck.c) and its VM processes (vm.c)
 * talk: SOCK_SEQPACKET messages, a header then data.  Private to leakcheck/.
 */
#ifndef FPVM_LEAKCHECK_PROTO_H
#define FPVM_LEAKCHECK_PROTO_H

#include <stdint.h>
#include <time.h>

#include "leakcheck.h"

/* Coordinator <-> VM process messages (SOCK_SEQPACKET): header, then data. */
/* The largest payload either side receives. */
#define LEAK_MSG_MAX	65536

enum leak_msg_type {
	LK_STATS = 1,		/* VM: struct leak_stats */
	LK_ARMED,		/* VM: every writer's registers hold canaries */
	LK_STATE,		/* VM: vCPU state captured for LK_CAPTURE (uABI buffer) */
	LK_INJECTED,		/* VM: an injection took effect on @vcpu */
	LK_CELL,		/* VM: struct leak_cell, at the end */
	LK_DONE,		/* VM: @arg enum vm_stop, @vcpu its value, then the reason */
	LK_VMSTATS,		/* VM: its 'fpvm run --stats=json' object, as text */
	LK_CAPTURE,		/* coordinator: send @vcpu's state */
	LK_INJECT,		/* coordinator: KVM_SET_XSAVE this buffer into @vcpu */
	LK_INJECT_VCPU,		/* coordinator: @arg's state into @vcpu, same VM */
	LK_INJECT_HOST,		/* coordinator: load @vcpu's guest state into its host thread */
	LK_INJECT_FRESH,	/* coordinator: @vcpu's state into the next fresh vCPU */
	LK_SNAPSHOT,		/* coordinator: snapshot now, end; data: @vcpu's image in it */
	LK_SAVED,		/* VM: the snapshot is whole; restore it */
};

struct leak_msg {
	uint32_t type, vcpu, arg, len;
};

int leak_send(int sock, uint32_t type, uint32_t vcpu, uint32_t arg, const void *data,
	      uint32_t len);
/* What one VM process is: a VM booted, or restored from its last snapshot. */
struct leak_proc {
	unsigned int vm;		/* its canaries' VM id */
	unsigned int cycle;		/* 0: boots; n: restores snapshot n */
	uint64_t run_ms;
	struct timespec t0;		/* the run's start: findings' times */
	const char *snapshot_root;	/* --snapshot: SNAPSHOT_ROOT/vmV.N is snapshot N */
};

/*
 * --pin: this process, and every thread it makes from now on, on the CPU;
 * @vcpus says the same for a VM's vCPU threads.  -errno if refused.
 */
int leak_pin(const struct leak_config *c, struct vcpu_placement *vcpus);
/* The neighbour's image, as fpvm run would check it, before any process starts. */
int leak_neighbour_check(const struct leak_config *c, struct fpvm_error *err);
/* The neighbour's process: boots its guest again and again until the run's time is up. */
int leak_neighbour_main(const struct leak_config *c, const struct timespec *t0);

/* A VM process: runs a writer VM and serves the coordinator on @sock. */
int leak_vm_main(const struct leak_config *c, const struct leak_proc *p, int sock);

#endif
