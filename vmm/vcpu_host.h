/* SPDX-License-Identifier: MIT */
/*
 * The host side of a vCPU thread (vcpu_host.c): where it may run and how it
 * is scheduled, set on itself at its start, and what the host's scheduler
 * did with it, read at its end for --stats.
 */
#ifndef FPVM_VMM_VCPU_HOST_H
#define FPVM_VMM_VCPU_HOST_H

#include "../base/error.h"
#include "../vcpu/vcpu.h"

struct vm_config;

/* The thread's own counters: open while it may, read at its end. */
struct vcpu_host_counters {
	int status_fd;		/* /proc/thread-self/status: context switches */
	int sched_fd;		/* /proc/thread-self/sched: se.nr_migrations, if the kernel has it */
};

/*
 * Puts the calling thread, vCPU @id's, on its CPUs and policy from @cfg.
 * A real-time policy the process may not use is FPVM_ERR_PERMISSION.
 */
int vcpu_host_place(const struct vm_config *cfg, unsigned int id, struct fpvm_error *err);
/* Opens the calling thread's counters (-1 for each that cannot be). */
void vcpu_host_counters_open(struct vcpu_host_counters *c);
/* Reads them into @st (-1 for what is unknown) and closes them. */
void vcpu_host_counters_read(struct vcpu_host_counters *c, struct vcpu_stats *st);
/* Adds the CPU the thread is on now to @st's set. */
void vcpu_host_note_cpu(struct vcpu_stats *st);

#endif
