/* SPDX-License-Identifier: MIT */
/*
 * System call filters for fpvm's threads, as allow-lists: once set up, a
 * vCPU thread (which handles what the guest does) and the VMM's main
 * thread may make only the calls their work needs.  Anything else raises
 * SIGSYS, whose handler names the call and ends the process with the
 * status the command chose (seccomp_set_exit_status()).
 */
#ifndef FPVM_VMM_SECCOMP_H
#define FPVM_VMM_SECCOMP_H

#include <stddef.h>

#include "../base/error.h"

enum seccomp_policy {
	SECCOMP_OFF,
	SECCOMP_VCPUS,		/* vCPU threads only: the process goes on to other work */
	SECCOMP_ALL,		/* and the main thread, once every vCPU thread runs */
};

/*
 * @wanted where filters can work: SECCOMP_OFF under ASan (its runtime and
 * LSan's stop-the-world make calls no allow-list foresees) and under
 * valgrind (which makes the client's calls itself, and has no seccomp(2)).
 */
enum seccomp_policy seccomp_policy_for(enum seccomp_policy wanted);

enum seccomp_thread {
	SECCOMP_THREAD_VCPU,
	SECCOMP_THREAD_VMM,
	SECCOMP_THREAD_GDB,	/* the gdb stub's (gdb/stub.c): a vCPU's and the VMM's, and its socket */
};

/*
 * The status a forbidden call ends the process with.  Only a command
 * chooses statuses (cmd/status.c); until one does, 128 + SIGSYS, as a
 * shell reports a process that SIGSYS killed.
 */
void seccomp_set_exit_status(int status);
/*
 * What the report of a forbidden call tells the user to do about it (at
 * most 127 bytes): the command's way to turn the filters off, as only a
 * command knows its options.  NULL, the default: nothing.
 */
void seccomp_set_way_out(const char *way_out);
/* The SIGSYS handler that reports a forbidden call; before any filter. */
int seccomp_sigsys_init(void);
/* Filters the calling thread alone (no TSYNC) for the work of @which. */
int seccomp_filter_thread(enum seccomp_thread which, struct fpvm_error *err);
/*
 * The same, and with @fds (even none) the thread may also read(2) and
 * close(2) those (at most 4), files it opened before, and ask getcpu(2):
 * a vCPU thread's own counters for --stats (vcpu_host.c), read at its end.
 */
int seccomp_filter_thread_reading(enum seccomp_thread which, const int *fds, unsigned int nr_fds,
				  struct fpvm_error *err);
/* The name of x86-64 system call @nr, or NULL. */
const char *seccomp_syscall_name(long nr);

#endif
