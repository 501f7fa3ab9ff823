/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: CPUID fixtures and a KVM-less VM. */
#ifndef FPVM_TESTUTIL_H
#define FPVM_TESTUTIL_H

#include <check.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../vcpu/vcpu.h"
#include "../../cmd/cmd.h"
#include "../../leakcheck/leakcheck.h"
#include "../../vmm/exit.h"
#include "../../vmm/vm.h"
#include "check_run.h"

/*
 * A CPUID table file (tests/fixtures/cpuid/): KVM_GET_SUPPORTED_CPUID rows
 * carry numeric flags, raw host rows carry "-".
 */
struct cpuid_fixture {
	struct kvm_cpuid2 *kvm;		/* may have nent == 0 */
	struct kvm_cpuid2 *host;
	uint64_t host_xcr0;		/* 0 when the file does not say */
};

int cpuid_fixture_load(const char *name, struct cpuid_fixture *f);
/* The XSAVE layout of a fixture's KVM table (kvm) or its raw host rows. */
struct xstate_layout cpuid_fixture_layout(const char *name, bool kvm);
void cpuid_fixture_free(struct cpuid_fixture *f);
const char *fixture_path(const char *name);

/*
 * A VM with guest memory, buses and devices but no KVM, and one vCPU with
 * a heap-allocated kvm_run, for driving vm_handle_exit() directly.
 */
struct fake_vm {
	struct vm vm;
	struct vm_config cfg;
	struct kvm kvm;
	struct vcpu *vcpu;
	int out_pipe[2];	/* serial output */
};

void fake_vm_init(struct fake_vm *f, uint64_t mem_size);
void fake_vm_free(struct fake_vm *f);
/* Reads whatever the serial device wrote so far (non-blocking). */
size_t fake_vm_output(struct fake_vm *f, char *buf, size_t size);

#endif
