/* SPDX-License-Identifier: MIT */
/*
 * What a snapshot holds beyond memory and the vCPUs: the machine, as the
 * part "machine" stores it (snapshot.c writes it, restore.c reads it).
 */
#ifndef FPVM_VMM_MACHINE_STATE_H
#define FPVM_VMM_MACHINE_STATE_H

#include <linux/kvm.h>
#include <stdint.h>

#include "../devices/devices.h"
#include "vm.h"

#define MACHINE_STATE_MAGIC	0x6863616dU	/* "mach" */

struct machine_state {
	uint32_t magic, size;
	uint32_t pc;			/* the PC platform: irqchip, PIT, fw_cfg */
	uint32_t nr_cpus;
	uint8_t halted[FPVM_MAX_CPUS];	/* the vCPU's thread had ended on a halt */
	struct serial8250_state serial;
	uint16_t fw_cfg_selector, fw_cfg_offset;
	/*
	 * enum image_kind: what the guest is, for what the platform does at
	 * its ends (a Linux guest's power-off, reset and panic: linux.h).
	 * Snapshots from before it have 0 here, fpvm's own ELF64 guests.
	 */
	uint32_t image_kind;
	/* With pc: the in-kernel PICs and IOAPIC, PIT and clock (api.rst). */
	struct kvm_irqchip pic_master, pic_slave, ioapic;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	/* With pc: the rest of the platform's registers (devices.h) */
	uint8_t rtc_ram[128];
	uint8_t rtc_index, pci_rst_cnt;
	uint16_t pm_sts, pm_en, pm_cnt;
	uint32_t pci_address, testdev_data;
	uint64_t pm_elapsed_ns;		/* the PM timer goes on from here */
};

#endif
