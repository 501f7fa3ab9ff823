/* SPDX-License-Identifier: MIT */
/*
 * The PC platform a Multiboot kernel boots on (pc.c, bios.c): the
 * in-kernel irqchip and PIT, fw_cfg, ACPI (tables, PM registers, S3 and
 * S5), the RTC, pc-testdev and the PCI host's ports, and what a BIOS
 * leaves behind.  The devices' callbacks stop the VM through
 * lifecycle.h and pause it through pause.h, never through vm.c.
 */
#ifndef FPVM_VMM_PC_H
#define FPVM_VMM_PC_H

#include "../base/error.h"

struct vm;

/* The irqchip and PIT, before any vCPU (api.rst, KVM_CREATE_IRQCHIP), and the devices. */
int pc_create(struct vm *vm, struct fpvm_error *err);
/* The platform's devices on the VM's buses. */
int pc_attach_devices(struct vm *vm, struct fpvm_error *err);
/* Once the kernel is loaded: the ACPI tables and the BIOS's state (pc_bios_setup()). */
int pc_load_firmware(struct vm *vm, struct fpvm_error *err);
void pc_destroy(struct vm *vm);

/*
 * ACPI S3 on the main thread: @wait_ms (-1: none) shortened to the RTC
 * alarm that wakes a sleeping VM; then, after each wait, entering S3 if
 * the guest asked, or waking if the alarm is due.
 */
int pc_s3_timeout(struct vm *vm, int wait_ms);
void pc_s3_poll(struct vm *vm);

/*
 * What SeaBIOS leaves for a Multiboot kernel (bios.c): real-mode vectors,
 * the 8259s at 0x08/0x70 with the timer open, PIT channel 0 at 18.2 Hz.
 */
int pc_bios_setup(struct vm *vm, struct fpvm_error *err);

#endif
