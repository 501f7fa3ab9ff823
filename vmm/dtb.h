/* SPDX-License-Identifier: MIT */
/*
 * The device tree fpvm hands its guests (guest/abi.h), built by fdt.c.
 */
#ifndef FPVM_VMM_DTB_H
#define FPVM_VMM_DTB_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../fpstate/fpstate.h"
#include "../loader/boot.h"

struct vm;

struct machine_desc {
	const struct guest_mem *mem;
	const struct boot_layout *boot;
	uint64_t xcr0;			/* the guest XCR0 fpvm configured */
	const struct xstate_layout *layout;	/* where the guest's XSAVE components are */
	const char *image_path;		/* the guest's argv[0] */
	int nargs;
	char **args;
};

int fdt_build(void *buf, size_t size, const struct machine_desc *m);
/* @vm's tree into its guest memory, and a copy to cfg->dtb_fd; none on the PC platform. */
int vm_write_fdt(struct vm *vm, struct fpvm_error *err);

#endif
