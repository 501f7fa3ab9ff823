/* SPDX-License-Identifier: MIT */
/*
 * The boot machine: page tables, GDT, boot stacks and entry registers (guest/abi.h).
 */
#ifndef FPVM_LOADER_BOOT_H
#define FPVM_LOADER_BOOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/error.h"
#include "guest_mem.h"

struct boot_layout {
	uint64_t stacks_base;	/* vCPU boot stacks: [stacks_base, low top) */
	uint64_t map_top;	/* identity map covers [0, map_top) */
	unsigned int nr_cpus;	/* started at boot (RDX, device tree) */
	unsigned int nr_slots;	/* boot stacks: nr_cpus plus vCPUs added later */
};

int boot_layout_init(struct boot_layout *b, const struct guest_mem *mem, unsigned int nr_cpus,
		     unsigned int nr_slots, struct fpvm_error *err);
int boot_write_tables(const struct boot_layout *b, const struct guest_mem *mem);
/* Entry state per guest/abi.h; @sregs comes from KVM_GET_SREGS. */
void boot_vcpu_state_multiboot(const struct boot_layout *b, uint32_t entry, uint32_t magic,
			       uint32_t info, struct kvm_regs *regs, struct kvm_sregs *sregs);
/*
 * Waking from ACPI S3: real mode at the FACS firmware waking vector, CS:IP
 * (vector >> 4):(vector & 0xf), every other segment 0, as firmware does.
 */
void boot_vcpu_state_real_mode(uint32_t vector, struct kvm_regs *regs, struct kvm_sregs *sregs);
struct linux_entry;
/* A Linux kernel's 64-bit entry (linux.h) as KVM register state. */
void boot_vcpu_state_linux(const struct linux_entry *e, struct kvm_regs *regs,
			   struct kvm_sregs *sregs);
void boot_vcpu_state(const struct boot_layout *b, unsigned int cpu, uint64_t entry, bool xsave,
		     struct kvm_regs *regs, struct kvm_sregs *sregs);

#endif
