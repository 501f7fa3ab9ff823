/* SPDX-License-Identifier: MIT */
/*
 * The UART's transmit register through KVM's coalesced PIO ring
 * (coalesced.c): in a VM of one vCPU, while a THR write has no effect the
 * guest could see before its next access to the UART, KVM queues it
 * without an exit and the VMM takes it at the vCPU's next exit.
 */
#ifndef FPVM_VMM_COALESCED_H
#define FPVM_VMM_COALESCED_H

#include <stdbool.h>

struct vm;

/* On the main thread before any vCPU runs: the ring, if KVM has one, and THR's zone. */
void vm_coalesced_start(struct vm *vm);
/*
 * After the guest wrote IER or MCR: THR's zone goes once its writes stop
 * being quiet, and does not come back.
 */
void vm_coalesced_update(struct vm *vm);
/* After every KVM_RUN, before its exit is handled: the queued writes, in order, to the UART. */
void vm_coalesced_drain(struct vm *vm);
/* Whether writes wait in the ring. */
bool vm_coalesced_pending(const struct vm *vm);
/* Whether the main thread must look at the ring: the zone is there, or writes still wait. */
bool vm_coalesced_active(const struct vm *vm);
/*
 * On the main thread at most every COALESCED_KICK_MS: writes still queued
 * make the vCPU drain them.
 */
void vm_coalesced_kick(struct vm *vm);
#define COALESCED_KICK_MS	100

#endif
