/* SPDX-License-Identifier: MIT */
/*
 * The device tree fpvm hands its guests (guest/abi.h).
 */
#ifndef FPVM_VMM_DTB_H
#define FPVM_VMM_DTB_H

#include <stddef.h>
#include <stdint.h>

#include "../fpstate/fpstate.h"
#include "../loader/boot.h"

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

#endif
