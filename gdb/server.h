/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote protocol's commands over a target: packets in, replies
 * and target operations out.  Pure: the target (the stub's VM, or a test's
 * fake) is a table of operations, so the protocol is unit-tested without
 * KVM and the stub (stub.c) keeps only sockets, threads and the VM.
 */
#ifndef FPVM_GDB_SERVER_H
#define FPVM_GDB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "regs.h"

#define GDB_MAX_SW_BREAKS	64
#define GDB_MAX_HW		4	/* DR0-DR3 */

/* What the guest's debug registers and KVM_SET_GUEST_DEBUG must hold to resume. */
struct gdb_debug {
	bool sw;		/* int3 breakpoints are planted: KVM_GUESTDBG_USE_SW_BP */
	bool hw;		/* KVM_GUESTDBG_USE_HW_BP with dr[] and dr7 */
	uint64_t dr[GDB_MAX_HW];
	uint64_t dr7;
};

struct gdb_target_ops {
	unsigned int (*nr_cpus)(void *t);
	int (*read_cpu)(void *t, unsigned int cpu, struct gdb_cpu *c);
	/* @changed: GDB_CHANGED_*; an image fpstate/ refuses is -EINVAL and no change. */
	int (*write_cpu)(void *t, unsigned int cpu, const struct gdb_cpu *c, unsigned int changed);
	/* By guest-virtual address through @cpu's page tables; 0 or -errno, all or nothing. */
	int (*read_mem)(void *t, unsigned int cpu, uint64_t gva, void *buf, size_t len);
	int (*write_mem)(void *t, unsigned int cpu, uint64_t gva, const void *buf, size_t len);
	/* Every vCPU runs, or with @step >= 0 that one alone for one instruction. */
	int (*resume)(void *t, int step, const struct gdb_debug *dbg);
	/* A monitor command's text output into @out (NUL-terminated); 0, or -errno for an error. */
	int (*monitor)(void *t, unsigned int cpu, const char *cmd, char *out, size_t size);
	void (*kill)(void *t);
	/* Breakpoints are gone: the guest runs on without a debugger. */
	void (*detach)(void *t, const struct gdb_debug *dbg);
};

/* Why the target stopped, for the stop reply. */
struct gdb_stop {
	unsigned int cpu;
	bool interrupted;	/* Ctrl-C, or the stub stopped the guest to attach */
	uint32_t exception;	/* KVM_EXIT_DEBUG: 1 (#DB) or 3 (#BP) */
	uint64_t pc, dr6;
};

enum gdb_action {
	GDB_CONTINUE,		/* replied; wait for the next packet */
	GDB_RESUMED,		/* the target runs: a stop reply comes later */
	GDB_DETACHED,		/* replied OK; close the connection */
	GDB_KILLED,
};

struct gdb_server {
	const struct gdb_target_ops *ops;
	void *target;
	/* Sends one packet's data; the server never sends more than GDB_PACKET_MAX. */
	void (*send)(void *ctx, const char *data, size_t len);
	void *send_ctx;
	struct gdb_regset regs;
	bool no_ack;
	unsigned int g_cpu, c_cpu;	/* Hg and Hc, 0-based */
	int step_cpu;			/* the vCPU of the last step, or -1 */
	struct { uint64_t addr; uint8_t saved; } sw[GDB_MAX_SW_BREAKS];
	unsigned int nr_sw;
	struct { bool used; uint8_t type; uint8_t len; uint64_t addr; } hw[GDB_MAX_HW];
	char reply[GDB_PACKET_MAX + 1];
	char xml[GDB_PACKET_MAX * 4];
	size_t xml_len;
};

void gdb_server_init(struct gdb_server *s, const struct gdb_target_ops *ops, void *target,
		     uint64_t xcr0);
/* One packet's data (NUL-terminated, rx.buf); the server sends its replies itself. */
enum gdb_action gdb_server_packet(struct gdb_server *s, const char *pkt, size_t len);
/* The stop reply for @stop, sent; the server's selected thread becomes the one that stopped. */
void gdb_server_stopped(struct gdb_server *s, const struct gdb_stop *stop);
/* The planted breakpoints taken out of guest memory (on detach, exit or a lost client). */
void gdb_server_remove_all(struct gdb_server *s);

#endif
