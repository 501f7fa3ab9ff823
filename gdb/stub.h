/* SPDX-License-Identifier: MIT */
/*
 * fpvm's gdb stub: a GDB remote protocol server on its own thread, for one
 * client at a time, over a VM's vCPUs (vCPU N is gdb's thread N+1).  Safe
 * by default: TCP binds the loopback address unless told another, a unix
 * socket is created mode 0600, and the thread has its own allow-list.
 * Calls go cmd -> gdb -> vmm: the VM reaches the stub only through its
 * hooks (struct vm_ops).
 */
#ifndef FPVM_GDB_STUB_H
#define FPVM_GDB_STUB_H

#include <stdbool.h>

#include "../base/error.h"

struct vm;
struct vm_ops;
struct gdb_stub;

/*
 * "tcp:HOST:PORT" (HOST empty: 127.0.0.1), "tcp:PORT", or "unix:PATH";
 * anything else is FPVM_ERR_CONFIG naming what is wrong.
 */
struct gdb_spec {
	bool unix_socket;
	char host[64];
	unsigned int port;
	char path[108];		/* sun_path's size */
};
int gdb_spec_parse(const char *spec, struct gdb_spec *out, struct fpvm_error *err);

/*
 * Listens on @spec before any VM exists, so a port in use or a path that
 * exists is an error before the guest runs.  @wait: the guest starts
 * stopped, until gdb continues it.
 */
int gdb_stub_open(struct gdb_stub **out, const struct gdb_spec *spec, bool wait,
		  struct fpvm_error *err);
/* Where it listens, for the user: "127.0.0.1:1234" or the path. */
const char *gdb_stub_address(const struct gdb_stub *stub);
/* The hooks a VM runs the stub with: vm->ops, with vm->ops_data the stub. */
extern const struct vm_ops gdb_stub_vm_ops;
/*
 * After the VM ended: a connected gdb is told the exit @status (W), the
 * thread joined, the socket closed (and its path removed).
 */
void gdb_stub_close(struct gdb_stub *stub, int status);

#endif
