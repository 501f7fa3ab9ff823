/* SPDX-License-Identifier: MIT */
/*
 * The UART's transmit register through KVM's coalesced PIO ring
 * (coalesced.c): while a THR write has no effect the guest could see
 * before its next access to the UART, KVM queues it without an exit and
 * the VMM takes it at the next exit of any vCPU.
 */
#ifndef FPVM_VMM_COALESCED_H
#define FPVM_VMM_COALESCED_H

#include <stdbool.h>

struct vm;

/* On the main thread before any vCPU runs: the ring, if KVM has one, and THR's zone. */
void vm_coalesced_start(struct vm *vm);
/* After the guest wrote a UART register: THR's zone follows whether its writes are quiet. */
void vm_coalesced_update(struct vm *vm);
/* After every KVM_RUN, before its exit is handled: the queued writes, in order, to the UART. */
void vm_coalesced_drain(struct vm *vm);
/* Whether writes wait in the ring. */
bool vm_coalesced_pending(const struct vm *vm);
/* On the main thread every COALESCED_KICK_MS: writes still queued make the vCPUs drain them. */
void vm_coalesced_kick(struct vm *vm);
#define COALESCED_KICK_MS	100

#endif
