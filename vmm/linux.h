/* SPDX-License-Identifier: MIT */
/*
 * What a Linux guest's PC platform does beyond a Multiboot kernel's
 * (linux.c): its console's lines are watched for a kernel panic, the
 * reset that follows a panic is the panic, and a clean power-off is the
 * guest's success.  pc.c calls these; they stop the VM through lifecycle.h.
 */
#ifndef FPVM_VMM_LINUX_H
#define FPVM_VMM_LINUX_H

#include <stdbool.h>

struct vm;

/* Whether @vm runs a Linux kernel (the image's kind). */
bool linux_guest(const struct vm *vm);
/* A line vCPU @cpu transmitted on the UART (under the UART's lock). */
void linux_console_line(struct vm *vm, unsigned int cpu, const char *buf, unsigned int len);
/* The system reset: true if it ended the VM as the panic a console line announced. */
bool linux_reset_panicked(struct vm *vm, unsigned int cpu);
/* ACPI S5: a Linux guest's power-off ends the VM with status 0. */
void linux_power_off(struct vm *vm, unsigned int cpu);

#endif
